-- actors:cloop -- a long loop inside one C function that neither allocates nor
-- calls Lua code: table.move over a huge range of an empty table.
local parent, count = ...
process.send(parent, "started", process.pid())
table.move({}, 1, count, 2)
process.send(parent, "finished", process.pid())
return "moved"
