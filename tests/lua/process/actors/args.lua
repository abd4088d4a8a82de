-- actors:args -- reports its arguments: send(parent, "args", count, ...).
local parent = ...
process.send(parent, "args", select("#", ...) - 1, select(2, ...))
return "args-done"
