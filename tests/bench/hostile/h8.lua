-- h8.lua -- the honest half of a make bench-scripts script (after
-- attack.lua): it formats 200 numbers and sums the bytes.
local parts = {}
for i = 1, 200 do parts[i] = string.format ("%05x", i * 37) end
local s, work = table.concat (parts, ","), 0
for i = 1, #s do work = work + s:byte (i) end
report ("h8", work)
