-- Lua 5.4.4 bug "Lua can generate wrong code when _ENV is <const>"
-- (CVE-2022-28805, a heap overflow in the parser): a global assigned
-- through a constant _ENV must raise "attempt to index a number value".
local f = load([[
  local function setter ()
    local _ENV <const> = 11
    X = "hi"
  end
  return setter
]])()
local ok, msg = pcall(f)
if not ok and tostring(msg):find("number", 1, true) then
  print("ok a global through a constant _ENV raises an error about a number")
else
  print("fail a global through a constant _ENV raises an error about a number: " .. tostring(msg))
end
print("END")
