-- deny-unregister.lua -- process.registry.unregister denied.
-- ward-args: --deny process.registry.unregister
local t = require("tap").setup(...)
local u = require "util"
local me = process.pid()
local reg = process.registry

t.is(reg.register("kept"), true, "register is not affected")
u.denied(t, "unregister a name", "process.registry.unregister", "kept", reg.unregister, "kept")
t.is(reg.lookup("kept"), me, "the name is still registered")
u.denied(t, "unregister a free name", "process.registry.unregister", "free", reg.unregister, "free")
local c = process.spawn_monitored("actors:reg", u.HOST, me, { "child-name" })
u.msg_on("reg")
process.send(c, "stop")
u.event_from("EXIT", c)
t.is(reg.lookup("child-name"), nil, "names are still released on exit")

u.finish(t)
