-- actors:ret -- returns its arguments' sum, or raises when given "raise".
local a, b = ...
if a == "raise" then error({ code = 7 }) end
return a + b
