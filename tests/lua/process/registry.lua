-- registry.lua -- process.registry.register / lookup / unregister.
local t = require("tap").setup(...)
local u = require "util"
local H = u.HOST
local me = process.pid()
local reg = process.registry

-- ---- register / lookup / unregister ----
t.is(reg.register("main-svc"), true, "register a name for oneself")
t.is(reg.lookup("main-svc"), me, "lookup returns the pid")
t.is(select("#", reg.lookup("main-svc")), 1, "lookup returns just the pid")
-- registering a name one holds already succeeds (idempotent), as a Wippy
-- service that registers itself on every (re)start expects
local ok, e = reg.register("main-svc")
t.is(ok, true, "registering a name the caller holds again succeeds")
if ok ~= true then t.diag(tostring(e)) end
t.is(reg.register("main-svc", me), true, "so does naming the caller's own PID")
t.is(reg.lookup("main-svc"), me, "and the name still resolves to the caller")
t.is(reg.register("main-svc-2"), true, "a process may hold several names")
t.is(reg.lookup("main-svc-2"), me, "both resolve")
t.is(reg.unregister("main-svc-2"), true, "unregister returns true")
local p, le = reg.lookup("main-svc-2")
t.ok(p == nil and u.is_err(le, errors.NOT_FOUND), "after unregister lookup is NOT_FOUND")
t.is(reg.unregister("main-svc-2"), false, "unregister of a free name returns false")
t.is(reg.lookup("main-svc"), me, "the other name is untouched")
t.is(reg.register("main-svc-2"), true, "a freed name can be registered again")

-- ---- names of other processes; send, monitor by name ----
local e1 = process.spawn("actors:echo", H)
t.is(reg.register("echo-svc", e1), true, "register a name for another pid")
t.is(reg.lookup("echo-svc"), e1, "lookup gives that pid")
t.is(process.send("echo-svc", "hi", 1), true, "send by name")
local m = u.msg_on("echo")
t.ok(m and m:from() == e1 and select(1, m:payload()) == "hi", "the named process got it")
t.is(reg.register("echo-alias", "echo-svc"), true, "register accepts a name as the pid argument")
t.is(reg.lookup("echo-alias"), e1, "which resolves to the process behind it")
local other = process.spawn("actors:idle", H)
local ok2, e2 = reg.register("echo-svc", other)
t.ok(ok2 == nil and u.is_err(e2, errors.ALREADY_EXISTS), "a name taken by another process: ALREADY_EXISTS")
t.is(reg.register("echo-svc", e1), true, "registering a name for the process that holds it succeeds")
local ok2b, e2b = reg.register("main-svc", e1)
t.ok(ok2b == nil and u.is_err(e2b, errors.ALREADY_EXISTS), "the caller's name for another process: ALREADY_EXISTS")
t.is(reg.lookup("echo-svc"), e1, "and it still points to the first")
process.send(other, "stop")

-- ---- names are released when their process exits ----
process.monitor(e1)
process.send("echo-svc", "stop")
u.event_from("EXIT", e1)
p, le = reg.lookup("echo-svc")
t.ok(p == nil and u.is_err(le, errors.NOT_FOUND), "the name is released on exit")
p, le = reg.lookup("echo-alias")
t.ok(p == nil and u.is_err(le, errors.NOT_FOUND), "all its names are released")
local ok3, e3 = process.send("echo-svc", "x")
t.ok(ok3 == nil and u.is_err(e3, errors.NOT_FOUND), "send to a released name: NOT_FOUND")
t.is(reg.register("echo-svc"), true, "a released name can be taken again")
t.is(reg.unregister("echo-svc"), true, "and given back")

