-- actors:stubborn_link -- spawn_linked actors:fail_on, tells parent its pid, then
-- busy-loops inside pcall, trying to swallow whatever ends it.
local parent = ...
local c = process.spawn_linked("actors:fail_on", "ward:main")
process.send(parent, "linked-child", c)
while true do
  pcall(function() while true do end end)
end
