-- names.lua N [K] -- the registry at scale: N names registered (this
-- process holds them all), then the time of K registrations, look-ups and
-- unregistrations with 1000 names held and with N held. Prints "RESULT
-- <µs per register+lookup+unregister at 1k> <the same at N>".
local N = math.tointeger(tonumber((...))) or 1000000
local K = math.tointeger(tonumber((select(2, ...)))) or 20000
local reg = process.registry
local me = process.pid()

local function hold(from, to)
  for i = from, to do
    local ok, err = reg.register("held." .. i, me)
    if not ok then error("register " .. i .. ": " .. tostring(err)) end
  end
end

local function cycle(k)
  local t0 = time.now()
  for i = 1, k do
    local name = "cycle." .. i
    local ok, err = reg.register(name, me)
    if not ok then error("register " .. name .. ": " .. tostring(err)) end
    if reg.lookup(name) ~= me then error("lookup " .. name) end
    reg.unregister(name)
  end
  return (time.now() - t0) * 1000 / k
end

local small_n = math.min(1000, N)
hold(1, small_n)
cycle(K // 10)
local small = cycle(K)
hold(small_n + 1, N)
cycle(K // 10)
local large = cycle(K)
print(string.format("RESULT %.3f %.3f", small, large))
