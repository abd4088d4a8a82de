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
require("pending")(t, u, w, "worker")
t.ok(u.event_from("EXIT", w) ~= nil, "the worker ended")

-- a listen channel made later than a receive on the inbox: the inbox had
-- the message by then (no listener when it was received)
process.send(me, "early", 1)
local im = u.recv(process.inbox())
t.is(im and im:topic(), "early", "received from the inbox before anyone listened: the inbox's")
local early = process.listen("early")
t.ok(u.quiet(early, 50), "and the later listener does not get it again")

u.finish(t)
