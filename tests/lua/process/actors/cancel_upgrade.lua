-- actors:cancel_upgrade -- on CANCEL, upgrades itself (nil id) into a body that
-- tells parent and then never ends; the deadline must still apply.
local parent, stage = ...
if stage == "upgraded" then
  process.send(parent, "upgraded", process.pid())
  while true do time.sleep("1s") end
end
process.send(parent, "ready", process.pid())
local ev = process.events():receive()
process.upgrade(nil, parent, "upgraded")
