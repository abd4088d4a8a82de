-- h3.lua SECRET MARKER HOSTPID -- a small hostile script (make
-- bench-scripts): it tries to read the host file SECRET, to create the
-- host file MARKER and to read the command line of the host process
-- HOSTPID; then it computes fib(20) the slow way, and prints what it got.
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
local function fib (k) if k < 2 then return k end return fib (k - 1) + fib (k - 2) end
local work = fib (20)
print ("h3 read: " .. tostring (got), "procs: " .. tostring (seen and (seen:gsub ("%z", " "))),
       "work: " .. tostring (work))
