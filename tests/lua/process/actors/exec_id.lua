-- actors:exec_id -- returns {pid, id, child} where child is the result of exec
-- of itself with depth - 1 (nested exec).
local depth = ... or 0
local me = { pid = process.pid(), id = process.id(), depth = depth }
if depth > 0 then
  local r, e = process.exec("actors:exec_id", "ward:main", depth - 1)
  if r == nil then error("nested exec failed: " .. tostring(e), 0) end
  me.child = r
end
return me
