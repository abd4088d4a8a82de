-- actors:pcallbusy -- a busy loop under pcall that tries to swallow everything.
local parent = ...
if parent then process.send(parent, "started", process.pid()) end
local caught = 0
while true do
  local ok = pcall(function() while true do end end)
  if not ok then caught = caught + 1 end
end
