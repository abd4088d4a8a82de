-- deny-resource.lua -- --deny ACTION=RESOURCE denies only that resource.
-- ward-args: --deny process.spawn=actors:ping --deny process.send={ward:main|0x00001}
local t = require("tap").setup(...)
local u = require "util"
local H = u.HOST
local me = process.pid()

t.is(me, "{ward:main|0x00001}", "the first process has serial 1 (the deny rule names it)")
u.denied(t, "spawn of actors:ping", "process.spawn", "actors:ping", process.spawn, "actors:ping", H, me)
local c = process.spawn_monitored("actors:ret", H, "ok")
t.like(c, u.PID_PATTERN, "spawn of another id is allowed")
local ev = u.event_from("EXIT", c)
t.is(ev and ev.result.value, "ok", "and runs")
t.is(process.exec("actors:ping", H, me), "pinged", "exec of actors:ping is allowed (another action)")
u.denied(t, "send to the denied pid", "process.send", me, process.send, me, "x")
local e = process.spawn("actors:echo", H)
t.is(process.send(e, "x"), true, "send to another pid is allowed")
local r, err = process.exec("actors:sender", H, me, "Z", 1)
t.ok(r == nil and err and err:message():find("permission denied: process%.send on " .. u.esc(me)) ~= nil,
     "a child's send to the denied pid is denied")
t.ok(u.quiet(process.inbox(), 200), "nothing reached the denied pid")
process.send(e, "stop")

u.finish(t)
