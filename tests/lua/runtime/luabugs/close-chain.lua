-- Lua 5.4.4 bug "C-stack overflow with deep nesting of coroutine.close":
-- N coroutines, each closing the previous one from a __close. Arguments:
-- N and the depth of pcall nesting around each close (0: none).
local n, depth = tonumber((...)), tonumber((select(2, ...)))
local count = 0
local function nest (k, f)
  if k == 0 then return f () end
  local ok, e = pcall(nest, k - 1, f)
  if not ok then error(e, 0) end
end
local coro = false
for _ = 1, n do
  local previous = coro
  coro = coroutine.create(function ()
    local cc <close> = setmetatable({}, { __close = function ()
      count = count + 1
      if previous then nest(depth, function () assert(coroutine.close(previous)) end) end
    end })
    coroutine.yield()                    -- leaves cc to be closed
  end)
  assert(coroutine.resume(coro))
end
local ok, msg = coroutine.close(coro)
msg = tostring(msg)
print("COUNT " .. count)
if n <= 50 and depth == 0 then
  print((ok and count == n and "ok " or "fail ") .. "a chain of " .. n .. " closes runs whole")
else
  print((not ok and msg:find("C stack overflow", 1, true) and "ok " or "fail ")
        .. "a chain of " .. n .. " closes (pcall depth " .. depth .. ") fails with C stack overflow: "
        .. msg:sub(-80))
  print((count < n and "ok " or "fail ") .. "it stops before the end of the chain (" .. count .. " closed)")
end
-- The process goes on: coroutines still work.
local co = coroutine.wrap(function (a) return a + 1 end)
print((co(1) == 2 and "ok " or "fail ") .. "coroutines work after it")
print("END")
