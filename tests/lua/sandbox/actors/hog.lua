-- actors:hog -- allocates without end, a MiB at a time (fast enough to reach
-- the memory cap long before the profile's 2 s of CPU, even in a
-- sanitizer build).
local t = {}
local mib = string.rep("x", 1 << 20)
for i = 1, math.huge do t[i] = mib .. i end
