-- actors:watch -- monitors target, tells parent ("watching", ok, err kind),
-- forwards the first event it gets ("watched", event).
local parent, target = ...
local ok, e = process.monitor(target)
process.send(parent, "watching", ok, e and e:kind())
local ev = process.events():receive()
process.send(parent, "watched", ev)
return "watched"
