-- actors:spawner -- spawns actors:idle registered as name, then returns at once.
local name = ...
local c = process.spawn("actors:idle", "ward:main")
assert(process.registry.register(name, c))
return c
