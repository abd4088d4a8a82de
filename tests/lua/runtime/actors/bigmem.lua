-- actors:bigmem N -- builds strings of N bytes and a table of them, then
-- ends: memory of both kinds (small blocks, and blocks above the arena's
-- small size), given back as the VM goes (vmclose.lua).
local n = ...
local s = string.rep("x", n)
local t = {}
for i = 1, 200 do t[i] = s .. i end
return #t[200]
