-- actors:upg_ev -- generation 1 (arguments 1, timeout scale): spawn_monitored
-- actors:ret and let its EXIT wait in the events channel, then upgrade;
-- generation 2 returns the first event it finds (or "no event" after a
-- 30 s wait, scaled).
local gen, a, b = ...
if gen == 2 then
  local child, scale = a, b
  local ev = process.events()
  local r = channel.select { ev:case_receive(), time.after(30000 * (scale or 1)):case_receive() }
  if r.channel ~= ev then return "no event" end
  return { kind = r.value.kind, from = r.value.from, value = r.value.result and r.value.result.value,
           child = child }
end
local scale = a
local c = process.spawn_monitored("actors:ret", "ward:main", "child value")
time.sleep(200)
process.upgrade(nil, 2, c, scale)
