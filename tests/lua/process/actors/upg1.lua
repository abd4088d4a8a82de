-- actors:upg1 -- registers "upg-svc", listens to "sub" and "ctl", reports
-- ("ready", pid, id); on "go" from ctl upgrades to actors:upg2 with (parent,
-- "state", 7). The inbox is left untouched.
local parent = ...
assert(process.registry.register("upg-svc"))
local sub = assert(process.listen("sub"))
local ctl = assert(process.listen("ctl"))
process.send(parent, "ready", process.pid(), process.id())
local cmd = ctl:receive()
if cmd == "go" then
  process.upgrade("actors:upg2", parent, "state", 7)
  error("upgrade returned", 0)
end
return "upg1 ended without upgrading"
