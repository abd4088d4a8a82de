-- msg.lua M [inbox|topic] -- one sender -> one receiver, M integer
-- messages. The receiver acks every K = 1000; the sender keeps at most
-- W*K = 20000 in flight (well under the default mailbox limit). The clock
-- runs from the first send to the receiver's "done"; count and sum are
-- checked. Prints "RESULT <msg/s>". Same protocol as wbench.erl msg.
local M = math.tointeger(tonumber((...))) or 1000000
local mode = select(2, ...) or "inbox"
local K, W = 1000, 20
local inbox = process.inbox()
local r = assert(process.spawn("actors:recv", "ward:main", process.pid(), M, K, mode))
time.sleep("50ms")                    -- let the receiver boot and listen
local send = process.send
local t0 = time.now()
local acked = 0
for i = 1, M do
  local ok, err = send(r, "n", i)
  if not ok then error("send " .. i .. ": " .. tostring(err)) end
  if i % K == 0 and i >= W * K then
    while acked < i - (W - 1) * K do
      local m = inbox:receive()
      if m:topic() ~= "ack" then error("unexpected " .. m:topic()) end
      acked = m:payload()
    end
  end
end
local got, sum
repeat
  local m = inbox:receive()
  if m:topic() == "done" then got, sum = m:payload() end
until got
local ms = time.now() - t0
if got ~= M or sum ~= M * (M + 1) // 2 then
  error(string.format("lost or duplicated messages: got %d, sum %d", got, sum))
end
print(string.format("RESULT %.0f", M * 1000 / ms))
