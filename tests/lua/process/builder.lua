-- builder.lua -- process.with_context and the immutable SpawnBuilder.
-- ward-args: --deny process.registry.register=probe
local t = require("tap").setup(...)
local u = require "util"
local H = u.HOST
local me = process.pid()
local events = process.events()

local function ctx_of(b, keys, ...)
  local c, e = b:spawn("actors:ctx", H, me, keys, ...)
  if not c then return nil, e end
  local m = u.msg_on("ctx")
  return m and m:payload(), c
end

-- ---- with_context returns a builder ----
local b1, e1 = process.with_context { a = 1, s = "x" }
t.is(type(b1), "userdata", "with_context returns a userdata builder")
t.is(getmetatable(b1), "SpawnBuilder", "its metatable is protected and says SpawnBuilder")
for _, f in ipairs { "with_context", "with_actor", "with_scope", "with_name", "with_message",
                     "spawn", "spawn_monitored", "spawn_linked", "spawn_linked_monitored" } do
  t.is(type(b1[f]), "function", "builder:" .. f .. " exists")
end
t.ok(not pcall(function() b1.x = 1 end), "a builder cannot be modified by assignment")

-- ---- immutability: every with_* returns a new builder; the original is unchanged ----
local b2 = b1:with_context { b = 2 }
local b3 = b1:with_name("builder-imm")
local b4 = b1:with_message("queued", 1)
local b5 = b1:with_actor("someone")
local b6 = b1:with_scope { "p1" }
for i, b in ipairs { b2, b3, b4, b5, b6 } do
  t.ok(type(b) == "userdata" and not rawequal(b, b1), "with_* #" .. i .. " returns a new builder")
