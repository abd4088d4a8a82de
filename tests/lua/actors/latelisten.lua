-- actors:latelisten -- listens to "go" and waits for it, only then listens to
-- "job" (Message objects) and collects its payloads until one is "end";
-- sends (parent, "got", payloads, topic of the first inbox message or
-- false) and returns. What was sent to it before each listen must wait.
local parent = ...
local go = process.listen("go")
go:receive()
local job = process.listen("job", { message = true })
local vals = {}
while true do
  local m = job:receive()
  local v = m:payload()
  if v == "end" then break end
  vals[#vals + 1] = v
end
local r = channel.select { process.inbox():case_receive(), default = true }
process.send(parent, "got", vals, r.channel and r.value:topic() or false)
