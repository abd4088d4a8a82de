-- sort.lua -- DESIGN 2.0: a table.sort comparator that loops forever cannot
-- be preempted (no yield across the C call); it is ended after ~5 s.
-- NOTE: this test takes about 5 seconds by design.
local t = require("tap").setup(...)
local me = process.pid()

local await_topic, exit_of = t.await, t.exit_of

-- terminate reaches a process stuck in a comparator at once
do
  local t0 = time.now()
  local pid = process.spawn_monitored("actors:sortloop", "ward:main", me)
  t.ok(await_topic("started", t.ms(30000)) ~= nil, "a comparator loop started")
  -- it sent "started" just before getting stuck: neither that message nor
  -- our own timers may wait behind the worker thread it holds
  t.ok(time.now() - t0 < t.ms(3000), "its last message arrived promptly (" .. (time.now() - t0) .. " ms)")
  local s0 = time.now()
  time.sleep("100ms")
  t.ok(time.now() - s0 < 100 + t.ms(2900), "our sleep(100ms) is not held up (" .. (time.now() - s0) .. " ms)")
  t0 = time.now()
  process.terminate(pid)
  local res = exit_of(pid, t.ms(30000))
  t.is(res and res.error, "terminated by " .. me, "terminate ends it")
  t.ok(time.now() - t0 < t.ms(3000), "promptly (" .. (time.now() - t0) .. " ms)")
end

local echo = process.spawn("actors:echo", "ward:main")

-- left alone, it is ended after about 5 s
do
  local t0 = time.now()
  local pid = process.spawn_monitored("actors:sortloop", "ward:main", me)
  t.ok(await_topic("started", t.ms(30000)) ~= nil, "a second comparator loop started")
  -- meanwhile the other thread serves everybody else
  local answered = 0
  for i = 1, 10 do
    process.send(echo, "ping", i)
    local m
    repeat m = await_topic("ping", t.ms(30000)) until m == nil or m:payload() == i
    if m then answered = answered + 1 end
    time.sleep("100ms")
  end
  t.is(answered, 10, "others keep running while it is stuck")
  local res = exit_of(pid, t.ms(60000))
  local el = time.now() - t0
  t.like(res and res.error, "cannot be preempted", "it is ended: \"... where it cannot be preempted\"")
  t.ok(el >= 4500 and el < 5000 + t.ms(10000), "after about 5 s, not before (" .. el .. " ms)")
  t.ok(await_topic("swallowed", "100ms") == nil, "its pcall did not swallow the end")
end

process.send(echo, "stop")
t.plan(t.run)
t.done()
