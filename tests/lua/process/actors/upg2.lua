-- actors:upg2 -- the new body of actors:upg1: reports what it sees, then forwards the
-- inbox until "crash" (fails) or "finish" (returns "v2-done").
local parent, a, b = ...
local sub, sube = process.listen("sub")
local name_pid = process.registry.lookup("upg-svc")
-- what the old body's subscription held went back to the mailbox; listening
-- again takes it
local r = sub and channel.select { sub:case_receive(), default = true }
process.send(parent, "upgraded", {
  pid = process.pid(), id = process.id(), a = a, b = b, nargs = select("#", ...),
  listen_sub_ok = sub ~= nil, listen_err = sube and sube:kind(),
  sub_got = r and r.channel and r.value,
  name_pid = name_pid, trap = process.get_options().trap_links,
})
local inbox = process.inbox()
while true do
  local m = inbox:receive()
  if m:topic() == "crash" then error("crashed-v2", 0) end
  if m:topic() == "finish" then return "v2-done" end
  process.send(parent, "saw", m:topic(), m:payload())
end
