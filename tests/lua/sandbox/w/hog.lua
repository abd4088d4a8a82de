-- w:hog -- allocates without end.
local t = {}
for i = 1, math.huge do t[i] = string.rep("x", 1000) .. i end
