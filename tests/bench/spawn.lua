-- spawn.lua N [monitored|serial] -- time per spawn of a process that exits
-- at once. Plain: the parent's loop of N process.spawn (children exit
-- meanwhile on the other workers). monitored: process.spawn_monitored, and
-- the clock stops when all N EXIT events have arrived. serial: one child at
-- a time, spawn_monitored then wait for its EXIT (the round-trip latency).
-- A warm-up round of N/10 runs first (as in wbench.erl).
-- Prints "RESULT <µs per spawn>".
local N = math.tointeger(tonumber((...))) or 50000
local mode = select(2, ...)
local monitored = mode == "monitored" or mode == "serial"
local serial = mode == "serial"
local spawn = monitored and process.spawn_monitored or process.spawn
local events = process.events()

local function check(e)
  if e.kind ~= "EXIT" or e.result.value ~= true then
    error("unexpected event " .. tostring(e.kind) .. " " .. tostring(e.result and e.result.error))
  end
end

local function round(n)
  local t0 = time.now()
  if serial then
    for i = 1, n do
      local pid, err = spawn("actors:noop", "ward:main")
      if not pid then error("spawn " .. i .. ": " .. tostring(err)) end
      check(events:receive())
    end
    return time.now() - t0
  end
  for i = 1, n do
    local pid, err = spawn("actors:noop", "ward:main")
    if not pid then error("spawn " .. i .. ": " .. tostring(err)) end
  end
  if monitored then
    for i = 1, n do check(events:receive()) end
  end
  return time.now() - t0
end

round(N // 10)
local ms = round(N)
print(string.format("RESULT %.3f", ms * 1000 / N))
