-- actors:perm_kid -- a child of tests/lua/process/permissions.sh. Modes:
--   nil     send(to, "ping", tag), then wait (until the run ends)
--   "wait"  wait for one inbox message, ping with tag .. ":" .. its topic,
--           then wait
--   "ret"   ping, then return tag
--   "relay" never ping; every inbox message whose payload is a PID is
--           answered with send(payload, "ping", topic)
local to, tag, mode = ...
local inbox = process.inbox()
if mode == "relay" then
  while true do
    local m = inbox:receive()
    local back = m:payload()
    if type(back) == "string" then process.send(back, "ping", m:topic()) end
  end
end
if mode == "wait" then tag = tag .. ":" .. inbox:receive():topic() end
assert(process.send(to, "ping", tag))
if mode == "ret" then return tag end
inbox:receive()
