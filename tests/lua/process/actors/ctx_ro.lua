-- actors:ctx_ro -- tries to change its context in several ways and reports
-- ("ctx-ro", results).
local parent = ...
local c = process.context()
local r = {}
r.set_ok = pcall(function() c.user = "mallory" end)
r.new_ok = pcall(function() c.fresh = 1 end)
r.user = process.context().user
r.fresh = process.context().fresh
r.setmt_ok = pcall(setmetatable, c, {})
r.same = rawequal(c, process.context())
local keys = {}
for k in pairs(process.context()) do keys[#keys + 1] = tostring(k) end
table.sort(keys)
r.keys = table.concat(keys, ",")
pcall(rawset, c, "user", "rawset-mallory")
r.after_rawset = process.context().user
pcall(function() c.nested.x = "changed" end)
r.after_nested = process.context().nested and process.context().nested.x
-- a grandchild still gets the original context
r.child = process.exec("actors:ctx_ret", "ward:main", { "user", "nested" })
process.send(parent, "ctx-ro", r)
return "ro-done"
