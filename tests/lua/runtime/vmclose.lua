-- vmclose.lua -- what a process's VM holds is given back when it ends:
-- closed with lua_close when one of ward's objects in it has a finalizer
-- (a channel's copy is counted down), else given back whole by its arena
-- (strings and tables of every size; a sanitizer build checks that
-- nothing is lost). Events only, no timings.
local t = require("tap").setup(...)
t.plan(6)
local me = process.pid()

-- A child holding a copy of a spawn_vm channel when it ends: once its VM
-- is closed, and the parent closes its own, the actor's inbox says closed.
local w = spawn_vm("actors:vmworker")
w:send{ op = "hello", pid = me }
t.ok(t.await("hello") ~= nil, "the actor is up")
local pid = assert(process.spawn_monitored("actors:chanhold", "ward:main", w))
local r = t.exit_of(pid)
t.ok(r and r.value == true, "the child had the channel and ended")
w:close()
local m = t.await("closed")
t.like(m and tostring(m:payload()) or "", "channel closed",
       "the child's copy was given back as its VM closed: the actor's inbox is closed")

-- Children without such objects, with small and large blocks.
local n, good = 100, 0
local sizes = { 16, 600, 5000, 40000 }
local want = {}
for i = 1, n do
  local size = sizes[i % #sizes + 1]
  want[assert(process.spawn_monitored("actors:bigmem", "ward:main", size))] = size + 3
end
local events = process.events()
for _ = 1, n do
  local r = channel.select { events:case_receive(), t.after(30000):case_receive() }
  if r.channel ~= events then break end
  local e = r.value
  if e.kind == "EXIT" and want[e.from] and e.result.value == want[e.from] then
    good = good + 1
  end
end
t.is(good, n, "100 children built strings and tables up to 8 MB each and ended")

-- The same definition spawned again runs in a VM like the first one.
local p2 = assert(process.spawn_monitored("actors:bigmem", "ward:main", 600))
local r2 = t.exit_of(p2)
t.is(r2 and r2.value, 603, "a later child computes the same")
local p3 = assert(process.spawn_monitored("actors:bigmem", "ward:main", "many"))
local r3 = t.exit_of(p3)
t.ok(r3 and r3.error ~= nil, "a child that raises after building some ends too (with its error)")
t.done()
