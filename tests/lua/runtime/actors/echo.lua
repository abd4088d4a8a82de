-- actors:echo -- answers every inbox message with the same topic and payload;
-- topic "stop" ends it (its exit value is the number of messages echoed).
local inbox = process.inbox()
local n = 0
while true do
  local m = inbox:receive()
  if m:topic() == "stop" then return n end
  n = n + 1
  process.send(m:from(), m:topic(), m:payload())
end
