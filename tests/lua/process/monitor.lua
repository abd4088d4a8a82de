-- monitor.lua -- monitor/unmonitor and EXIT events.
local t = require("tap").setup(...)
local u = require "util"
local H = u.HOST
local me = process.pid()
local events = process.events()

-- ---- EXIT with a value; monitoring twice is idempotent ----
local x = process.spawn("actors:idle", H)
t.is(process.monitor(x), true, "monitor returns true")
t.is(process.monitor(x), true, "monitor twice returns true")
process.send(x, "stop")
local ev = u.event(u.ms(30000))
t.ok(ev ~= nil, "an event arrives when the monitored process ends")
if ev then
  t.is(type(ev), "table", "the event is a table")
  t.is(ev.kind, process.event.EXIT, "kind EXIT")
  t.is(ev.from, x, "from is the monitored pid")
  t.is(type(ev.result), "table", "result is a table")
  t.is(ev.result and ev.result.value, "stop", "result.value is the exit value")
  t.is(ev.result and ev.result.error, nil, "no result.error on a normal exit")
end
t.ok(u.quiet(events, 300), "monitoring twice still gives a single EXIT")

-- ---- EXIT with an error ----
local f = process.spawn("actors:fail_on", H)
process.monitor(f)
process.send(f, "go", "it broke")
ev = u.event_from("EXIT", f)
t.ok(ev ~= nil, "EXIT of a failing process")
t.is(ev and ev.result and ev.result.error, "it broke", "result.error is the error message")
t.is(ev and ev.result and ev.result.value, nil, "no result.value on an error")
local ft = process.spawn_monitored("actors:failtbl", H)
ev = u.event_from("EXIT", ft)
t.ok(ev and type(ev.result.error) == "string", "an error that is a table still gives a string result.error")
t.ok(ev and not tostring(ev.result.error):find("from __tostring"), "without running the script's __tostring")

-- ---- terminated and spinning processes ----
local s = process.spawn("actors:spin", H, me)
t.ok(u.msg_on("spinning") ~= nil, "spinning child started")
process.monitor(s)
process.terminate(s)
ev = u.event_from("EXIT", s)
t.ok(ev ~= nil, "EXIT of a terminated busy-looping process")
t.like(ev and ev.result and ev.result.error, "^terminated by " .. u.esc(me) .. "$",
       "result.error is 'terminated by <pid>'")

-- ---- unmonitor ----
local y = process.spawn("actors:idle", H)
local w = process.spawn("actors:watch", H, me, y)
local wm = u.msg_on("watching")
t.ok(wm and wm:payload() == true, "a second process monitors the target too")
t.is(process.monitor(y), true, "monitor")
t.is(process.unmonitor(y), true, "unmonitor returns true")
process.send(y, "stop")
wm = u.msg_on("watched")
t.ok(wm ~= nil and wm:payload().kind == "EXIT", "the other monitor got EXIT")
t.ok(u.quiet(events, 200), "after unmonitor no EXIT arrives")
local z = process.spawn_monitored("actors:idle", H)
t.is(process.unmonitor(z), true, "unmonitor of a spawn_monitored child")
process.send(z, "stop")
t.ok(u.quiet(events, 300), "no EXIT after unmonitor of a spawn_monitored child")
local z2 = process.spawn("actors:idle", H)
t.is(process.unmonitor(z2), true, "unmonitor of a process never monitored is harmless")
t.ok(u.quiet(events, 100), "and produces nothing")
-- monitor again after unmonitor works
t.is(process.monitor(z2), true, "monitor after unmonitor")
process.send(z2, "stop")
ev = u.event_from("EXIT", z2)
t.ok(ev ~= nil, "gives EXIT again")

-- ---- by name ----
local n = process.spawn("actors:idle", H)
process.registry.register("monitor-target", n)
t.is(process.monitor("monitor-target"), true, "monitor by registered name")
process.send("monitor-target", "stop")
ev = u.event_from("EXIT", n)
t.ok(ev ~= nil, "EXIT from the pid behind the name")
t.is(ev and ev.from, n, "from is the pid, not the name")

-- ---- several monitors of one process, and a child monitoring its parent's child ----
local many = process.spawn("actors:idle", H)
local watchers = {}
for i = 1, 5 do
  watchers[i] = process.spawn("actors:watch", H, me, many)
  u.msg_on("watching")
end
process.monitor(many)
process.send(many, "stop")
local count = 0
for _ = 1, 5 do
  local m = u.msg_on("watched")
  if m and m:payload().from == many and m:payload().result.value == "stop" then count = count + 1 end
end
t.is(count, 5, "five other monitors each got the EXIT")
t.ok(u.event_from("EXIT", many) ~= nil, "and so did this one")

-- ---- self, dead, bad input ----
local function refuses(kind, name, fn, ...)
  u.refused(t, kind, fn .. " refuses " .. name, process[fn], ...)
end
process.registry.register("monitor-me", me)
u.refuses_targets(t, { "monitor", "unmonitor" })
refuses(errors.INVALID, "itself", "monitor", me)
refuses(errors.INVALID, "itself by name", "monitor", "monitor-me")
t.ok(u.quiet(events, 100), "no stray events")

u.finish(t)
