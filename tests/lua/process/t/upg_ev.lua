-- t:upg_ev -- generation 1: spawn_monitored t:ret and let its EXIT wait in
-- the events channel, then upgrade; generation 2 returns the first event
-- it finds (or "no event").
local gen, child = ...
if gen == 2 then
  local ev = process.events()
  local r = channel.select { ev:case_receive(), time.after("2s"):case_receive() }
  if r.channel ~= ev then return "no event" end
  return { kind = r.value.kind, from = r.value.from, value = r.value.result and r.value.result.value,
           child = child }
end
local c = process.spawn_monitored("t:ret", "ward:main", "child value")
time.sleep(200)
process.upgrade(nil, 2, c)
