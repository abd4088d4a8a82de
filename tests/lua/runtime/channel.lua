-- channel.lua -- channel.new, send/receive/close, select and its errors,
-- and the mailbox channels (inbox, events) as select cases.
local t = require("tap").setup(...)

local function raises(pattern, name, f, ...)
  local ok, e = pcall(f, ...)
  local good = not ok and type(e) == "string" and e:find(pattern) ~= nil
  t.ok(good, name)
  if not good then t.diag("got " .. tostring(ok) .. ", " .. tostring(e)) end
end

-- ---- channel.new and capacity ----
local c0 = channel.new()
t.ok(c0 ~= nil, "channel.new() with no capacity works")
t.is(getmetatable(c0), "channel", "a channel's metatable is protected")
raises("would block forever", "send on a capacity-0 channel raises (nobody can receive)",
       c0.send, c0, 1)
local c0b = channel.new(0)
raises("would block forever", "channel.new(0) is unbuffered too", c0b.send, c0b, 1)
t.err(errors.INVALID, "capacity", "channel.new(-1) -> nil, INVALID", channel.new, -1)
t.err(errors.INVALID, "capacity", "channel.new(2^24 + 1) -> nil, INVALID",
      channel.new, (1 << 24) + 1)
t.err(errors.INVALID, nil, "channel.new(math.mininteger) -> nil, INVALID",
      channel.new, math.mininteger)
t.ok(channel.new(1 << 24) ~= nil, "channel.new(2^24) (the maximum) works")
do
  -- A non-integral capacity is refused, either as nil, INVALID or a raise.
  local ok, v, e = pcall(channel.new, 1.5)
  t.ok((ok and v == nil and e and e:kind() == errors.INVALID) or not ok,
       "channel.new(1.5) is refused")
  ok, v, e = pcall(channel.new, "many")
  t.ok((ok and v == nil and e and e:kind() == errors.INVALID) or not ok,
       "channel.new(\"many\") is refused")
end

-- ---- send / receive ----
local c = channel.new(3)
t.is(c:send("a"), true, "send returns true while there is room")
t.is(c:send(2), true, "second send")
t.is(c:send(nil), true, "nil can be sent")
raises("would block forever", "send on a full channel raises", c.send, c, "overflow")
raises("capacity 3", "the error names the capacity", c.send, c, "overflow")
local v, ok = c:receive()
t.ok(v == "a" and ok == true, "receive returns the first value, true")
v, ok = c:receive()
t.ok(v == 2 and ok == true and math.type(v) == "integer", "FIFO order, integer kept")
v, ok = c:receive()
t.ok(v == nil and ok == true, "a sent nil arrives as nil, true")
raises("would block forever", "receive on an empty channel.new channel raises",
       c.receive, c)
do
  local tbl = {}
  c:send(tbl)
  t.ok(rawequal(c:receive(), tbl), "a local channel passes the very table (no copy)")
end
raises("bad argument", "send with no value raises", c.send, c)

-- ---- close ----
local cc = channel.new(4)
cc:send(1); cc:send(2)
t.is(cc:close(), true, "close returns true")
t.is(cc:close(), true, "closing twice is harmless")
raises("closed", "send on a closed channel raises", cc.send, cc, 3)
v, ok = cc:receive()
t.ok(v == 1 and ok == true, "buffered values drain after close (1)")
v, ok = cc:receive()
t.ok(v == 2 and ok == true, "buffered values drain after close (2)")
v, ok = cc:receive()
t.ok(v == nil and ok == false, "receive on a closed, empty channel -> nil, false")
v, ok = cc:receive()
t.ok(v == nil and ok == false, "and again (it does not block or raise)")
do
  local r = channel.select{ cc:case_receive() }
  t.ok(r.channel == cc and r.ok == false and r.value == nil,
       "select on a closed channel is ready with ok = false")
  raises("closed", "case_send on a closed channel raises in select",
         channel.select, { cc:case_send(1) })
end

-- ---- select ----
local a, b, d = channel.new(2), channel.new(2), channel.new(2)
a:send("from a"); b:send("from b")
local r = channel.select{ a:case_receive(), b:case_receive() }
t.ok(r.channel == a, "select: the first ready case in order wins")
t.ok(rawequal(r.channel, a), "r.channel is the very channel object")
t.is(r.value, "from a", "select: value")
t.is(r.ok, true, "select: ok")
r = channel.select{ d:case_receive(), a:case_receive(), b:case_receive() }
t.ok(r.channel == b and r.value == "from b", "select skips cases that are not ready")
r = channel.select{ a:case_receive(), b:case_receive(), default = true }
t.ok(r.default == true and r.channel == nil, "default = true returns {default = true}")
do
  local t0 = time.now()
  for _ = 1, 100 do channel.select{ a:case_receive(), default = true } end
  t.ok(time.now() - t0 < t.ms(5000), "default = true does not block")
