-- actors:collect -- reads up to n inbox messages (each within wait ms, default
-- a generous 30 s; the caller scales it) and reports ("collected", list of
-- {topic, from, payload}).
local parent, n, wait = ...
local inbox = process.inbox()
local got = {}
for _ = 1, n do
  local r = channel.select { inbox:case_receive(), time.after(wait or 30000):case_receive() }
  if r.channel ~= inbox then break end
  local m = r.value
  got[#got + 1] = { topic = m:topic(), from = m:from(), payload = table.pack(m:payload()) }
end
process.send(parent, "collected", got)
return #got
