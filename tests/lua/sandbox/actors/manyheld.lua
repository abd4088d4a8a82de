-- actors:manyheld -- a subprocess actor given many channels at once: it closes
-- every other one, sends "x" through the rest, tells its parent, then
-- waits.
local parent, chans = ...
for i = 1, #chans, 2 do chans[i]:close() end
for i = 2, #chans, 2 do chans[i]:send("x") end
process.send(parent, "done", #chans)
process.inbox():receive()
return "ok"
