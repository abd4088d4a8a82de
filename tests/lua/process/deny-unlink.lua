-- deny-unlink.lua -- process.unlink denied.
-- ward-args: --deny process.unlink
local t = require("tap").setup(...)
local u = require "util"
local H = u.HOST

process.set_options { trap_links = true }
local x = process.spawn_linked("actors:fail_on", H)
process.registry.register("deny-unlink", x)
u.denied_pid_and_name(t, "unlink", x, "deny-unlink")
process.send(x, "go", "still linked")
local ev = u.event_from("LINK_DOWN", x)
t.is(ev and ev.error, "still linked", "the link is still in place: LINK_DOWN arrives")
local y = process.spawn("actors:fail_on", H)
t.is(process.link(y), true, "link is not affected")
u.denied(t, "unlink after link", "process.unlink", y, process.unlink, y)
process.send(y, "go", "y")
t.ok(u.event_from("LINK_DOWN", y) ~= nil, "and that link stays too")

u.finish(t)
