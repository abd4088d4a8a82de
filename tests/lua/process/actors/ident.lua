-- actors:ident -- reports pid and call-chain id; with spawn_child it also
-- spawns another actors:ident (which reports to the same parent).
local parent, spawn_child = ...
process.send(parent, "ident", process.pid(), process.id())
if spawn_child then
  process.spawn("actors:ident", "ward:main", parent)
end
return "ident-done"
