-- send.lua -- process.send: arguments, payload round trips, refused
-- payloads, ordering from one and from several senders.
local t = require("tap").setup(...)
local u = require "util"
local H = u.HOST
local me = process.pid()
local inbox = process.inbox()

-- ---- bad arguments: nil, INVALID / NOT_FOUND, never a raise ----
local function refuses(kind, name, ...) u.refused(t, kind, name, process.send, ...) end
refuses(errors.INVALID, "destination nil", nil, "x", 1)
refuses(errors.INVALID, "destination missing")
refuses(errors.INVALID, "destination number", 5, "x")
refuses(errors.INVALID, "destination table", {}, "x")
refuses(errors.INVALID, "destination boolean", true, "x")
refuses(errors.INVALID, "destination empty string", "", "x")
refuses(errors.INVALID, "topic nil", me, nil, 1)
refuses(errors.INVALID, "topic missing", me)
refuses(errors.INVALID, "topic number", me, 5)
refuses(errors.INVALID, "topic table", me, {})
refuses(errors.INVALID, "topic empty", me, "")
refuses(errors.INVALID, "topic @x (reserved)", me, "@x")
refuses(errors.INVALID, "topic @inbox (reserved)", me, "@inbox")
refuses(errors.INVALID, "topic @events (reserved)", me, "@events")
refuses(errors.INVALID, "topic @ alone (reserved)", me, "@")
refuses(errors.NOT_FOUND, "unknown pid", "{ward:main|0xfffff}", "x")
refuses(errors.NOT_FOUND, "pid with another host part", "{ward:other|0x00001}", "x")
refuses(errors.NOT_FOUND, "malformed pid", "{bogus}", "x")
refuses(errors.NOT_FOUND, "unregistered name", "nobody-is-called-this", "x")
local e = select(2, process.send("nobody-is-called-this", "x"))
t.is(tostring(e), "NOT_FOUND: " .. (e and e:message() or ""), "tostring(err) is KIND: message")

-- an exited process
local dead = process.spawn_monitored("actors:ret", H, 1)
local ev = u.event_from("EXIT", dead)
t.ok(ev ~= nil, "short-lived child exited")
refuses(errors.NOT_FOUND, "send to an exited pid", dead, "x")

-- a process sent to before it ended: the sender's memory of it does not
-- outlive it
local gone = process.spawn_monitored("actors:echo", H)
t.is(process.send(gone, "a", 1), true, "send to a live process")
t.ok(u.msg_on("echo") ~= nil, "it answers")
t.is(process.send(gone, "stop"), true, "and again, the same pid")
t.ok(u.event_from("EXIT", gone) ~= nil, "it ended")
refuses(errors.NOT_FOUND, "then a send to its pid is NOT_FOUND", gone, "x")

t.ok(u.quiet(inbox, 200), "refused sends delivered nothing")

-- ---- to oneself: Message fields, arity ----
t.is(process.send(me, "hello", 1, "two", nil, { 3 }), true, "send returns true")
local m = u.msg()
t.ok(m ~= nil, "message to self arrives in the inbox")
if m then
  t.is(getmetatable(m), "Message", "it is a Message object")
  t.is(m:topic(), "hello", "Message:topic()")
  t.is(m:from(), me, "Message:from() is the sender pid")
  local p = table.pack(m:payload())
  t.is(p.n, 4, "payload() returns all four values (nil inside kept)")
  t.ok(p[1] == 1 and p[2] == "two" and p[3] == nil and type(p[4]) == "table" and p[4][1] == 3,
       "payload values in order")
  t.is(select("#", m:payload()), 4, "payload() can be called twice")
end
process.send(me, "trail", 1, nil, nil)
m = u.msg()
t.is(m and select("#", m:payload()), 3, "trailing nils are kept (arity 3)")
process.send(me, "empty")
m = u.msg()
t.is(m and select("#", m:payload()), 0, "no payload: payload() returns nothing")
process.send(me, "topic with spaces/and:colons.", true)
m = u.msg()
t.is(m and m:topic(), "topic with spaces/and:colons.", "any non-@ topic is fine")

-- ---- round trips (through self and through another process) ----
local big = string.rep("0123456789abcdef", 8192)   -- 128 KiB
local values = {
  { "nil", nil }, { "true", true }, { "false", false }, { "zero", 0 }, { "negative int", -7 },
  { "maxinteger", math.maxinteger }, { "mininteger", math.mininteger },
  { "float", 1.5 }, { "float 2.0 stays float", 2.0 }, { "negative zero", -0.0 },
  { "huge", math.huge }, { "-huge", -math.huge }, { "nan", 0 / 0 }, { "tiny float", 5e-324 },
  { "empty string", "" }, { "binary string", "\0\1\2\255\254a\0b" }, { "128 KiB string", big },
  { "utf-8", "héllo wörld ✓" },
  { "empty table", {} }, { "array", { 1, 2, 3, "x", true } },
  { "nested", { 1, { 2, { 3, { 4, { deep = "yes" } } } }, k = { x = 1, y = { false } } } },
  { "mixed keys", { [1] = "a", [2] = "b", [10] = "sparse", [-1] = "neg", [1.5] = "float key",
                    [true] = "bool key", [false] = 0, s = "str" } },
  { "array with hole", { 1, nil, 3 } },
  { "int-valued float key", { [2.0] = "two" } },
}
for _, v in ipairs(values) do
  process.send(me, "rt", v[2])
  local got = u.msg()
  local x = got and got:payload()
  t.ok(got ~= nil and u.deep_eq(x, v[2]), "round trip via self: " .. v[1])
  if got and not u.deep_eq(x, v[2]) then t.diag("got " .. u.show(x)) end
