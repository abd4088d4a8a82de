-- perm_main.lua -- the observer of tests/lua/process/permissions.sh, run as
-- actor main (every permission): makes the victims, spawns actors:perm_case as
-- actor "case" on the host given, prints the lines it returns, then checks
-- which names are registered once it has ended.
local P, host, scale = ...
scale = tonumber(scale) or 1
local V = {}
for i = 1, 16 do
  V[i] = assert(process.spawn("actors:perm_kid", "ward:main", "", "", "relay"))
  assert(process.registry.register("perm-victim-" .. i, V[i]))
end
local runner, e = process.with_context({}):with_actor("case")
  :spawn_monitored("actors:perm_case", host, P, process.pid(), V, scale)
if runner == nil then
  print("SPAWN-FAILED " .. tostring(e))
  return
end
local events = process.events()
local ev
repeat ev = events:receive() until ev.kind == process.event.EXIT and ev.from == runner
if ev.result.error then
  print("not ok - actors:perm_case ended with an error: " .. tostring(ev.result.error))
  return
end
local res = ev.result.value
for _, l in ipairs(res.lines) do print(l) end
for _, nw in ipairs(res.names) do
  local name, want = nw[1], nw[2]
  local got = process.registry.lookup(name) ~= nil
  print((got == want and "ok - " or "not ok - ")
        .. string.format("the name %s is %s", name, want and "registered" or "not registered"))
end
print("CASES " .. res.n)
