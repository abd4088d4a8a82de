-- cancel.lua -- process.cancel: CANCEL events with a deadline, enforced.
local t = require("tap").setup(...)
local u = require "util"
local H = u.HOST
local me = process.pid()
local events = process.events()
local late = "^cancelled by " .. u.esc(me) .. " and still running at the deadline$"

local function iso(ms)
  return os.date("!%Y-%m-%dT%H:%M:%S", ms // 1000) .. string.format(".%03dZ", ms % 1000)
end

-- A CANCEL asked between t0 and t1 with a deadline of want ms has its
-- deadline_ms between t0 + want and t1 + want (a little slack for the clock):
-- a bound that holds however long the call took on a loaded machine.
local function deadline_in(dl, t0, t1, want)
  return dl ~= nil and dl >= t0 + want - 20 and dl <= t1 + want + 20
end

-- An end at a deadline of want ms after t0: never before, not far after.
local function at_deadline(took, want)
  return took >= want - 20 and took < want + u.ms(5000)
end

local function start(id, ...)
  local pid = process.spawn_monitored(id, H, me, ...)
  local r = u.msg_on("ready")
  t.ok(r ~= nil and r:payload() == pid, id .. " started")
  return pid
end

-- ---- a target that exits on CANCEL exits normally ----
local a = start("actors:cancel_obey")
local t0 = time.now()
local obey_ms = u.ms(2000)   -- time for the target to obey, however loaded
local cancelled = process.cancel(a, obey_ms)
local t1 = time.now()
t.is(cancelled, true, "cancel returns true")
local m = u.msg_on("event")
local ev = m and m:payload()
t.ok(ev ~= nil, "the target got an event")
if ev then
  t.is(ev.kind, process.event.CANCEL, "kind CANCEL")
  t.is(ev.from, me, "from is the canceller")
  t.is(math.type(ev.deadline_ms), "integer", "deadline_ms is an integer")
  t.ok(deadline_in(ev.deadline_ms, t0, t1, obey_ms),
       "deadline_ms is about now + the deadline (" .. tostring(ev.deadline_ms and ev.deadline_ms - t0) .. " ms)")
  t.like(ev.deadline, "^%d%d%d%d%-%d%d%-%d%dT%d%d:%d%d:%d%d%.%d%d%dZ$", "deadline is an ISO-8601 UTC timestamp")
  t.is(ev.deadline, ev.deadline_ms and iso(ev.deadline_ms), "deadline and deadline_ms agree")
end
ev = u.event_from("EXIT", a)
t.is(ev and ev.result.value, "obeyed", "a target that returns on CANCEL exits normally")
t.is(ev and ev.result.error, nil, "with no error")

-- ---- a target that ignores it is terminated at the deadline ----
local b = start("actors:cancel_ignore")
t0 = time.now()
cancelled = process.cancel(b, 400)
t1 = time.now()
t.is(cancelled, true, "cancel with integer milliseconds")
m = u.msg_on("event")
ev = m and m:payload()
t.is(ev and ev.kind, "CANCEL", "the ignoring target got CANCEL")
t.ok(deadline_in(ev and ev.deadline_ms, t0, t1, 400), "deadline_ms about now + 400 ms")
ev = u.event_from("EXIT", b)
local took = time.now() - t0
t.like(ev and ev.result.error, late, "it ends with 'cancelled by <pid> and still running at the deadline'")
t.ok(at_deadline(took, 400), "at the deadline, not before or long after (" .. took .. " ms)")

-- a busy loop that never reads events is also ended at the deadline
local c = start("actors:cancel_ignore", true)
t0 = time.now()
process.cancel(c, "250ms")
ev = u.event_from("EXIT", c)
took = time.now() - t0
t.like(ev and ev.result.error, late, "a busy loop is ended at the deadline")
t.ok(at_deadline(took, 250), "after about 250 ms (" .. took .. " ms)")

-- the deadline survives an upgrade of the target (same pid)
local cu = start("actors:cancel_upgrade")
t0 = time.now()
process.cancel(cu, 400)
local um = u.msg_on("upgraded")
t.is(um and um:payload(), cu, "the target upgraded itself on CANCEL")
ev = u.event_from("EXIT", cu)
took = time.now() - t0
t.like(ev and ev.result.error, late, "an upgraded target is still ended at the deadline")
t.ok(at_deadline(took, 400), "at the deadline (" .. took .. " ms)")

-- deadline 0: CANCEL and termination at once
local z = start("actors:cancel_ignore")
process.cancel(z, 0)
ev = u.event_from("EXIT", z)
t.like(ev and ev.result.error, late, "deadline 0 terminates at once")
u.msg_on("event", 100)  -- it may or may not have forwarded CANCEL

-- ---- accepted duration forms ----
local forms = { { "250ms", 250 }, { "1.5s", 1500 }, { "1m", 60000 }, { "2h", 7200000 }, { 3000, 3000 } }
for _, f in ipairs(forms) do
  local p = start("actors:cancel_obey")
  t0 = time.now()
  cancelled = process.cancel(p, f[1])
  t1 = time.now()
  t.is(cancelled, true, "cancel accepts " .. u.show(f[1]))
  m = u.msg_on("event")
  ev = m and m:payload()
  local dd = ev and ev.deadline_ms and ev.deadline_ms - t0
  t.ok(deadline_in(ev and ev.deadline_ms, t0, t1, f[2]), u.show(f[1]) .. " gives a deadline " .. f[2] .. " ms ahead (" .. tostring(dd) .. ")")
  u.event_from("EXIT", p)
end
-- omitted: 5 s
local o = start("actors:cancel_obey")
t0 = time.now()
cancelled = process.cancel(o)
t1 = time.now()
t.is(cancelled, true, "cancel without a deadline")
m = u.msg_on("event")
ev = m and m:payload()
local d = ev and ev.deadline_ms and ev.deadline_ms - t0
t.ok(deadline_in(ev and ev.deadline_ms, t0, t1, 5000), "the default deadline is 5 s (" .. tostring(d) .. ")")
u.event_from("EXIT", o)
local o2 = start("actors:cancel_obey")
t0 = time.now()
cancelled = process.cancel(o2, nil)
t1 = time.now()
t.is(cancelled, true, "cancel with an explicit nil deadline")
m = u.msg_on("event")
ev = m and m:payload()
t.ok(deadline_in(ev and ev.deadline_ms, t0, t1, 5000), "nil also means 5 s")
u.event_from("EXIT", o2)

-- by name
local nm = start("actors:cancel_obey")
process.registry.register("cancel-target", nm)
t.is(process.cancel("cancel-target", u.ms(5000)), true, "cancel by registered name")
ev = u.event_from("EXIT", nm)
t.is(ev and ev.result.value, "obeyed", "the named target got CANCEL and exited")
u.msg_on("event", 100)

-- ---- bad input: INVALID / NOT_FOUND, nothing delivered ----
local target = start("actors:cancel_obey")
local function refuses(kind, name, ...)
  u.refused(t, kind, "cancel refuses " .. name, process.cancel, ...)
end
local bad = { "abc", "", "-1s", "1x", "5 s", " 5s", "5s ", "1e3ms", "0x10ms", "inf s", "nan",
              "1.5.2s", "s", "ms", "1w", "9000h", -1, 1.5, 0.5, true, {}, 366 * 24 * 3600 * 1000 + 1,
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
process.cancel(target, u.ms(5000))
ev = u.event_from("EXIT", target)
t.is(ev and ev.result.value, "obeyed", "a valid cancel after the refused ones works")

u.finish(t)
