-- codec.lua -- the message codec seen through the runtime: what survives a
-- trip through a mailbox, and what the sender is refused with INVALID.
local t = require("tap").setup(...)
local me = process.pid()
local inbox = process.inbox()
local events = process.events()
local echo = process.spawn("actors:echo", "ward:main")

-- Each trip has a topic of its own ("trip N"), and waits for the message
-- with that topic: a reply that comes late (a loaded machine) is dropped by
-- the next trip instead of being taken for its answer.
local trips = 0
local function trip(to, ...)
  trips = trips + 1
  local topic = "trip " .. trips
  local ok, err = process.send(to, topic, ...)
  if not ok then return nil, err end
  local deadline = t.after(60000)
  while true do
    local r = channel.select{ inbox:case_receive(), deadline:case_receive() }
    if r.channel ~= inbox then return nil, "timeout" end
    if r.value:topic() == topic then return table.pack(r.value:payload()) end
  end
end

-- Send values to self and return the payload as received (packed).
local function trip_self(...) return trip(me, ...) end

-- Send values through another process (another VM) and back.
local function trip_echo(...) return trip(echo, ...) end

-- The EXIT event of pid (other events are dropped).
local function exit_of(pid) return t.exit_event(pid, t.ms(60000)) end

local function same(a, b)
  if a ~= a and b ~= b then return true end           -- NaN
  if math.type(a) ~= math.type(b) or type(a) ~= type(b) then return false end
  if type(a) == "number" and a == 0 and b == 0 then return 1 / a == 1 / b end  -- -0.0
  return a == b
end

-- ---- scalars, both through self and through another VM ----
local scalars = {
  { 0, "0" }, { 1, "1" }, { -1, "-1" }, { math.maxinteger, "maxinteger" },
  { math.mininteger, "mininteger" }, { 1 << 53, "2^53" }, { 1.0, "1.0 (float)" },
  { 0.5, "0.5" }, { -0.0, "-0.0" }, { 0.0, "0.0" }, { math.huge, "math.huge" },
  { -math.huge, "-math.huge" }, { 0/0, "NaN" }, { math.pi, "pi" },
  { 2^-1074, "smallest subnormal" }, { 1.7976931348623157e308, "largest double" },
  { 2^63, "2^63 (float)" }, { true, "true" }, { false, "false" }, { "", "empty string" },
  { "plain", "string" },
}
for _, s in ipairs(scalars) do
  local p = trip_self(s[1])
  t.ok(p and p.n == 1 and same(p[1], s[1]), s[2] .. " survives (self)")
  p = trip_echo(s[1])
  t.ok(p and p.n == 1 and same(p[1], s[1]), s[2] .. " survives (another VM)")
end
do
  local p = trip_echo(3, 3.0)
  t.ok(p and math.type(p[1]) == "integer" and math.type(p[2]) == "float",
       "integer and float subtypes are kept (3 vs 3.0)")
  p = trip_echo(-0.0)
  t.ok(p and 1 / p[1] == -math.huge, "-0.0 keeps its sign")
  p = trip_echo(0/0)
  t.ok(p and p[1] ~= p[1], "NaN stays NaN")
end

