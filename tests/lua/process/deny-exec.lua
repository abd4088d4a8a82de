-- deny-exec.lua -- process.exec denied.
-- ward-args: --deny process.exec
local t = require("tap").setup(...)
local u = require "util"
local H = u.HOST
local me = process.pid()

u.denied(t, "exec", "process.exec", "actors:ping", process.exec, "actors:ping", H, me)
u.denied(t, "exec of another id", "process.exec", "actors:ret", process.exec, "actors:ret", H)
t.ok(u.msg_on("ping", 300) == nil, "the denied exec ran nothing")
local c = process.spawn("actors:ping", H, me)
t.like(c, u.PID_PATTERN, "spawn is not affected")
t.ok(u.msg_on("ping") ~= nil, "the spawned child ran")
-- a child's exec is denied too
local c2 = process.spawn_monitored("actors:exec_wrap", H, me, "actors:ret", 1)
local ev = u.event_from("EXIT", c2)
t.like(ev and ev.result.error, "permission denied: process%.exec on actors:ret", "a child's exec is denied too")

u.finish(t)
