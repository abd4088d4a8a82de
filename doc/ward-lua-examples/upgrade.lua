-- upgrade.lua -- a process that restarts itself with new state.
process.spawn_monitored("app.workers:counter", "ward:main", 1)
print(process.events():receive().result.value)
