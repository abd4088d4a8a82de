-- actors:vmecho -- an Emilua-style actor: answers each value from its inbox on
-- the channel it was given first; "quit" returns, "hang" ignores SIGTERM-ish
-- waits, "env" reports _CONTEXT.
local inbox = require "inbox"
local reply = inbox.receive()
reply:send({ "hello", _CONTEXT })
while true do
  local v = inbox.receive()
  if v == "quit" then return end
  reply:send({ "echo", v })
end
