-- actors:perm_vm -- a spawn_vm actor of tests/lua/process/permissions.sh: the
-- first value its Emilua inbox receives is {pid, tag}; it answers with
-- send(pid, "ping", tag), then waits.
local inbox = require "inbox"
local v = inbox.receive()
process.send(v[1], "ping", v[2])
inbox.receive()
