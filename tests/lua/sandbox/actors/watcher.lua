-- actors:watcher -- a subprocess actor that spawns a monitored helper on
-- ward:main and reports the EXIT event it receives; then registers a name.
local parent = ...
local h, e = process.spawn_monitored("actors:helper", "ward:main", process.pid(), 4)
local m = process.inbox():receive()
local ev = process.events():receive()
process.send(parent, "watched", h ~= nil and ev.from == h, m:payload(), ev.result.value)
process.registry.register("sbx-watcher")
process.send(parent, "registered")
process.inbox():receive()
