-- actors:fidelity -- in a subprocess actor, the Lua contract and error values as
-- text: returns a table of named results (true when right, else what it got).
local r = {}
local ok, err = process.send("{ward:main|0xffff0}", "x")
r.find = (ok == nil and string.find(err, "not found") ~= nil) or tostring(err)
r.method = (err and err:find("not found") ~= nil) or tostring(err)
r.concat = (err and ("e: " .. err) == "e: " .. tostring(err)) or tostring(err)
r.kind = (err and err:kind() == errors.NOT_FOUND) or tostring(err)
local f, m = load("\27Lua\x54\0", "b", "b")
r.load_binary = (f == nil and m == "attempt to load a binary chunk (binary chunks are not allowed "
                 .. "in ward processes)") or tostring(m)
local parts, i = { "return ", "40 + 2" }, 0
local g = load(function() i = i + 1 return parts[i] end)
r.load_reader = (g ~= nil and g() == 42) or "reader chunk did not load"
r.registered = process.registry.register("fidelity-w") == true
  and process.registry.register("fidelity-w") == true
return r
