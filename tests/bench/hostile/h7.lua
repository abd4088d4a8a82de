-- h7.lua SECRET MARKER HOSTPID -- a small hostile script (make
-- bench-scripts): it tries to read the host file SECRET, to create the
-- host file MARKER and to read the command line of the host process
-- HOSTPID; then it finds the longest Collatz chain below 3000, and prints what it got.
local secret, marker, hostpid = ...
local function try (f)
  local ok, got = pcall (f)
  return ok and got or nil
end
local function slurp (path)
  return try (function ()
    local fh = io and io.open and io.open (path)
    return fh and fh:read ("a")
  end)
end
local got = slurp (secret)
try (function ()
  local fh = io and io.open and io.open (marker, "w")
  return fh and fh:write ("escaped") and fh:close ()
end)
local seen = slurp ("/proc/" .. tostring (hostpid) .. "/cmdline")
local best, work = 0, 0
for s = 1, 2999 do
  local x, len = s, 1
  while x ~= 1 do x = x % 2 == 0 and x // 2 or 3 * x + 1; len = len + 1 end
  if len > best then best, work = len, s end
end
print ("h7 read: " .. tostring (got), "procs: " .. tostring (seen and (seen:gsub ("%z", " "))),
       "work: " .. tostring (work))
