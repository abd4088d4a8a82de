-- time.lua -- time.now, time.sleep, time.after and duration parsing.
-- Bounds on waits are generous and scaled by WARD_TEST_TIMEOUT_SCALE (a
-- loaded machine is slow, not broken), but a wait never returns early.
local t = require("tap").setup(...)

-- an elapsed time for a wait of want ms: never early, not far too late
local function about(el, want) return el >= want - 5 and el < want + t.ms(5000) end
-- an elapsed time for something that must not wait
local function prompt(el) return el < t.ms(2000) end

-- ---- now ----
local n1 = time.now()
t.is(math.type(n1), "integer", "time.now() is an integer")
t.ok(math.abs(n1 - os.time() * 1000) < 5000, "time.now() is ms since the epoch")
do
  local prev, mono = time.now(), true
  for _ = 1, 1000 do
    local x = time.now()
    if x < prev then mono = false end
    prev = x
  end
  t.ok(mono, "time.now() does not go backwards over 1000 calls")
end

-- ---- sleep actually waits ----
local function waited(d)
  local t0 = time.now()
  local r = time.sleep(d)
  return time.now() - t0, r
end

local ms, r = waited("250ms")
t.is(r, true, "time.sleep returns true")
t.ok(about(ms, 250), "sleep(\"250ms\") waits about 250 ms (" .. ms .. ")")
ms = waited("1s")
t.ok(about(ms, 1000), "sleep(\"1s\") waits about 1 s (" .. ms .. ")")
ms = waited("1.5s")
t.ok(about(ms, 1500), "sleep(\"1.5s\") waits about 1.5 s (" .. ms .. ")")
ms = waited(120)
t.ok(about(ms, 120), "sleep(120) (integer ms) waits about 120 ms (" .. ms .. ")")
ms, r = waited(0)
t.ok(r == true and prompt(ms), "sleep(0) returns true at once (" .. ms .. ")")
ms, r = waited("0ms")
t.ok(r == true and prompt(ms), "sleep(\"0ms\") returns true at once")
ms = waited("0.1s")
t.ok(about(ms, 100), "sleep(\"0.1s\") waits about 100 ms (" .. ms .. ")")

-- ---- a sleeping process does not hold up others ----
do
  local echo = process.spawn("actors:echo", "ward:main")
  process.send(echo, "ping", 1)
  time.sleep("50ms")
  local rr = channel.select{ process.inbox():case_receive(), t.after(60000):case_receive() }
  t.ok(rr.channel == process.inbox() and rr.value:topic() == "ping",
       "another process ran while we slept")
  process.send(echo, "stop")
end

-- ---- after ----
do
  local t0 = time.now()
  local ch = time.after("200ms")
  t.ok(ch ~= nil and getmetatable(ch) == "channel", "time.after returns a channel")
  t.ok(prompt(time.now() - t0), "time.after does not block")
  local v, ok = ch:receive()
  local el = time.now() - t0
  t.ok(ok == true and math.type(v) == "integer", "after delivers an integer, true")
  t.ok(v >= t0 + 190 and v <= time.now() + 5, "the value is the time it fired (ms)")
  t.ok(about(el, 200), "after(\"200ms\") fires after about 200 ms (" .. el .. ")")
  local t1 = time.now()
  v, ok = ch:receive()
  t.ok(v == nil and ok == false, "after fires once: then the channel is closed")
  t.ok(prompt(time.now() - t1), "the second receive does not wait")
  local sr = channel.select{ ch:case_receive(), default = true }
  t.ok(sr.channel == ch and sr.ok == false, "select on a fired after: ready, ok = false")
end
do
  local ch = time.after(0)
  local v, ok = ch:receive()
  t.ok(ok == true and v ~= nil, "after(0) fires")
end
do
  -- several afters fire in deadline order, whatever the order of creation
  -- (the gap is scaled: a process that runs late could find both fired)
  local slow, fast = time.after(100 + t.ms(1000)), time.after("100ms")
  local rr = channel.select{ slow:case_receive(), fast:case_receive() }
  t.ok(rr.channel == fast, "select on two afters: the shorter fires first")
  rr = channel.select{ slow:case_receive(), fast:case_receive() }
  t.ok(rr.channel == fast and rr.ok == false,
       "the fired after is then ready with ok = false (closed)")
  local v, ok = slow:receive()
  t.ok(ok == true and v ~= nil, "the longer after still fires")
