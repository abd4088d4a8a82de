-- ward-args: --mailbox 10
-- mailbox.lua -- DESIGN 2.0: with --mailbox N a full mailbox is an error
-- (nil, UNAVAILABLE) returned to the sender, never silent loss.
local t = require("tap").setup(...)
local u = require "util"
local me = process.pid()
local inbox = process.inbox()
local await = t.await

-- one sender
do
  local sink = process.spawn("actors:sink", "ward:main", me)
  local ok, refused, kinds, msg = u.send_n(sink, 25, function(i) return i end)
  t.is(ok, 10, "the first 10 sends succeed")
  t.is(refused, 15, "the other 15 are refused")
  t.ok(kinds.UNAVAILABLE and next(kinds, "UNAVAILABLE") == nil and next(kinds) == "UNAVAILABLE",
       "every refusal is UNAVAILABLE")
  t.like(msg, "full", "the message says the mailbox is full")
  t.err(errors.UNAVAILABLE, "full", "a further send: nil, UNAVAILABLE", process.send, sink, "n", 26)
  process.cancel(sink, t.ms(60000))
  local m = await("drained")
  t.is(m and m:payload(), 10, "the receiver got exactly the 10 accepted messages")
  t.is(select(2, m:payload()), "1,2,3,4,5,6,7,8,9,10", "in order, nothing lost")
  t.is(select(3, m:payload()), "CANCEL", "(events are not counted against the mailbox)")
  t.is(process.send(sink, "n", "room"), true, "after draining, sends succeed again")
  m = await("again")
  t.is(m and m:payload(), "room", "and arrive")
end

-- several senders: every message is either refused to its sender or delivered
do
  local sink = process.spawn("actors:sink", "ward:main", me)
  for i = 1, 3 do process.spawn("actors:sender", "ward:main", sink, "n", 10, me) end
  local ok, refused, kinds = 0, 0, {}
  for _ = 1, 3 do
    local m = await("sent")
    local o, r, k = m:payload()
    ok, refused = ok + o, refused + r
    if k then kinds[k] = true end
  end
  t.is(ok + refused, 30, "3 senders x 10: every send accounted for")
  t.is(ok, 10, "exactly the mailbox's 10 were accepted")
  t.ok(refused == 0 or kinds.UNAVAILABLE, "refusals are UNAVAILABLE")
  process.cancel(sink, t.ms(60000))
  local m = await("drained")
  t.is(m and m:payload(), ok, "the receiver got exactly the accepted ones")
  process.send(sink, "n", "bye")
end

-- the Emilua face: a tx-channel send to a full inbox raises
do
  local ch = spawn_vm("actors:vmworker")
  ch:send{ op = "hello", pid = me }
  await("hello")
  -- (the worker sleeps far longer than 20 sends take, however loaded)
  ch:send{ op = "sleep", ms = t.ms(2000) }
  local sent, err = 0, nil
  for i = 1, 20 do
    local ok, e = pcall(ch.send, ch, { op = "echo", value = i })
    if ok then sent = sent + 1 else err = e; break end
  end
  t.ok(sent >= 9 and sent <= 10, "a tx-channel accepts about the mailbox size (" .. sent .. ")")
  t.like(err, "full", "then send raises \"mailbox ... is full\"")
  local got = 0
  for _ = 1, sent do
    if await("echo") then got = got + 1 end
  end
  t.is(got, sent, "every accepted value arrived")
  ch:send{ op = "quit" }
end

t.plan(t.run)
t.done()
