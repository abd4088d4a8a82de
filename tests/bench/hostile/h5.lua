-- h5.lua SECRET MARKER HOSTPID -- a small hostile script (make
-- bench-scripts): it tries to read the host file SECRET, to create the
-- host file MARKER and to read the command line of the host process
-- HOSTPID; then it counts the distinct words of a generated text, and prints what it got.
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
local words = { "ward", "actor", "sandbox", "policy", "lua", "namespace", "seccomp" }
local parts = {}
for i = 1, 3000 do parts[i] = words[i * i % #words + 1] .. (i % 13) end
local found, work = {}, 0
for w in table.concat (parts, " "):gmatch ("%S+") do
  if not found[w] then found[w] = true; work = work + 1 end
end
print ("h5 read: " .. tostring (got), "procs: " .. tostring (seen and (seen:gsub ("%z", " "))),
       "work: " .. tostring (work))
