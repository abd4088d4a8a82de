-- spawn.lua -- the four spawn functions: arguments, bad ids, hosts,
-- missing and broken definitions, what each variant sets up.
local t = require("tap").setup(...)
local u = require "util"
local H = u.HOST
local me = process.pid()
local inbox, events = process.inbox(), process.events()

local variants = { "spawn", "spawn_monitored", "spawn_linked", "spawn_linked_monitored" }

-- ---- arguments reach the child as ... ----
for _, f in ipairs(variants) do
  local c, e = process[f]("actors:args", H, me, 1, nil, "three", { four = 4 }, nil)
  t.like(c, u.PID_PATTERN, f .. " returns a pid")
  local m = u.msg_on("args")
  local ok = m ~= nil
  if ok then
    local p = table.pack(m:payload())
    ok = p[1] == 5 and p[2] == 1 and p[3] == nil and p[4] == "three"
         and type(p[5]) == "table" and p[5].four == 4 and p[6] == nil and p.n == 6
    if not ok then t.diag(u.show(p)) end
    ok = ok and m:from() == c
  end
  t.ok(ok, f .. ": the child gets its arguments as ... (nils and count kept)")
end
-- drain the EXIT events of the monitored variants above
-- (wait for both, however late; then a short look for anything more)
local drained = 0
while drained < 2 and u.recv(events) do drained = drained + 1 end
while u.recv(events, 300) do drained = drained + 1 end
t.is(drained, 2, "the two monitored variants above each sent EXIT (and nothing else, normal exits)")
-- no arguments at all
local c0 = process.spawn_monitored("actors:ret", H)
local ev = u.event_from("EXIT", c0)
t.ok(ev and ev.result and ev.result.value == nil and ev.result.error == nil,
     "no arguments: ... is empty, the exit value is nil")

