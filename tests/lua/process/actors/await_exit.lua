-- actors:await_exit -- monitors pid, tells it to go, and returns once its EXIT
-- came: by then every monitor of pid has its EXIT queued (exit-bytes.lua).
local pid = ...
process.monitor(pid)
process.send(pid, "go")
local ev = process.events():receive()
return ev.kind
