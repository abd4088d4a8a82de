-- flood.lua N [TAG]: N sends to TAG1..TAGN (denied by the tests' policies),
-- then how many were denied
local n, tag = tonumber((...)), select(2, ...) or "x"
local denied = 0
for i = 1, n do
  local ok, err = process.send(tag .. i, "t", 1)
  if not ok and err:kind() == "PERMISSION_DENIED" then denied = denied + 1 end
end
print("denied " .. denied)
