-- hostile.lua SECRET MARKER -- a small hostile script for the start-up
-- bench: it tries to read the host file SECRET and print it, and to create
-- the host file MARKER, then does a little honest work. The bench checks
-- on the host that neither got through.
local secret, marker = ...
local function try (f)
  local ok, got = pcall (f)
  return ok and got or nil
end
local got = try (function ()
  local fh = io and io.open and io.open (secret)
  return fh and fh:read ("a")
end)
try (function ()
  local fh = io and io.open and io.open (marker, "w")
  return fh and fh:write ("escaped") and fh:close ()
end)
local sum = 0
for i = 1, 20000 do sum = sum + i % 7 end
print ("read: " .. tostring (got), "work: " .. sum)
