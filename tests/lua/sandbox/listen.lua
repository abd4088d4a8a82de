-- listen.lua -- in a subprocess actor (ward:sandbox) listen() happens in
-- the child: a message sent to a topic before the child listens waits in
-- its mailbox and is delivered to the listener first, in order; listen()
-- of a topic listened already gives the same channel.
local t = require("tap").setup(...)
local u = require "util"
local S = "ward:sandbox"
local me = process.pid()

local w, e = process.spawn_monitored("actors:latelisten", S, me)
if w == nil and tostring(e):find("not permitted") then
  t.skip_all("this machine does not allow the sandbox's namespaces: " .. tostring(e))
  return
end
t.like(w, "^{ward:sandbox|0x%x+}$", "the worker runs on ward:sandbox")
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
            "the sandboxed worker got every job, the waiting ones first, in order") then
  t.diag("got " .. (type(vals) == "table" and table.concat(vals, ",") or tostring(vals)))
end
t.is(first, "other", "its inbox got only the topic it does not listen to")
local ev = u.event_from("EXIT", w)
t.ok(ev ~= nil and ev.result and ev.result.error == nil, "the worker ended normally")
if ev and ev.result and ev.result.error then t.diag(ev.result.error) end

-- the same channel for the same topic, in the child
local r, e2 = process.exec("actors:relisten", S)
t.is(r, true, "listen twice in a subprocess actor returns the same channel")
if r ~= true then t.diag(tostring(e2)) end

u.finish(t)
