-- actors:trapper -- traps links, spawn_linked actors:fail(msg), forwards the event
-- it gets to parent ("trapped", event), then returns "survived".
local parent, msg = ...
process.set_options { trap_links = true }
local c = process.spawn_linked("actors:fail", "ward:main", msg)
local ev = process.events():receive()
process.send(parent, "trapped", ev, c)
return "survived"
