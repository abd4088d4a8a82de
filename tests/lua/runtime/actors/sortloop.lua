-- actors:sortloop -- a table.sort comparator that never returns (a C call that
-- cannot be preempted), under pcall; reports "swallowed" if pcall returns.
local parent = ...
process.send(parent, "started", process.pid())
local ok, e = pcall(table.sort, { 5, 4, 3, 2, 1 }, function(a, b) while true do end end)
process.send(parent, "swallowed", tostring(e))
return "sorted"
