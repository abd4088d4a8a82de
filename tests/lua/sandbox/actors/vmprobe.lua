-- actors:vmprobe -- spawned by spawn_vm: tells the process its channel first
-- carries where it runs: its PID, _CONTEXT, and whether it is a subprocess
-- actor (spawn_context_threads is refused to one).
local inbox = require "inbox"
local to = inbox.receive()
local ok, e = pcall(spawn_context_threads, 1)
local sub = not ok and tostring(e):find("not available to a subprocess actor") ~= nil
process.send(to, "probe", sub, process.pid(), _CONTEXT)
