-- actors:ctx -- reports ("ctx", values) where values copies the given keys of
-- process.context(); with deeper it spawns actors:ctx (plain spawn), and with
-- exec_too it also execs actors:ctx_ret, reporting ("ctx-exec", values).
local parent, keys, deeper, exec_too = ...
local c = process.context()
local out = {}
for _, k in ipairs(keys) do out[k] = c[k] end
process.send(parent, "ctx", out, process.pid())
if deeper then process.spawn("actors:ctx", "ward:main", parent, keys) end
if exec_too then
  process.send(parent, "ctx-exec", process.exec("actors:ctx_ret", "ward:main", keys))
end
return "ctx-done"
