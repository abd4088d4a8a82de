-- h5.lua -- the honest half of a make bench-scripts script (after
-- attack.lua): it counts the distinct words of a generated text.
local words = { "ward", "actor", "sandbox", "policy", "lua", "namespace", "seccomp" }
local parts = {}
for i = 1, 300 do parts[i] = words[i * i % #words + 1] .. (i % 13) end
local found, work = {}, 0
for w in table.concat (parts, " "):gmatch ("%S+") do
  if not found[w] then found[w] = true; work = work + 1 end
end
report ("h5", work)
