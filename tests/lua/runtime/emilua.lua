-- emilua.lua -- the Emilua face: spawn_vm, its tx-channels, require "inbox",
-- _CONTEXT, thread pools, and the option errors.
if _CONTEXT == "worker" then
  -- spawn_vm(".") runs this very file as a worker.
  local inbox = require "inbox"
  local m = inbox.receive()
  process.send(m.pid, "dot", _CONTEXT, process.pid(), m.value)
  return
end

local ctx0 = _CONTEXT                 -- before any require
local t = require("tap").setup(...)
local me = process.pid()
local inbox = process.inbox()

local await = t.await

local function payload(m)
  if m == nil then return nil end
  return m:payload()
end

local raises = t.raises

-- ---- _CONTEXT ----
t.is(ctx0, "main", "_CONTEXT is \"main\" in the first process")
t.is(_CONTEXT, "main", "_CONTEXT is still \"main\" after require \"tap\"")
do
  local mod = require "actors.ctxmod"
  t.is(mod.ctx, nil, "a module loaded with require does not see _CONTEXT")
  t.ok(mod.has_process and mod.has_channel, "but it sees the other globals")
  t.is(_CONTEXT, "main", "_CONTEXT is still \"main\" after a module ran")
end

-- ---- the returned channel counts from the start ----
do
  -- A worker that receives at once must never find its inbox "closed"
  -- before spawn_vm has returned the channel to its parent.
  local closed = 0
  for i = 1, 300 do
    local w = spawn_vm("actors:vmonce", { inherit_context = (i % 2 == 0) })
    local ok = pcall(w.send, w, me)
    if not ok then closed = closed + 1 end
  end
  local got = 0
  for _ = 1, 300 do
    local m = await("once")
    if not m then break end
    if m:payload() == true then got = got + 1 end
  end
  t.is(closed, 0, "300 spawn_vm: every send to a fresh worker succeeds")
  t.is(got, 300, "300 spawn_vm: every fresh worker received its first value")
end

-- ---- a worker that exits at once ----
do
  -- spawn_vm must not read the child after it may have exited (and been
  -- freed): the channel must still name the actor it was made for.
  local badname, sent_ok, exited = 0, 0, 0
  for i = 1, 300 do
    local w = spawn_vm("actors:quick", { inherit_context = (i % 2 == 0) })
    local ok, e = pcall(w.send, w, i)
    if ok then sent_ok = sent_ok + 1
    elseif tostring(e):find("actor {ward:[%w.:]+|0x%x+} has exited") then exited = exited + 1
    else badname = badname + 1; if badname == 1 then t.diag(e) end end
  end
  t.is(badname, 0, "300 workers that exit at once: every channel still names its actor")
  t.is(sent_ok + exited, 300, "a send either succeeds or says the actor has exited")
end

-- ---- spawn_vm of a module, values through the channel ----
local ch = spawn_vm("actors:vmworker")
t.is(getmetatable(ch), "channel", "spawn_vm returns a (protected) channel")
ch:send{ op = "hello", pid = me }
local ctx, wpid, modctx, ctx_after = payload(await("hello"))
t.is(ctx, "worker", "_CONTEXT is \"worker\" in a spawned actor")
t.is(ctx_after, "worker", "and still \"worker\" after the actor required a module")
t.like(wpid, "^{ward:main|0x%x+}$", "an inheriting worker runs on ward:main")
t.ok(wpid ~= me, "the worker is another process")
t.is(modctx, nil, "a module required by the worker does not see _CONTEXT either")

local values = {
  { 42, "integer" }, { 4.5, "float" }, { 2.0, "float 2.0" }, { "text", "string" },
  { "\0bin\255\0", "binary string" }, { true, "true" }, { false, "false" },
}
for _, v in ipairs(values) do
  ch:send(v[1])
  local got, mt = payload(await("raw"))
  t.ok(got == v[1] and mt == math.type(v[1]), "a raw " .. v[2] .. " arrives intact")
end
ch:send(nil)
do
  local m = await("raw")
  t.ok(m ~= nil and m:payload() == nil, "nil can be sent and arrives as nil")
end
ch:send{ op = "echo", value = { list = { 1, 2, 3 }, nested = { deep = { "x" } }, [10] = "ten" } }
do
  local v = payload(await("echo"))
  t.ok(type(v) == "table" and #v.list == 3 and v.nested.deep[1] == "x" and v[10] == "ten",
       "a nested table arrives intact")
end
do
  -- order is kept
  for i = 1, 50 do ch:send{ op = "echo", value = i } end
  local inorder = true
  for i = 1, 50 do
    if payload(await("echo")) ~= i then inorder = false end
  end
  t.ok(inorder, "50 values arrive in order")
