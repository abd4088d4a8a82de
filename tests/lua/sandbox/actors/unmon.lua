-- actors:unmon -- a spawn_vm subprocess actor that unmonitors the process that
-- spawned it (the runtime's watch for "ends with its spawner"), reports
-- to main, then waits for ever: it must still end with its spawner.
local inbox = require "inbox"
local m = inbox.receive()
local owner, main = m[1], m[2]
local ok = process.unmonitor(owner)
process.send(main, "unmonitored", ok, process.pid())
process.inbox():receive()   -- not the Emilua inbox, which closes with its spawner
