-- actors:ctxparent -- spawns, one after another, the actors:ctxread children its
-- hosts name (each inherits this process's context), waits for each to
-- end, then reports how many read the channel: "read", n.
local parent, hosts = ...
local ev = process.events()
local n = 0
for _, h in ipairs(hosts) do
  local c = process.spawn_monitored("actors:ctxread", h)
  local e = c and ev:receive()
  if e and e.result.value == true then n = n + 1 end
end
process.send(parent, "read", n)
return "ok"
