-- child-calls.lua -- process.upgrade and spawn_vm inside a subprocess
-- actor: forwarded to the runtime, asked there as the child's actor and
-- performed by its stand-in, as in-process.
local t = require("tap").setup(...)
local u = require "util"
local S = "ward:sandbox"
local me = process.pid()
local function pl(m) if m then return m:payload() end end

local v, e = process.exec("actors:upgrader", S, me, "again")
if t.no_sandbox(v, e) then return end
t.is(v, 3, "upgrade(nil, ...) runs the child's own body anew with the new arguments")

-- upgrade to another definition: PID, mailbox and monitors kept
local c = process.spawn_monitored("actors:upgrader", S, me, "to")
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
local un = process.with_context({}):with_actor("untrusted"):spawn_monitored("actors:upgrader", S, me, "bad")
local r = pl(u.msg_on("refused")) or {}
t.ok(r[1] and r[1][1] == nil and r[1][2] == errors.INVALID, "an argument that cannot be sent is INVALID")
t.ok(r[2] and r[2][1] == nil and r[2][2] == errors.INVALID, "an id that is not a string is INVALID")
t.ok(r[3] and r[3][1] == nil and r[3][2] == errors.PERMISSION_DENIED,
     "an untrusted child may not upgrade to a definition its policy does not let it spawn")
t.like(r[3] and r[3][3], "process%.spawn on actors:upgraded", "... the denial names process.spawn on the definition")
ev = u.event()
t.ok(ev and ev.from == un and ev.result and ev.result.value == "still here",
     "a refused upgrade leaves the child running its body")

-- spawn_vm in a child
local function vm(how, actor)
  local b = process.with_context({})
  if actor then b = b:with_actor(actor) end
  local ch = b:spawn("actors:vmchild", S, me, how)
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

-- a new context would run the child's actor in the runtime, outside the
-- sandbox, whatever hosts its policy allows: refused
ch, ok, why = vm("ctx")
t.ok(not ok, "spawn_vm{inherit_context = false} in a subprocess actor raises")
t.like(why, "a subprocess actor cannot make a new context", "... saying it cannot make a new context")
process.terminate(ch)

-- a subprocess table would let the child choose its children's sandbox --
-- an init script of its own that runs before any lockdown, namespaces and
-- limits weaker than its own: refused, after the permissions are asked
ch, ok, why = vm("sub")
t.ok(not ok, "spawn_vm with a subprocess table in a subprocess actor raises")
t.like(why, "a subprocess actor cannot choose a sandbox", "... saying the child cannot choose a sandbox")
t.ok(u.quiet(process.inbox(), 300), "... and nothing was spawned")
process.terminate(ch)

ch, ok, why = vm("self")
t.ok(ok, "spawn_vm(\".\") in a subprocess actor" .. (ok and "" or ": " .. tostring(why)))
local self = pl(u.msg_on("probe"))
t.is(self, "self", "... runs the child's own definition")
process.terminate(ch)

ch, ok, why = vm("same", "untrusted")
t.ok(not ok, "an untrusted child's spawn_vm of a definition its policy does not grant raises")
t.like(why, "permission denied: process%.spawn on actors:vmprobe", "... with the denial")
ch, ok, why = vm("ctx", "untrusted")
t.like(why, "permission denied: process%.spawn on actors:vmprobe", "... in a new context too")

u.finish(t)
