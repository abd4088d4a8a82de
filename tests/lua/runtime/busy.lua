-- busy.lua -- DESIGN 2.0: a process that loops without yielding
-- (`while true do end`) is preempted: on 2 threads, others keep running, and
-- it can be terminated or cancelled, even when the loop is under pcall.
-- Waits are bounded by scaled deadlines; the bounds on latency are generous
-- (a loaded machine is slow, not broken) and scaled too.
local t = require("tap").setup(...)
local me = process.pid()
local await = t.await

local function exit_of(pid) return t.exit_of(pid) end

-- three busy loops: more than the 2 worker threads
local busy = {}
for i = 1, 3 do
  busy[i] = process.spawn_monitored("actors:busy", "ward:main", me)
  t.ok(busy[i] ~= nil, "busy process " .. i .. " spawned")
  t.ok(await("started") ~= nil, "busy process " .. i .. " started looping")
end

-- another process keeps answering pings
local echo = process.spawn("actors:echo", "ward:main")
local answered, worst = 0, 0
for i = 1, 20 do
  local t0 = time.now()
  process.send(echo, "ping", i)
  local m
  repeat m = await("ping") until m == nil or m:payload() == i
  if m then answered = answered + 1 end
  worst = math.max(worst, time.now() - t0)
end
t.is(answered, 20, "20 pings answered while 3 processes loop forever")
t.ok(worst < t.ms(5000), "each within 5 s, scaled (worst " .. worst .. " ms)")

-- this process itself keeps running too (it shares the threads)
do
  local t0 = time.now()
  local n = 0
  for _ = 1, 200000 do n = n + 1 end
  time.sleep("20ms")
  t.ok(time.now() - t0 < t.ms(10000), "the test process itself is not starved")
end

-- terminate ends a busy loop
do
  local t0 = time.now()
  t.is(process.terminate(busy[1]), true, "terminate a busy process")
  local res = exit_of(busy[1])
  t.ok(res ~= nil, "the busy process exited")
  t.is(res and res.error, "terminated by " .. me, "its EXIT error is \"terminated by {pid}\"")
  t.ok(time.now() - t0 < t.ms(10000), "promptly (" .. (time.now() - t0) .. " ms)")
end

-- cancel with a deadline ends a busy loop at the deadline
do
  local t0 = time.now()
  t.is(process.cancel(busy[2], "300ms"), true, "cancel a busy process with a 300 ms deadline")
  local res = exit_of(busy[2])
  local el = time.now() - t0
  t.like(res and res.error, "cancelled", "it was ended by the cancel deadline")
  t.ok(el >= 250 and el < 300 + t.ms(10000), "at the deadline, not before (" .. el .. " ms)")
end

-- a busy loop under pcall cannot swallow terminate
do
  local pb = process.spawn_monitored("actors:pcallbusy", "ward:main", me)
  t.ok(await("started") ~= nil, "the pcall busy loop started")
  time.sleep("100ms")
  local t0 = time.now()
  process.terminate(pb)
  local res = exit_of(pb)
  t.is(res and res.error, "terminated by " .. me, "pcall could not swallow terminate")
  t.ok(time.now() - t0 < t.ms(10000), "promptly (" .. (time.now() - t0) .. " ms)")
end

-- the same under the script's own coroutine and pcall inside it
do
  local pb = process.spawn_monitored("actors:corobusy", "ward:main", me)
  t.ok(await("started") ~= nil, "a busy loop inside coroutine.wrap + pcall started")
  time.sleep("100ms")
  process.terminate(pb)
  local res = exit_of(pb)
  t.is(res and res.error, "terminated by " .. me, "terminate ends it too")
  local leak = await("swallowed", "200ms")
  t.ok(leak == nil, "no code ran after the terminate was raised (no \"swallowed\" report)")
end

-- the runtime is fine: the echo still answers, the last busy loop dies
process.send(echo, "ping", "after")
local m = await("ping")
t.ok(m and m:payload() == "after", "the echo still answers afterwards")
process.terminate(busy[3])
t.ok(exit_of(busy[3]) ~= nil, "the third busy process is terminated")
process.send(echo, "stop")

t.plan(t.run)
t.done()
