-- exec.lua -- process.exec: value, error, nested, bad input.
local t = require("tap").setup(...)
local u = require "util"
local H = u.HOST
local me = process.pid()
local events = process.events()

-- ---- values ----
t.is(process.exec("actors:ret", H, 42), 42, "exec returns the child's exit value")
t.is(select("#", process.exec("actors:ret", H, 1, 2, 3)), 1, "exec returns one value: the first returned")
t.is(process.exec("actors:ret", H, 1, 2, 3), 1, "the first one")
local tv = process.exec("actors:ret", H, { a = { 1, 2, { b = "c" } }, [true] = 1.5 })
t.ok(u.deep_eq(tv, { a = { 1, 2, { b = "c" } }, [true] = 1.5 }), "a table value round-trips")
t.is(process.exec("actors:ret", H, "s\0bin"), "s\0bin", "a binary string")
t.is(process.exec("actors:ret", H, false), false, "false")
local r, e = process.exec("actors:ret", H)
t.ok(r == nil and e == nil, "no exit value: nil and no error")
t.is(process.exec("actors:exec_wrap", H, me, "actors:ret", "inner"), "inner", "exec inside exec returns the inner value")
u.msg_on("execing")
local ex = process.exec("actors:exec_id", H, 3)
local depth, node = 0, ex
while type(node) == "table" and node.child do depth, node = depth + 1, node.child end
t.is(depth, 3, "exec nested three deep")
t.is(node and node.depth, 0, "the innermost child ran with depth 0")

-- ---- errors ----
r, e = process.exec("actors:fail", H, "kaboom")
t.is(r, nil, "a failing child: nil")
t.ok(u.is_err(e, errors.INTERNAL), "error kind INTERNAL")
t.like(e and e:message(), "^{ward:main|0x%x+} failed: kaboom$", "message '<pid> failed: <reason>'")
r, e = process.exec("actors:badexit", H)
t.ok(r == nil and u.is_err(e, errors.INTERNAL), "an exit value that cannot be sent: INTERNAL")
r, e = process.exec("actors:term_self", H, me)
u.msg_on("before")
t.ok(r == nil and u.is_err(e, errors.INTERNAL), "a child that terminates itself: INTERNAL")
t.like(e and e:message(), "terminated by", "with the termination reason")
r, e = process.exec("actors:exec_wrap", H, me, "actors:fail", "deep")
u.msg_on("execing")
t.ok(r == nil and u.is_err(e, errors.INTERNAL), "an error raised two levels down: INTERNAL")
t.like(e and e:message(), "failed: .*failed: deep", "both levels are in the message")
r, e = process.exec("actors:chain", H, 1, "linked boom")
t.ok(r == nil and u.is_err(e, errors.INTERNAL), "a child killed by its linked child: INTERNAL")
t.like(e and e:message(), "linked process failed: .*linked boom", "with the link reason")

-- ---- messages sent by the child while the caller waits are kept ----
t.is(process.exec("actors:args", H, me, "during"), "args-done", "exec of a child that sends to its caller")
local m = u.msg_on("args")
t.ok(m and select(2, m:payload()) == "during", "its message is in the inbox afterwards")
t.ok(u.quiet(events, 200), "exec sends no EXIT event to the caller")

-- ---- a caller waiting in exec can be terminated ----
local w = process.spawn_monitored("actors:exec_wrap", H, me, "actors:sleeper")
u.msg_on("execing")
local t0 = time.now()
process.terminate(w)
local ev = u.event_from("EXIT", w)
t.like(ev and ev.result.error, "^terminated by", "a caller blocked in exec is terminated")
t.ok(time.now() - t0 < u.ms(5000), "at once, long before the 10 s sleep ends (" .. (time.now() - t0) .. " ms)")

-- ---- bad input ----
local function refuses(kind, name, ...)
  return u.refused(t, kind, "exec refuses " .. name, process.exec, ...)
end
refuses(errors.INVALID, "a nil id", nil, H)
refuses(errors.INVALID, "no arguments")
refuses(errors.INVALID, "a number id", 1, H)
refuses(errors.INVALID, "an empty id", "", H)
refuses(errors.INVALID, "an id without a colon", "ret", H)
refuses(errors.INVALID, "an id with two colons", "actors:r:x", H)
refuses(errors.INVALID, "an id with ..", "..:ret", H)
refuses(errors.INVALID, "a nil host", "actors:ret", nil)
refuses(errors.INVALID, "a table host", "actors:ret", {})
refuses(errors.INVALID, "an empty host", "actors:ret", "")
refuses(errors.NOT_FOUND, "an unknown host", "actors:ret", "no:host")
t.like(refuses(errors.NOT_FOUND, "a missing definition", "actors:missing_def", H), "missing_def", "NOT_FOUND names it")
refuses(errors.INVALID, "a syntax error", "actors:syntax", H)
refuses(errors.INVALID, "a function argument", "actors:ping", H, me, print)
refuses(errors.INVALID, "a coroutine argument", "actors:ping", H, me, coroutine.create(print))
t.ok(u.quiet(process.inbox(), 200), "no refused exec ran its child")

u.finish(t)
