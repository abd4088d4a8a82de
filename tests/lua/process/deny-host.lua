-- deny-host.lua -- process.host denied for ward:main.
-- ward-args: --deny process.host=ward:main
local t = require("tap").setup(...)
local u = require "util"
local H = u.HOST
local me = process.pid()

local b = process.with_context {}
for _, f in ipairs { "spawn", "spawn_monitored", "spawn_linked", "spawn_linked_monitored" } do
  u.denied(t, "process." .. f, "process.host", H, process[f], "actors:ping", H, me)
  u.denied(t, "builder:" .. f, "process.host", H, b[f], b, "actors:ping", H, me)
end
u.denied(t, "exec", "process.host", H, process.exec, "actors:ret", H, 1)
local ok, err = pcall(spawn_vm, "actors:ping")
t.ok(not ok and tostring(err):find("process%.host on ward:main") ~= nil,
     "spawn_vm raises a permission error naming process.host on ward:main")
t.ok(u.msg_on("ping", 300) == nil, "no denied spawn ran its child")
local okt, errt = pcall(spawn_context_threads, 1)
t.ok(not okt and tostring(errt):find("permission denied: process%.host on ward:main") ~= nil,
     "spawn_context_threads raises a permission error naming process.host on ward:main")
-- only that host is denied: an unknown host passes the gate and is NOT_FOUND
local ok2, why = u.refuses(errors.NOT_FOUND, process.spawn, "actors:ping", "other:host", me)
t.ok(ok2, "another host is not denied (it is NOT_FOUND)")

u.finish(t)
