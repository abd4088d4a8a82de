-- actors:chanhold -- ends at once, still holding the channel it was given
-- (its copy is given back as its VM closes: vmclose.lua).
local ch = ...
return getmetatable(ch) ~= nil