end

-- ---- channel send errors ----
raises("", "sending a function raises", ch.send, ch, print)
raises("", "sending a table with a metatable raises", ch.send, ch, setmetatable({}, {}))
raises("", "sending a local channel.new channel raises", ch.send, ch, channel.new(1))
raises("bad argument", "send with no value raises", ch.send, ch)

-- ---- subprocess-only methods ----
raises("only the channel spawn_vm returned for a subprocess actor", "ch:detach() raises",
       ch.detach, ch)
raises("only the channel spawn_vm returned for a subprocess actor", "ch:kill() raises", ch.kill, ch)
raises("only the channel spawn_vm returned for a subprocess actor", "ch:kill(9) raises",
       ch.kill, ch, 9)
raises("only the channel spawn_vm returned for a subprocess actor", "ch.child_pid raises",
       function() return ch.child_pid end)

-- ---- a channel inside a message ----
do
  local other = spawn_vm("actors:vmworker")
  other:send{ op = "hello", pid = me }
  await("hello")
  ch:send{ op = "chan", ch = other }
  local back, mt = payload(await("chan"))
  t.is(mt, "channel", "a channel received in a message is a channel")
  t.ok(back == other, "it is equal (==) to the original channel")
  t.ok(back ~= ch, "and not equal to a channel to another actor")
  -- the worker can use the channel it received
  ch:send{ op = "hold", ch = other, value = "via a forwarded channel" }
  local sent, err = payload(await("held"))
  t.ok(sent == true, "the worker sent through the received channel")
  if not sent then t.diag(err) end
  t.is(payload(await("echo")), "via a forwarded channel", "and the target got it")
  -- a worker answers its parent: `ch` gets a channel to itself and spawns a
  -- child that answers through it
  ch:send{ op = "spawn_child", self = ch, value = 21 }
  local v, cctx = payload(await("child_answer"))
  t.is(v, 42, "a child answered its parent through a channel sent in a message")
  t.is(cctx, "worker", "the grandchild's _CONTEXT is \"worker\"")
  other:send{ op = "quit" }
end

-- ---- channel close -> "channel closed" in the worker ----
do
  local w = spawn_vm("actors:vmworker")
  w:send{ op = "hello", pid = me }
  await("hello")
  w:send{ op = "echo", value = "last" }
  w:close()
  t.is(payload(await("echo")), "last", "what was sent before close still arrives")
  local msg = payload(await("closed"))
  t.like(msg, "channel closed", "inbox.receive raises \"channel closed\" once every channel is closed")
  raises("closed", "send on a closed channel raises", w.send, w, 1)
  local ok2, e2 = pcall(w.close, w)
  t.ok(ok2, "closing a channel twice does not raise")
  if not ok2 then t.diag(e2) end
  raises("closed", "... and the channel stays closed", w.send, w, 2)
end

-- ---- a channel in flight keeps the actor's inbox open ----
do
  local x = spawn_vm("actors:vmworker")
  local y = spawn_vm("actors:vmworker")
  x:send{ op = "hello", pid = me }
  y:send{ op = "hello", pid = me }
  await("hello"); await("hello")
  y:send{ op = "sleep", ms = 300 }
  y:send{ op = "hold", ch = x, value = "from y" }
  x:close()                          -- the copy in the message to y is still open
  local sent, err = payload(await("held"))
  t.ok(sent == true, "a channel sent in a message works after the sender closed its own")
  if not sent then t.diag(err) end
  t.is(payload(await("echo")), "from y", "the actor got the message (its inbox was not closed)")
  local m = await("closed", "200ms")
  t.ok(m == nil, "the actor did not see \"channel closed\" while a channel to it was in flight")
  y:send{ op = "quit" }
end

-- ---- spawn_vm(".") ----
do
  local d = spawn_vm(".")
  d:send{ pid = me, value = "dot" }
  local c2, dpid, v = payload(await("dot"))
  t.is(c2, "worker", "spawn_vm(\".\") runs this file with _CONTEXT = \"worker\"")
  t.ok(dpid ~= nil and dpid ~= me, "as another process")
  t.is(v, "dot", "and it received the value")
end

-- ---- process.spawn children are workers too ----
do
  local d = spawn_vm(".")
  d:send{ pid = me, value = 1 }
  t.ok(await("dot") ~= nil, "a second spawn_vm(\".\") works")
end