-- a child registering its own names; a race for one name
local c1 = process.spawn_monitored("actors:reg", H, me, { "race", "c1-own" })
local r1 = u.msg_on("reg")
local c2 = process.spawn_monitored("actors:reg", H, me, { "race", "c2-own" })
local r2 = u.msg_on("reg")
local res1, res2 = r1 and r1:payload(), r2 and r2:payload()
t.ok(res1 and res1[1].ok == true and res1[2].ok == true, "the first child got both names")
t.ok(res2 and res2[1].ok == nil and res2[1].kind == errors.ALREADY_EXISTS, "the second got ALREADY_EXISTS for the shared name")
t.ok(res2 and res2[2].ok == true, "and its own name")
t.is(reg.lookup("race"), c1, "the name belongs to the first")
t.is(reg.unregister("race"), true, "another process may unregister a name")
process.send(c1, "stop")
u.event_from("EXIT", c1)
t.is(reg.lookup("c2-own"), c2, "other processes' names are untouched by an exit")
process.send(c2, "stop")
u.event_from("EXIT", c2)
p = reg.lookup("c2-own")
t.is(p, nil, "released when that one exits")

-- a name registered by one process for another belongs to the other
t.is(process.exec("actors:reg_for", H, "given-to-main", me), "registered", "a child registers a name for this process")
t.is(reg.lookup("given-to-main"), me, "the name outlives the child that registered it")
t.is(reg.unregister("given-to-main"), true, "and can be unregistered here")

-- 1000 names
local all = true
for i = 1, 1000 do all = all and reg.register("bulk-" .. i) == true end
t.ok(all, "1000 names for one process")
local right = true
for i = 1, 1000, 37 do right = right and reg.lookup("bulk-" .. i) == me end
t.ok(right, "they all resolve")
for i = 1, 1000 do reg.unregister("bulk-" .. i) end
t.is(reg.lookup("bulk-500"), nil, "and unregister")

-- ---- name rules and bad input ----
local n255 = string.rep("a", 255)
t.is(reg.register(n255), true, "a 255-byte name is allowed")
t.is(reg.lookup(n255), me, "and resolves")
t.is(reg.register("with space/and:colon.dot"), true, "any bytes but a leading { are allowed")
t.is(reg.register("x{y}"), true, "a { not at the start is allowed")
local function refuses(kind, name, f, ...) u.refused(t, kind, name, f, ...) end
refuses(errors.INVALID, "register(nil)", reg.register, nil)
refuses(errors.INVALID, "register()", reg.register)
refuses(errors.INVALID, "register(5)", reg.register, 5)
refuses(errors.INVALID, "register({})", reg.register, {})
refuses(errors.INVALID, "register(\"\")", reg.register, "")
refuses(errors.INVALID, "register of a name starting with {", reg.register, "{ward:main|0x00001}")
refuses(errors.INVALID, "register of a 256-byte name", reg.register, string.rep("a", 256))
refuses(errors.INVALID, "register(name, 5)", reg.register, "nm", 5)
refuses(errors.INVALID, "register(name, {})", reg.register, "nm", {})
refuses(errors.INVALID, "register(name, \"\")", reg.register, "nm", "")
refuses(errors.NOT_FOUND, "register for an exited pid", reg.register, "nm", e1)
refuses(errors.NOT_FOUND, "register for an unknown pid", reg.register, "nm", "{ward:main|0xffffe}")
refuses(errors.NOT_FOUND, "register for an unregistered name", reg.register, "nm", "nobody")
t.is(reg.lookup("nm"), nil, "none of the refused registers took the name")
refuses(errors.INVALID, "lookup(nil)", reg.lookup, nil)
refuses(errors.INVALID, "lookup()", reg.lookup)
refuses(errors.INVALID, "lookup(5)", reg.lookup, 5)
refuses(errors.INVALID, "lookup(\"\")", reg.lookup, "")
refuses(errors.NOT_FOUND, "lookup of an unknown name", reg.lookup, "never-registered")
refuses(errors.INVALID, "unregister(nil)", reg.unregister, nil)
refuses(errors.INVALID, "unregister()", reg.unregister)
refuses(errors.INVALID, "unregister(5)", reg.unregister, 5)
refuses(errors.INVALID, "unregister(\"\")", reg.unregister, "")

u.finish(t)
