-- actors:vmonce -- receives one value at once (a PID) and answers it.
local inbox = require "inbox"
local ok, pid = pcall(inbox.receive)
if ok then process.send(pid, "once", true) end
