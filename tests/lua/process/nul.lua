-- nul.lua -- strings with a NUL byte inside: Lua strings are binary, C
-- strings end at the NUL. No call may act on the part before the NUL as
-- if it were the whole argument: it refuses (nil, INVALID or NOT_FOUND)
-- or treats the full string.
-- ward-args: --deny process.registry.register=probe
local t = require("tap").setup(...)
local u = require "util"
local H = u.HOST
local me = process.pid()
local inbox, events = process.inbox(), process.events()

-- A wait for something that must come is bounded by a generous deadline,
-- scaled by WARD_TEST_TIMEOUT_SCALE; its end is a failure.
local WAIT = t.ms(30000)

local function refused(name, f, ...)
  local r = table.pack(pcall(f, ...))
  local ok = r[1] and r[2] == nil and (u.is_err(r[3], errors.INVALID) or u.is_err(r[3], errors.NOT_FOUND))
  t.ok(ok, name .. " is refused")
  if not ok then
    t.diag(r[1] and ("got " .. u.show(r[2]) .. ", " .. tostring(r[3])) or ("raised " .. tostring(r[2])))
  end
  return ok
end

-- process ids, hosts
for _, f in ipairs { "spawn", "spawn_monitored", "spawn_linked", "spawn_linked_monitored", "exec" } do
  refused(f .. " with an id holding a NUL", process[f], "actors:ping\0junk", H, me)
  refused(f .. " with a host holding a NUL", process[f], "actors:ping", H .. "\0junk", me)
end
local b = process.with_context {}
refused("builder:spawn with an id holding a NUL", b.spawn, b, "actors:ping\0junk", H, me)
t.ok(u.msg_on("ping", 300) == nil, "no child ran")

-- destinations
process.set_options { trap_links = true }
local x = process.spawn_monitored("actors:idle", H)
process.registry.register("nul-target", x)
refused("send to a pid followed by a NUL and junk", process.send, x .. "\0junk", "stop")
refused("send to a name followed by a NUL and junk", process.send, "nul-target\0junk", "stop")
refused("cancel of a pid followed by a NUL", process.cancel, x .. "\0junk", "1s")
for _, f in ipairs { "monitor", "unmonitor", "link", "unlink", "terminate" } do
  refused(f .. " of a pid followed by a NUL", process[f], x .. "\0junk")
end
t.ok(u.quiet(events, 300), "the target was not reached (it would have exited or been terminated)")
while u.recv(events, 100) do end

-- names
local r1 = table.pack(pcall(process.registry.register, "nul\0name"))
if r1[1] and r1[2] == true then
  t.is(process.registry.lookup("nul"), nil, "a name with a NUL is not registered as the part before it")
  t.is(process.registry.lookup("nul\0name"), me, "but under the full name")
else
  t.ok(r1[1] and r1[2] == nil and u.is_err(r1[3], errors.INVALID), "register of a name with a NUL is INVALID")
  t.is(process.registry.lookup("nul"), nil, "and nothing is registered")
end
process.registry.register("plain")
local lp = process.registry.lookup("plain\0junk")
t.ok(lp == nil, "lookup of a registered name followed by a NUL and junk finds nothing")
t.is(process.registry.unregister("plain\0junk") == true and process.registry.lookup("plain") == nil, false,
     "unregister of a name followed by a NUL does not remove the name before the NUL")
refused("register for a pid followed by a NUL", process.registry.register, "nm", x .. "\0junk")

-- topics
local s1 = table.pack(pcall(process.send, me, "tp\0junk", 1))
if s1[1] and s1[2] == true then
  local m = u.msg(WAIT)
  t.ok(m and m:topic() == "tp\0junk", "a topic with a NUL arrives whole")
else
  t.ok(s1[1] and s1[2] == nil and u.is_err(s1[3], errors.INVALID), "send with a topic holding a NUL is INVALID")
  t.ok(u.quiet(inbox, 100), "and nothing is delivered")
