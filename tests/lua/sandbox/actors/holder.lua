-- actors:holder -- an Emilua-style subprocess actor that holds the channels it
-- is sent (drop.lua): the first value is a channel to answer on; then a
-- channel (or a table whose first value is one) is kept, "close" closes
-- the one kept, "forget" drops it for the collector, "ping" answers,
-- "quit" returns.
local inbox = require "inbox"
local reply = inbox.receive()
local kept = {}
while true do
  local v = inbox.receive()
  if v == "quit" then return end
  if v == "close" then
    kept.ch:close()
    kept.ch = nil
    reply:send({ "closed" })
  elseif v == "forget" then
    kept.ch = nil
    collectgarbage()
    collectgarbage()
    reply:send({ "forgot" })
  elseif v == "ping" then
    reply:send({ "pong" })
  else
    kept.ch = type(v) == "table" and v[1] or v
    reply:send({ "kept" })
  end
end
