-- Lua 5.4.4 bug "GC not setting a proper target for next cycle after a
-- full collection in generational mode": the collector may run late, but
-- the process's memory cap (--memory, given by luabugs.sh) holds and
-- emergency collections free the garbage: churn in generational mode ends.
collectgarbage("generational")
for round = 1, 20 do
  collectgarbage()                       -- a full collection in generational mode
  local keep = {}
  for i = 1, 20000 do keep[i % 100 + 1] = { i, tostring(i) } end
end
local kb = collectgarbage("count")
print((kb < 32 * 1024 and "ok " or "fail ") .. "generational churn stays under the cap: "
      .. math.floor(kb) .. " KiB in use")
print("END")
