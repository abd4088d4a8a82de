-- deny-unmonitor.lua -- process.unmonitor denied.
-- ward-args: --deny process.unmonitor
local t = require("tap").setup(...)
local u = require "util"
local H = u.HOST

local x = process.spawn_monitored("actors:idle", H)
process.registry.register("deny-unmon", x)
u.denied_pid_and_name(t, "unmonitor", x, "deny-unmon")
process.send(x, "stop")
local ev = u.event_from("EXIT", x)
t.is(ev and ev.result.value, "stop", "the monitor is still in place: EXIT arrives")
local y = process.spawn("actors:idle", H)
t.is(process.monitor(y), true, "monitor is not affected")
u.denied(t, "unmonitor after monitor", "process.unmonitor", y, process.unmonitor, y)
process.send(y, "stop")
t.ok(u.event_from("EXIT", y) ~= nil, "and that monitor stays too")

u.finish(t)
