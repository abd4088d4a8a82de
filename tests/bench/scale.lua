-- scale.lua N [K] -- spawn time and memory at scale. Spawn time is measured
-- twice, with 1000 idle processes live and with N live: K spawn_monitored of
-- a process that exits at once, clock stopped when every EXIT has arrived;
-- the median of three such rounds, after a warm-up round of K/10. Between
-- the two, the idle processes (actors:idle, blocked in receive) are brought
-- up to N, each spawned monitored (a supervisor watching its workers: this
-- process then watches N). The driver samples this process's VmRSS when
-- "BASE" is printed (1000 idle up) and when "READY" is printed (N up).
-- Prints "RESULT <µs per spawn at 1k live> <µs per spawn at N live>
-- <seconds to bring up the N idle> <mean Lua heap of an idle process in
-- bytes>", then waits to be killed.
local N = math.tointeger(tonumber((...))) or 1000000
local K = math.tointeger(tonumber((select(2, ...)))) or 20000
local me = process.pid()
local inbox = process.inbox()
local events = process.events()

-- n more idle processes; their mean heap
local function idle(n)
  local heap = 0
  -- in rounds, so that the mailbox never holds more "up" than a round
  local left = n
  while left > 0 do
    local r = math.min(left, 50000)
    for i = 1, r do
      local pid, err = process.spawn_monitored("actors:idle", "ward:main", me)
      if not pid then error("spawn idle " .. (n - left + i) .. ": " .. tostring(err)) end
    end
    for _ = 1, r do heap = heap + inbox:receive():payload() end
    left = left - r
  end
  return n > 0 and heap / n or 0
end

-- µs per spawn+exit, k of them at once
local function spawn_time(k)
  local t0 = time.now()
  for i = 1, k do
    local pid, err = process.spawn_monitored("actors:noop", "ward:main")
    if not pid then error("spawn " .. i .. ": " .. tostring(err)) end
  end
  for _ = 1, k do
    local e = events:receive()
    if e.kind ~= "EXIT" or e.result.value ~= true then
      error("unexpected event " .. tostring(e.kind))
    end
  end
  return (time.now() - t0) * 1000 / k
end

-- the median of three rounds of spawn_time(k), after a warm-up of k/10
local function spawn_median(k)
  spawn_time(k // 10)
  local t = { spawn_time(k), spawn_time(k), spawn_time(k) }
  table.sort(t)
  return t[2]
end

local base = math.min(1000, N)
idle(base)
local t_small = spawn_median(K)
collectgarbage()
print("BASE")
time.sleep("300ms")
local t0 = time.now()
local heap = idle(N - base)
local fill = (time.now() - t0) / 1000
collectgarbage()
local t_large = spawn_median(K)
print(string.format("READY"))
print(string.format("RESULT %.3f %.3f %.1f %.0f", t_small, t_large, fill, heap))
time.sleep("600s")
