-- deny-monitor.lua -- process.monitor denied.
-- ward-args: --deny process.monitor
local t = require("tap").setup(...)
local u = require "util"
local H = u.HOST
local me = process.pid()

local x = process.spawn("actors:idle", H)
process.registry.register("deny-mon", x)
u.denied_pid_and_name(t, "monitor", x, "deny-mon")
process.send(x, "stop")
local gone, deadline = false, time.now() + u.ms(30000)
while time.now() < deadline do
  if process.registry.lookup("deny-mon") == nil then gone = true break end
  time.sleep(25)
end
t.ok(gone, "the target exited (its name was released)")
t.ok(u.quiet(process.events(), 300), "no EXIT: the denied monitor was not set")
-- spawn_monitored asks process.spawn.monitored, not process.monitor
local y = process.spawn_monitored("actors:ret", H, "v")
local ev = u.event_from("EXIT", y)
t.is(ev and ev.result.value, "v", "spawn_monitored is not affected")
-- a child's monitor is denied too
local z = process.spawn("actors:idle", H)
local w = process.spawn("actors:watch", H, me, z)
local m = u.msg_on("watching")
t.ok(m and select(2, m:payload()) ~= nil, "a child's monitor fails too")
t.ok(m and select(2, m:payload()) == errors.PERMISSION_DENIED, "with PERMISSION_DENIED")

u.finish(t)
