-- actors:order2 -- receives total messages {sender = k, seq = i, pad = ...} and
-- reports how many broke the order of their sender, and how many came.
local parent, total = ...
local inbox, bad, last, got = process.inbox(), 0, {}, 0
for _ = 1, total do
  local v = inbox:receive():payload()
  if v.seq ~= (last[v.sender] or 0) + 1 then bad = bad + 1 end
  last[v.sender] = v.seq
  got = got + 1
end
process.send(parent, "order2", bad, got)