end
local v = ctx_of(b1, { "a", "s", "b" })
t.ok(v and v.a == 1 and v.s == "x" and v.b == nil, "the original builder still has only its own context")
local lp = process.registry.lookup("builder-imm")
t.is(lp, nil, "the original builder registers no name (with_name made another builder)")
local c1 = b1:spawn("actors:collect", H, me, 1, 300)  -- a short look: nothing comes
local col = u.msg_on("collected")
t.is(col and #col:payload(), 0, "the original builder queues no message (with_message made another builder)")
v = ctx_of(b2, { "a", "b" })
t.ok(v and v.a == 1 and v.b == 2, "with_context on a builder adds to its context")
local b7 = b2:with_context { a = "over" }
v = ctx_of(b7, { "a", "b" })
t.ok(v and v.a == "over" and v.b == 2, "a later with_context overrides a key")
v = ctx_of(b2, { "a", "b" })
t.ok(v and v.a == 1, "and leaves the builder it came from unchanged")
-- the caller's tables are copied, not aliased
local src = { k = "before" }
local b8 = process.with_context(src)
src.k = "after"
src.extra = true
v = ctx_of(b8, { "k", "extra" })
t.ok(v and v.k == "before" and v.extra == nil, "changing the table given to with_context later changes nothing")
local nested = { inner = { x = 1 } }
local b9 = process.with_context(nested)
nested.inner.x = 2
v = ctx_of(b9, { "inner" })
t.is(v and v.inner and v.inner.x, 1, "nor does changing a nested table of it")
local payload = { n = 1 }
local b10 = b1:with_message("m", payload)
payload.n = 2
b10:spawn("actors:collect", H, me, 1, u.ms(30000))
col = u.msg_on("collected")
local got = col and col:payload()[1]
t.is(got and got.payload[1].n, 1, "changing a table given to with_message later changes nothing")

-- ---- the spawn methods ----
process.set_options { trap_links = true }
local sm = b1:spawn_monitored("actors:fail", H, "bm")
local ev = u.event_from("EXIT", sm)
t.is(ev and ev.result.error, "bm", "builder:spawn_monitored sets a monitor")
t.ok(u.quiet(events, 200), "but no link")
local sl = b1:spawn_linked("actors:fail", H, "bl")
ev = u.event_from("LINK_DOWN", sl)
t.is(ev and ev.error, "bl", "builder:spawn_linked sets a link")
t.ok(u.quiet(events, 200), "but no monitor")
local slm = b1:spawn_linked_monitored("actors:fail", H, "blm")
local e_a = u.event()
local e_b = u.event()
local kinds = {}
for _, x in ipairs { e_a or {}, e_b or {} } do if x.from == slm then kinds[x.kind] = true end end
t.ok(kinds.EXIT and kinds.LINK_DOWN, "builder:spawn_linked_monitored sets both")
local sp = b1:spawn("actors:fail", H, "plain")
t.ok(u.quiet(events, 300), "builder:spawn sets neither")
process.set_options { trap_links = false }
t.like(sp, u.PID_PATTERN, "builder:spawn returns a pid")
-- arguments
b1:spawn("actors:args", H, me, 1, nil, "x")
local am = u.msg_on("args")
t.ok(am and select("#", am:payload()) == 4 and select(4, am:payload()) == "x", "builder spawns pass arguments")

-- ---- with_name ----
local nb = b1:with_name("svc-builder")
local np = nb:spawn("actors:idle", H)
t.like(np, u.PID_PATTERN, "with_name: spawn works")
t.is(process.registry.lookup("svc-builder"), np, "the child is registered under the name")
local dup, de = nb:spawn("actors:ping", H, me)
t.ok(dup == nil and u.is_err(de, errors.ALREADY_EXISTS), "the same name again: ALREADY_EXISTS")
local dupm, dme = nb:spawn_monitored("actors:ping", H, me)
t.ok(dupm == nil and u.is_err(dme, errors.ALREADY_EXISTS), "spawn_monitored: ALREADY_EXISTS too")
process.set_options { trap_links = true }
local dupl, dle = nb:spawn_linked("actors:ping", H, me)
t.ok(dupl == nil and u.is_err(dle, errors.ALREADY_EXISTS), "spawn_linked: ALREADY_EXISTS too")
process.set_options { trap_links = false }
t.ok(u.msg_on("ping", 300) == nil, "no process was left running (actors:ping never ran)")
t.ok(u.quiet(events, 50), "and no event came from the failed spawns")
process.registry.register("taken-by-main")
local tb, te = b1:with_name("taken-by-main"):spawn("actors:ping", H, me)
t.ok(tb == nil and u.is_err(te, errors.ALREADY_EXISTS), "a name registered with registry.register: ALREADY_EXISTS")
t.ok(u.msg_on("ping", 300) == nil, "and nothing ran")
-- the name is released on exit and can be used again
local rp = nb:spawn_monitored("actors:ret", H)
t.ok(rp == nil, "while the first holder lives the name stays taken")
process.monitor(np)
process.terminate(np)
u.event_from("EXIT", np)
local np2 = nb:spawn_monitored("actors:idle", H)
t.like(np2, u.PID_PATTERN, "after the holder exits the builder can spawn under the name again")
t.is(process.registry.lookup("svc-builder"), np2, "the name now points to the new child")
process.send(np2, "stop")
u.event_from("EXIT", np2)

-- ---- with_message: delivered in order before anything else ----
local mb = b1:with_message("first", 1):with_message("second", 2, "two", nil):with_message("third")
local cp = mb:spawn("actors:collect", H, me, 4, u.ms(30000))
process.send(cp, "fourth", 4)
col = u.msg_on("collected")
local list = col and col:payload() or {}
local topics = {}
for _, x in ipairs(list) do topics[#topics + 1] = x.topic end
t.is(table.concat(topics, ","), "first,second,third,fourth", "queued messages arrive first, in order")
t.ok(list[1] and list[1].from == me, "queued messages come from the spawning process")
t.ok(list[2] and list[2].payload.n == 3 and list[2].payload[2] == "two", "with their payload and arity")
t.ok(list[3] and list[3].payload.n == 0, "a queued message without payload")

-- ---- builders that share a past: each sees its own messages only ----
-- (the list is shared and appended in place by the builder at its tip;
-- a branch from an earlier builder copies it)
local root = b1:with_message("r")
local left = root:with_message("left")
local right = root:with_message("right")         -- branches after left
local left2 = left:with_message("left2")
local function topics_of(b, n)
  b:spawn("actors:collect", H, me, n, u.ms(2000))
  local got = u.msg_on("collected")
  local ts = {}
  for _, x in ipairs(got and got:payload() or {}) do ts[#ts + 1] = x.topic end
  return table.concat(ts, ",")
end
t.is(topics_of(right, 3), "r,right", "a builder branched from an earlier one has its own messages")
t.is(topics_of(left2, 4), "r,left,left2", "... and the first branch keeps its own")
t.is(topics_of(root, 2), "r", "... and the builder they came from is unchanged")
-- a long chain of with_message: each adds one (delivered in order)
local long = b1
for i = 1, 20000 do long = long:with_message("m" .. i) end
long:spawn("actors:collect", H, me, 20000, u.ms(30000))
local lg = u.msg_on("collected")
local lp_ = lg and lg:payload() or {}
t.ok(#lp_ == 20000 and lp_[1].topic == "m1" and lp_[20000].topic == "m20000",
     "a chain of 20000 with_message calls queues them all, in order")

-- ---- with_context is inherited; children of children too ----
local cb = process.with_context { user = "alice", n = 3, t = { deep = true } }
v = ctx_of(cb, { "user", "n", "t" }, true, true)
t.ok(v and v.user == "alice" and v.n == 3 and v.t and v.t.deep == true, "the child sees the context")
-- the grandchild's "ctx" and the exec's "ctx-exec" come in either order
local got = {}
for _ = 1, 2 do
  local m = u.recv(process.inbox())
  if m then got[m:topic()] = m end
end
local gm, xm = got["ctx"], got["ctx-exec"]
local gv = gm and gm:payload()
t.ok(gv and gv.user == "alice" and gv.t and gv.t.deep == true, "a grandchild spawned plainly inherits it")
local xv = xm and xm:payload()
t.ok(xv and xv.user == "alice", "an exec child inherits it")
local pc = process.spawn("actors:ctx", H, me, { "user" })
local pm = u.msg_on("ctx")
t.ok(pm and pm:payload().user == nil, "a plain spawn from a process without context has none")

-- ---- with_actor: the child (and its children) act as that actor ----
-- bob is declared by no policy: it acts under the scope the builder gives it
local ab = b1:with_actor("bob"):with_scope { "default" }
ab:spawn("actors:actor_probe", H, me, true)
local pr = u.msg_on("probe")
t.like(pr and pr:payload(), "%(actor bob%)", "with_actor: the child acts as the actor")
pr = u.msg_on("probe")
t.like(pr and pr:payload(), "%(actor bob%)", "its own children inherit the actor")
b1:spawn("actors:actor_probe", H, me)
pr = u.msg_on("probe")
t.like(pr and pr:payload(), "%(actor main%)", "without with_actor the child acts as its parent's actor")
local sb = b1:with_scope { "policy-a", "policy-b" }
local sp2 = sb:spawn("actors:ret", H)
t.like(sp2, u.PID_PATTERN, "with_scope: spawn works")
local both = b1:with_actor("carol"):with_scope {}
t.like(both:spawn("actors:ret", H), u.PID_PATTERN, "with_actor and an empty scope together")
-- an actor that no declaration matches, given no scope, has no policy
local function result_of(b)
  local pid = b:spawn_monitored("actors:try_all", H, me)
  local e = pid and u.event_from(process.event.EXIT, pid)
  return e and e.result and e.result.value
end
t.is(result_of(b1:with_actor("dave")),
     "spawn=PERMISSION_DENIED send=PERMISSION_DENIED register=PERMISSION_DENIED",
     "with_actor of an undeclared actor and no scope: every request is denied")
t.is(result_of(b1:with_actor("main")), "spawn=ok send=ok register=ok",
     "with_actor of a declared actor (main): its declaration's scope applies")
local tm = u.msg_on("try_all")
t.is(tm and tm:payload(), "hello", "... and only main's message arrived")
t.is(u.msg_on("try_all", 200), nil, "... not a second one")

-- ---- bad input ----
local function refuses(name, f, ...) u.refused(t, errors.INVALID, name, f, ...) end
refuses("process.with_context(nil)", process.with_context, nil)
refuses("process.with_context()", process.with_context)
refuses("process.with_context(5)", process.with_context, 5)
refuses("process.with_context(\"x\")", process.with_context, "x")
refuses("b:with_context(nil)", b1.with_context, b1, nil)
refuses("b:with_context(true)", b1.with_context, b1, true)
refuses("b:with_actor(nil)", b1.with_actor, b1, nil)
refuses("b:with_actor(5)", b1.with_actor, b1, 5)
refuses("b:with_actor(\"\")", b1.with_actor, b1, "")
refuses("b:with_actor({})", b1.with_actor, b1, {})
refuses("b:with_scope(nil)", b1.with_scope, b1, nil)
refuses("b:with_scope(\"p\")", b1.with_scope, b1, "p")
refuses("b:with_scope({1})", b1.with_scope, b1, { 1 })
refuses("b:with_scope({\"a\", {}})", b1.with_scope, b1, { "a", {} })
refuses("b:with_name(nil)", b1.with_name, b1, nil)
refuses("b:with_name(5)", b1.with_name, b1, 5)
refuses("b:with_name(\"\")", b1.with_name, b1, "")
refuses("b:with_name(\"{x\")", b1.with_name, b1, "{x")
refuses("b:with_name(256 bytes)", b1.with_name, b1, string.rep("n", 256))
t.ok(b1:with_name(string.rep("n", 255)) ~= nil, "b:with_name(255 bytes) is fine")
refuses("b:with_message(nil)", b1.with_message, b1, nil)
refuses("b:with_message(5)", b1.with_message, b1, 5)
refuses("b:with_message(\"\")", b1.with_message, b1, "")
refuses("b:with_message(\"@x\")", b1.with_message, b1, "@x")
refuses("b:with_message with a function payload", b1.with_message, b1, "m", function() end)
refuses("b:with_message with a cyclic payload", b1.with_message, b1, "m", (function() local c = {} c.c = c return c end)())
refuses("b:with_message with a metatable payload", b1.with_message, b1, "m", setmetatable({}, {}))
for _, f in ipairs { "spawn", "spawn_monitored", "spawn_linked", "spawn_linked_monitored" } do
  refuses("b:" .. f .. "(nil id)", b1[f], b1, nil, H)
  refuses("b:" .. f .. "(bad id)", b1[f], b1, "bad id", H)
  refuses("b:" .. f .. "(nil host)", b1[f], b1, "actors:ret", nil)
  refuses("b:" .. f .. "(function argument)", b1[f], b1, "actors:ping", H, me, print)
  local ok, why = u.refuses(errors.NOT_FOUND, b1[f], b1, "actors:nope", H)
  t.ok(ok, "b:" .. f .. "(missing definition) is NOT_FOUND")
  ok, why = u.refuses(errors.NOT_FOUND, b1[f], b1, "actors:ret", "no:host")
  t.ok(ok, "b:" .. f .. "(unknown host) is NOT_FOUND")
end
-- a context that cannot be sent
local fb, fe = process.with_context { f = function() end }
if fb then fb, fe = fb:spawn("actors:ping", H, me) end
t.ok(fb == nil and u.is_err(fe, errors.INVALID), "a context holding a function is refused (INVALID)")
-- methods called on something that is not a builder must not succeed
local ok_self = pcall(b1.with_name, {}, "x")
local r1 = ok_self and b1.with_name({}, "x")
t.ok(not ok_self or r1 == nil, "builder methods refuse a non-builder self")
t.ok(u.msg_on("ping", 300) == nil, "no refused builder spawn ran a child")
t.ok(u.quiet(events, 50), "no stray events")

u.finish(t)
