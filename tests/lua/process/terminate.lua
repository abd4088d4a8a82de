-- terminate.lua -- process.terminate.
local t = require("tap").setup(...)
local u = require "util"
local H = u.HOST
local me = process.pid()
local events = process.events()
local reason = "^terminated by " .. u.esc(me) .. "$"

local function terminated(pid, what)
  local t0 = time.now()
  t.is(process.terminate(pid), true, "terminate " .. what .. " returns true")
  local ev = u.event_from("EXIT", type(pid) == "string" and pid:sub(1, 1) == "{" and pid or nil)
  return ev, time.now() - t0
end

-- waiting in receive
local a = process.spawn_monitored("actors:idle", H)
local ev, ms = terminated(a, "a process waiting in receive")
t.like(ev and ev.result.error, reason, "EXIT error 'terminated by <caller pid>'")
t.is(ev and ev.result.value, nil, "no exit value")
-- sleeping
local s = process.spawn_monitored("actors:sleeper", H, me)
u.msg_on("sleeping")
ev, ms = terminated(s, "a sleeping process")
t.like(ev and ev.result.error, reason, "a sleeping process ends at once")
t.ok(ms < u.ms(5000), "well before its 10 s sleep ends (" .. ms .. " ms)")
-- busy loop
local b = process.spawn_monitored("actors:spin", H, me)
u.msg_on("spinning")
ev, ms = terminated(b, "a busy-looping process")
t.like(ev and ev.result.error, reason, "a busy loop is stopped")
-- a loop that tries to swallow the termination with pcall
local p = process.spawn_monitored("actors:stubborn", H, me)
u.msg_on("stubborn")
ev, ms = terminated(p, "a process looping inside pcall")
t.like(ev and ev.result.error, reason, "pcall cannot swallow termination")
-- by name; the name is released
local n = process.spawn_monitored("actors:idle", H)
process.registry.register("term-target", n)
t.is(process.terminate("term-target"), true, "terminate by registered name")
ev = u.event_from("EXIT", n)
t.like(ev and ev.result.error, reason, "the named process was terminated")
local lp, le = process.registry.lookup("term-target")
t.ok(lp == nil and u.is_err(le, errors.NOT_FOUND), "its name was released")
-- terminating itself
local ts = process.spawn_monitored("actors:term_self", H, me)
local before = u.msg_on("before")
ev = u.event_from("EXIT", ts)
t.ok(before ~= nil, "self-terminating child ran")
t.is(ev and ev.result.error, "terminated by " .. ts, "terminating oneself: 'terminated by <own pid>'")
local after = u.msg_on("after", 200)
t.ok(after == nil, "nothing runs after terminating oneself")
ts = process.spawn_monitored("actors:term_self", H, me, true)
u.msg_on("before")
ev = u.event_from("EXIT", ts)
t.is(ev and ev.result.error, "terminated by " .. ts, "terminating oneself inside pcall also ends it")
after = u.msg_on("after", 200)
t.ok(after == nil, "pcall does not return after terminating oneself")
-- a terminated child's messages sent before termination are kept
local e = process.spawn_monitored("actors:echo", H)
process.send(e, "one")
t.ok(u.msg_on("echo") ~= nil, "echo answered")
process.terminate(e)
u.event_from("EXIT", e)

-- ---- bad input, exited targets ----
local function refuses(kind, name, ...)
  u.refused(t, kind, "terminate refuses " .. name, process.terminate, ...)
end
u.refuses_targets(t, { "terminate" }, a)
refuses(errors.NOT_FOUND, "a released name", "term-target")
t.ok(u.quiet(events, 100), "no stray events")

u.finish(t)
