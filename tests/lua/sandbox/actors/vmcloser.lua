-- actors:vmcloser -- inbox:close() as Emilua has it: reports its PID on the
-- channel it gets first, waits for a process message (its parent queues a
-- value on its inbox meanwhile), closes its inbox, and reports how the
-- next receive ended and whether a second close was quiet; ends on the
-- next process message.
local inbox = require "inbox"
local report = inbox:receive()
report:send({ "closer", process.pid() })
process.inbox():receive()
inbox:close()
local ok, err = pcall(inbox.receive, inbox)
local ok2, err2 = pcall(inbox.close, inbox)
report:send({ "closed", ok, tostring(err), ok2, tostring(err2) })
process.inbox():receive()
