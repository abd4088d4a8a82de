-- timers-many.lua -- hundreds of processes hold timers and half of them
-- end early, dropping theirs from the middle of the timer heap: every
-- timer left still fires, once, and none of an ended process does.
local t = require("tap").setup(...)
local u = require "util"
local me = process.pid()
local N = 300
local pids = {}
for i = 1, N do
  -- even: a short timer (10..59 ms) that fires; odd: an hour, ended first
  local ms = i % 2 == 0 and 10 + i % 50 or 3600000
  pids[i] = process.spawn("actors:timed", u.HOST, me, i, ms)
end
for i = 1, N, 2 do process.send(pids[i], "stop") end
local mine = time.after(50)
local fired, dup, odd = {}, 0, 0
local got = 0
for _ = 1, N // 2 do
  local m = u.msg_on("fired", u.ms(30000))
  if m == nil then break end
  local i = m:payload()
  if i % 2 == 1 then odd = odd + 1
  elseif fired[i] then dup = dup + 1
  else fired[i] = true; got = got + 1 end
end
t.is(got, N // 2, "the short timer of each of the " .. N // 2 .. " still running fired")
t.is(dup + odd, 0, "none twice, none of a process that ended")
t.ok(u.recv(mine, u.ms(30000)) ~= nil, "a timer of the test's own fires too")
t.ok(u.quiet(process.inbox(), 300), "and nothing more")
u.finish(t)
