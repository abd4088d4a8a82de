-- actors:timed -- holds two timers of an hour and a third of `ms`; tells
-- its parent ("fired", i) when the third fires, or ends at once on an
-- inbox message (its timers are then dropped).
local parent, i, ms = ...
local _, _ = time.after(3600000), time.after(3600000)
local short = time.after(ms)
local inbox = process.inbox()
local r = channel.select { inbox:case_receive(), short:case_receive() }
if r.channel == short then process.send(parent, "fired", i) end
return true
