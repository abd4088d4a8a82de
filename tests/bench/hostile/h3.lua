-- h3.lua -- the honest half of a make bench-scripts script (after
-- attack.lua): it computes fib(16) the slow way.
local function fib (k) if k < 2 then return k end return fib (k - 1) + fib (k - 2) end
local work = fib (16)
report ("h3", work)
