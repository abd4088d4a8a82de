-- actors:stubborn -- ignores a cancel and keeps waiting.
local parent = ...
process.send(parent, "up")
local ev = process.events():receive()
process.send(parent, "cancel-seen", ev.kind)
process.inbox():receive()
