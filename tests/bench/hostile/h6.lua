-- h6.lua -- the honest half of a make bench-scripts script (after
-- attack.lua): it multiplies two 16x16 matrices and takes the trace.
local n, a, b = 16, {}, {}
for i = 1, n do
  a[i], b[i] = {}, {}
  for j = 1, n do a[i][j] = (i + j) % 5; b[i][j] = (i * j) % 7 end
end
local work = 0
for i = 1, n do
  local s = 0
  for k = 1, n do s = s + a[i][k] * b[k][i] end
  work = work + s
end
report ("h6", work)
