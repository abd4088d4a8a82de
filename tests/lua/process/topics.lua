-- topics.lua -- listen/unlisten, raw and Message channels, the inbox
-- fallback, reserved topics, listening again, messages sent before listen.
local t = require("tap").setup(...)
local u = require "util"
local me = process.pid()
local inbox = process.inbox()

-- ---- bad arguments ----
local function refuses(kind, name, ...)
  u.refused(t, kind, "listen refuses " .. name, process.listen, ...)
end
refuses(errors.INVALID, "a nil topic", nil)
refuses(errors.INVALID, "no topic")
refuses(errors.INVALID, "a number topic", 5)
refuses(errors.INVALID, "a table topic", {})
refuses(errors.INVALID, "an empty topic", "")
refuses(errors.INVALID, "@x (reserved)", "@x")
refuses(errors.INVALID, "@inbox (reserved)", "@inbox")
refuses(errors.INVALID, "@events (reserved)", "@events")
refuses(errors.INVALID, "options that are a number", "t1", 5)
refuses(errors.INVALID, "options that are a string", "t1", "message")
refuses(errors.INVALID, "message = \"yes\"", "t1", { message = "yes" })
refuses(errors.INVALID, "message = 1", "t1", { message = 1 })
-- none of the refused listens took the topic
local c1, e1 = process.listen("t1")
t.ok(c1 ~= nil, "t1 is still free after the refused listens")
if c1 then process.unlisten(c1) end

-- ---- raw channels: one value per message ----
local raw = process.listen("raw")
t.is(getmetatable(raw), "channel", "listen returns a channel")
process.send(me, "raw", 42)
local v, ok = u.recv(raw)
t.is(v, 42, "raw: one value arrives as itself")
t.is(ok, true, "raw: receive's second result is true")
process.send(me, "raw")
v, ok = u.recv(raw)
t.ok(v == nil and ok == true, "raw: no value arrives as nil (ok true)")
process.send(me, "raw", 1, 2, nil)
v = u.recv(raw)
t.ok(type(v) == "table" and v.n == 3 and v[1] == 1 and v[2] == 2 and v[3] == nil,
     "raw: several values arrive packed as {n = 3, 1, 2}")
process.send(me, "raw", { k = "v" })
v = u.recv(raw)
t.ok(type(v) == "table" and v.k == "v" and v.n == nil, "raw: a table payload arrives as that table")
t.ok(u.quiet(inbox, 100), "messages on a listened topic do not reach the inbox")

-- ---- explicit message = false is raw; message = true gives Message objects ----
local raw2 = process.listen("raw2", { message = false })
process.send(me, "raw2", "x")
t.is(u.recv(raw2), "x", "message = false: raw values")
local mch = process.listen("msgs", { message = true })
process.send(me, "msgs", "a", "b")
local m = u.recv(mch)
t.is(m and getmetatable(m), "Message", "message = true: Message objects")
t.is(m and m:topic(), "msgs", "Message:topic() is the listened topic")
t.is(m and m:from(), me, "Message:from() is the sender")
t.is(m and select("#", m:payload()), 2, "Message:payload() returns both values")
local echo = process.spawn("actors:echo", u.HOST)
local ech = process.listen("echo", { message = true })
process.send(echo, "ping", 7)
m = u.recv(ech)
t.is(m and m:from(), echo, "a listened topic gets messages from other processes")
t.is(m and select(2, m:payload()), 7, "with their payload")
local raw_opts = process.listen("opts-empty", {})
process.send(me, "opts-empty", 3)
t.is(u.recv(raw_opts), 3, "empty options: raw")

-- ---- unlistened topics go to the inbox ----
process.send(me, "nobody-listens", 1)
m = u.recv(inbox)
t.is(m and m:topic(), "nobody-listens", "an unlistened topic goes to the inbox")
t.ok(u.quiet(raw, 50), "and not to another topic's channel")

-- ---- listen again: the same channel, as inbox() and events() ----
local r2, e2 = process.listen("raw")
t.ok(rawequal(r2, raw), "listen twice on a topic returns the same channel object")
if not rawequal(r2, raw) then t.diag("got " .. tostring(r2) .. ", " .. tostring(e2)) end
t.ok(rawequal(process.listen("raw", { message = false }), raw), "also with the same options spelt out")
t.ok(rawequal(process.listen("msgs", { message = true }), mch), "a Message channel too")
r2, e2 = process.listen("raw", { message = true })
t.ok(r2 == nil and u.is_err(e2, errors.ALREADY_EXISTS, "message = false"),
     "with the other mode: ALREADY_EXISTS, naming the mode it listens with")
process.send(me, "raw", "still")
t.is(u.recv(raw), "still", "the first channel still receives")

