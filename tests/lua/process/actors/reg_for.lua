-- actors:reg_for -- registers name for target, then exits.
local name, target = ...
local ok, e = process.registry.register(name, target)
if not ok then error(tostring(e), 0) end
return "registered"
