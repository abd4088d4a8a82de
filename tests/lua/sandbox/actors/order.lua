-- actors:order -- receives n numbered messages and reports whether they came in
-- order, and what came on the topic "side" it listens to (it says
-- "listening" first).
local parent, n = ...
local l = process.listen("side")
process.send(parent, "listening")
local inbox, bad = process.inbox(), 0
for i = 1, n do
  local m = inbox:receive()
  if m:payload() ~= i then bad = bad + 1 end
end
local s = l:receive()   -- a raw topic channel: the payload itself
process.send(parent, "order", bad, s)
