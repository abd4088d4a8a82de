-- actors:busy -- loops forever without a blocking call; the first argument, if a
-- PID, hears "started" before the loop.
local parent = ...
if parent then process.send(parent, "started", process.pid()) end
while true do end
