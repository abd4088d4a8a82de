-- mailbox.lua -- a full mailbox is an error returned to the sender, never
-- silent loss; it refills once messages are taken.
-- ward-args: --mailbox 5
local t = require("tap").setup(...)
local u = require "util"
local me = process.pid()

for i = 1, 5 do
  t.is(process.send(me, "fill", i), true, "message " .. i .. " fits")
end
local ok, e = process.send(me, "fill", 6)
t.is(ok, nil, "the sixth send fails")
t.ok(u.is_err(e, errors.UNAVAILABLE), "with UNAVAILABLE")
-- a listened topic counts too
local ch = process.listen("topic")
t.ok(select(2, process.send(me, "topic", 1)) ~= nil, "full for listened topics as well")
-- taking one makes room for one
local m = u.msg()
t.is(m and m:payload(), 1, "the first message is still first")
t.is(process.send(me, "fill", 6), true, "after one receive a send fits again")
t.ok(select(2, process.send(me, "fill", 7)) ~= nil, "and then it is full again")
local got = {}
for _ = 1, 5 do
  local x = u.msg(500)
  got[#got + 1] = x and x:payload()
end
t.is(table.concat(got, ","), "2,3,4,5,6", "nothing was lost or reordered; the refused 7 is absent")
t.ok(u.quiet(process.inbox(), 100), "no refused message slipped in")
t.ok(u.quiet(ch, 50), "the topic channel got nothing")
-- events are not user messages: an EXIT still arrives with a full mailbox
for i = 1, 5 do process.send(me, "fill", i) end
local c = process.spawn_monitored("actors:ret", u.HOST, "v")
local ev = u.event_from("EXIT", c)
t.ok(ev ~= nil and ev.result.value == "v", "an EXIT event is delivered while the mailbox is full")
-- a child told to send to a full mailbox sees the error
local r, err = process.exec("actors:sender", u.HOST, me, "Z", 1)
t.is(r, nil, "a child's send to the full mailbox fails (it raises, so exec fails)")
t.like(err and err:message(), "UNAVAILABLE", "the child's failure is the UNAVAILABLE send")

u.finish(t)
