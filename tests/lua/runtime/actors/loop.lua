-- actors:loop -- counts to n (under pcall when asked) and returns the count.
local n, under_pcall, parent = ...
local function run()
  local c = 0
  for _ = 1, n do c = c + 1 end
  return c
end
if under_pcall then
  local ok, r = pcall(run)
  if parent then process.send(parent, "swallowed", tostring(r)) end
  return r
end
return run()
