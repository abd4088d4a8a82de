-- h1.lua -- the honest half of a make bench-scripts script (after
-- attack.lua): it sums i % 7 for i up to 5000.
local work = 0
for i = 1, 5000 do work = work + i % 7 end
report ("h1", work)
