-- actors:upg_b -- generation 1 upgrades with a nil id (so stays actors:upg_b) to 2.
local gen = ...
if gen == 1 then
  process.upgrade(nil, 2)
  error("upgrade returned", 0)
end
return "b" .. tostring(gen)
