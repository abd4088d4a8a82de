-- actors:reg -- registers each given name for itself, reports ("reg", results),
-- then waits for one inbox message and returns its topic.
local parent, names = ...
local res = {}
for i, n in ipairs(names) do
  local ok, e = process.registry.register(n)
  res[i] = { ok = ok, kind = e and e:kind() }
end
process.send(parent, "reg", res, process.pid())
local m = process.inbox():receive()
return m:topic()
