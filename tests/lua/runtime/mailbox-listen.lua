-- ward-args: --mailbox 8 --mailbox-bytes 4K
-- mailbox-listen.lua -- listen() takes the messages of its topic that wait
-- in the inbox, and unlisten() gives them back: they stay in the mailbox
-- all along, so the limits (--mailbox, --mailbox-bytes) count them the
-- same before, during and after; nothing is lost or counted twice. The
-- receiver takes a port's whole queue in one go (its batch) when it pops
-- the first message: listen and unlisten move the batch's messages too,
-- ahead of those still in the port, and each one received frees room.
local t = require("tap").setup(...)
local me = process.pid()
local inbox = process.inbox()

local function full(name, ...)
  local ok, e = process.send(me, ...)
  t.ok(ok == nil and e ~= nil and e:kind() == errors.UNAVAILABLE, name)
  if ok ~= nil or e == nil then t.diag("got " .. tostring(ok) .. ", " .. tostring(e)) end
end
local function recv_now(ch)
  local r = channel.select { ch:case_receive(), default = true }
  return r.channel and r.value
end

-- the message count
for i = 1, 8 do process.send(me, "k", i) end
full("8 messages fill the mailbox", "k", 9)
local k = process.listen("k")
full("listen moved them to its channel: the mailbox is still full", "k", 9)
t.is(recv_now(k), 1, "the first waiting message is on the channel")
t.is(process.send(me, "k", 9), true, "receiving one makes room for one")
full("and for one only", "k", 10)
t.is(process.unlisten(k), true, "unlisten")
full("the queued messages went back to the inbox, still counted", "other", 0)
local got = {}
for _ = 1, 8 do
  local m = recv_now(inbox)
  got[#got + 1] = m and tostring(m:payload()) or "-"
end
t.is(table.concat(got, ","), "2,3,4,5,6,7,8,9", "all of them are in the inbox, in order")
for i = 1, 8 do process.send(me, "refill", i) end
full("the mailbox holds 8 again, no more", "refill", 9)
for _ = 1, 8 do recv_now(inbox) end

-- the byte count
local big = string.rep("b", 1200)
for _ = 1, 3 do process.send(me, "b", big) end
full("3 messages of 1200 bytes leave no room for a fourth", "b", big)
local b = process.listen("b")
full("after listen the bytes are still counted", "b", big)
t.ok(recv_now(b) == big, "one is received from the channel")
t.is(process.send(me, "b", big), true, "which frees its bytes")
process.unlisten(b)
for _ = 1, 3 do t.is(recv_now(inbox) and true, true, "back in the inbox") end
t.is(recv_now(inbox), nil, "and nothing more")

-- the batch: one receive from the inbox took the 5 others with it
for i = 1, 3 do
  process.send(me, "x", i)
  process.send(me, "y", i)
end
t.is(recv_now(inbox):payload(), 1, "the first of 6 is received from the inbox")
t.is(process.send(me, "y", 4), true, "a later y")
local y = process.listen("y")
local ys = {}
for _ = 1, 4 do ys[#ys + 1] = tostring(recv_now(y)) end
t.is(table.concat(ys, ","), "1,2,3,4", "listen took the y's of the batch first, then the later one")
local xs = {}
for _ = 1, 2 do
  local m = recv_now(inbox)
  xs[#xs + 1] = m and m:topic() .. m:payload() or "-"
end
t.is(table.concat(xs, ","), "x2,x3", "the inbox kept the batch's x's, in order")
for i = 1, 3 do process.send(me, "y", 4 + i) end
t.is(recv_now(y), 5, "the channel takes its own batch")
process.send(me, "z", 1)
t.is(process.unlisten(y), true, "unlisten with a batch in hand")
local rest = {}
for _ = 1, 3 do
  local m = recv_now(inbox)
  rest[#rest + 1] = m and m:topic() .. m:payload() or "-"
end
t.is(table.concat(rest, ","), "z1,y6,y7", "its messages went back to the inbox, after what was there")
t.is(recv_now(inbox), nil, "nothing lost, nothing twice")
for i = 1, 8 do process.send(me, "w", i) end
full("8 again fill the mailbox", "w", 9)
t.is(recv_now(inbox):payload(), 1, "one received: the other 7 are the batch")
t.is(process.send(me, "w", 9), true, "and a message received from a batch frees its room")
full("one room only", "w", 10)

print("1.." .. t.run)
t.done()
