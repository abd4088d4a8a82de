-- h4.lua -- the honest half of a make bench-scripts script (after
-- attack.lua): it sorts 500 pseudo-random numbers and folds them.
local t, x = {}, 12345
for i = 1, 500 do x = (x * 1103515245 + 12345) % 2147483648; t[i] = x end
table.sort (t)
local work = 0
for i = 1, #t do work = (work + t[i] * i) % 2147483647 end
report ("h4", work)
