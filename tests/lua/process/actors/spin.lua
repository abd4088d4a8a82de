-- actors:spin -- busy loop that never yields on its own.
local parent = ...
if parent then process.send(parent, "spinning", process.pid()) end
local i = 0
while true do i = i + 1 end
