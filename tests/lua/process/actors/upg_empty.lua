-- actors:upg_empty -- spawned with "first": upgrade(nil, "second"), then
-- upgrade(nil) with no state; the last body returns 100 + select("#", ...).
local first = ...
if first == "first" then
  process.upgrade(nil, "second")
  error("upgrade returned", 0)
elseif first == "second" then
  process.upgrade(nil)
  error("upgrade returned", 0)
end
return 100 + select("#", ...)
