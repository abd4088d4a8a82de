-- attack.lua -- the hostile half of every script of make bench-scripts,
-- put before each hN.lua (its honest half) to make one script, called as
-- SCRIPT SECRET MARKER HOSTPID: it tries to read the host file SECRET, to
-- create the host file MARKER and to read the command line of the host
-- process HOSTPID; report(NAME, WORK) prints what it got and the work's
-- result.
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
local function report (name, work)
  print (name .. " read: " .. tostring (got),
         "procs: " .. tostring (seen and (seen:gsub ("%z", " "))), "work: " .. tostring (work))
end
