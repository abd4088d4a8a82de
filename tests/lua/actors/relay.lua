-- actors:relay -- forwards every value of its Emilua inbox to a process as a message.
local inbox = require "inbox"
local to = inbox.receive()
while true do
  local v = inbox.receive()
  process.send(to, "relay", v)
end
