-- actors:victim -- a trusted Emilua-style worker that spawns the compromised
-- child actors:raw, which ends with a result naming this worker (a forged
-- channel), then reports whether its inbox is still open. Its first value
-- is {PID to report to, timeout scale}. Run by hostile-child.sh.
local inbox = require "inbox"
local first = inbox.receive()
local to, scale = first[1], first[2]
local ev = process.events()
process.spawn_monitored("actors:raw", "ward:sandbox", "handle-exit", process.pid(), scale)
local r = channel.select { ev:case_receive(), time.after(30000 * scale):case_receive() }
local why = "no EXIT " .. tostring(r.ok) .. tostring(r.value)
if r.channel == ev then why = tostring(r.value.result.error or r.value.result.value) end
-- whatever the result held is dropped: only the spawner's channel is left
r = nil
collectgarbage()
collectgarbage()
process.send(to, "ready", why)
local ok, v = pcall(inbox.receive)
process.send(to, "got", ok and tostring(v) or "error: " .. tostring(v))
