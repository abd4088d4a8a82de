-- listen-pending.lua -- a message sent to a topic before the receiver
-- listens to it waits in the mailbox; listen(topic) delivers the waiting
-- ones first, in order; the inbox gets only topics nobody listens to. The
-- usual Wippy worker: spawned, sent its job at once, then it listens.
local t = require("tap").setup(...)
local u = require "util"
local H = u.HOST
local me = process.pid()

-- the worker listens to "go" only after it started, and to "job" only after
-- "go" came: everything below is sent before at least one of those listens
local w = process.spawn_monitored("actors:latelisten", H, me)
t.is(process.send(w, "job", 1), true, "send job 1 right after the spawn")
t.is(process.send(w, "other", "x"), true, "a message of another topic")
t.is(process.send(w, "job", 2), true, "job 2")
t.is(process.send(w, "go"), true, "go")
t.is(process.send(w, "job", 3), true, "job 3")
t.is(process.send(w, "job", "end"), true, "end")
local m = u.msg_on("got")
local vals, first = nil, nil
if m then vals, first = m:payload() end
if not t.ok(type(vals) == "table" and table.concat(vals, ",") == "1,2,3",
            "the worker got every job, the waiting ones first, in order") then
  t.diag("got " .. (type(vals) == "table" and table.concat(vals, ",") or tostring(vals)))
end
t.is(first, "other", "its inbox got only the topic it does not listen to")
t.ok(u.event_from("EXIT", w) ~= nil, "the worker ended")

-- a listen channel made later than a receive on the inbox: the inbox had
-- the message by then (no listener when it was received)
process.send(me, "early", 1)
local im = u.recv(process.inbox())
t.is(im and im:topic(), "early", "received from the inbox before anyone listened: the inbox's")
local early = process.listen("early")
t.ok(u.quiet(early, 50), "and the later listener does not get it again")

u.finish(t)
