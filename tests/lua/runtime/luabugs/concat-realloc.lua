-- Not on lua.org's list: the fix of CVE-2022-33099 ("Lua-stack overflow
-- when C stack overflows while handling an error") introduced a use of a
-- stale stack pointer in concatenation, fixed right after; a library that
-- took the first patch alone has it. A __concat that grows the stack.
local function deep (n) if n > 0 then return deep(n - 1) + 0 end return 0 end
local o = setmetatable({}, { __concat = function () deep(20000) return "x" end })
local good = true
for _ = 1, 20 do
  local s = "a" .. "b" .. o .. "c" .. "d"
  collectgarbage()
  if s ~= "abx" then good = false end
  local t = {}
  for i = 1, 100 do t[i] = i .. "" end
end
print((good and "ok " or "fail ") .. "concatenation through a stack-growing __concat is right")
print("END")
