-- actors:recv -- counts M integer messages from the sender, acks every K, then
-- reports the count and the sum (so a lost or duplicated message shows).
-- mode "inbox": process.inbox() (Message objects); "topic": a raw
-- process.listen channel (the values themselves).
local sender, M, K, mode = ...
local send = process.send
local got, sum = 0, 0
if mode == "topic" then
  local ch = assert(process.listen("n"))
  while got < M do
    sum = sum + ch:receive()
    got = got + 1
    if got % K == 0 then send(sender, "ack", got) end
  end
else
  local ch = process.inbox()
  while got < M do
    sum = sum + ch:receive():payload()
    got = got + 1
    if got % K == 0 then send(sender, "ack", got) end
  end
end
send(sender, "done", got, sum)
return true