-- ---- inherit_context = false: a new pool ----
do
  local p1 = spawn_vm("actors:vmworker", { inherit_context = false })
  p1:send{ op = "hello", pid = me }
  local c1, pid1 = payload(await("hello"))
  t.like(pid1, "^{ward:context%.%d+|0x%x+}$", "inherit_context = false runs on ward:context.N")
  t.is(c1, "worker", "_CONTEXT is \"worker\" there")
  local p2 = spawn_vm("actors:vmworker", { inherit_context = false, concurrency_hint = 2 })
  p2:send{ op = "hello", pid = me }
  local _, pid2 = payload(await("hello"))
  t.ok(pid1 and pid2 and pid1:match("^{([^|]+)") ~= pid2:match("^{([^|]+)"),
       "each inherit_context = false spawn makes its own pool")
  p2:send{ op = "threads", n = 1 }
  local ok, err = payload(await("threads"))
  t.ok(ok == true, "spawn_context_threads(1) in the new pool works")
  if not ok then t.diag(err) end
  p2:send{ op = "threads", n = 0 }
  ok, err = payload(await("threads"))
  t.ok(ok == false and tostring(err):find("out of range") ~= nil,
       "spawn_context_threads(0) raises")
  p2:send{ op = "echo", value = "still here" }
  t.is(payload(await("echo")), "still here", "the pool with an added thread still runs")
  p1:send{ op = "quit" }; p2:send{ op = "quit" }
  local p3 = spawn_vm("actors:vmworker", { inherit_context = true, concurrency_hint = "safe" })
  p3:send{ op = "hello", pid = me }
  local _, pid3 = payload(await("hello"))
  t.like(pid3, "^{ward:main|", "inherit_context = true stays on the parent's pool")
  p3:send{ op = "quit" }
end
do
  local ok = pcall(spawn_context_threads, 1)
  t.ok(ok, "spawn_context_threads(1) in the first process works")
  raises("out of range", "spawn_context_threads(257) raises", spawn_context_threads, 257)
  raises("out of range", "spawn_context_threads(-1) raises", spawn_context_threads, -1)
  raises("", "spawn_context_threads(\"x\") raises", spawn_context_threads, "x")
end

-- ---- new_master ----
do
  -- The new master outlives this process: it ends when its channel closes,
  -- which happens when this process ends.
  local ok, m = pcall(spawn_vm, "actors:vmworker", { new_master = true })
  t.ok(ok and m ~= nil, "spawn_vm{new_master = true} works")
  if ok then m:send{ op = "hello", pid = me }; await("hello") end
  local ok2, m2 = pcall(spawn_vm, "actors:vmworker", { new_master = true })
  t.ok(ok2, "asking new_master again (no longer master) is harmless")
  if ok2 then m2:send{ op = "quit" } end
end

-- ---- option errors ----
raises("unknown option `bogus`", "an unknown option raises",
       spawn_vm, "actors:vmworker", { bogus = true })
raises("unknown option", "a non-string option key raises", spawn_vm, "actors:vmworker", { true })
raises("subprocess: unknown field `bogus`", "an unknown subprocess field raises",
       spawn_vm, "actors:vmworker", { subprocess = { bogus = 1 } })
raises("must be a boolean", "a namespace flag that is not a boolean raises",
       spawn_vm, "actors:vmworker", { subprocess = { newns_user = 1 } })
raises("concurrency_hint", "concurrency_hint = 0 raises",
       spawn_vm, "actors:vmworker", { inherit_context = false, concurrency_hint = 0 })
raises("concurrency_hint", "concurrency_hint = \"fast\" raises",
       spawn_vm, "actors:vmworker", { concurrency_hint = "fast" })
raises("concurrency_hint", "concurrency_hint = 1.5 raises",
       spawn_vm, "actors:vmworker", { concurrency_hint = 1.5 })
raises("", "options that are not a table raise", spawn_vm, "actors:vmworker", 5)
raises("", "a module that does not exist raises", spawn_vm, "actors:does_not_exist")
raises("bad process id", "a malformed module id raises", spawn_vm, "no colon here")
raises("", "spawn_vm without a module raises", spawn_vm)

-- ---- sending to an actor that has exited ----
do
  local w = spawn_vm("actors:vmworker")
  w:send{ op = "hello", pid = me }
  local _, wpid = payload(await("hello"))
  process.monitor(wpid)
  w:send{ op = "quit" }
  local events, gone = process.events(), t.after(60000)
  while true do
    local r = channel.select{ events:case_receive(), gone:case_receive() }
    if r.channel ~= events or (r.value.kind == "EXIT" and r.value.from == wpid) then break end
  end
  raises("exited", "send to an actor that has exited raises", w.send, w, 1)
end

ch:send{ op = "quit" }
t.plan(t.run)
t.done()
