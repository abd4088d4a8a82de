-- children.lua -- the live-children limit is an UNAVAILABLE error to the
-- spawner; it frees up when children exit.
-- ward-args: --children 3
local t = require("tap").setup(...)
local u = require "util"
local H = u.HOST

local kids = {}
for i = 1, 3 do
  kids[i] = process.spawn_monitored("actors:idle", H)
  t.like(kids[i], u.PID_PATTERN, "child " .. i .. " of 3 is allowed")
end
for _, f in ipairs { "spawn", "spawn_monitored", "spawn_linked", "spawn_linked_monitored", "exec" } do
  local ok, why = u.refuses(errors.UNAVAILABLE, process[f], "actors:ret", H)
  t.ok(ok, f .. ": a fourth live child is UNAVAILABLE")
  if not ok then t.diag(why) end
end
local b = process.with_context {}
local ok, why = u.refuses(errors.UNAVAILABLE, b.spawn, b, "actors:ret", H)
t.ok(ok, "builder:spawn: UNAVAILABLE too")
t.ok(u.quiet(process.events(), 200), "no refused spawn sent an event")
process.send(kids[1], "stop")
u.event_from("EXIT", kids[1])
local c = process.spawn_monitored("actors:ret", H, "again")
t.like(c, u.PID_PATTERN, "after a child exits there is room again")
local ev = u.event_from("EXIT", c)
t.is(ev and ev.result.value, "again", "and that child runs")
t.is(process.exec("actors:ret", H, 5), 5, "exec works when there is room")
-- grandchildren count against their own parent, not this process
local r = process.exec("actors:exec_id", H, 1)
t.ok(type(r) == "table" and r.child ~= nil, "a child may have children of its own")

u.finish(t)
