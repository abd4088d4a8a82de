-- t:spawner -- spawns t:idle registered as name, then returns at once.
local name = ...
local c = process.spawn("t:idle", "ward:main")
assert(process.registry.register(name, c))
return c
