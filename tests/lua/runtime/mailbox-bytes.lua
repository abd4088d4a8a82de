-- ward-args: --mailbox-bytes 1M
-- mailbox-bytes.lua -- with --mailbox-bytes SIZE the bytes queued for a
-- process are bounded too: a send past them is refused to the sender
-- (nil, UNAVAILABLE), however few the messages; nothing is lost.
local t = require("tap").setup(...)
local u = require "util"
local me = process.pid()
local inbox = process.inbox()
local await = t.await

local sink = process.spawn("actors:sink", "ward:main", me)
local big = string.rep("b", 300 * 1024)
local ok, refused, kinds, msg = u.send_n(sink, 6, function(i) return big .. i end)
t.is(ok, 3, "three messages of 300 KiB fit a 1 MiB mailbox")
t.is(refused, 3, "the other three are refused")
t.ok(kinds.UNAVAILABLE and next(kinds, "UNAVAILABLE") == nil, "every refusal is UNAVAILABLE")
t.like(msg, "full", "the message says the mailbox is full")
t.like(msg, "bytes", "and that bytes are what it is full of")
t.is(process.send(sink, "n", "small"), true, "a small message still fits")
t.err(errors.UNAVAILABLE, "full", "a message over the whole limit is refused",
      process.send, sink, "n", string.rep("x", 1024 * 1024 + 1))
process.cancel(sink, t.ms(60000))
local m = await("drained")
t.is(m and m:payload(), 4, "the receiver got exactly the 4 accepted messages")
t.is(process.send(sink, "n", big), true, "after draining, a big send succeeds again")
m = await("again")
t.is(m and #m:payload(), #big, "and arrives whole")

t.plan(t.run)
t.done()