end
r = channel.select{ default = true }
t.ok(r.default == true, "select with only default = true")

-- case_send
local full, room = channel.new(1), channel.new(1)
full:send("x")
r = channel.select{ full:case_send("no"), room:case_send("yes") }
t.ok(r.channel == room and r.ok == true, "case_send: the channel with room wins")
t.is(r.value, nil, "case_send result has no value")
t.is(room:receive(), "yes", "the value sent through case_send arrived")
t.is(full:receive(), "x", "the full channel kept its old value only")
r = channel.select{ full:case_send(1), default = true }
t.ok(r.channel == full and r.ok, "case_send on a channel with room (after draining)")
full:receive()
full:send("busy")
r = channel.select{ full:case_send(2), default = true }
t.ok(r.default == true, "case_send on a full channel with default -> default")
r = channel.select{ full:case_receive(), room:case_send("z") }
t.ok(r.channel == full and r.value == "busy",
     "a receive case before a ready send case wins")
t.is(room:send("w"), true, "room can still be used after select")
room:receive()

-- mixed select with the inbox: a message to self wins over an empty local channel
do
  local inbox = process.inbox()
  t.ok(inbox == process.inbox(), "process.inbox() returns the same channel each time")
  t.ok(process.events() == process.events(), "process.events() too")
  process.send(process.pid(), "self", 42)
  local e = channel.new(1)
  r = channel.select{ e:case_receive(), inbox:case_receive() }
  t.ok(r.channel == inbox, "select: inbox case is ready with a message to self")
  t.ok(r.ok and r.value:topic() == "self" and r.value:payload() == 42,
       "select: the inbox value is the Message")
  -- blocking select on the inbox: a helper answers after we block
  local echo = process.spawn("actors:echo", "ward:main")
  process.send(echo, "ping", "p1")
  r = channel.select{ e:case_receive(), inbox:case_receive(), t.after(60000):case_receive() }
  t.ok(r.channel == inbox and r.value:topic() == "ping" and r.value:payload() == "p1",
       "select blocks until the inbox receives")
  process.send(echo, "stop")
end

-- ---- select errors ----
raises("no cases", "select{} raises: no cases", channel.select, {})
raises("table expected", "select(nil) raises", channel.select, nil)
do
  local cs = a:case_receive()
  t.is(getmetatable(cs), "select case", "a case has a protected metatable")
  cs.channel = "not a channel"
  raises("altered", "select with an altered case (channel) raises", channel.select, { cs })
  local cs2 = a:case_receive()
  cs2.op = nil
  raises("altered", "select with an altered case (op removed) raises", channel.select, { cs2 })
  local cs3 = a:case_receive()
  cs3.channel = process.inbox
  raises("altered", "select with a function as channel raises", channel.select, { cs3 })
end
raises("not made by case_receive", "a plain table is not a case",
       channel.select, { { channel = a, op = "receive" } })
raises("case 2 is not made", "a non-case entry after a case", channel.select,
       { a:case_receive(), 5 })
raises("not made by case_receive", "a channel itself is not a case", channel.select, { a })
raises("not made by case_receive", "a non-case entry fails even with default = true",
       channel.select, { "x", default = true })

-- ---- would block forever ----
do
  local e1, e2 = channel.new(1), channel.new()
  raises("would block forever", "select on only empty local channels raises",
         channel.select, { e1:case_receive(), e2:case_receive() })
  local f1 = channel.new(1); f1:send(1)
  raises("would block forever", "select on a full local channel's send raises",
         channel.select, { f1:case_send(2) })
  raises("would block forever", "receive on an empty channel.new(0) raises",
         e2.receive, e2)
end

-- ---- inbox and events cannot be closed or sent on ----
do
  local inbox, events = process.inbox(), process.events()
  raises("cannot be closed", "inbox:close() raises", inbox.close, inbox)
  raises("cannot be closed", "events:close() raises", events.close, events)
  raises("cannot send", "inbox:send raises", inbox.send, inbox, 1)
  raises("cannot send", "case_send on the inbox raises in select",
         channel.select, { inbox:case_send(1) })
  -- after the failed close the inbox still works
  process.send(process.pid(), "still", "open")
  local m, ok2 = inbox:receive()
  t.ok(ok2 and m:topic() == "still", "the inbox still works after a refused close")
  -- a listen channel can be closed; its messages then go to the inbox
  local l = process.listen("topic.x")
  process.send(process.pid(), "topic.x", 7)
  t.is(l:close(), true, "a listen channel can be closed")
  local rr = channel.select{ inbox:case_receive(), t.after(60000):case_receive() }
  t.ok(rr.channel == inbox and rr.value:topic() == "topic.x",
       "after close the queued listen message went to the inbox")
  local v2, ok3 = l:receive()
  t.ok(v2 == nil and ok3 == false, "receive on a closed listen channel -> nil, false")
end

t.plan(t.run)
t.done()
