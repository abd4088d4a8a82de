-- app.workers:counter -- same PID and names across upgrades.
local n = ...
if n == 1 then process.registry.register("counter") end
if n < 3 then return process.upgrade(nil, n + 1) end
local mine = process.registry.lookup("counter") == process.pid()
return ("n=%d, name kept: %s"):format(n, tostring(mine))
