-- actors:echo -- a subprocess actor that reports who it is, then answers each
-- message: "stop" returns, "boom" raises, "spin" loops for ever, "ask"
-- performs a process call named by the message and reports its result.
local parent = ...
local ctx = process.context()
process.send(parent, "ready", process.pid(), process.id(), _CONTEXT, ctx and ctx.tag)
local inbox = process.inbox()
while true do
  local m = inbox:receive()
  local t = m:topic()
  if t == "stop" then return "stopped" end
  if t == "boom" then error("boom from the child") end
  if t == "spin" then while true do end end
  if t == "ask" then
    local what, a, b, c = m:payload()
    local r = table.pack(pcall(process[what] or process.registry[what], a, b, c))
    local e = r[3]
    process.send(parent, "answer", r[1], r[2],
                 type(e) == "userdata" and e:kind() or e,
                 type(e) == "userdata" and e:message() or nil)
  else
    process.send(parent, "echo", t, m:payload())
  end
end
