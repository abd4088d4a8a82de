-- actors:cancel_obey -- forwards each event to parent ("event", ev); returns
-- "obeyed" on the first CANCEL.
local parent = ...
process.send(parent, "ready", process.pid())
local events = process.events()
while true do
  local ev = events:receive()
  process.send(parent, "event", ev)
  if ev.kind == process.event.CANCEL then return "obeyed" end
end
