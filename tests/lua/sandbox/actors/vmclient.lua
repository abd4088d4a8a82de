-- actors:vmclient -- an Emilua-style client: its first value is
-- {server = channel, report = channel}. It sends the server the address
-- of self (its inbox), nested and at top level, and reports the answers;
-- then leaves the server the only channel to itself and reports, once
-- that one is closed, what came through it and how the next receive ended.
local inbox = require "inbox"
local function recv()
  local ok, v = pcall(inbox.receive, inbox)
  if ok then return v end
  return "error: " .. tostring(v)
end
local cfg = inbox:receive()
local server, report = cfg.server, cfg.report
local ok, err = pcall(server.send, server, { op = "ping", reply = inbox, n = 1 })
local a = ok and recv() or "error: " .. tostring(err)
ok, err = pcall(server.send, server, inbox)
local b = ok and recv() or "error: " .. tostring(err)
pcall(server.send, server, { op = "hold", reply = inbox })
cfg = nil
report:send({ "client", a, b })
local c = recv()
local d = recv()
report:send({ "client-end", c, d })
