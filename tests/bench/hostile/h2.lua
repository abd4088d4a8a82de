-- h2.lua -- the honest half of a make bench-scripts script (after
-- attack.lua): it counts the primes below 2000 (a sieve).
local n, comp, work = 2000, {}, 0
for i = 2, n do
  if not comp[i] then
    work = work + 1
    for j = i * i, n, i do comp[j] = true end
  end
end
report ("h2", work)
