-- exit-copies.lua -- a result that holds a channel, seen by several
-- processes (two monitors here, and the parent's exec in the second case):
-- each copy is counted, so that when the monitors drop theirs the channel
-- still held elsewhere keeps its actor's inbox open.
local t = require("tap").setup(...)
local me = process.pid()
local inb, ev = process.inbox(), process.events()
local function wait(ch, ms)
  local r = channel.select { ch:case_receive(), t.after(ms or 30000):case_receive() }
  if r.channel == ch then return r.value end
end
local rel = spawn_vm("actors:relay", {})
rel:send(me)
local D = spawn_vm("actors:drain", {})
D:send(rel)
local X = process.spawn_monitored("actors:chanret", "ward:main", D)
local M = process.spawn("actors:chanmon", "ward:main", X, me)
t.is(wait(inb) and "ready", "ready", "a second monitor watches the process")
process.send(X, "go")
local e = wait(ev)
t.ok(e and e.from == X and type(e.result.value) == "userdata", "its result, a channel, reaches this monitor")
e = nil
collectgarbage()
collectgarbage()
local g = wait(inb)
t.ok(g and g:topic() == "got" and g:payload() == true, "... and the other, which drops its copy")
-- this process still holds D: its inbox must not say closed
local r = wait(inb, 500)
t.ok(r == nil, "the channel's actor is not told that no channel remains")
if r then t.diag(tostring(r:payload() and r:payload()[3])) end
t.ok(pcall(D.send, D, "still open"), "a send on the channel still held goes through")
process.terminate(M)
t.plan(t.run)
t.done()
