-- raw-parent.lua -- run by hostile-child.sh with tests/ward-faults and
-- WARD_TEST_RAW_WIRE=1: spawns the compromised child actors:raw with the attack
-- named by the first argument, prints what it reported and how it ended,
-- then shows that the runtime goes on. Arguments: attack, timeout scale.
-- For the pace attacks it also floods the child and checks that another
-- sandboxed actor is served meanwhile.
local attack, scale = ...
scale = tonumber(scale) or 1
local ev, inb = process.events(), process.inbox()
local function wait(ch, ms)
  local r = channel.select { ch:case_receive(), time.after(ms * scale):case_receive() }
  if r.channel == ch then return r.value end
end
local function show(v)
  if type(v) == "string" then return (v:gsub("[^\32-\126]", function(c)
    return string.format("\\x%02x", c:byte()) end)) end
  return tostring(v)
end
local function print_report(m)
  local t = table.pack(m:payload())
  for i = 1, t.n do t[i] = show(t[i]) end
  print("report: " .. table.concat(t, " ", 1, t.n))
end

if attack == "fds-park" then
  -- many children park descriptors in frames they never finish, until
  -- the stall time ends them; meanwhile trusted work opens descriptors
  local fd = require "fd"
  local kids = {}
  for _ = 1, 60 do
    local c = process.spawn_monitored("actors:raw", "ward:sandbox", attack, process.pid(), scale)
    if c then kids[#kids + 1] = c end
  end
  print("children: " .. #kids)
  -- one at a time: the kernel bounds the descriptors in flight per user
  for _, c in ipairs(kids) do process.send(c, "go"); time.sleep(30) end
  local ended, opened, failed, why = 0, 0, 0, nil
  while ended < #kids do
    local ok, a, b = pcall(fd.socketpair)
    if ok and a then opened = opened + 1; a:close(); b:close()
    else failed = failed + 1; why = tostring(b or a) end
    if wait(ev, 50) then ended = ended + 1 end
  end
  print("trusted descriptors: " .. opened .. " opened, " .. failed .. " failed " .. tostring(why))
  print("after: " .. tostring(process.exec("actors:helper", "ward:main", process.pid(), 5)))
  return
end
-- another sandboxed actor (actors:echo) is served while C attacks: it
-- starts, answers a round trip and ends, each step printed
local function serve_other()
  local E = process.spawn_monitored("actors:echo", "ward:sandbox", process.pid())
  local m = wait(inb, 60000)
  print("other: " .. (m and m:topic() or "nothing"))
  process.send(E, "ping")
  m = wait(inb, 60000)
  print("round trip: " .. (m and m:topic() .. " " .. tostring((m:payload())) or "nothing"))
  process.send(E, "stop")
  local e = wait(ev, 60000)
  print("other ended: " .. (e and tostring(e.result.error or e.result.value) or "no EXIT"))
end
local C = process.spawn_monitored("actors:raw", "ward:sandbox", attack, process.pid(), scale)
if attack == "slow" or attack == "deaf" then
  local m = wait(inb, 60000)
  print("ready: " .. (m and m:topic() or "nothing"))
  -- more than its channel and its queue take
  local big, sent = string.rep("x", 60000), 0
  for _ = 1, 64 do
    if pcall(process.send, C, "flood", big) then sent = sent + 1 end
  end
  print("flooded: " .. sent)
  -- another sandboxed actor is served meanwhile
  serve_other()
  if attack == "slow" then
    -- a reader that keeps its pace is not ended for it: it is still here
    print("still running: " .. tostring(wait(ev, 0) == nil))
    process.terminate(C)
  end
end
if attack == "send-flood" then
  -- another sandboxed actor is served while the child floods the reader
  local m = wait(inb, 60000)
  print("ready: " .. (m and m:topic() or "nothing"))
  serve_other()
  process.terminate(C)
end
local e = wait(ev, 120000)
if not e then
  print("ended: no EXIT")
  pcall(process.terminate, C)
else
  print("ended: " .. show(e.result.error or e.result.value))
end
while true do
  local m = wait(inb, 0)
  if not m then break end
  if m:topic() == "report" then print_report(m) else print("message: " .. m:topic()) end
end
print("after: " .. tostring(process.exec("actors:helper", "ward:main", process.pid(), 5)))
