-- deny-send.lua -- process.send denied.
-- ward-args: --deny process.send
local t = require("tap").setup(...)
local u = require "util"
local H = u.HOST
local me = process.pid()

local x = process.spawn_monitored("actors:idle", H)
local e = u.denied(t, "send to a pid", "process.send", x, process.send, x, "stop")
t.like(e and e:message(), "%(actor main%)", "the message names the actor")
t.is(e and tostring(e), e and ("PERMISSION_DENIED: " .. e:message()), "tostring gives KIND: message")
u.denied(t, "send to oneself", "process.send", me, process.send, me, "x")
process.registry.register("deny-send-target", x)
u.denied(t, "send by name (the resource is the pid)", "process.send", x, process.send, "deny-send-target", "x")
t.ok(u.quiet(process.events(), 300), "the target got nothing (it would have exited)")
t.ok(u.quiet(process.inbox(), 50), "nothing reached this inbox")
-- queued builder messages are sends too: the spawn fails and nothing is left running
local b = process.with_context({}):with_name("deny-send-child"):with_message("hello", 1)
u.denied(t, "builder spawn with a queued message", "process.send", "{ward:main|", b.spawn, b, "actors:idle", H)
local gone, deadline = false, time.now() + u.ms(30000)
while time.now() < deadline do
  if process.registry.lookup("deny-send-child") == nil then gone = true break end
  time.sleep(25)
end
t.ok(gone, "the child spawned for the failed builder spawn is gone (its name is free)")
-- a child's sends are denied too
local r, ee = process.exec("actors:sender", H, me, "Z", 1)
t.ok(r == nil and u.is_err(ee, errors.INTERNAL), "a child's send is denied as well (actors:sender fails)")
t.like(ee and ee:message(), "PERMISSION_DENIED", "with the denial as reason")
process.terminate(x)
local ev = u.event_from("EXIT", x)
t.ok(ev ~= nil, "other actions still work (terminate)")

u.finish(t)
