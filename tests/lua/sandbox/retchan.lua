-- retchan.lua -- channels a subprocess actor holds other than from a
-- message. One it ends with as its result: its VM lets go of its copy as
-- it ends, before its EXIT names it, and the runtime must not take that
-- for a forged channel; the result reaches the monitor as a channel that
-- works. One in its context: the runtime sent it with the context, and
-- each VM (after an upgrade too) decodes the context anew. Either way the
-- channel's actor is not told that none remains while this process holds
-- one.
local t = require("tap").setup(...)
local me = process.pid()
local ev, inb = process.events(), process.inbox()
local u = require "util"
local wait = u.wait
local rel = u.relay(me)
local D = spawn_vm("actors:drain", {})
D:send(rel)
local C, err = process.spawn_monitored("actors:chanback", "ward:sandbox")
if t.no_sandbox(C, err) then return end
process.send(C, "ch", D)
local e = wait(ev)
local v = e and (e.result.value or e.result.error)
t.ok(e and e.from == C and type(e.result.value) == "userdata",
     "the child's result is the channel it held" .. (type(v) == "string" and ": " .. v or ""))
local sent = e and type(e.result.value) == "userdata" and pcall(e.result.value.send, e.result.value, "x")
t.ok(sent, "... and a send through it goes")
e, v = nil, nil
collectgarbage()
collectgarbage()
local r = wait(inb, 500)
t.ok(r == nil, "the channel's actor is not told that none remains (this process holds one)")
t.ok(pcall(D.send, D, "y"), "a send on the channel this process holds goes")

local K = process.with_context({ ch = D }):spawn_monitored("actors:ctxuse", "ward:sandbox", me)
local m = wait(inb)
t.is(m and m:topic(), "sent", "a child sends on the channel in its context, before and after an upgrade")
process.send(K, "end")
e = wait(ev)
t.is(e and e.from == K and e.result.value, "done", "... and is not taken for naming a channel it was not given")
e = nil
collectgarbage()
collectgarbage()
t.ok(wait(inb, 500) == nil, "the channel's actor is not told that none remains")
t.ok(pcall(D.send, D, "z"), "a send on the channel this process holds goes")

-- every process that inherits a context keeps a copy of its channels:
-- three in-process and three sandboxed children of a process given the
-- context, each reading it and ending, give back only their own
local P = process.with_context({ ch = D }):spawn_monitored("actors:ctxparent", "ward:main", me,
  { "ward:main", "ward:main", "ward:main", "ward:sandbox", "ward:sandbox", "ward:sandbox" })
local got = wait(inb)
t.ok(got and got:topic() == "read" and got:payload() == 6,
     "six children inherit the context and read its channel")
local pe = wait(ev)
t.ok(pe and pe.from == P and pe.result.value == "ok", "... and their parent ends")
collectgarbage()
t.ok(wait(inb, 500) == nil, "the channel's actor is not told that none remains")
t.ok(pcall(D.send, D, "w"), "a send on the channel this process holds goes")
t.plan(t.run)
t.done()
