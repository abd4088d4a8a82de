-- h6.lua SECRET MARKER HOSTPID -- a small hostile script (make
-- bench-scripts): it tries to read the host file SECRET, to create the
-- host file MARKER and to read the command line of the host process
-- HOSTPID; then it multiplies two 24x24 matrices and takes the trace, and prints what it got.
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
local n, a, b = 24, {}, {}
for i = 1, n do
  a[i], b[i] = {}, {}
  for j = 1, n do a[i][j] = (i + j) % 5; b[i][j] = (i * j) % 7 end
end
local work = 0
for i = 1, n do
  local s = 0
  for k = 1, n do s = s + a[i][k] * b[k][i] end
  work = work + s
end
print ("h6 read: " .. tostring (got), "procs: " .. tostring (seen and (seen:gsub ("%z", " "))),
       "work: " .. tostring (work))
