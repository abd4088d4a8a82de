-- tools.helpers:hog -- a memory bomb: allocates until something stops it.
local t = {}
for i = 1, math.huge do t[i] = string.rep("x", 4096) .. i end
