-- actors:fd_pipe -- the descriptor side of fd.lua: for each inbox message
-- "write" (fd, text) writes text to fd and closes it; "read" (fd) answers
-- send(from, "read", what fd:read gave); "hold" (fd) keeps fd and answers
-- "held"; "req" answers whether require "fd" worked (and its error);
-- "stop" returns.
local inbox = process.inbox()
local held = {}
while true do
  local m = inbox:receive()
  local topic, v = m:topic(), m:payload()
  if topic == "stop" then return "stopped" end
  if topic == "write" then
    local ok = v[1]:write(v[2])
    v[1]:close()
    process.send(m:from(), "wrote", ok)
  elseif topic == "read" then
    process.send(m:from(), "read", v:read(100, "120s"))
  elseif topic == "hold" then
    held[#held + 1] = v
    process.send(m:from(), "held", tostring(v))
  elseif topic == "req" then
    local ok, e = pcall(require, "fd")
    process.send(m:from(), "req", ok, tostring(e))
  end
end
