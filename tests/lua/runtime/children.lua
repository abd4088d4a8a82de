-- ward-args: --children 3
-- children.lua -- DESIGN 2.0: --children N limits the live children of a
-- process; spawning past it gives nil, UNAVAILABLE.
local t = require("tap").setup(...)
local me = process.pid()
local inbox, events = process.inbox(), process.events()

local kids = {}
for i = 1, 3 do
  kids[i] = process.spawn_monitored("actors:echo", "ward:main")
  t.ok(kids[i] ~= nil, "child " .. i .. " of 3 spawns")
end
t.err(errors.UNAVAILABLE, nil, "a 4th spawn: nil, UNAVAILABLE", process.spawn, "actors:echo", "ward:main")
t.err(errors.UNAVAILABLE, nil, "spawn_monitored too", process.spawn_monitored, "actors:echo", "ward:main")
t.err(errors.UNAVAILABLE, nil, "spawn_linked too", process.spawn_linked, "actors:echo", "ward:main")
t.err(errors.UNAVAILABLE, nil, "exec too", process.exec, "actors:loop", "ward:main", 1)
do
  local ok, e = pcall(spawn_vm, "actors:vmworker")
  t.ok(not ok and tostring(e):find("children") ~= nil, "spawn_vm raises past the limit")
end

-- a child that exits frees its slot
process.send(kids[1], "stop")
local r = channel.select{ events:case_receive(), t.after(60000):case_receive() }
t.ok(r.channel == events and r.value.from == kids[1], "child 1 exited")
local again = process.spawn("actors:echo", "ward:main")
t.ok(again ~= nil, "then a new spawn succeeds")
t.err(errors.UNAVAILABLE, nil, "and the next one is refused again", process.spawn, "actors:echo", "ward:main")
process.send(again, "stop")
process.send(kids[2], "stop")
time.sleep("100ms")

-- the limit is per process: a child has its own 3
do
  local sp = process.spawn("actors:spawner", "ward:main", me, 5)
  local m = channel.select{ inbox:case_receive(), t.after(60000):case_receive() }
  local n, kind
  if m.channel == inbox then n, kind = m.value:payload() end
  t.is(n, 3, "a child can spawn 3 children of its own")
  t.is(kind, errors.UNAVAILABLE, "its 4th is refused with UNAVAILABLE")
end

process.send(kids[3], "stop")
t.plan(t.run)
t.done()
