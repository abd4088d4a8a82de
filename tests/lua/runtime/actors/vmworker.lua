-- actors:vmworker -- an Emilua-style actor: reads commands from require "inbox"
-- and reports to the PID given by {op = "hello", pid = ...} with process.send.
local ctx0 = _CONTEXT                 -- before any require
local inbox = require "inbox"
local report
local held = {}
while true do
  local ok, m = pcall(inbox.receive)
  if not ok then
    if report then process.send(report, "closed", m) end
    return "closed"
  end
  if type(m) ~= "table" then
    process.send(report, "raw", m, math.type(m))
  elseif m.op == "hello" then
    report = m.pid
    local mod = require "actors.ctxmod"
    process.send(report, "hello", ctx0, process.pid(), mod.ctx, _CONTEXT)
  elseif m.op == "echo" then
    process.send(report, "echo", m.value)
  elseif m.op == "chan" then
    -- a channel received in a message, handed back through process.send
    process.send(report, "chan", m.ch, getmetatable(m.ch))
  elseif m.op == "sleep" then
    time.sleep(m.ms)
  elseif m.op == "hold" then
    held[#held + 1] = m.ch
    local sent, err = pcall(m.ch.send, m.ch, { op = "echo", value = m.value })
    process.send(report, "held", sent, err)
  elseif m.op == "spawn_child" then
    -- a child answers through the channel to us that it gets in a message
    local child = spawn_vm("actors:vmchild")
    child:send{ reply = m.self, value = m.value }
    child:close()
  elseif m.op == "child_answer" then
    process.send(report, "child_answer", m.value, m.ctx)
  elseif m.op == "threads" then
    local r = table.pack(pcall(spawn_context_threads, m.n))
    process.send(report, "threads", r[1], r[2])
  elseif m.op == "quit" then
    return "quit"
  end
end
