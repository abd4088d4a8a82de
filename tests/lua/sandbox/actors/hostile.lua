-- actors:hostile -- what a script can reach of the standard library in a
-- subprocess actor; reports each probe to its parent.
local parent = ...
local r = {}
r.io = io == nil or (io.open == nil and io.popen == nil)
r.debug = debug == nil
r.os_execute = os == nil or os.execute == nil
r.loadlib = package == nil or package.loadlib == nil
r.dump = string.dump == nil
r.binary = not pcall(load, "\27Lua", "x", "b") or load("\27Lua", "x", "b") == nil
r.require = not pcall(require, "t")
process.send(parent, "probes", r)
