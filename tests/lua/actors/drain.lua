-- actors:drain -- an Emilua-style actor that reads its inbox until no channel
-- names it: the first value is a channel to report on; it then counts
-- the values that come, and reports {"closed", count, error} once its
-- inbox says the channel is closed.
local inbox = require "inbox"
local report = inbox.receive()
local n = 0
while true do
  local ok, v = pcall(inbox.receive)
  if not ok then
    report:send({ "closed", n, tostring(v) })
    return
  end
  n = n + 1
end
