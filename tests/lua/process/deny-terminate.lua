-- deny-terminate.lua -- process.terminate denied.
-- ward-args: --deny process.terminate
local t = require("tap").setup(...)
local u = require "util"
local H = u.HOST
local me = process.pid()

local x = process.spawn_monitored("actors:idle", H)
process.registry.register("deny-term", x)
u.denied_pid_and_name(t, "terminate", x, "deny-term")
u.denied(t, "terminate oneself", "process.terminate", me, process.terminate, me)
t.ok(u.quiet(process.events(), 300), "the target is still alive")
process.send(x, "stop")
local ev = u.event_from("EXIT", x)
t.is(ev and ev.result.value, "stop", "and exits normally later")
local r, e = process.exec("actors:term_self", H, me)
u.msg_on("before")
t.ok(r == nil and u.is_err(e, errors.INTERNAL), "a child cannot terminate itself either (it fails)")
t.like(e and e:message(), "PERMISSION_DENIED", "with a permission error")
local after = u.msg_on("after")
t.is(after and after:payload(), "plain", "the denied terminate returned to the child, which went on")

u.finish(t)
