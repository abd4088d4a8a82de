-- actors:bigret -- waits for one inbox message, then returns a string of `size`
-- bytes (exit-bytes.lua).
local size = ...
process.inbox():receive()
return string.rep("r", size)
