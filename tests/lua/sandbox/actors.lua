-- actors.lua -- subprocess actors on ward:sandbox (the strict profile of
-- the built-in default policy): the same process API as in-process actors,
-- every call beyond the actor performed and authorized in the runtime.
local t = require("tap").setup(...)
local u = require "util"
local S = "ward:sandbox"
local me = process.pid()
local inbox, events = process.inbox(), process.events()
-- all the values of a message, or none when it did not come
local function pl(msg) if msg then return msg:payload() end end
process.set_options { trap_links = true }

local c, e = process.with_context({ tag = "blue" }):spawn_monitored("actors:echo", S, me)
if t.no_sandbox(c, e) then return end
t.like(c, "^{ward:sandbox|0x%x+}$", "spawn on ward:sandbox returns a PID of that host")
local r = u.msg_on("ready")
local pid, id, ctxname, tag = pl(r)
t.is(pid, c, "the child's process.pid() is the PID the spawner got")
t.is(id, c, "process.id() starts a chain at the child")
t.is(ctxname, "worker", "_CONTEXT is 'worker' in a spawned subprocess actor")
t.is(tag, "blue", "the context reaches the child")

-- messages both ways, with topics and several values
process.send(c, "x", 1, { a = 2 }, "three")
local m = u.msg_on("echo")
local tp, v1, v2, v3 = m:payload()
t.ok(tp == "x" and v1 == 1 and type(v2) == "table" and v2.a == 2 and v3 == "three",
     "a message reaches the child whole and its answer comes back")
t.is(m:from(), c, "the answer comes from the child's PID")

-- calls made by the child, performed by the runtime
process.send(c, "ask", "spawn", "actors:helper", "ward:main", c)
local a = u.msg_on("answer")
local ok, hp = a:payload()
t.ok(ok and type(hp) == "string" and hp:find("^{ward:main|"), "the child spawns an in-process helper")
local h = u.msg_on("echo")
t.ok(h and select(1, h:payload()) == "helped", "the helper's message reaches the child")
process.send(c, "ask", "lookup", "no-such-name")
a = u.msg_on("answer")
local aok, av, akind = a:payload()
t.ok(aok and av == nil, "registry.lookup of an unknown name is nil in the child")
process.send(c, "ask", "send", "{ward:main|0xfffff}", "x")
a = u.msg_on("answer")
aok, av, akind = a:payload()
t.ok(aok and av == nil and akind == errors.NOT_FOUND, "an error object comes back as nil, err of its kind")

-- exit: a raised error reaches the monitor with its text
process.send(c, "boom")
local ev = u.event()
t.ok(ev and ev.kind == "EXIT" and ev.from == c, "the child's monitor gets its EXIT")
t.like(ev and ev.result and ev.result.error, "echo.lua:%d+: boom from the child",
       "the EXIT carries the child's error with file and line")

-- return values; arguments
local x = process.exec("actors:ret", S, 20, 22)
t.is(x, 42, "exec on ward:sandbox returns the child's value")
local r2 = process.spawn_monitored("actors:ret", S, "raise")
ev = u.event()
t.ok(ev and ev.from == r2 and ev.result.error ~= nil, "a child raising a table ends abnormally")

-- order per sender: three senders at once, small messages (which may go
-- straight to the child's channel) mixed with ones too big for one
-- datagram (which go through the stand-in)
local o2 = process.spawn("actors:order2", S, me, 3 * 300)
for k = 1, 3 do process.spawn("actors:blaster", "ward:main", o2, k, 300, me) end
local om2 = u.msg_on("order2", u.ms(60000))
local bad2, got2
if om2 then bad2, got2 = om2:payload() end
t.is(got2, 900, "900 messages from three senders reach the child")
t.is(bad2, 0, "each sender's messages arrive in order, small and large mixed")

-- order of 500 messages, then a listened topic
local o = process.spawn("actors:order", S, me, 500)
u.msg_on("listening")  -- let it listen first
for i = 1, 500 do process.send(o, "n", i) end
process.send(o, "side", "via-topic")
local om = u.msg_on("order")
local bad, side = pl(om)
t.is(bad, 0, "500 messages reach the child in order")
t.is(side, "via-topic", "process.listen works in the child")

-- terminate a busy child
local b = process.spawn_monitored("actors:echo", S, me)
u.msg_on("ready")
process.send(b, "spin")
time.sleep("200ms")
t.is(process.terminate(b), true, "terminate a child spinning in a loop")
ev = u.event()
t.ok(ev and ev.from == b and tostring(ev.result.error):find("terminated by"), "its EXIT says it was terminated")

-- links reach the child's stand-in
local l = process.spawn_linked("actors:ret", S, "raise")
ev = u.event()
t.ok(ev and ev.kind == "LINK_DOWN" and ev.from == l, "a linked child's crash is a LINK_DOWN (trapped)")

-- events forwarded to the child; names held by the child
local w = process.spawn_monitored("actors:watcher", S, me)
local wm = u.msg_on("watched")
local same, hv, xv = pl(wm)
t.ok(same and hv == 4 and xv == 40, "the child monitors a helper and gets its message and EXIT")
u.msg_on("registered")
t.is(process.registry.lookup("sbx-watcher"), w, "a name the child registers names its PID")
process.send(w, "go")
u.event()
local released, until_ms = false, time.now() + u.ms(30000)
while time.now() < until_ms do
  if process.registry.lookup("sbx-watcher") == nil then released = true break end
  time.sleep(20)
end
t.ok(released, "and is released when the child exits")

-- cancel: the child sees the CANCEL, and is ended at the deadline
local sb = process.spawn_monitored("actors:stubborn", S, me)
u.msg_on("up")
local t0 = time.now()
process.cancel(sb, "300ms")
local cs = u.msg_on("cancel-seen")
t.is(cs and cs:payload(), "CANCEL", "the CANCEL event reaches the child")
ev = u.event()
t.ok(ev and ev.from == sb and time.now() - t0 < 300 + u.ms(5000), "the child is ended at the deadline")

-- memory cap of the profile
local hog = process.spawn_monitored("actors:hog", S)
ev = u.event(u.ms(60000))
t.like(ev and ev.result and ev.result.error, "memory", "a child that allocates without end is ended by its memory cap")

-- the standard library of a subprocess actor
process.spawn("actors:hostile", S, me)
local pm = u.msg_on("probes")
local probes = pm and pm:payload() or {}
for _, k in ipairs { "io", "debug", "os_execute", "loadlib", "dump", "binary", "require" } do
  t.ok(probes[k] == true, "in the child: " .. k .. " is refused")
end

-- permissions are the child's actor's, decided in the runtime
local un = process.with_context({}):with_actor("untrusted"):spawn_monitored("actors:echo", S, me)
u.msg_on("ready")
process.send(un, "ask", "spawn", "actors:helper", "ward:main", un)
a = u.msg_on("answer")
aok, av, akind = a:payload()
local _, _, _, amsg = a:payload()
t.ok(aok and av == nil and akind == errors.PERMISSION_DENIED, "an untrusted child may not spawn on ward:main")
t.like(amsg, "process%.%a+ on ", "the denial names the action and the resource")
process.send(un, "ask", "register", "evil")
a = u.msg_on("answer")
aok, av, akind = a:payload()
t.ok(av == nil and akind == errors.PERMISSION_DENIED, "nor register a name")
process.send(un, "ask", "send", me, "hello")
a = u.msg_on("answer")
t.is(select(2, a:payload()), true, "but it may answer its parent")
process.terminate(un)

u.finish(t)