-- ---- what each variant sets up ----
process.set_options { trap_links = true }
for _, f in ipairs(variants) do
  local c = process[f]("actors:fail", H, "variant " .. f)
  local monitored = f:find("monitored") ~= nil
  local linked = f:find("linked") ~= nil
  local want = {}
  if monitored then want[#want + 1] = "EXIT" end
  if linked then want[#want + 1] = "LINK_DOWN" end
  -- the events wanted, however late; then a short look for anything more
  local got = {}
  while true do
    local x = u.recv(events, #got >= #want and 400 or nil)
    if not x then break end
    if x.from == c then got[#got + 1] = x.kind end
  end
  t.is(table.concat(got, ","), table.concat(want, ","), f .. " of a failing child: events " ..
       (#want > 0 and table.concat(want, ",") or "none"))
end
process.set_options { trap_links = false }

-- ---- bad input: nil, err, never a raise, no child ----
local function refuses(kind, name, f, ...)
  return u.refused(t, kind, f .. " refuses " .. name, process[f], ...)
end
for _, f in ipairs(variants) do
  refuses(errors.INVALID, "a nil id", f, nil, H)
  refuses(errors.INVALID, "no arguments", f)
  refuses(errors.INVALID, "a number id", f, 5, H)
  refuses(errors.INVALID, "an empty id", f, "", H)
  refuses(errors.INVALID, "an id without a colon", f, "ret", H)
  refuses(errors.INVALID, "an id with two colons", f, "actors:a:b", H)
  refuses(errors.INVALID, "an id with an empty name", f, "actors:", H)
  refuses(errors.INVALID, "an id with an empty segment", f, "a..t:ret", H)
  refuses(errors.INVALID, "an id with ..", f, "..:ret", H)
  refuses(errors.INVALID, "an id with a slash", f, "actors/../actors:ret", H)
  refuses(errors.INVALID, "an id with a slash in the name", f, "t:../ret", H)
  refuses(errors.INVALID, "an id with a space", f, "actors:r et", H)
  local okl, whyl = u.refuses(errors.INVALID, process[f], "actors:" .. string.rep("a", 300), H)
  if not okl then okl, whyl = u.refuses(errors.NOT_FOUND, process[f], "actors:" .. string.rep("a", 300), H) end
  t.ok(okl, f .. " refuses an id of 300 bytes (INVALID or NOT_FOUND)")
  refuses(errors.INVALID, "a nil host", f, "actors:ret", nil)
  refuses(errors.INVALID, "a number host", f, "actors:ret", 1)
  refuses(errors.INVALID, "an empty host", f, "actors:ret", "")
  refuses(errors.NOT_FOUND, "an unknown host", f, "actors:ret", "no:such-host")
  refuses(errors.NOT_FOUND, "a missing definition", f, "actors:does_not_exist", H)
  refuses(errors.INVALID, "a definition with a syntax error", f, "actors:syntax", H)
  refuses(errors.NOT_FOUND, "a missing namespace", f, "nowhere.deep:ret", H)
  refuses(errors.INVALID, "a function argument", f, "actors:ping", H, me, function() end)
  refuses(errors.INVALID, "a table with a metatable as argument", f, "actors:ping", H, me,
          setmetatable({}, {}))
  local cyc = {}
  cyc[1] = cyc
  refuses(errors.INVALID, "a cyclic argument", f, "actors:ping", H, me, cyc)
  refuses(errors.INVALID, "a channel.new channel as argument", f, "actors:ping", H, me, channel.new(1))
  refuses(errors.INVALID, "a coroutine as argument", f, "actors:ping", H, me, coroutine.create(print))
end
local args = {}
for i = 1, 256 do args[i] = i end
refuses(errors.INVALID, "256 arguments", "spawn", "actors:ret", H, table.unpack(args, 1, 256))
local c255 = process.spawn_monitored("actors:args", H, me, table.unpack(args, 1, 254))
local m255 = u.msg_on("args")
t.ok(m255 and m255:payload() == 254 and select(255, m255:payload()) == 254, "255 arguments are fine")
u.event_from("EXIT", c255)
t.ok(u.quiet(inbox, 300), "no refused spawn ran a child (actors:ping never reported)")
t.ok(u.quiet(events, 50), "and no refused monitored spawn sent an event")

-- ---- children outlive their parent (no implicit link) ----
local gc = process.exec("actors:spawner", H, "orphan")
t.like(gc, u.PID_PATTERN, "a child spawned a grandchild and exited")
t.is(process.registry.lookup("orphan"), gc, "the grandchild is still alive after its parent exited")
process.monitor(gc)
process.send("orphan", "stop")
local oe = u.event_from("EXIT", gc)
t.is(oe and oe.result.value, "stop", "and ends normally when told")

-- ---- dotted namespaces resolve to directories ----
local leaf = process.exec("actors.sub:leaf", H, 1, 2)
t.ok(type(leaf) == "table" and leaf[1] == "leaf" and leaf[2] == 2, "actors.sub:leaf runs <root>/actors/sub/leaf.lua")

-- ---- exit values seen through a monitor ----
local cases = {
  { "a number", 42 }, { "a string", "s" }, { "a table", { a = { 1, 2 } } }, { "false", false },
}
for _, c in ipairs(cases) do
  local p = process.spawn_monitored("actors:ret", H, c[2], "ignored second value")
  local x = u.event_from("EXIT", p)
  t.ok(x and x.result and u.deep_eq(x.result.value, c[2]) and x.result.error == nil,
       "exit value " .. c[1] .. " is the first returned value")
end
local p = process.spawn_monitored("actors:badexit", H)
local x = u.event_from("EXIT", p)
t.ok(x and x.result and x.result.value == nil and type(x.result.error) == "string",
     "an exit value that cannot be sent is an abnormal exit")

-- ---- the pid returned is the child's, even when the child ends at once ----
local badpid, badfrom = 0, 0
for i = 1, 1000 do
  local c = process.spawn_monitored("actors:ret", H, i)
  if type(c) ~= "string" or not c:find(u.PID_PATTERN) then badpid = badpid + 1 end
  local e = u.recv(events)
  if not e or e.from ~= c or e.result.value ~= i then badfrom = badfrom + 1 end
end
t.is(badpid, 0, "1000 spawns of short-lived children: every returned pid is well formed")
t.is(badfrom, 0, "and is the pid their EXIT comes from")

-- ---- many children ----
local pids, seen = {}, {}
for i = 1, 200 do
  local c = process.spawn_monitored("actors:ret", H, i)
  pids[c] = i
end
local n, right = 0, true
for _ = 1, 200 do
  local e = u.recv(events)
  if not e then break end
  n = n + 1
  if pids[e.from] ~= (e.result and e.result.value) or seen[e.from] then
    if right then t.diag("unexpected event " .. u.show(e) .. " (want value " .. tostring(pids[e.from]) .. ")") end
    right = false
  end
  seen[e.from] = true
end
t.is(n, 200, "200 monitored children each sent one EXIT")
t.ok(right, "each EXIT carries that child's own value")

-- one file, one id: the name after `:` is a single segment, so `actors:sub.leaf`
-- cannot reach the file of `actors.sub:leaf` under another spelling
local r = process.exec("actors.sub:leaf", H)
t.ok(type(r) == "table" and r[1] == "leaf", "actors.sub:leaf names actors/sub/leaf.lua")
local c2, e2 = process.spawn("actors:sub.leaf", H)
t.ok(c2 == nil and u.is_err(e2, errors.INVALID, "one segment"), "actors:sub.leaf is INVALID, not another name for it")

-- exec cannot wait where the process cannot yield (a sort comparator is
-- called from C): refused before any child runs
local ex
table.sort({ 2, 1 }, function(a, b) ex = ex or table.pack(process.exec("actors:ret", H, 1)); return a < b end)
t.ok(ex[1] == nil and u.is_err(ex[2], errors.INVALID, "cannot wait here"), "exec inside a C callback is INVALID")
t.ok(u.quiet(events, 200), "and spawned nothing")

u.finish(t)
