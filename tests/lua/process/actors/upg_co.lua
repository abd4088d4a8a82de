-- actors:upg_co -- generation 1 upgrades from inside a coroutine.wrap body.
local gen = ...
if gen == 2 then return { gen = 2, pid = process.pid() } end
local f = coroutine.wrap(function()
  process.upgrade(nil, 2)
  return "coroutine resumed after upgrade"
end)
return f()
