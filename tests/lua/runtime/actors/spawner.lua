-- actors:spawner -- spawns n echo children and reports how many succeeded and
-- the kind of the first refusal; then stops them.
local parent, n = ...
local kids, kind = {}, nil
for _ = 1, n do
  local pid, err = process.spawn("actors:echo", "ward:main")
  if pid then kids[#kids + 1] = pid elseif not kind then kind = err:kind() end
end
process.send(parent, "spawned", #kids, kind)
for _, k in ipairs(kids) do process.send(k, "stop") end
return #kids
