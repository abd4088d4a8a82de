-- quotas.lua -- what a subprocess actor can make the runtime hold is
-- bounded: descriptors it sent that nobody received yet (per sender, then
-- per receiving mailbox), and the live children of a sandboxed host's
-- processes. Past a bound the call fails with UNAVAILABLE, and receiving
-- gives the quota back. (exhaust.sh counts the runtime's descriptors.)
-- ward-args: --sandbox-fds 40 --mailbox-fds 60 --sandbox-children 3
local t = require("tap").setup(...)
local u = require "util"
local fd = require "fd"
local S = "ward:sandbox"
local me = process.pid()

local flooded = process.listen("flooded", { message = true })
local function report()
  local m = u.recv(flooded)
  if not m then return nil, "no report" end
  local n, kind, msg = m:payload()
  return n, kind, msg
end

local a, e = process.spawn_monitored("actors:fdflood", S, me)
if t.no_sandbox(a, e) then return end
t.ok(a ~= nil, "a child that floods its parent with descriptors starts")

-- per sender: 40 in flight, then its send fails (the parent reads nothing)
local n, kind, msg = report()
t.is(n, 40, "the child's sends succeed up to its limit of descriptors in flight")
t.is(kind, "UNAVAILABLE", "then its send fails with UNAVAILABLE")
t.like(msg, "already has 40 descriptors in flight, not yet received %(the limit is 40%)",
       "and the error names the limit")

-- per mailbox: a second child gets only what is left of the parent's 60
local b = assert(process.spawn_monitored("actors:fdflood", S, me))
n, kind, msg = report()
t.is(n, 20, "a second child fills the parent's mailbox to its limit of 60")
t.like(msg, "mailbox of " .. u.esc(me) .. " already holds 60 descriptors %(the limit is 60%)",
       "then its send fails, naming the receiver's limit")

-- receiving gives the quota back, and every descriptor is closed
local got = 0
while true do
  local m = u.recv(process.inbox(), u.ms(1000))
  if not m then break end
  if m:topic() == "flood" then
    local r = m:payload()
    if fd.is(r) then got = got + 1 r:close() end
  end
  if got == 60 then break end
end
t.is(got, 60, "the parent receives the 60 descriptors queued for it")
process.send(a, "again")
n = report()
t.is(n, 40, "a child whose descriptors were received may send as many again")
for _ = 1, 40 do
  local m = u.recv(process.inbox(), u.ms(1000))
  if m then m:payload():close() end
end
process.send(a, "stop")
process.send(b, "stop")
local exits = {}
for _ = 1, 2 do
  local ev = u.event()
  if ev and ev.kind == process.event.EXIT then exits[ev.from] = ev.result.value end
end
t.ok(exits[a] == "stopped" and exits[b] == "stopped", "both children end normally")

-- children: a process of a sandboxed host may have 3 live ones here
local sp = assert(process.with_context({}):with_actor("untrusted"):spawn_monitored("actors:spawnloop", S, me))
local m = u.msg_on("spawned")
local sn, skind, smsg
if m then sn, skind, smsg = m:payload() end
t.is(sn, 3, "an untrusted child spawns helpers up to its host's limit of live children")
t.is(skind, "UNAVAILABLE", "then its spawn fails with UNAVAILABLE")
t.like(smsg, "already has 3 live children %(the limit of host ward:sandbox%)",
       "and the error names the limit")
-- a trusted process is not bound by it (it is not on the sandboxed host)
local kids = {}
for i = 1, 5 do kids[i] = process.spawn("actors:ret", "ward:main", i, 1) end
t.ok(#kids == 5, "a trusted process still spawns past that number")
process.send(sp, "stop")
t.ok(u.event_from(process.event.EXIT, sp) ~= nil, "the spawner ends")
u.finish(t)
