-- deny-link.lua -- process.link denied.
-- ward-args: --deny process.link
local t = require("tap").setup(...)
local u = require "util"
local H = u.HOST
local me = process.pid()

process.set_options { trap_links = true }
local x = process.spawn_monitored("actors:fail_on", H)
process.registry.register("deny-link", x)
u.denied_pid_and_name(t, "link", x, "deny-link")
process.send(x, "go", "fails")
local ev = u.event_from("EXIT", x)
t.is(ev and ev.result.error, "fails", "the target failed")
t.ok(u.quiet(process.events(), 300), "no LINK_DOWN: the denied link was not set")
-- spawn_linked asks process.spawn.linked, not process.link
local y = process.spawn_linked("actors:fail", H, "linked anyway")
ev = u.event_from("LINK_DOWN", y)
t.is(ev and ev.error, "linked anyway", "spawn_linked is not affected")
-- a child's link is denied too
local z = process.spawn_monitored("actors:idle", H)
local c = process.spawn_monitored("actors:link_then_fail", H, z, "child fail")
ev = u.event_from("EXIT", c)
t.like(ev and ev.result.error, "permission denied: process%.link", "a child's link is denied too")
t.ok(u.quiet(process.events(), 200), "and its target was not taken down")

u.finish(t)
