-- actors:vmserver -- an Emilua-style server: answers through the channels it
-- is sent, nested ({op = "ping", reply = ch, n = n}) or at top level (a
-- channel), closing each after use; {op = "hold", reply = ch} keeps one
-- until {op = "use"} sends "used" through it and closes it; "quit" ends.
local inbox = require "inbox"
local held
while true do
  local ok, m = pcall(inbox.receive)
  if not ok or m == "quit" then return end
  if getmetatable(m) == "channel" then
    m:send("hello")
    m:close()
  elseif type(m) == "table" and m.op == "ping" then
    m.reply:send({ "pong", m.n })
    m.reply:close()
  elseif type(m) == "table" and m.op == "hold" then
    held = m.reply
  elseif type(m) == "table" and m.op == "use" then
    held:send("used")
    held:close()
    held = nil
  end
end
