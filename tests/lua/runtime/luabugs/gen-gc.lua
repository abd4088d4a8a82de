-- Lua 5.4.4 bug "GC not setting a proper target for next cycle after a
-- full collection in generational mode": the collector may run late, but
-- the process's memory cap (--memory 16M, given by luabugs.sh) holds and
-- an allocation past it runs an emergency collection. Churn of about
-- 100 MiB in generational mode, with a full collection each round, must
-- end, and the garbage must be gone after it.
collectgarbage()
local base = collectgarbage("count")
collectgarbage("generational")
for _ = 1, 50 do
  collectgarbage()                       -- a full collection in generational mode
  local keep = {}
  for i = 1, 20000 do keep[i % 100 + 1] = { i, ("x"):rep(40) .. i } end
end
collectgarbage("incremental")
collectgarbage()
local after = collectgarbage("count")
print((after < base + 1024 and "ok " or "fail ") .. "the churn's garbage is collected: "
      .. math.floor(base) .. " KiB before, " .. math.floor(after) .. " KiB after")
print("END")
