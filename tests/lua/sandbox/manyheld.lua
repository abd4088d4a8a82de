-- manyheld.lua -- a subprocess actor that holds many channels (200, to
-- as many actors) and gives half of them back, one by one: the runtime's
-- table of the handles it holds keeps each count right (the actors whose
-- channel it closed are told none remains once this process lets its own
-- go; the others only when the child ends), and never takes a channel it
-- holds for a forged one.
local t = require("tap").setup(...)
local me = process.pid()
local ev, inb = process.events(), process.inbox()
local u = require "util"
local wait = u.wait
local rel = u.relay(me)
local N = 200
local chans, ids = {}, {}
for i = 1, N do
  local D = spawn_vm("actors:drain", {})
  D:send(rel)
  chans[i] = D
end
local C, err = process.spawn_monitored("actors:manyheld", "ward:sandbox", me, chans)
if t.no_sandbox(C, err) then return end
local m = wait(inb)
t.ok(m and m:topic() == "done" and m:payload() == N, "the child closed half of " .. N .. " channels and sent on the rest")
for i = 1, N do chans[i]:close() end
chans = nil
collectgarbage()
-- the drains whose channel the child closed report closed (count 0); the
-- ones it sent "x" to stay open while it holds them
local closed0, closed1 = 0, 0
for _ = 1, N // 2 do
  local r = wait(inb, 30000)
  local v = r and r:payload()
  if type(v) == "table" and v[1] == "closed" then
    if v[2] == 0 then closed0 = closed0 + 1 else closed1 = closed1 + 1 end
  end
end
t.is(closed0, N // 2, "each actor whose channel the child gave back is told none remains")
t.is(closed1, 0, "... and none of those it still holds")
t.ok(wait(inb, 300) == nil, "no other is told meanwhile")
process.send(C, "end")
local e = wait(ev)
t.is(e and e.result.value, "ok", "the child ends as it should, never taken for a forger")
local rest = 0
for _ = 1, N // 2 do
  local r = wait(inb, 30000)
  local v = r and r:payload()
  if type(v) == "table" and v[1] == "closed" and v[2] == 1 then rest = rest + 1 end
end
t.is(rest, N // 2, "the others are told once the child has ended, each after its one value")
t.plan(t.run)
t.done()
