-- message.lua -- Message objects: topic(), from(), payload(), robustness
-- against odd calls (a script must never be able to crash the runtime).
local t = require("tap").setup(...)
local u = require "util"
local me = process.pid()
local inbox = process.inbox()

process.send(me, "two", 1, 2)
local m = u.msg()
t.is(getmetatable(m), "Message", "a Message's metatable is protected")
t.is(m:topic(), "two", "topic()")
t.is(m:from(), me, "from()")
local a, b = m:payload()
t.ok(a == 1 and b == 2, "payload() with two values")
-- extra arguments are ignored
t.is(m:topic("extra"), "two", "topic() ignores extra arguments")
t.is(m:from({}), me, "from() ignores extra arguments")
local ok, x, y = pcall(m.payload, m, "extra")
t.ok(ok and x == 1 and y == 2, "payload() ignores an extra string argument")
ok, x, y = pcall(m.payload, m, { 9, 9 })
t.ok(ok and x == 1 and y == 2, "payload() ignores an extra table argument")
process.send(me, "one", "v")
local m1 = u.msg()
ok, x = pcall(m1.payload, m1, "extra")
t.ok(ok and x == "v", "payload() of one value ignores extra arguments")
process.send(me, "three", 1, nil, 3)
local m3 = u.msg()
local p = table.pack(pcall(m3.payload, m3, 42, 43))
t.ok(p[1] and p.n == 4 and p[2] == 1 and p[3] == nil and p[4] == 3, "payload() with a nil inside and extra arguments")
-- methods on something that is not a Message raise, never crash
for _, f in ipairs { "topic", "from", "payload" } do
  t.ok(not pcall(m[f], {}), f .. "() on a table raises")
  t.ok(not pcall(m[f], inbox), f .. "() on a channel raises")
  t.ok(not pcall(m[f]), f .. "() without self raises")
end
-- a Message is not sendable
local ok2, why = u.refuses(errors.INVALID, process.send, me, "fwd", m)
t.ok(ok2, "a Message object cannot be sent")
-- a Message stays valid after more messages arrive and are received
for i = 1, 50 do process.send(me, "later", i) end
for _ = 1, 50 do u.msg() end
collectgarbage()
t.is(m:topic(), "two", "an old Message still answers topic() after later receives and a GC")
a, b = m:payload()
t.ok(a == 1 and b == 2, "and payload()")
-- from() of a message from another process
local e = process.spawn("actors:echo", u.HOST)
process.send(e, "ping", "x")
local r = u.msg_on("echo")
t.is(r and r:from(), e, "from() names the sending process")

u.finish(t)
