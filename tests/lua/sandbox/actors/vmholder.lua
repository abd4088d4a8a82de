-- actors:vmholder -- makes `n` subprocess actors with spawn_vm, answers `to`
-- "held" with how many it made and the error that stopped it, then keeps
-- them until its inbox says "stop".
local to, n = ...
local kept, err = {}, nil
for _ = 1, n do
  local ok, c = pcall(spawn_vm, "actors:vmecho", { subprocess = { newns_user = true } })
  if not ok then err = tostring(c) break end
  kept[#kept + 1] = c
end
process.send(to, "held", #kept, err or "")
process.inbox():receive()
for _, c in ipairs(kept) do c:send("quit") end
