-- actors:dirty -- leaves what it can in its process: links trapped, a
-- spent instruction count, a timer pending, an inbox read; reports
-- ("dirty", pid) and waits to be terminated (reuse.lua).
local parent = ...
process.set_options { trap_links = true }
for _ = 1, 20000 do end
local later = time.after(3600000)
process.send(parent, "dirty", process.pid())
process.inbox():receive()
return later
