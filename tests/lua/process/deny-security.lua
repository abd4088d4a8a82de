-- deny-security.lua -- process.security denied: builder spawns with
-- with_actor / with_scope.
-- ward-args: --deny process.security
local t = require("tap").setup(...)
local u = require "util"
local H = u.HOST
local me = process.pid()

local b = process.with_context { k = 1 }
local ba = b:with_actor("bob")
local bs = b:with_scope { "p" }
if not ba or not bs then error("with_actor/with_scope are expected to be checked at spawn time (decisions)") end
for _, f in ipairs { "spawn", "spawn_monitored", "spawn_linked", "spawn_linked_monitored" } do
  u.denied(t, "with_actor + " .. f, "process.security", "security", ba[f], ba, "actors:ping", H, me)
  u.denied(t, "with_scope + " .. f, "process.security", "security", bs[f], bs, "actors:ping", H, me)
end
local both = ba:with_scope {}
u.denied(t, "with_actor + with_scope", "process.security", "security", both.spawn, both, "actors:ping", H, me)
local bn = ba:with_name("deny-sec")
u.denied(t, "with_actor + with_name", "process.security", "security", bn.spawn, bn, "actors:ping", H, me)
t.is(process.registry.lookup("deny-sec"), nil, "the denied spawn registered no name")
t.ok(u.msg_on("ping", 300) == nil, "no denied spawn ran its child")
local c = b:spawn("actors:ping", H, me)
t.like(c, u.PID_PATTERN, "a builder without actor or scope is not affected")
t.ok(u.msg_on("ping") ~= nil, "and its child ran")

u.finish(t)
