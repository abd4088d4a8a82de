-- actors:vmspawner -- spawns a subprocess actor with spawn_vm, detaches it or
-- not, hands its channel to `to` and ends.
local to, detach = ...
local ch = spawn_vm("actors:vmecho", { subprocess = { newns_user = true } })
if detach then ch:detach() end
process.send(to, "chan", ch)
