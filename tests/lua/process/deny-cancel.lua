-- deny-cancel.lua -- process.cancel denied.
-- ward-args: --deny process.cancel
local t = require("tap").setup(...)
local u = require "util"
local H = u.HOST
local me = process.pid()

local x = process.spawn_monitored("actors:cancel_obey", H, me)
u.msg_on("ready")
u.denied(t, "cancel a pid", "process.cancel", x, process.cancel, x, "1s")
u.denied(t, "cancel without a deadline", "process.cancel", x, process.cancel, x)
process.registry.register("deny-cancel", x)
u.denied(t, "cancel by name (the resource is the pid)", "process.cancel", x, process.cancel, "deny-cancel", 100)
t.ok(u.msg_on("event", 400) == nil, "the target got no CANCEL")
t.ok(u.quiet(process.events(), 10), "and was not terminated at any deadline")
process.terminate(x)
local ev = u.event_from("EXIT", x)
t.like(ev and ev.result.error, "^terminated by", "other actions still work")

u.finish(t)
