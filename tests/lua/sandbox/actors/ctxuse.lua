-- actors:ctxuse -- a subprocess actor that sends on the channel in its context
-- (process.context().ch), lets it go, upgrades (the new body reads the
-- context anew) and sends on it again, then tells its parent and waits.
local parent, round = ...
local ch = process.context().ch
ch:send("from " .. (round or "first"))
ch = nil
collectgarbage()
collectgarbage()
if round ~= "again" then return process.upgrade(nil, parent, "again") end
process.send(parent, "sent")
process.inbox():receive()
return "done"
