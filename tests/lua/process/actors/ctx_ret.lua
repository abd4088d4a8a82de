-- actors:ctx_ret -- returns the given keys of its context.
local keys = ...
local c = process.context()
local out = {}
for _, k in ipairs(keys) do out[k] = c[k] end
return out
