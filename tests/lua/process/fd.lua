-- fd.lua -- file descriptors as values (require "fd"): pipes and socket
-- pairs, their methods, and descriptors carried in messages between
-- in-process actors (each receiver gets its own; one dropped unread is
-- closed; nowhere else may one go).
local t = require("tap").setup(...)
local u = require "util"
local fd = require "fd"
local H = u.HOST
local me = process.pid()

-- ---- the module and the methods ----
local r, w = fd.pipe()
t.ok(fd.is(r) and fd.is(w) and not fd.is(1) and not fd.is({}), "fd.pipe gives two descriptors; fd.is tells them")
t.is(getmetatable(r), "fd", "getmetatable shows the type name")
t.like(tostring(r), "^fd %d+$", "tostring names the descriptor")
t.is(w:write("abc"), 3, "write returns the count")
t.is(r:read(2), "ab", "read takes at most n bytes")
t.is(r:read(), "c", "read takes what is there")
local v, e = r:read(10, "50ms")
t.ok(v == nil and u.is_err(e, errors.UNAVAILABLE), "read with nothing to read times out: nil, UNAVAILABLE")
t.like(e and e:message(), "timeout", "the timeout is named")
local w2 = w:dup()
t.ok(fd.is(w2) and tostring(w2) ~= tostring(w), "dup gives another descriptor")
w:close()
t.is(w:close(), true, "closing twice is harmless")
t.is(tostring(w), "fd (closed)", "a closed descriptor says so")
local v2, e2 = w:write("x")
t.ok(v2 == nil and u.is_err(e2, errors.INVALID), "write on a closed descriptor: nil, INVALID")
w2:write("d")
w2:close()
t.is(r:read(), "d", "the dup wrote to the same pipe")
t.is(r:read(), "", "end of file once every writer is closed: empty string")
r:close()
local kept
do
  local x <close> = fd.pipe()
  kept = x
end
t.is(tostring(kept), "fd (closed)", "a <close> descriptor is closed at the end of its scope")
t.ok(not pcall(r.read, r, 0), "read size 0 is an argument error")
t.ok(not pcall(r.read, "nope"), "a method on something else is an argument error")
local a, b = fd.socketpair()
t.is(a:write("ping"), 4, "socketpair: write")
t.is(b:read(), "ping", "socketpair: read")
local sa, sb = fd.socketpair("seqpacket")
sa:write("one")
sa:write("two")
t.is(sb:read(), "one", "seqpacket keeps message boundaries")
t.ok(not pcall(fd.socketpair, "raw"), "an unknown socket kind is an argument error")
local rp, wp = fd.pipe()
rp:close()
local n, ep = wp:write("x")
t.ok(n == nil and u.is_err(ep, errors.UNAVAILABLE), "write to a pipe nobody reads: UNAVAILABLE, and the runtime lives on")
wp:close()

-- ---- descriptors in messages ----
local kid = process.spawn_monitored("actors:fd_pipe", H)
local pr, pw = fd.pipe()
t.ok(process.send(kid, "write", { pw, "from the child" }), "send a table holding a descriptor")
pw:close()
local m = u.msg_on("wrote")
t.ok(m and m:payload() == 14, "the child wrote through its copy")
t.is(pr:read(100, t.ms(30000)), "from the child", "what it wrote arrives here")
t.is(pr:read(100, t.ms(30000)), "", "its copy closed: end of file")
pr:close()

local qa, qb = fd.socketpair()
process.send(kid, "read", qb)
qb:close()
qa:write("to the child")
m = u.msg_on("read")
t.is(m and m:payload(), "to the child", "the child read from its copy of a socket")
qa:close()

-- a message nobody reads: the descriptor it holds is closed with it
local deaf = process.spawn_monitored("actors:deaf", H)
local dr, dw = fd.pipe()
process.send(deaf, "x", dw)
dw:close()
process.terminate(deaf)
u.event_from("EXIT", deaf)
t.is(dr:read(10, t.ms(30000)), "", "a descriptor in a message dropped unread is closed")
dr:close()

-- refusals: closed, too many, and every place that is not a message
local cr, cw = fd.pipe()
cw:close()
t.ok(u.refuses(errors.INVALID, process.send, kid, "x", cw), "a closed descriptor cannot be sent")
local many = {}
for i = 1, 17 do many[i] = cr end
local ok17, e17 = u.refuses(errors.INVALID, process.send, kid, "x", many)
t.ok(ok17, "17 descriptors in one message are refused")
t.like(e17, "more than 16", "the limit is named")
local sixteen = {}
for i = 1, 16 do sixteen[i] = cr end
t.ok(process.send(kid, "hold", sixteen), "16 are fine")
u.msg_on("held")
local okspawn, espawn = u.refuses(errors.INVALID, process.spawn, "actors:idle", H, cr)
t.ok(okspawn, "a descriptor in spawn arguments is refused")
t.like(espawn, "only be sent in messages", "the refusal says where descriptors may go")
local okctx = u.refuses(errors.INVALID, process.with_context, { f = cr })
t.ok(okctx, "a descriptor in a context is refused")

-- require "fd" is asked of the engine: the untrusted actor may not
local ub = process.with_context({}):with_actor("untrusted")
local uk = ub:spawn_monitored("actors:fd_pipe", H)
process.send(uk, "req")
m = u.msg_on("req")
local got = m and table.pack(m:payload()) or {}
t.ok(m and got[1] == false, "require 'fd' as actor untrusted fails")
t.like(got[2], "permission denied %(lua.require on fd%)", "and says why")
process.send(kid, "req")
m = u.msg_on("req")
t.ok(m and (m:payload()) == true, "as main it works")
cr:close()
process.send(kid, "stop")
process.send(uk, "stop")
u.event_from("EXIT", kid)
u.event_from("EXIT", uk)
u.finish(t)