end
local l1 = table.pack(pcall(process.listen, "lt\0junk"))
if l1[1] and l1[2] then
  local l2 = process.listen("lt")
  t.ok(l2 ~= nil, "listening to a topic with a NUL does not take the topic before the NUL")
  process.send(me, "lt", "short")
  t.ok(u.quiet(l1[2], 100), "nor receive its messages")
else
  t.ok(l1[1] and l1[2] == nil and u.is_err(l1[3], errors.INVALID), "listen to a topic holding a NUL is INVALID")
  t.ok(process.listen("lt") ~= nil, "and takes nothing")
end

-- builder strings: each with_* refuses the string as INVALID, or the
-- string is used whole, which prove(builder) then shows
local function builder_refuses_or_whole(name, make, prove)
  local ok, nb, e = pcall(make)
  if ok and nb ~= nil then
    t.diag(name .. " is accepted: it must be used whole")
    prove(nb)
  else
    local good = ok and u.is_err(e, errors.INVALID)
    t.ok(good, name .. " is INVALID")
    if not good then t.diag(ok and ("got " .. tostring(e)) or ("raised " .. tostring(nb))) end
  end
end

local ALL_DENIED = "spawn=PERMISSION_DENIED send=PERMISSION_DENIED register=PERMISSION_DENIED"
-- what a actors:try_all child spawned by builder nb could do, or why it did not run
local function try_all(nb)
  local pid, e = nb:spawn_monitored("actors:try_all", H, me)
  if not pid then return "not spawned: " .. tostring(e) end
  local ev = u.event_from(process.event.EXIT, pid, WAIT)
  return ev and ev.result and ev.result.value or "no EXIT within the wait"
end

builder_refuses_or_whole("with_name of a name with a NUL",
  function() return b:with_name("bn\0junk") end,
  function(nb)
    local c, e = nb:spawn("actors:idle", H)
    t.ok(c ~= nil and process.registry.lookup("bn") == nil
         and process.registry.lookup("bn\0junk") == c,
         "the child is registered under the whole name, not the part before the NUL")
    if c then process.send(c, "stop") else t.diag(tostring(e)) end
  end)

builder_refuses_or_whole("with_message of a topic with a NUL",
  function() return b:with_message("mt\0junk", 1) end,
  function(nb)
    nb:spawn("actors:collect", H, me, 1, WAIT)
    local col = u.msg_on("collected", WAIT)
    local got = col and col:payload()[1]
    t.ok(col ~= nil, "the child reported what it received, within the wait")
    t.ok(got ~= nil and got.topic == "mt\0junk", "the queued message arrived with its whole topic")
  end)

-- the child acts as the whole id: actors:actor_probe's denied register names
-- its actor, and "main\0root" is no declared actor, so main's declaration
-- must not apply to it
builder_refuses_or_whole("with_actor of an actor with a NUL",
  function() return b:with_actor("bob\0root") end,
  function(nb)
    local c, e = nb:with_scope { "default" }:spawn("actors:actor_probe", H, me)
    local m = c and u.msg_on("probe", WAIT)
    local said = m and m:payload()
    t.ok(type(said) == "string" and said:find("%(actor bob.+root%)") ~= nil,
         "the child acts as the whole actor id, not as bob")
    t.diag(type(said) == "string" and said or c and "no report within the wait" or tostring(e))
  end)
builder_refuses_or_whole("with_actor of main followed by a NUL",
  function() return b:with_actor("main\0root") end,
  function(nb)
    t.is(try_all(nb), ALL_DENIED, "main\\0root is not main: every request of the child is denied")
  end)

-- a scope naming "default\0q" names no policy; cut at the NUL it would
-- name the default policy and grant what it grants
builder_refuses_or_whole("with_scope of a policy name with a NUL",
  function() return b:with_actor("carol"):with_scope { "default\0q" } end,
  function(nb)
    t.is(try_all(nb), ALL_DENIED, "the scope is not the default policy: every request is denied")
  end)

-- upgrade
local res = process.exec("actors:upg_nul", H)
t.ok(type(res) == "table" and res.r == nil and (res.kind == errors.INVALID or res.kind == errors.NOT_FOUND),
     "upgrade to an id holding a NUL is refused")

u.finish(t)
