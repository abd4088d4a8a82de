-- actors:vm_child -- a spawn_vm actor: registers "vm-child", returns the first
-- value its Emilua inbox receives.
process.registry.register("vm-child")
local inbox = require "inbox"
return inbox.receive()
