-- actors:cancel_ignore -- forwards each event to parent and keeps running; with
-- spin it busy-loops without ever reading events.
local parent, spin = ...
process.send(parent, "ready", process.pid())
if spin then while true do end end
local events = process.events()
while true do
  local ev = events:receive()
  process.send(parent, "event", ev, time.now())
end
