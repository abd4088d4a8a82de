-- notfound.lua -- a call aimed at a process that has exited or never
-- existed, or at a name nobody holds, is NOT_FOUND and its message says
-- "not found": the words programs written for Wippy search for, as in
-- `if err and string.find(tostring(err), "not found") then ... end`.
local t = require("tap").setup(...)
local u = require "util"
local H = u.HOST

-- a process that has exited
local dead = process.spawn_monitored("actors:idle", H)
process.send(dead, "stop")
t.ok(u.event_from("EXIT", dead) ~= nil, "the child exited")
local never = "{ward:main|0xffffe}"

local calls = {
  { "send", process.send, "x" }, { "terminate", process.terminate },
  { "cancel", process.cancel, "1s" }, { "monitor", process.monitor },
  { "link", process.link }, { "unlink", process.unlink },
}
for _, c in ipairs(calls) do
  for _, dest in ipairs{ dead, never } do
    local ok, e = c[2](dest, c[3])
    local which = dest == dead and "an exited process" or "a process that never existed"
    t.ok(ok == nil and u.is_err(e, errors.NOT_FOUND), c[1] .. " to " .. which .. ": NOT_FOUND")
    local msg = u.is_err(e, errors.NOT_FOUND) and e:message() or tostring(e)
    t.like(msg, "not found", c[1] .. " to " .. which .. ": the message says \"not found\"")
    t.like(msg, u.esc(dest), c[1] .. " to " .. which .. ": the message names the PID")
  end
end
local ok, e = process.registry.register("nf-name", dead)
t.ok(ok == nil and u.is_err(e, errors.NOT_FOUND, "not found"),
     "register for an exited process: NOT_FOUND, \"not found\"")

-- a name nobody holds
local ok2, e2 = process.send("nobody-holds-this", "x")
t.ok(ok2 == nil and u.is_err(e2, errors.NOT_FOUND, "not found"), "send to a free name: NOT_FOUND, \"not found\"")
t.like(e2 and e2:message(), "`nobody%-holds%-this`", "the message names the name")
local p, e3 = process.registry.lookup("nobody-holds-this")
t.ok(p == nil and u.is_err(e3, errors.NOT_FOUND, "not found"), "lookup of a free name: \"not found\"")

u.finish(t)
