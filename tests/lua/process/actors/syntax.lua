-- actors:syntax -- not valid Lua.
local x = = 1