-- ---- one nil, and Message objects kept while others arrive ----
do
  local p = trip_self(nil)
  t.ok(p and p.n == 1 and p[1] == nil, "a single nil arrives as one value")
  local vals = { 7, 2.5, true, false, "s", { k = 1 } }
  for i, v in ipairs(vals) do process.send(me, "kept", i, v) end
  process.send(me, "kept", nil)
  process.send(me, "kept")
  local got = {}
  while #got < #vals + 2 do
    local m = inbox:receive()
    if m:topic() == "kept" then got[#got + 1] = m end
  end
  local all = true
  for i, v in ipairs(vals) do
    local a, b = got[i]:payload()
    if a ~= i or (type(v) == "table" and b.k ~= 1) or (type(v) ~= "table" and b ~= v) then
      all = false
    end
  end
  t.ok(all, "each Message keeps its own payload while later ones arrive")
  local n1 = select("#", got[#vals + 1]:payload())
  local n0 = select("#", got[#vals + 2]:payload())
  t.ok(n1 == 1 and got[#vals + 1]:payload() == nil and n0 == 0,
       "a Message of one nil gives one nil, of none gives nothing")
  t.ok(got[1]:topic() == "kept" and got[1]:topic() == got[1]:topic()
       and got[1]:from() == me and got[1]:from() == got[1]:from(),
       "topic() and from() give the same strings each time")
  local raw = assert(process.listen("rawscalar", { message = false }))
  for _, v in ipairs({ 5, -1.5, true, false }) do process.send(me, "rawscalar", v) end
  process.send(me, "rawscalar")
  local r = {}
  for i = 1, 5 do
    local v, ok = raw:receive()
    r[i] = { v, ok }
  end
  t.ok(r[1][1] == 5 and math.type(r[1][1]) == "integer" and r[2][1] == -1.5
       and r[3][1] == true and r[4][1] == false and r[5][1] == nil and r[5][2] == true,
       "a raw channel gives scalars as themselves (no value: nil)")
  process.unlisten(raw)
end

-- ---- binary strings ----
do
  local all = {}
  for i = 0, 255 do all[#all + 1] = string.char(i) end
  local bytes = table.concat(all)
  local p = trip_echo(bytes)
  t.ok(p and p[1] == bytes and #p[1] == 256, "all 256 byte values arrive intact")
  local nul = "\0\0a\0b\0\0"
  p = trip_echo(nul, { key = nul, [nul] = "as a key" })
  t.ok(p and p[1] == nul and p[2].key == nul and p[2][nul] == "as a key",
       "strings with NULs arrive intact (values and keys)")
  local big = string.rep("\0\255", 1 << 19)
  p = trip_echo(big)
  t.ok(p and p[1] == big, "a 1 MiB binary string arrives intact")
end

-- ---- several values, nils among them ----
do
  local p = trip_echo(1, nil, 3, nil)
  t.ok(p and p.n == 4 and p[1] == 1 and p[2] == nil and p[3] == 3 and p[4] == nil,
       "payload arity is kept, with nils inside and at the end")
  p = trip_echo()
  t.ok(p and p.n == 0, "an empty payload arrives as no values")
  local many = {}
  for i = 1, 255 do many[i] = i end
  p = trip_echo(table.unpack(many))
  t.ok(p and p.n == 255 and p[255] == 255, "255 values (the maximum) arrive")
  many[256] = 256
  t.err(errors.INVALID, nil, "256 values: nil, INVALID", process.send, me, "t", table.unpack(many))
end

-- ---- tables ----
do
  local v = { 1, 2, 3, nil, 5, x = { y = { z = "deep" } }, [true] = "t", [false] = "f",
              [1.5] = "float key", [-7] = "negative", [1 << 40] = "big" }
  local p = trip_echo(v)
  local r = p and p[1]
  t.ok(r and r[1] == 1 and r[3] == 3 and r[4] == nil and r[5] == 5, "array part with a hole")
  t.ok(r and r.x.y.z == "deep", "nested records")
  t.ok(r and r[true] == "t" and r[false] == "f", "boolean keys")
  t.ok(r and r[1.5] == "float key" and r[-7] == "negative" and r[1 << 40] == "big",
       "float, negative and large integer keys")
  local shared = { "s" }
  p = trip_echo({ a = shared, b = shared })
  t.ok(p and p[1].a[1] == "s" and p[1].b[1] == "s", "a table reached twice is sent (as copies)")
  p = trip_echo({})
  t.ok(p and type(p[1]) == "table" and next(p[1]) == nil, "an empty table")
end

-- ---- nesting limit ----
local function nest(depth)
  local v = "leaf"
  for _ = 1, depth do v = { v } end
  return v
end
do
  local p = trip_echo(nest(32))
  local ok = p ~= nil
  local x = p and p[1]
  for _ = 1, 31 do x = type(x) == "table" and x[1] or nil end
  t.ok(ok and type(x) == "table" and x[1] == "leaf", "32 levels of tables arrive")
  t.err(errors.INVALID, "deeper", "33 levels: nil, INVALID to the sender", process.send, me, "t", nest(33))
  t.err(errors.INVALID, nil, "1000 levels: nil, INVALID", process.send, echo, "t", nest(1000))
  t.err(errors.INVALID, nil, "100000 levels: nil, INVALID (no C stack overflow)",
        process.send, echo, "t", nest(100000))
  local ok2, e = pcall(function()
    local ch = spawn_vm("actors:vmworker")
    local r = pcall(ch.send, ch, nest(40))
    ch:close()
    return r
  end)
  t.ok(ok2 and e == false, "a too-deep value on a tx-channel raises")
end

-- ---- size limit (16 MiB per message) ----
do
  local just = string.rep("a", (16 << 20) - 64)
  local p = trip_echo(just)
  t.ok(p and #p[1] == #just, "a message just under 16 MiB arrives")
  p = nil
  t.err(errors.INVALID, nil, "a 16 MiB string: nil, INVALID to the sender",
        process.send, echo, "t", string.rep("b", 16 << 20))
  t.err(errors.INVALID, nil, "two 9 MiB strings in one message: nil, INVALID",
        process.send, echo, "t", string.rep("c", 9 << 20), string.rep("d", 9 << 20))
  local parts = {}
  for i = 1, 17 do parts[i] = string.rep("e", 1 << 20) end
  t.err(errors.INVALID, nil, "a table of 17 x 1 MiB: nil, INVALID", process.send, echo, "t", parts)
  collectgarbage()
  -- nothing of the refused messages arrived: echo answers in order, so
  -- whatever it got before the marker comes back before the marker does
  trips = trips + 1
  local marker, refused, seen = "trip " .. trips, 0, false
  process.send(echo, marker)
  local deadline = t.after(60000)
  while not seen do
    local r = channel.select{ inbox:case_receive(), deadline:case_receive() }
    if r.channel ~= inbox then break end
    seen = r.value:topic() == marker
    if r.value:topic() == "t" then refused = refused + 1 end
  end
  t.ok(seen and refused == 0, "refused messages were not delivered")
  if not seen then t.diag("the marker never came back") end
  if refused > 0 then t.diag(refused .. " refused message(s) came back") end
end

-- ---- values that cannot be sent ----
do
  local cyc = {}
  cyc.self = cyc
  t.err(errors.INVALID, "cycle", "a table containing itself: INVALID (cycle)", process.send, echo, "t", cyc)
  local a, b = {}, {}
  a.b = b; b.a = a
  t.err(errors.INVALID, "cycle", "a two-table cycle: INVALID", process.send, echo, "t", a)
  t.err(errors.INVALID, nil, "a function: INVALID", process.send, echo, "t", print)
  t.err(errors.INVALID, nil, "a Lua closure: INVALID", process.send, echo, "t", function() end)
  t.err(errors.INVALID, nil, "a coroutine: INVALID", process.send, echo, "t", coroutine.create(print))
  t.err(errors.INVALID, nil, "a local channel: INVALID", process.send, echo, "t", channel.new(1))
  t.err(errors.INVALID, nil, "the inbox channel: INVALID", process.send, echo, "t", inbox)
  local _, werr = time.sleep("x")
  t.err(errors.INVALID, nil, "an error object: INVALID", process.send, echo, "t", werr)
  t.err(errors.INVALID, "metatable", "a table with a metatable: INVALID",
        process.send, echo, "t", setmetatable({}, {}))
  t.err(errors.INVALID, nil, "a function deep inside a table: INVALID",
        process.send, echo, "t", { a = { b = { c = print } } })
  t.err(errors.INVALID, nil, "a function as a key: INVALID", process.send, echo, "t", { [print] = 1 })
  t.err(errors.INVALID, nil, "a table as a key: INVALID (or refused)",
        process.send, echo, "t", { [{}] = 1 })
  t.err(errors.INVALID, nil, "a bad value among good ones: INVALID", process.send, echo, "t", 1, 2, print)
end

-- ---- spawn arguments and exit values use the same codec ----
do
  local pid = process.spawn_monitored("actors:loop", "ward:main", 3)
  local ev = exit_of(pid)
  t.ok(ev and ev.result and ev.result.value == 3, "spawn arguments arrive")
  t.err(errors.INVALID, nil, "a function as a spawn argument: INVALID",
        process.spawn, "actors:loop", "ward:main", print)
  t.err(errors.INVALID, nil, "a too-deep spawn argument: INVALID",
        process.spawn, "actors:loop", "ward:main", nest(33))
end

-- an exit value that cannot be sent ends the process abnormally
do
  local pid = process.spawn_monitored("actors:retfn", "ward:main")
  local ev = exit_of(pid)
  t.ok(ev ~= nil, "a process returning a function exits")
  t.like(ev and ev.result and ev.result.error, "exit value cannot be sent",
         "with \"exit value cannot be sent\"")
end

process.send(echo, "stop")
t.plan(t.run)
t.done()
