-- messages.lua -- send, the inbox, topics and Message objects.
local me = process.pid()
process.send(me, "greet", "hello", 42)  -- not listened to: inbox
local msg = process.inbox():receive()
print(msg:topic(), msg:from() == me, msg:payload())

local raw = process.listen("raw")           -- raw values
process.send(me, "raw", "one")
process.send(me, "raw", 1, 2, 3)
process.send(me, "raw")
print(raw:receive())                        --> one true
local t = raw:receive()
print(t.n, t[1], t[3])                      --> 3 1 3
print(raw:receive())                        --> nil true

local typed = process.listen("typed", { message = true })
process.send(me, "typed", "x", nil)
local m = typed:receive()
print(m:topic(), select("#", m:payload()))  --> typed 2

process.send(me, "typed", "queued")
process.unlisten(typed)          -- queued ones go to the inbox
print(process.inbox():receive():payload())  --> queued

local ok, err = process.send(me, "@events", 1)
print(ok, err:kind())                       --> nil INVALID
print(err:message())
