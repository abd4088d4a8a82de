-- monitor-many.lua -- a process that monitors and links to hundreds of
-- others (its sets then take their larger form): each is added once, an
-- unmonitor drops exactly that one (a second is harmless), every EXIT and LINK_DOWN arrives once;
-- and one process monitored by hundreds: each watcher gets its EXIT.
local t = require("tap").setup(...)
local u = require "util"
local H = u.HOST
local me = process.pid()
local events = process.events()
local N = 300

-- ---- one watcher, N targets ----
local kids, watched = {}, {}
for i = 1, N do kids[i] = process.spawn_monitored("actors:idle", H) end
t.is(#kids, N, N .. " children spawned monitored")
local again = 0
for i = 1, N do
  if process.monitor(kids[i]) == true then again = again + 1 end
end
t.is(again, N, "monitoring each of " .. N .. " again returns true")
local dropped, twice = 0, 0
for i = 1, N, 3 do
  if process.unmonitor(kids[i]) == true then dropped = dropped + 1 end
  if process.unmonitor(kids[i]) == true then twice = twice + 1 end
end
t.is(dropped, (N + 2) // 3, "unmonitor of every third returns true")
t.is(twice, dropped, "a second unmonitor of each is harmless")
for i = 1, N do
  if (i - 1) % 3 ~= 0 then watched[kids[i]] = 0 end
  process.send(kids[i], "stop")
end
local want = N - dropped
local got, dup, stray = 0, 0, 0
for _ = 1, want do
  local ev = u.event(u.ms(30000))
  if ev == nil then break end
  if watched[ev.from] == nil then stray = stray + 1
  elseif watched[ev.from] > 0 then dup = dup + 1
  else watched[ev.from] = 1; got = got + 1 end
end
t.is(got, want, "an EXIT from each of the " .. want .. " still monitored")
t.is(dup + stray, 0, "none twice, none from an unmonitored one")
t.ok(u.quiet(events, 300), "and nothing more")

-- ---- links: N partners, trapped; half unlinked ----
process.set_options { trap_links = true }
local partners, linked = {}, {}
for i = 1, N do
  partners[i] = process.spawn_linked("actors:fail_on", H)
end
for i = 1, N, 2 do process.unlink(partners[i]) end
for i = 1, N do
  if i % 2 == 0 then linked[partners[i]] = 0 end
  process.send(partners[i], "go", "down " .. i)
end
got, dup, stray = 0, 0, 0
for _ = 1, N // 2 do
  local ev = u.event(u.ms(30000))
  if ev == nil then break end
  if ev.kind ~= process.event.LINK_DOWN or linked[ev.from] == nil then stray = stray + 1
  elseif linked[ev.from] > 0 then dup = dup + 1
  else linked[ev.from] = 1; got = got + 1 end
end
t.is(got, N // 2, "a LINK_DOWN from each of the " .. N // 2 .. " still linked")
t.is(dup + stray, 0, "none twice, none from an unlinked one")
t.ok(u.quiet(events, 300), "and nothing more")

-- ---- one target, N watchers ----
local target = process.spawn("actors:idle", H)
local watchers = 0
for _ = 1, N do
  process.spawn("actors:watch", H, me, target)
end
for _ = 1, N do
  local m = u.msg_on("watching")
  if m and m:payload() == true then watchers = watchers + 1 end
end
t.is(watchers, N, N .. " processes monitor one target")
process.send(target, "stop")
local told = 0
for _ = 1, N do
  local m = u.msg_on("watched")
  if m and m:payload().kind == process.event.EXIT and m:payload().from == target then told = told + 1 end
end
t.is(told, N, "each of them gets its EXIT")
u.finish(t)
