-- h2.lua SECRET MARKER HOSTPID -- a small hostile script (make
-- bench-scripts): it tries to read the host file SECRET, to create the
-- host file MARKER and to read the command line of the host process
-- HOSTPID; then it counts the primes below 20000 (a sieve), and prints what it got.
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
local n, comp, work = 20000, {}, 0
for i = 2, n do
  if not comp[i] then
    work = work + 1
    for j = i * i, n, i do comp[j] = true end
  end
end
print ("h2 read: " .. tostring (got), "procs: " .. tostring (seen and (seen:gsub ("%z", " "))),
       "work: " .. tostring (work))
