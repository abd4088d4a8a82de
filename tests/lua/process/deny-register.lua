-- deny-register.lua -- process.registry.register denied.
-- ward-args: --deny process.registry.register
local t = require("tap").setup(...)
local u = require "util"
local H = u.HOST
local me = process.pid()
local reg = process.registry

u.denied(t, "register a name", "process.registry.register", "svc", reg.register, "svc")
local x = process.spawn("actors:idle", H)
u.denied(t, "register a name for another pid", "process.registry.register", "other-svc", reg.register, "other-svc", x)
local p, e = reg.lookup("svc")
t.ok(p == nil and u.is_err(e, errors.NOT_FOUND), "the denied name was not registered")
t.ok(reg.lookup("other-svc") == nil, "nor the other")
process.spawn("actors:reg", H, me, { "child-svc" })
local m = u.msg_on("reg")
local res = m and m:payload()
t.ok(res and res[1].ok == nil and res[1].kind == errors.PERMISSION_DENIED, "a child's register is denied too")
t.is(reg.unregister("svc"), false, "unregister is not affected (nothing to remove)")

u.finish(t)