-- ---- messages queued before listen wait for the listener ----
process.send(me, "late", 1)
process.send(me, "not-late", 0)
process.send(me, "late", 2)
local late = process.listen("late")
t.is(u.recv(late, u.ms(2000)), 1, "a message delivered before listen arrives on the channel")
process.send(me, "late", 3)
t.is(u.recv(late, u.ms(2000)), 2, "the waiting ones first, in order")
t.is(u.recv(late, u.ms(2000)), 3, "then the later ones")
m = u.recv(inbox)
t.is(m and m:topic(), "not-late", "the inbox keeps the other topics' messages")
t.ok(u.quiet(inbox, 50), "and holds none of the listened topic")

-- ---- unlisten ----
process.send(me, "other", "first")
process.send(me, "q", 1)
process.send(me, "q", 2)
local q = process.listen("q")
process.send(me, "q", 3)
process.send(me, "q", 4)
process.send(me, "q", 5)
t.is(process.unlisten(q), true, "unlisten returns true")
local got = {}
for _ = 1, 6 do
  local x = u.recv(inbox)
  if x then got[#got + 1] = x:topic() .. "=" .. tostring(x:payload()) end
end
t.is(table.concat(got, " "), "other=first q=1 q=2 q=3 q=4 q=5",
     "unlisten moves the queued messages to the inbox, after what was there, in order")
local v2, ok2 = q:receive()
t.ok(v2 == nil and ok2 == false, "receive on an unlistened channel: nil, false")
process.send(me, "q", 6)
m = u.recv(inbox)
t.is(m and m:payload(), 6, "after unlisten the topic goes to the inbox")
local q2 = process.listen("q")
t.ok(q2 ~= nil, "the topic can be listened to again")
process.send(me, "q", 7)
t.is(q2 and u.recv(q2), 7, "and the new channel receives")
t.ok(u.quiet(inbox, 50), "nothing extra in the inbox")
t.is(process.unlisten(q2), true, "unlisten of the new channel")
t.is(process.unlisten(q2), true, "unlisten twice is harmless")
-- close() is the same as unlisten
local q3 = process.listen("q")
process.send(me, "q", 8)
q3:close()
m = u.recv(inbox)
t.is(m and m:payload(), 8, "closing a listen channel also moves its messages to the inbox")

-- ---- unlisten: bad arguments are nil, INVALID (never a raise) ----
local function bad_unlisten(name, arg)
  local okr, why = u.refuses(errors.INVALID, process.unlisten, arg)
  t.ok(okr, "unlisten refuses " .. name)
  if not okr then t.diag(why) end
end
bad_unlisten("nil", nil)
bad_unlisten("a string", "raw")
bad_unlisten("a table", {})
bad_unlisten("the inbox", process.inbox())
bad_unlisten("the events channel", process.events())
bad_unlisten("a channel.new channel", channel.new(1))
bad_unlisten("a time.after channel", time.after("1s"))
-- the inbox still works after those attempts
process.send(me, "after", 1)
m = u.recv(inbox)
t.is(m and m:topic(), "after", "the inbox still works")

-- ---- a collected listen channel gives its topic back ----
do
  local gc = process.listen("gc")
  process.send(me, "gc", "queued")
end
collectgarbage()
collectgarbage()
process.send(me, "gc", "later")
local a, b = u.recv(inbox), u.recv(inbox)
t.is(a and a:payload(), "queued", "a collected channel's queued message goes to the inbox")
t.is(b and b:payload(), "later", "and the topic goes to the inbox afterwards")
t.ok(process.listen("gc") ~= nil, "the topic can be listened to again")

-- ---- many topics at once, selected together ----
local chans = {}
for i = 1, 20 do chans[i] = process.listen("many" .. i) end
for i = 20, 1, -1 do process.send(me, "many" .. i, i) end
local right = true
for i = 1, 20 do
  local x = u.recv(chans[i])
  right = right and x == i
end
t.ok(right, "20 topics each deliver to their own channel")
process.send(me, "many7", "sel")
local cases = {}
for i = 1, 20 do cases[i] = chans[i]:case_receive() end
cases[21] = time.after("2s"):case_receive()
local r = channel.select(cases)
t.ok(r.channel == chans[7] and r.value == "sel", "select over topic channels picks the right one")

-- ---- inbox and events are fixed channels ----
t.ok(process.inbox() == process.inbox(), "inbox() returns the same channel each time")
t.ok(process.events() == process.events(), "events() returns the same channel each time")
t.ok(process.inbox() ~= process.events(), "inbox and events differ")
t.ok(not pcall(process.inbox().close, process.inbox()), "the inbox cannot be closed")
t.ok(not pcall(process.inbox().send, process.inbox(), 1), "the inbox cannot be sent on")

u.finish(t)
