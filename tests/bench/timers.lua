-- timers.lua N [K] -- the cost of ending a process that holds a timer
-- (actors:sleeper waits for a message or an hour) with 1000 and with N
-- such processes live: K of them are told to end and the clock stops when
-- every EXIT has arrived. Prints "RESULT <µs per ending at 1k live> <µs
-- per ending at N live>".
local N = math.tointeger(tonumber((...))) or 100000
local K = math.tointeger(tonumber((select(2, ...)))) or 5000
local me = process.pid()
local inbox = process.inbox()
local events = process.events()

-- n more sleepers, monitored; their PIDs
local function up(n)
  local pids = {}
  for i = 1, n do
    local pid, err = process.spawn_monitored("actors:sleeper", "ward:main", me)
    if not pid then error("spawn " .. i .. ": " .. tostring(err)) end
    pids[i] = pid
  end
  for _ = 1, n do inbox:receive() end
  return pids
end

-- µs per ending of the processes in pids
local function ending(pids)
  local t0 = time.now()
  for i = 1, #pids do process.send(pids[i], "go") end
  for _ = 1, #pids do
    local e = events:receive()
    if e.kind ~= "EXIT" then error("unexpected event " .. tostring(e.kind)) end
  end
  return (time.now() - t0) * 1000 / #pids
end

up(math.min(1000, N))
local small = ending(up(K))
up(N - math.min(1000, N))
local large = ending(up(K))
print(string.format("RESULT %.3f %.3f", small, large))
