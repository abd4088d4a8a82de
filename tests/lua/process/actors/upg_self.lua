-- actors:upg_self -- upgrades to itself (nil id) until n reaches 3; returns
-- {n, pid, pids} where pids lists the pid seen in each generation.
local n, pids = ...
n = n or 0
pids = pids or {}
pids[#pids + 1] = process.pid()
if n < 3 then
  process.upgrade(nil, n + 1, pids)
  error("upgrade returned", 0)
end
return { n = n, pid = process.pid(), pids = pids }
