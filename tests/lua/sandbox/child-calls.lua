-- child-calls.lua -- process.upgrade and spawn_vm inside a subprocess
-- actor: forwarded to the runtime, asked there as the child's actor and
-- performed by its stand-in, as in-process.
local t = require("tap").setup(...)
local u = require "util"
local S = "ward:sandbox"
local me = process.pid()
local function pl(m) if m then return m:payload() end end

local v, e = process.exec("w:upgrader", S, me, "again")
if v == nil and tostring(e):find("not permitted") then
  t.skip_all("this machine does not allow the sandbox's namespaces: " .. tostring(e))
  return
end
t.is(v, 3, "upgrade(nil, ...) runs the child's own body anew with the new arguments")

-- upgrade to another definition: PID, mailbox and monitors kept
local c = process.spawn_monitored("w:upgrader", S, me, "to")
local before = pl(u.msg_on("before"))
t.is(before, c, "the child runs under its PID")
process.send(c, "go")
process.send(c, "waiting", "kept")
local pid, a, b, topic, pv = pl(u.msg_on("after"))
t.is(pid, c, "after upgrade the child keeps its PID")
t.ok(a == "args" and b == 42, "the new body gets upgrade's arguments")
t.ok(topic == "waiting" and pv == "kept", "a message queued before the upgrade is still in the mailbox")
local ev = u.event()
t.ok(ev and ev.from == c and ev.result and ev.result.value == "upgraded",
     "the monitor gets the new body's result")

-- refusals: nothing sendable, no id, a definition the actor may not spawn
local un = process.with_context({}):with_actor("untrusted"):spawn_monitored("w:upgrader", S, me, "bad")
local r = pl(u.msg_on("refused")) or {}
t.ok(r[1] and r[1][1] == nil and r[1][2] == errors.INVALID, "an argument that cannot be sent is INVALID")
t.ok(r[2] and r[2][1] == nil and r[2][2] == errors.INVALID, "an id that is not a string is INVALID")
t.ok(r[3] and r[3][1] == nil and r[3][2] == errors.PERMISSION_DENIED,
     "an untrusted child may not upgrade to a definition its policy does not let it spawn")
t.like(r[3] and r[3][3], "process%.spawn on w:upgraded", "... the denial names process.spawn on the definition")
ev = u.event()
t.ok(ev and ev.from == un and ev.result and ev.result.value == "still here",
     "a refused upgrade leaves the child running its body")

-- spawn_vm in a child
local function vm(how, actor)
  local b = process.with_context({})
  if actor then b = b:with_actor(actor) end
  local ch = b:spawn("w:vmchild", S, me, how)
  local ok, why = pl(u.msg_on("spawn_vm"))
  return ch, ok, why
end
local ch, ok, why = vm("same")
t.ok(ok, "spawn_vm in a subprocess actor returns a channel" .. (ok and "" or ": " .. tostring(why)))
local sub, pid2, ctx = pl(u.msg_on("probe"))
t.like(pid2, "^{ward:sandbox|", "spawn_vm with the caller's context spawns on the child's host")
t.ok(sub == true, "... as a subprocess actor of that host (never the child's code unsandboxed)")
t.is(ctx, "worker", "... with _CONTEXT 'worker'")
process.terminate(ch)

ch, ok, why = vm("ctx")
t.ok(ok, "spawn_vm{inherit_context = false} in a subprocess actor" .. (ok and "" or ": " .. tostring(why)))
sub, pid2 = pl(u.msg_on("probe"))
t.like(pid2, "^{ward:context%.%d+|", "... runs the actor in a new context of the runtime")
process.terminate(ch)

ch, ok, why = vm("sub")
t.ok(ok, "spawn_vm with a subprocess table in a subprocess actor" .. (ok and "" or ": " .. tostring(why)))
sub = pl(u.msg_on("probe"))
t.ok(sub == true, "... makes a subprocess actor")
process.terminate(ch)

ch, ok, why = vm("self")
t.ok(ok, "spawn_vm(\".\") in a subprocess actor" .. (ok and "" or ": " .. tostring(why)))
local self = pl(u.msg_on("probe"))
t.is(self, "self", "... runs the child's own definition")
process.terminate(ch)

ch, ok, why = vm("same", "untrusted")
t.ok(not ok, "an untrusted child's spawn_vm of a definition its policy does not grant raises")
t.like(why, "permission denied: process%.spawn on w:vmprobe", "... with the denial")
ch, ok, why = vm("ctx", "untrusted")
t.like(why, "permission denied: process%.spawn on w:vmprobe", "... in a new context too")

-- the channel a child's spawn_vm returned: child_pid, kill and detach,
-- answered by the stand-in that owns the subprocess actor
local rel = spawn_vm("w:relay", {})
rel:send(me)
local function relayed()
  local m = u.msg_on("relay")
  return m and m:payload()
end
local o = process.spawn("w:vmowner", S, me)
process.send(o, "pid")
local pok, cpid = pl(u.msg_on("pid"))
t.ok(pok and math.type(cpid) == "integer" and cpid > 1,
     "child_pid of a channel a child's spawn_vm returned" .. (pok and "" or ": " .. tostring(cpid)))
process.send(o, "relay", rel)
local hello = relayed()
t.ok(type(hello) == "table" and hello[1] == "hello", "... whose actor answers")
process.send(o, "kill")
local kok, kerr, sent = pl(u.msg_on("kill"))
t.ok(kok, "kill() of it in the child" .. (kok and "" or ": " .. tostring(kerr)))
t.ok(sent == false, "... SIGKILL closes the child's channel")
process.send(o, "stop")

-- detached, the actor outlives the child that spawned it
local d = process.spawn_monitored("w:vmowner", S, me)
process.send(d, "detach")
local dok, derr = pl(u.msg_on("detach"))
t.ok(dok, "detach() of it in the child" .. (dok and "" or ": " .. tostring(derr)))
process.send(d, "give")
local gch = pl(u.msg_on("chan"))
process.send(d, "stop")
local dev = u.event()
t.ok(dev and dev.from == d, "the child ends")
local alive = gch and pcall(gch.send, gch, rel)
local again = alive and relayed()
t.ok(type(again) == "table" and again[1] == "hello", "... and the actor it detached still answers")
if gch then pcall(gch.kill, gch) pcall(gch.send, gch, "quit") end

u.finish(t)
