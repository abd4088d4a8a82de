-- helper-loop.lua -- a main script for exhaust.sh and limits.sh (run as
-- `ward run --untrusted`): spawns tools.helpers:idle on ward:sandbox until
-- a spawn is refused (or 2000 succeeded), then prints how many it got and
-- the refusal: "spawned N KIND MESSAGE".
local n, err = 0, nil
for _ = 1, 2000 do
  local p, e = process.spawn("tools.helpers:idle", "ward:sandbox")
  if not p then err = e break end
  n = n + 1
end
print("spawned", n, err and err:kind(), err and err:message())
