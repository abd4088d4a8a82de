-- actors:owner -- spawns actors:unmon with spawn_vm as a subprocess actor, tells it
-- who to report to, then ends when its inbox says so. For hostile-child.sh.
local main = ...
local ch = spawn_vm("actors:unmon", { subprocess = {} })
ch:send({ process.pid(), main })
process.inbox():receive()
return "owner done"
