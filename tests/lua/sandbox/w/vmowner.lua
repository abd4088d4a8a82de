-- w:vmowner -- a subprocess actor that spawns a subprocess actor with
-- spawn_vm and uses its channel's owner calls: "pid" reports child_pid,
-- "kill" sends a signal, "detach" detaches it, "give" hands the channel to
-- parent, "relay" sends it a value; reports each result to parent.
local parent = ...
local ch = spawn_vm("w:vmecho", { subprocess = { newns_user = true } })
local inbox = process.inbox()
while true do
  local m = inbox:receive()
  local t = m:topic()
  if t == "pid" then
    local ok, v = pcall(function() return ch.child_pid end)
    process.send(parent, "pid", ok, v)
  elseif t == "kill" then
    local ok, e = pcall(ch.kill, ch, m:payload())
    local sent = pcall(ch.send, ch, "after")
    process.send(parent, "kill", ok, e, sent)
  elseif t == "detach" then
    process.send(parent, "detach", pcall(ch.detach, ch))
  elseif t == "relay" then
    ch:send(m:payload())
  elseif t == "give" then
    process.send(parent, "chan", ch)
  elseif t == "stop" then
    return
  end
end
