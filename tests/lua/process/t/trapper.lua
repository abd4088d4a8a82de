-- t:trapper -- traps links, spawn_linked t:fail(msg), forwards the event
-- it gets to parent ("trapped", event), then returns "survived".
local parent, msg = ...
process.set_options { trap_links = true }
local c = process.spawn_linked("t:fail", "ward:main", msg)
local ev = process.events():receive()
process.send(parent, "trapped", ev, c)
return "survived"
