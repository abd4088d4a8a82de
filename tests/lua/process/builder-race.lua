-- builder-race.lua -- builder spawns with queued messages (with_message)
-- of children that end at once: the spawn succeeded, so it returns the
-- pid; it never reports a failure for a child that did run.
-- More worker threads make the child likely to run (and end) before the
-- parent's spawn call returns.
-- ward-args: --threads 4
local t = require("tap").setup(...)
local u = require "util"
local H = u.HOST
local events = process.events()

local b = process.with_context({}):with_message("m", 1)
local N = 3000
local failed, first_err, pids = 0, nil, {}
for i = 1, N do
  local c, e = b:spawn_monitored("actors:ret", H, i)
  if c then pids[c] = i else
    failed = failed + 1
    first_err = first_err or tostring(e)
  end
end
t.is(failed, 0, N .. " builder spawns with a queued message of short-lived children all return a pid")
if first_err then t.diag("first failure: " .. first_err) end
local exits, unknown = 0, 0
for _ = 1, N do
  local ev = u.recv(events)
  if not ev then break end
  exits = exits + 1
  if pids[ev.from] ~= (ev.result and ev.result.value) then unknown = unknown + 1 end
end
t.is(exits, N, "every child sent its EXIT")
t.is(unknown, 0, "every EXIT comes from a pid that a spawn returned, with that child's value")

-- queued messages come before anything else the child receives, even a
-- message it sends itself as its very first action
local me = process.pid()
local bq = process.with_context({}):with_message("queued")
local M, wrong, missing, example = 200, 0, 0, nil
for _ = 1, M do
  bq:spawn("actors:self_first", H, me)
  local m = u.msg_on("order")
  if not m then missing = missing + 1 else
    local first, second = m:payload()
    if first ~= "queued" then
      wrong = wrong + 1
      example = example or (tostring(first) .. "," .. tostring(second))
    end
  end
end
t.is(missing, 0, M .. " children reported the order of their first two messages")
t.is(wrong, 0, "the queued message always came first")
if example then t.diag("e.g. the order was " .. example) end

u.finish(t)
