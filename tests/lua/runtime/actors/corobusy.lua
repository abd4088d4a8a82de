-- actors:corobusy -- a busy loop inside the script's own coroutine, under pcalls
-- on both sides; reports "swallowed" if any pcall returns.
local parent = ...
process.send(parent, "started", process.pid())
local co = coroutine.wrap(function()
  while true do
    local ok, e = pcall(function() while true do end end)
    process.send(parent, "swallowed", tostring(e))
  end
end)
while true do
  local ok, e = pcall(co)
  process.send(parent, "swallowed", tostring(e))
end
