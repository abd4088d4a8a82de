-- actors:exec_wrap -- execs id with the rest of its arguments; reports
-- ("execing", pid) to parent first; returns the result or raises the error.
local parent, id = ...
process.send(parent, "execing", process.pid())
local r, e = process.exec(id, "ward:main", select(3, ...))
if e then error(e) end
return r
