-- actors:helper -- an in-process helper that a subprocess actor spawns.
local to, v = ...
process.send(to, "helped", v)
return v * 10
