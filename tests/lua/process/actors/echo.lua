-- actors:echo -- answers every inbox message with send(from, "echo", topic,
-- payload...) until it gets topic "stop"; then returns "stopped".
local inbox = process.inbox()
while true do
  local m = inbox:receive()
  if m:topic() == "stop" then return "stopped" end
  process.send(m:from(), "echo", m:topic(), m:payload())
end