end
-- all values in one message
local all, n = {}, #values
for i, v in ipairs(values) do all[i] = v[2] end
process.send(me, "all", table.unpack(all, 1, n))
m = u.msg()
if m then
  local p = table.pack(m:payload())
  local same = p.n == n
  for i = 1, n do same = same and u.deep_eq(p[i], all[i]) end
  t.ok(same, "all values in one message, in order (arity " .. n .. ")")
else
  t.ok(false, "all values in one message")
end

local echo = process.spawn("actors:echo", H)
for _, v in ipairs(values) do
  process.send(echo, "rt", v[2], "after")
  local got = u.msg_on("echo")
  local ok = got ~= nil
  if ok then
    local topic, x, after = got:payload()
    ok = topic == "rt" and u.deep_eq(x, v[2]) and after == "after"
    if not ok then t.diag("got " .. u.show(x)) end
    ok = ok and got:from() == echo
  end
  t.ok(ok, "round trip via another process: " .. v[1])
end
-- a table reached twice (not a cycle) is fine and arrives as two copies
local shared = { 1, 2 }
t.is(process.send(me, "dag", { a = shared, b = shared }), true, "a shared (non-cyclic) table is sent")
m = u.msg()
local d = m and m:payload()
t.ok(d and u.deep_eq(d.a, shared) and u.deep_eq(d.b, shared), "both copies arrive")
-- 255 payload values are allowed
local many = {}
for i = 1, 255 do many[i] = i end
t.is(process.send(me, "many", table.unpack(many)), true, "255 payload values are sent")
m = u.msg()
t.is(m and select("#", m:payload()), 255, "255 values arrive")
t.is(m and select(255, m:payload()), 255, "the last of them is right")
-- depth: 32 levels allowed, 33 refused
local function nest(levels)
  local x = {}
  for _ = 2, levels do x = { x } end
  return x
end
t.is(process.send(me, "deep", nest(32)), true, "32 nested tables are sent")
m = u.msg()
t.ok(m and u.deep_eq(m:payload(), nest(32)), "32 nested tables arrive intact")

-- ---- refused payloads: INVALID, nothing delivered ----
local function refused(name, pattern, ...)
  local ok, why = u.refuses(errors.INVALID, process.send, me, "bad", ...)
  t.ok(ok, "refused: " .. name)
  if not ok then t.diag(why) end
  if ok and pattern == "cycle" then t.like(why, pattern, "a cycle is rejected with a clear error") end
end
local cyc = {}
cyc.self = cyc
local cyc2 = { inner = {} }
cyc2.inner.back = cyc2
local co = coroutine.create(function() end)
refused("function", "function", function() end)
refused("C function", "function", print)
refused("coroutine", "thread", co)
refused("table with a metatable", "metatable", setmetatable({}, {}))
refused("nested table with a metatable", "metatable", { ok = { setmetatable({}, { __index = {} }) } })
refused("cycle (self)", "cycle", cyc)
refused("cycle (through a child table)", "cycle", cyc2)
refused("33 nested tables", "deep", nest(33))
refused("userdata (the inbox channel)", "userdata", process.inbox())
refused("table with a function value", "function", { f = function() end })
refused("table with a table key", "table", { [{}] = 1 })
refused("table with a function key", "function", { [print] = 1 })
refused("function after good values", "function", 1, "two", function() end)
many[256] = 256
local ok256 = u.refuses(errors.INVALID, process.send, me, "bad", table.unpack(many, 1, 256))
t.ok(ok256, "refused: 256 payload values")
refused("a message over 16 MiB", "large", string.rep("x", (16 << 20) + 1))
t.ok(u.quiet(inbox, 200), "refused payloads delivered nothing")

-- ---- ordering: 1000 messages from one sender ----
local s = process.spawn("actors:sender", H, me, "A", 1000)
t.like(s, u.PID_PATTERN, "sender spawned")
local inorder, count = true, 0
for i = 1, 1000 do
  local x = u.msg()
  if x == nil then break end
  local tag, k = x:payload()
  count = count + 1
  if x:topic() ~= "seq" or tag ~= "A" or k ~= i or x:from() ~= s then
    if inorder then t.diag("message " .. i .. " was " .. u.show({ x:topic(), tag, k })) end
    inorder = false
  end
end
t.is(count, 1000, "1000 messages from one sender arrived")
t.ok(inorder, "in the order they were sent")

-- ---- several senders at once: each one's messages in order ----
local tags, senders = { "P", "Q", "R", "S" }, {}
for _, tag in ipairs(tags) do senders[tag] = process.spawn("actors:sender", H, me, tag, 500) end
local next_of, bad, total = { P = 1, Q = 1, R = 1, S = 1 }, nil, 0
for _ = 1, 2000 do
  local x = u.msg()
  if x == nil then break end
  total = total + 1
  local tag, k = x:payload()
  if next_of[tag] ~= k or senders[tag] ~= x:from() then
    bad = bad or ("from " .. tostring(tag) .. ": got " .. tostring(k) .. ", want " .. tostring(next_of[tag]))
  end
  next_of[tag] = (next_of[tag] or 0) + 1
end
t.is(total, 2000, "4 concurrent senders x 500: all 2000 arrived")
t.ok(bad == nil, "each sender's messages arrived in order")
if bad then t.diag(bad) end
t.ok(u.quiet(inbox, 100), "nothing more than was sent")

u.finish(t)