end
do
  -- a closed after never delivers
  local ch = time.after("50ms")
  ch:close()
  time.sleep("120ms")
  local v, ok = ch:receive()
  t.ok(v == nil and ok == false, "a closed after channel delivers nothing")
end

-- long valid durations are accepted (and never waited on here)
for _, d in ipairs{ "1m", "2h", "1.5m", "8760h", 366 * 24 * 3600 * 1000, "5", "0.5ms" } do
  local ch, err = time.after(d)
  t.ok(ch ~= nil and err == nil, "time.after(" .. string.format("%q", d) .. ") is valid")
  if ch then ch:close() end
end

-- ---- bad durations: nil, INVALID, never a raise ----
local year_ms = 366 * 24 * 3600 * 1000
local bad = {
  { -1, "-1" }, { -1000, "-1000" }, { 1.5, "1.5 (float ms)" }, { 100.0, "100.0 (float)" },
  { 0/0, "NaN" }, { math.huge, "math.huge" }, { math.mininteger, "mininteger" },
  { "5x", "\"5x\"" }, { "", "\"\"" }, { "1e3s", "\"1e3s\"" },
  { "-1s", "\"-1s\"" }, { "ms", "\"ms\"" }, { " 5s", "\" 5s\"" }, { "5s ", "\"5s \"" },
  { "5 s", "\"5 s\"" }, { "5S", "\"5S\"" }, { "5sec", "\"5sec\"" }, { "0x10s", "\"0x10s\"" },
  { "infs", "\"infs\"" }, { "nans", "\"nans\"" }, { "5w", "\"5w\"" }, { ".5s", "\".5s\"" },
  { "5ms\0", "\"5ms\\0\"" }, { {}, "a table" }, { true, "true" }, { print, "a function" },
  { year_ms + 1, "a year + 1 ms" }, { "9000h", "\"9000h\" (> a year)" },
  { "400000000s", "\"400000000s\"" }, { math.maxinteger, "maxinteger" },
  { "99999999999999999999999h", "a huge number of hours" },
}
for _, case in ipairs(bad) do
  t.err(errors.INVALID, nil, "time.sleep(" .. case[2] .. ") -> nil, INVALID", time.sleep, case[1])
  t.err(errors.INVALID, nil, "time.after(" .. case[2] .. ") -> nil, INVALID", time.after, case[1])
end
t.err(errors.INVALID, nil, "time.sleep() (nil) -> nil, INVALID", time.sleep)
t.err(errors.INVALID, nil, "time.after() (nil) -> nil, INVALID", time.after)
t.err(errors.INVALID, nil, "time.sleep(nil) -> nil, INVALID", time.sleep, nil)
do
  local _, e = time.sleep("5x")
  t.like(tostring(e), "^INVALID: ", "tostring(err) is \"INVALID: message\"")
  t.like(e:message(), "duration", "the message talks about the duration")
end

-- ---- select of the inbox against a time.after timeout ----
do
  local inbox = process.inbox()
  local t0 = time.now()
  local rr = channel.select{ inbox:case_receive(), time.after("150ms"):case_receive() }
  local el = time.now() - t0
  t.ok(rr.channel ~= inbox and rr.ok == true, "an empty inbox: the timeout wins")
  t.ok(about(el, 150), "after about 150 ms (" .. el .. ")")
  process.send(process.pid(), "now", 1)
  t0 = time.now()
  local timeout = t.after(60000)
  rr = channel.select{ inbox:case_receive(), timeout:case_receive() }
  t.ok(rr.channel == inbox and rr.value:topic() == "now", "a waiting message wins")
  t.ok(prompt(time.now() - t0), "at once")
  -- a message arriving while we wait wins before the timeout
  local echo = process.spawn("actors:echo", "ward:main")
  process.send(echo, "late", 2)
  t0 = time.now()
  rr = channel.select{ inbox:case_receive(), timeout:case_receive() }
  t.ok(rr.channel == inbox and rr.value:topic() == "late",
       "a message arriving during the wait wins, before the timeout")
  t.diag("it came after " .. (time.now() - t0) .. " ms")
  process.send(echo, "stop")
end

t.plan(t.run)
t.done()
