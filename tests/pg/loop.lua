-- loop.lua CTL: denials in rounds (100, then 2 ms) until CTL/stop exists,
-- then how many were denied
local fs = require "fs"
local ctl = (...)
local denied, i = 0, 0
while not fs.stat(ctl .. "/stop") do
  for _ = 1, 100 do
    i = i + 1
    local ok, err = process.send("y" .. i, "t", 1)
    if not ok and err:kind() == "PERMISSION_DENIED" then denied = denied + 1 end
  end
  time.sleep("2ms")
end
print("denied " .. denied)
