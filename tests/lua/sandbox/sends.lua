-- sends.lua -- a subprocess actor's process.send: the small ones the
-- runtime's reader performs itself, the others its stand-in, with the
-- same judgement, the same errors and the order of one sender kept; and
-- a child's own end takes what reaches it while it runs on.
local t = require("tap").setup(...)
t.plan(12)
local u = require "util"
local S = "ward:sandbox"
local me = process.pid()
local function pl(m) if m then return m:payload() end end

-- order: small and large sends interleaved arrive in the order sent
local c, e = process.spawn("actors:sendmix", S, me, "order")
if t.no_sandbox(c, e) then return end
local got, bad, whole = 0, 0, true
for i = 1, 90 do
  local m = u.msg()
  if not m or m:topic() ~= "n" then bad = bad + 1 break end
  local n, v = m:payload()
  if n ~= i then bad = bad + 1 end
  if m:from() ~= c then whole = false end
  if i % 3 == 0 then whole = whole and v == string.rep("x", 70 * 1024)
  else whole = whole and type(v) == "table" and v.i == i and v.t[1] == true end
  got = got + 1
end
t.is(bad, 0, "90 sends of a child, small and large interleaved, arrive in the order sent")
t.ok(whole and got == 90, "... each whole, from the child's PID")
t.ok(u.msg_on("sent") ~= nil, "... then its last message")

-- refused: the same answer whichever side performs the send
local other = process.spawn("actors:block", "ward:main")
local un = process.with_context({}):with_actor("untrusted"):spawn("actors:sendmix", S, me,
                                                                  "refused", other)
local small, large, gone_small, gone_large = pl(u.msg_on("refused"))
t.like(small, "^PERMISSION_DENIED: permission denied: process%.send on " .. u.esc(other)
       .. " %(actor untrusted%)$", "a small refused send of an untrusted child is denied as its actor")
t.is(large, small, "... with the very answer its stand-in gives a large one")
t.is(gone_large, gone_small, "a send to a PID that does not exist: the same answer both ways")
process.terminate(other)

-- to itself: the reader delivers to the child's own stand-in
local s = process.spawn("actors:sendmix", S, me, "self")
local ok, topic, v, from_self = pl(u.msg_on("self"))
t.ok(ok == true and topic == "me" and v == 42 and from_self,
     "a child's message to itself comes back to it, from itself")

-- to a registered name: the registry is consulted (its lock ranks before
-- the reader's), every message arrives, in order
assert(process.registry.register("sends-parent"))
local nm = process.spawn("actors:sendmix", S, me, "named", "sends-parent")
local byname, inorder = 0, true
for i = 1, 50 do
  local m = u.msg_on("byname")
  if not m then break end
  if m:payload() ~= i or m:from() ~= nm then inorder = false end
  byname = byname + 1
end
t.is(byname, 50, "50 small sends of a child to a registered name all arrive")
t.ok(inorder and pl(u.msg_on("named")) == 50, "... in order, from the child, each answered true")
process.registry.unregister("sends-parent")

-- busy for a second while 3 MB (more than its channel holds) reach it:
-- the child's own end takes what comes meanwhile (into the mailbox), not
-- only once it waits
local b = process.spawn_monitored("actors:sendmix", S, me, "busy", 1000)
u.msg_on("busy")
local blob = string.rep("y", 1024)
for i = 1, 3000 do process.send(b, "m", i, blob) end
process.send(b, "end")
local early, all = pl(u.msg_on("counted", u.ms(60000)))
t.ok(early and early > 0, "a child that runs on gets messages into its mailbox meanwhile ("
     .. tostring(early) .. " before it first waited)")
t.is(all, 3000, "... and every message")
local ev = u.event()
t.ok(ev and ev.kind == "EXIT" and ev.from == b and not ev.error,
     "... and ends normally" .. (ev and ev.error and (": " .. tostring(ev.error)) or ""))
t.done()
