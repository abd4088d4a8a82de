-- actors:ping -- tells parent it ran: send(parent, "ping", pid).
local parent = ...
process.send(parent, "ping", process.pid())
return "pinged"
