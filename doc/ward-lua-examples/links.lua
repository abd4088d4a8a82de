-- links.lua -- a failing linked child takes its parent down,
-- unless the parent traps links.
process.set_options{ trap_links = true }
local child = process.spawn_linked("app.workers:crash",
                                   "ward:main")
local ev = process.events():receive()
print(ev.kind, ev.from == child, ev.error)
