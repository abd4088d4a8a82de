-- actors:self_first -- sends itself "self" at once, then reports the topics of
-- the first two inbox messages ("order", first, second).
local parent = ...
process.send(process.pid(), "self")
local inbox = process.inbox()
local a = inbox:receive()
local b = inbox:receive()
process.send(parent, "order", a:topic(), b:topic())
return "ordered"
