-- actors:upgraded -- the body actors:upgrader becomes: reports its PID, its
-- arguments and the message that waited in its mailbox, then returns.
local parent, a, b = ...
local m = process.inbox():receive()
process.send(parent, "after", process.pid(), a, b, m:topic(), m:payload())
return "upgraded"
