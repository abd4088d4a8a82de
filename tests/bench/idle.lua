-- idle.lua N -- N processes blocked in process.inbox():receive().
-- The driver samples this process's VmRSS when "BASE" is printed (100
-- warm-up processes up) and when "READY" is printed (N more up), then kills
-- it. READY carries the mean Lua heap of the N processes in bytes.
local N = math.tointeger(tonumber((...))) or 20000
local me = process.pid()
local inbox = process.inbox()
local function batch(n)
  for i = 1, n do
    local pid, err = process.spawn("actors:idle", "ward:main", me)
    if not pid then error("spawn " .. i .. ": " .. tostring(err)) end
  end
  local heap = 0
  for i = 1, n do heap = heap + inbox:receive():payload() end
  return heap / n
end
batch(100)
collectgarbage()
print("BASE")
time.sleep("300ms")
local heap = batch(N)
collectgarbage()
print(string.format("READY %.0f", heap))
time.sleep("120s")
