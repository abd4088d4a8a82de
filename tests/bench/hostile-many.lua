-- hostile-many.lua N SECRET MARKERS HOSTPID SCRIPT... -- the one `ward run`
-- of make bench-scripts: spawns N actors on ward:sandbox back to back, the
-- i-th running actors:<the i-th SCRIPT, in turn> (a hostile script's body,
-- tests/bench/hostile/) with SECRET, MARKERS/escaped-i and HOSTPID as its
-- arguments, then waits until every one has ended. Each prints its own
-- line; a spawn that fails is printed here.
local n, secret, markers, hostpid = ...
local scripts = { select(5, ...) }
n = tonumber(n)
local ev = process.events()
local live = 0
for i = 1, n do
  local id = "actors:" .. scripts[(i - 1) % #scripts + 1]
  local c, err = process.spawn_monitored(id, "ward:sandbox", secret,
                                         markers .. "/escaped-" .. i, hostpid)
  if c then live = live + 1 else print("spawn failed: " .. tostring(err)) end
end
for _ = 1, live do
  local e = ev:receive()
  local r = e.result
  if r and r.error then print("actor failed: " .. tostring(r.error)) end
end
