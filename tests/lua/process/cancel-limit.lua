-- cancel-limit.lua -- cancels cannot flood a process: one CANCEL per
-- sender waits in its events at a time (a repeated cancel moves its
-- deadline to the earlier one); and a process whose mailbox is full still
-- gets its CANCEL.
-- ward-args: --mailbox 3
local t = require("tap").setup(...)
local u = require "util"
local H = u.HOST
local me = process.pid()
local x = process.spawn_monitored("actors:deaf", H)
local all = true
for _ = 1, 1000 do all = process.cancel(x, "60s") == true and all end
t.ok(all, "1000 cancels of one process are all accepted")
for i = 1, 3 do process.send(x, "n", i) end
local sok, serr = process.send(x, "n", 4)
t.ok(sok == nil and u.is_err(serr, errors.UNAVAILABLE, "full"), "its mailbox is now full")
t.is(process.cancel(x, "200ms"), true, "a cancel still reaches it")
local ev = u.event_from("EXIT", x)
t.ok(ev and tostring(ev.result.error):find("deadline") ~= nil,
     "and the earlier deadline ends it (" .. tostring(ev and ev.result.error) .. ")")
-- a process reading its events sees one CANCEL, not a thousand
local r = process.spawn("actors:count_events", H, me)
for _ = 1, 1000 do process.cancel(r, "60s") end
process.send(r, "report")
local m = u.msg_on("events")
t.is(m and m:payload(), 1, "1000 cancels from one sender arrive as one CANCEL")
process.terminate(r)
u.finish(t)
