-- actors:spawnloop -- spawns tools.helpers:idle on `host` (ward:sandbox) until
-- a spawn fails (or `max` succeeded), answers its parent "spawned" with the
-- count and the error, then keeps its helpers alive until its inbox says
-- "stop".
local parent, max, host = ...
local n, err = 0, nil
for _ = 1, max or 100000 do
  local p, e = process.spawn("tools.helpers:idle", host or "ward:sandbox")
  if not p then err = e break end
  n = n + 1
end
process.send(parent, "spawned", n, err and err:kind() or "", err and err:message() or "")
process.inbox():receive()
return n
