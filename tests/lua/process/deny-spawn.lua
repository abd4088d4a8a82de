-- deny-spawn.lua -- process.spawn denied: every spawn variant, builder
-- spawns, spawn_vm and upgrade to another definition.
-- ward-args: --deny process.spawn
local t = require("tap").setup(...)
local u = require "util"
local H = u.HOST
local me = process.pid()

for _, f in ipairs { "spawn", "spawn_monitored", "spawn_linked", "spawn_linked_monitored" } do
  local e = u.denied(t, f, "process.spawn", "actors:ping", process[f], "actors:ping", H, me)
  t.like(e and e:message(), "%(actor main%)", f .. ": the message names the actor")
end
local b = process.with_context { k = 1 }
for _, f in ipairs { "spawn", "spawn_monitored", "spawn_linked", "spawn_linked_monitored" } do
  u.denied(t, "builder:" .. f, "process.spawn", "actors:ping", b[f], b, "actors:ping", H, me)
end
u.denied(t, "builder with a name", "process.spawn", "actors:ping", b:with_name("deny-sp").spawn, b:with_name("deny-sp"), "actors:ping", H, me)
t.is(process.registry.lookup("deny-sp"), nil, "the denied builder spawn registered no name")
local ok, err = pcall(spawn_vm, "actors:ping")
t.ok(not ok and tostring(err):find("permission denied: process%.spawn on actors:ping") ~= nil,
     "spawn_vm raises a permission error naming process.spawn on the module")
t.ok(u.msg_on("ping", 300) == nil, "no denied spawn ran its child")
t.ok(u.quiet(process.events(), 50), "and none sent an event")
-- exec asks process.exec, not process.spawn
t.is(process.exec("actors:ret", H, 5), 5, "exec is not affected")
-- upgrade to another definition asks process.spawn on it
local r = process.exec("actors:upg_try", H)
t.ok(type(r) == "table" and r.ok == nil and r.kind == errors.PERMISSION_DENIED,
     "upgrade to another definition: PERMISSION_DENIED")
t.like(type(r) == "table" and r.msg, "process%.spawn on actors:ret", "naming process.spawn on the new id")
t.is(process.exec("actors:upg_try", H, "same"), "upgraded-same", "upgrade to its own id is allowed")
t.is(process.exec("actors:upg_try", H, "nilid"), "upgraded-nil", "upgrade with a nil id is allowed")

u.finish(t)
