-- cancel.lua -- process.cancel: CANCEL events with a deadline, enforced.
local t = require "tap"
local u = require "util"
local H = u.HOST
local me = process.pid()
local events = process.events()
local late = "^cancelled by " .. u.esc(me) .. " and still running at the deadline$"

local function iso(ms)
  return os.date("!%Y-%m-%dT%H:%M:%S", ms // 1000) .. string.format(".%03dZ", ms % 1000)
end

local function start(id, ...)
  local pid = process.spawn_monitored(id, H, me, ...)
  local r = u.msg_on("ready")
  t.ok(r ~= nil and r:payload() == pid, id .. " started")
  return pid
end

-- ---- a target that exits on CANCEL exits normally ----
local a = start("t:cancel_obey")
local t0 = time.now()
t.is(process.cancel(a, "2s"), true, "cancel returns true")
local m = u.msg_on("event")
local ev = m and m:payload()
t.ok(ev ~= nil, "the target got an event")
if ev then
  t.is(ev.kind, process.event.CANCEL, "kind CANCEL")
  t.is(ev.from, me, "from is the canceller")
  t.is(math.type(ev.deadline_ms), "integer", "deadline_ms is an integer")
  local d = (ev.deadline_ms or 0) - t0
  t.ok(d >= 1950 and d <= 2300, "deadline_ms is about now + 2 s (" .. d .. " ms)")
  t.like(ev.deadline, "^%d%d%d%d%-%d%d%-%d%dT%d%d:%d%d:%d%d%.%d%d%dZ$", "deadline is an ISO-8601 UTC timestamp")
  t.is(ev.deadline, ev.deadline_ms and iso(ev.deadline_ms), "deadline and deadline_ms agree")
end
ev = u.event_from("EXIT", a)
t.is(ev and ev.result.value, "obeyed", "a target that returns on CANCEL exits normally")
t.is(ev and ev.result.error, nil, "with no error")

-- ---- a target that ignores it is terminated at the deadline ----
local b = start("t:cancel_ignore")
t0 = time.now()
t.is(process.cancel(b, 400), true, "cancel with integer milliseconds")
m = u.msg_on("event")
ev = m and m:payload()
t.is(ev and ev.kind, "CANCEL", "the ignoring target got CANCEL")
local d = ev and ev.deadline_ms - t0
t.ok(d and d >= 380 and d <= 600, "deadline_ms about now + 400 ms")
ev = u.event_from("EXIT", b)
local took = time.now() - t0
t.like(ev and ev.result.error, late, "it ends with 'cancelled by <pid> and still running at the deadline'")
t.ok(took >= 380 and took < 1500, "at the deadline, not before or long after (" .. took .. " ms)")

-- a busy loop that never reads events is also ended at the deadline
local c = start("t:cancel_ignore", true)
t0 = time.now()
process.cancel(c, "250ms")
ev = u.event_from("EXIT", c)
took = time.now() - t0
t.like(ev and ev.result.error, late, "a busy loop is ended at the deadline")
t.ok(took >= 230 and took < 1500, "after about 250 ms (" .. took .. " ms)")

-- the deadline survives an upgrade of the target (same pid)
local cu = start("t:cancel_upgrade")
t0 = time.now()
process.cancel(cu, 400)
local um = u.msg_on("upgraded")
t.is(um and um:payload(), cu, "the target upgraded itself on CANCEL")
ev = u.event_from("EXIT", cu)
took = time.now() - t0
t.like(ev and ev.result.error, late, "an upgraded target is still ended at the deadline")
t.ok(took >= 380 and took < 1500, "at the deadline (" .. took .. " ms)")

-- deadline 0: CANCEL and termination at once
local z = start("t:cancel_ignore")
process.cancel(z, 0)
ev = u.event_from("EXIT", z)
t.like(ev and ev.result.error, late, "deadline 0 terminates at once")
u.msg_on("event", 100)  -- it may or may not have forwarded CANCEL

-- ---- accepted duration forms ----
local forms = { { "250ms", 250 }, { "1.5s", 1500 }, { "1m", 60000 }, { "2h", 7200000 }, { 3000, 3000 } }
for _, f in ipairs(forms) do
  local p = start("t:cancel_obey")
  t0 = time.now()
  t.is(process.cancel(p, f[1]), true, "cancel accepts " .. u.show(f[1]))
  m = u.msg_on("event")
  ev = m and m:payload()
  local dd = ev and ev.deadline_ms and ev.deadline_ms - t0
  t.ok(dd and dd >= f[2] - 20 and dd <= f[2] + 300, u.show(f[1]) .. " gives a deadline " .. f[2] .. " ms ahead (" .. tostring(dd) .. ")")
  u.event_from("EXIT", p)
end
-- omitted: 5 s
local o = start("t:cancel_obey")
t0 = time.now()
t.is(process.cancel(o), true, "cancel without a deadline")
m = u.msg_on("event")
ev = m and m:payload()
d = ev and ev.deadline_ms and ev.deadline_ms - t0
t.ok(d and d >= 4980 and d <= 5300, "the default deadline is 5 s (" .. tostring(d) .. ")")
u.event_from("EXIT", o)
local o2 = start("t:cancel_obey")
t0 = time.now()
t.is(process.cancel(o2, nil), true, "cancel with an explicit nil deadline")
m = u.msg_on("event")
ev = m and m:payload()
d = ev and ev.deadline_ms and ev.deadline_ms - t0
t.ok(d and d >= 4980 and d <= 5300, "nil also means 5 s")
u.event_from("EXIT", o2)

-- by name
local nm = start("t:cancel_obey")
process.registry.register("cancel-target", nm)
t.is(process.cancel("cancel-target", "1s"), true, "cancel by registered name")
ev = u.event_from("EXIT", nm)
t.is(ev and ev.result.value, "obeyed", "the named target got CANCEL and exited")
u.msg_on("event", 100)

-- ---- bad input: INVALID / NOT_FOUND, nothing delivered ----
local target = start("t:cancel_obey")
local function refuses(kind, name, ...)
  local ok, why = u.refuses(kind, process.cancel, ...)
  t.ok(ok, "cancel refuses " .. name)
  if not ok then t.diag(why) end
end
local bad = { "abc", "", "5", "-1s", "1x", "5 s", " 5s", "5s ", "1e3ms", "0x10ms", "inf s", "nan",
              "1.5.2s", "s", "ms", "1d", "9000h", -1, 1.5, 0.5, true, {}, 366 * 24 * 3600 * 1000 + 1,
              math.maxinteger, math.huge }
for _, v in ipairs(bad) do refuses(errors.INVALID, "deadline " .. u.show(v), target, v) end
local m2 = u.msg_on("event", 300)
t.ok(m2 == nil, "no refused cancel delivered CANCEL")
t.ok(u.quiet(events, 10), "and the target is still alive")
refuses(errors.INVALID, "a nil destination", nil, "1s")
refuses(errors.INVALID, "no arguments")
refuses(errors.INVALID, "a number destination", 5, "1s")
refuses(errors.INVALID, "a table destination", {}, "1s")
refuses(errors.INVALID, "an empty destination", "", "1s")
refuses(errors.NOT_FOUND, "an exited pid", a, "1s")
refuses(errors.NOT_FOUND, "an unknown pid", "{ward:main|0xffffe}", "1s")
refuses(errors.NOT_FOUND, "an unregistered name", "no-such-name", "1s")
-- the target still works
process.cancel(target, "1s")
ev = u.event_from("EXIT", target)
t.is(ev and ev.result.value, "obeyed", "a valid cancel after the refused ones works")

u.finish(t)
