-- upgrade.lua -- process.upgrade keeps pid, mailbox, names, links and
-- monitors; nil id restarts the same definition; bad ids fail.
local t = require("tap").setup(...)
local u = require "util"
local H = u.HOST
local me = process.pid()
local events = process.events()

-- ---- the full upgrade ----
process.set_options { trap_links = true }
local p = process.spawn_monitored("actors:upg1", H, me)
local ready = u.msg_on("ready")
t.ok(ready ~= nil, "actors:upg1 is ready")
t.is(process.link(p), true, "linked to it")
-- fill its mailbox before it upgrades: inbox messages and a listened topic
process.send(p, "keep1", 1)
process.send(p, "keep2", 2, "two")
process.send(p, "sub", "subscribed")
process.send(p, "ctl", "go")
local up = u.msg_on("upgraded")
local info = up and up:payload()
t.ok(info ~= nil, "the new body runs")
if info then
  t.is(info.pid, p, "the pid is kept")
  t.is(up:from(), p, "messages come from the same pid")
  t.is(info.id, p, "the call chain id is kept")
  t.is(info.a, "state", "the new body gets the upgrade arguments (2nd)")
  t.is(info.b, 7, "the new body gets the upgrade arguments (3rd)")
  t.is(info.nargs, 3, "and exactly those")
  t.is(info.name_pid, p, "the registered name is kept")
  t.ok(info.listen_sub_ok, "topic subscriptions are dropped (listen again works)")
  t.is(info.sub_got, "subscribed", "listening again gets the dropped topic's queued message")
end
t.is(process.registry.lookup("upg-svc"), p, "the name still resolves to the pid from outside")
local seen = {}
for _ = 1, 2 do
  local m = u.msg_on("saw")
  if m then
    local topic, v = m:payload()
    seen[#seen + 1] = topic .. "=" .. tostring(v)
  end
end
t.is(table.concat(seen, " "), "keep1=1 keep2=2",
     "the mailbox is kept: queued inbox messages (the dropped topic's went to its new listener)")
process.send(p, "after", "x")
local m = u.msg_on("saw")
t.ok(m and select(1, m:payload()) == "after", "messages sent after the upgrade reach the new body")
t.ok(u.quiet(events, 100), "no EXIT or LINK_DOWN for an upgrade")
process.send(p, "crash")
local ev = u.event_from("EXIT", p)
t.is(ev and ev.result.error, "crashed-v2", "the monitor is kept: EXIT of the new body")
ev = u.event_from("LINK_DOWN", p)
t.is(ev and ev.error, "crashed-v2", "the link is kept: LINK_DOWN from the new body")
local lp, le = process.registry.lookup("upg-svc")
t.ok(lp == nil and u.is_err(le, errors.NOT_FOUND), "the name is released when the upgraded process exits")

-- ---- nil id: the same definition with new state ----
local r = process.exec("actors:upg_self", H)
t.ok(type(r) == "table" and r.n == 3, "upgrade(nil, state) restarts the body with the state, three times")
if type(r) == "table" then
  t.is(#r.pids, 4, "four generations ran")
  t.ok(r.pids[1] == r.pids[2] and r.pids[2] == r.pids[3] and r.pids[3] == r.pids[4],
       "all with the same pid")
end
t.is(process.exec("actors:upg_a", H), "b2", "nil id after an upgrade restarts the new definition, not the first")
local pe = process.spawn_monitored("actors:upg_empty", H, "first")
ev = u.event_from("EXIT", pe)
t.is(ev and ev.result.value, 100, "upgrade(nil) with no state: ... is empty")

-- events waiting in the mailbox are kept too
local ue = process.exec("actors:upg_ev", H, 1, t.scale)
t.ok(type(ue) == "table" and ue.kind == "EXIT" and ue.from == ue.child and ue.value == "child value",
     "an EXIT event queued before the upgrade is received by the new body")
if type(ue) ~= "table" then t.diag(u.show(ue)) end

-- upgrade from inside the script's own coroutine upgrades the process
local co = process.exec("actors:upg_co", H, 1)
t.ok(type(co) == "table" and co.gen == 2, "upgrade inside coroutine.wrap restarts the process body")
-- a failed upgrade (where it cannot yield) changes nothing
t.is(process.exec("actors:upg_sort", H), "sort-again",
     "after upgrade fails inside a sort comparator, upgrade(nil) restarts the same definition")

-- ---- bad input: nil, err and the process goes on ----
local res = process.exec("actors:upg_bad", H)
t.ok(type(res) == "table" and res.still_running, "the process goes on after failed upgrades")
local function check(name, kind)
  local x = type(res) == "table" and res[name]
  local ok = x and not x.raised and x.r == nil and x.kind == kind
  t.ok(ok, "upgrade refuses " .. name .. " with " .. kind)
  if not ok then t.diag(u.show(x)) end
end
if type(res) == "table" then
  check("number id", errors.INVALID)
  check("table id", errors.INVALID)
  check("boolean id", errors.INVALID)
  check("empty id", errors.INVALID)
  check("bad id", errors.INVALID)
  check("id with ..", errors.INVALID)
  check("missing", errors.NOT_FOUND)
  check("syntax", errors.INVALID)
  check("function state", errors.INVALID)
  check("function state with id", errors.INVALID)
  check("metatable state", errors.INVALID)
end

u.finish(t)
