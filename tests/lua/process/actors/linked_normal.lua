-- actors:linked_normal -- spawn_linked actors:ret (exits normally), waits until it
-- has ended (its EXIT, through a monitor), a little more, and survives.
local c = process.spawn_linked("actors:ret", "ward:main", 1)
if process.monitor(c) then
  local events = process.events()
  repeat local ev = events:receive() until ev.kind == "EXIT" and ev.from == c
end
time.sleep(200)
return "alive"
