-- actors:idle -- tells its parent it is up (with its Lua heap in bytes), then
-- blocks in receive until the run ends (the idle memory benchmark).
local parent = ...
process.send(parent, "up", collectgarbage("count") * 1024)
process.inbox():receive()
return true
