-- actors:sink -- lets its mailbox fill up until it gets a CANCEL event, then
-- drains the inbox and reports what arrived (count, and the payloads
-- joined by commas) to the first argument.
local parent = ...
local ev = process.events():receive()
local got = {}
local inbox = process.inbox()
while true do
  local r = channel.select{ inbox:case_receive(), default = true }
  if r.default then break end
  got[#got + 1] = tostring(r.value:payload())
end
process.send(parent, "drained", #got, table.concat(got, ","), ev.kind)
-- now wait for one more message to show the mailbox has room again
local m = inbox:receive()
process.send(parent, "again", m:payload())
return #got
