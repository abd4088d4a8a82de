-- actors:failtbl -- fails with a table as the error value (with a __tostring
-- that must never be called by the runtime).
error(setmetatable({ code = 1 }, { __tostring = function() return "from __tostring" end }))
