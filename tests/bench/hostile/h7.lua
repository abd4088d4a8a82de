-- h7.lua -- the honest half of a make bench-scripts script (after
-- attack.lua): it finds the longest Collatz chain below 150.
local best, work = 0, 0
for s = 1, 149 do
  local x, len = s, 1
  while x ~= 1 do x = x % 2 == 0 and x // 2 or 3 * x + 1; len = len + 1 end
  if len > best then best, work = len, s end
end
report ("h7", work)
