-- actors:actor_probe -- tries registry.register("probe") (denied by the test's
-- --deny rule) and reports ("probe", error message); with deeper it spawns
-- another actors:actor_probe (plain spawn).
local parent, deeper = ...
local ok, e = process.registry.register("probe")
process.send(parent, "probe", e and e:message() or "allowed", process.pid())
if deeper then process.spawn("actors:actor_probe", "ward:main", parent) end
return "probed"
