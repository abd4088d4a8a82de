-- exit-bytes.lua -- EXIT events count against --mailbox-bytes like the
-- messages they sit beside: a process that never reads cannot be made to
-- hold results past its limit. An event is never lost: one whose result
-- would pass the limit comes with result.error saying so instead.
-- ward-args: --mailbox-bytes 1M
local t = require("tap").setup(...)
local u = require "util"
local H = u.HOST
local me = process.pid()
local K = 1024

-- end a child that returns `size` bytes and wait until its EXIT is queued
-- here, without taking it
local function ended(size)
  local c = process.spawn_monitored("actors:bigret", H, size)
  t.is(process.exec("actors:await_exit", H, c), process.event.EXIT, "a child of " .. size .. " bytes ended")
  return c
end

local a = ended(600 * K)
-- the queued result counts: a message it leaves no room for is refused
local ok, e = process.send(me, "big", string.rep("m", 500 * K))
t.is(ok, nil, "a queued EXIT's result counts against the mailbox's bytes")
t.ok(u.is_err(e, errors.UNAVAILABLE, "is full"), "... the send fails UNAVAILABLE")
t.is(process.send(me, "small", string.rep("m", 300 * K)), true, "what still fits is taken")
-- a second result that would pass the limit is cut, its event kept
local b = ended(600 * K)
local c = ended(2 * 1024 * K)   -- more than the whole limit
local ea = u.event_from("EXIT", a)
t.is(ea and ea.result.value and #ea.result.value, 600 * K, "the first result is whole")
local eb = u.event_from("EXIT", b)
t.ok(eb ~= nil, "the event whose result would pass the limit arrives")
t.ok(eb ~= nil and eb.result.value == nil, "... without its result")
t.like(eb and eb.result.error or "", "^result not delivered: its %d+ bytes would pass the mailbox "
       .. "limit of .* %(%d+ bytes queued; limit 1048576 bytes%)$", "... saying why")
local ec = u.event_from("EXIT", c)
t.like(ec and ec.result.error or "", "^result not delivered: its 2097%d+ bytes", "a result larger than the limit is cut")
-- once read, the bytes are free again
t.is(u.msg() and true, true, "the message is still there")
local d = ended(900 * K)
local ed = u.event_from("EXIT", d)
t.is(ed and ed.result.value and #ed.result.value, 900 * K, "with the mailbox empty a large result comes whole")
u.finish(t)
