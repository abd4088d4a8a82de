-- link.lua -- link/unlink, LINK_DOWN, cascading failure, trap_links.
local t = require("tap").setup(...)
local u = require "util"
local H = u.HOST
local me = process.pid()
local events = process.events()

-- ---- trap_links = false (default): a failing linked process takes its partner down ----
local a = process.spawn_monitored("actors:chain", H, 2, "boom")
local ev = u.event_from("EXIT", a)
t.ok(ev ~= nil, "the head of a linked chain ended")
local pat = "^linked process failed: {ward:main|0x%x+}: linked process failed: {ward:main|0x%x+}: boom$"
t.like(ev and ev.result and ev.result.error, pat, "cascade: each level ends with 'linked process failed: <pid>: <reason>'")
t.is(ev and ev.result and ev.result.value, nil, "and it is an abnormal exit")

-- bidirectional: the process that did NOT call link dies too
local x = process.spawn_monitored("actors:idle", H)
local y = process.spawn_monitored("actors:link_then_fail", H, x, "yfail")
local ey = u.event_from("EXIT", y)
local ex = u.event_from("EXIT", x)
t.is(ey and ey.result.error, "yfail", "the linking process failed")
t.is(ex and ex.result.error, "linked process failed: " .. y .. ": yfail",
     "its partner (which never called link) died with 'linked process failed: <pid>: yfail'")

-- pcall cannot swallow a link failure
local st = process.spawn_monitored("actors:stubborn_link", H, me)
local lm = u.msg_on("linked-child")
local lc = lm and lm:payload()
t.like(lc, u.PID_PATTERN, "a busy process inside pcall linked a child")
if lc then process.send(lc, "go", "under pcall") end
ev = u.event_from("EXIT", st)
t.is(ev and ev.result.error, "linked process failed: " .. tostring(lc) .. ": under pcall",
     "it is taken down anyway: pcall cannot swallow a link failure")

-- a linked process that exits normally takes nobody down
t.is(process.exec("actors:linked_normal", H), "alive", "a normal exit of a linked process is no failure")

-- ---- trap_links = true in a child ----
local tr = process.spawn_monitored("actors:trapper", H, me, "inner")
local m = u.msg_on("trapped")
t.ok(m ~= nil, "the trapping child got an event")
if m then
  local e, c = m:payload()
  t.is(e.kind, process.event.LINK_DOWN, "kind LINK_DOWN")
  t.is(e.from, c, "from is the failed linked pid")
  t.is(e.error, "inner", "error is the failure's message")
end
ev = u.event_from("EXIT", tr)
t.is(ev and ev.result.value, "survived", "a trapping process survives its linked process's failure")

-- ---- trap_links = true here ----
t.is(process.set_options { trap_links = true }, true, "trap links in this process")
local f = process.spawn_linked("actors:fail_on", H)
process.send(f, "go", "linked failure")
ev = u.event(u.ms(30000))
t.ok(ev ~= nil, "LINK_DOWN arrives on events()")
t.is(ev and ev.kind, process.event.LINK_DOWN, "kind LINK_DOWN")
t.is(ev and ev.from, f, "from the linked pid")
t.is(ev and ev.error, "linked failure", "error is the reason")
t.ok(u.quiet(events, 200), "exactly one LINK_DOWN")

-- normal exit: EXIT (monitor) but no LINK_DOWN
local nrm = process.spawn_linked_monitored("actors:idle", H)
process.send(nrm, "stop")
ev = u.event_from("EXIT", nrm)
t.ok(ev and ev.result.value == "stop", "linked child exited normally")
t.ok(u.quiet(events, 300), "no LINK_DOWN on a normal exit")

-- terminate is abnormal
local term = process.spawn_linked("actors:idle", H)
process.terminate(term)
ev = u.event_from("LINK_DOWN", term)
t.ok(ev ~= nil, "LINK_DOWN when a linked process is terminated")
t.like(ev and ev.error, "^terminated by " .. u.esc(me), "with the termination reason")

-- explicit link, twice, by name
local l = process.spawn("actors:fail_on", H)
t.is(process.link(l), true, "link returns true")
t.is(process.link(l), true, "link twice returns true")
process.send(l, "go", "explicit")
ev = u.event_from("LINK_DOWN", l)
t.is(ev and ev.error, "explicit", "LINK_DOWN after an explicit link")
t.ok(u.quiet(events, 200), "linking twice still gives one LINK_DOWN")
local ln = process.spawn("actors:fail_on", H)
process.registry.register("link-target", ln)
t.is(process.link("link-target"), true, "link by name")
process.send(ln, "go", "by name")
ev = u.event_from("LINK_DOWN", ln)
t.is(ev and ev.from, ln, "LINK_DOWN from the pid behind the name")

-- unlink stops it
local ul = process.spawn("actors:fail_on", H)
t.is(process.link(ul), true, "link")
t.is(process.unlink(ul), true, "unlink returns true")
process.monitor(ul)
process.send(ul, "go", "after unlink")
ev = u.event_from("EXIT", ul)
t.is(ev and ev.result.error, "after unlink", "the unlinked process failed")
t.ok(u.quiet(events, 300), "no LINK_DOWN after unlink")
local ul2 = process.spawn_linked("actors:fail_on", H)
t.is(process.unlink(ul2), true, "unlink of a spawn_linked child")
process.monitor(ul2)
process.send(ul2, "go", "x")
u.event_from("EXIT", ul2)
t.ok(u.quiet(events, 300), "no LINK_DOWN after unlinking a spawn_linked child")
-- unlink from the other side: the partner unlinks, then fails
local os_ = process.spawn("actors:unlink_then_fail", H, me, "other side")
t.is(process.link(os_), true, "link to a process that will unlink")
process.monitor(os_)
process.send(os_, "go")
ev = u.event_from("EXIT", os_)
t.is(ev and ev.result.error, "other side", "it unlinked and failed")
t.ok(u.quiet(events, 300), "no LINK_DOWN when the partner unlinked first")
local never = process.spawn("actors:idle", H)
t.is(process.unlink(never), true, "unlink of a process never linked is harmless")
process.send(never, "stop")

-- ---- self, dead, bad input ----
local function refuses(kind, name, fn, ...)
  u.refused(t, kind, fn .. " refuses " .. name, process[fn], ...)
end
u.refuses_targets(t, { "link", "unlink" })
refuses(errors.INVALID, "itself", "link", me)
t.ok(u.quiet(events, 100), "no stray events")

u.finish(t)
