-- actors:gcsneak -- tries to get a finalizer run: __gc added to the metatable
-- after setmetatable (Lua then never marks the objects), then a collection
-- and the close of the VM with one such object still alive.
local parent = ...
local mt = {}
local obj = setmetatable({}, mt)
local keep = setmetatable({}, mt)      -- still alive at close
mt.__gc = function() process.send(parent, "gc", "ran"); while true do end end
obj = nil
collectgarbage("collect")
collectgarbage("collect")
process.send(parent, "gcsneak", "done", keep ~= nil)
return "done"
