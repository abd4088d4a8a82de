-- listen.lua -- in a subprocess actor (ward:sandbox) listen() happens in
-- the child: a message sent to a topic before the child listens waits in
-- its mailbox and is delivered to the listener first, in order; listen()
-- of a topic listened already gives the same channel.
local t = require("tap").setup(...)
local u = require "util"
local S = "ward:sandbox"
local me = process.pid()

local w, e = process.spawn_monitored("actors:latelisten", S, me)
if t.no_sandbox(w, e) then return end
t.like(w, "^{ward:sandbox|0x%x+}$", "the worker runs on ward:sandbox")
require("pending")(t, u, w, "sandboxed worker")
local ev = u.event_from("EXIT", w)
t.ok(ev ~= nil and ev.result and ev.result.error == nil, "the worker ended normally")
if ev and ev.result and ev.result.error then t.diag(ev.result.error) end

-- the same channel for the same topic, in the child
local r, e2 = process.exec("actors:relisten", S)
t.is(r, true, "listen twice in a subprocess actor returns the same channel")
if r ~= true then t.diag(tostring(e2)) end

u.finish(t)
