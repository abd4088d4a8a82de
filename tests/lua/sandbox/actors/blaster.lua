-- actors:blaster -- sends n numbered messages to `to`: every 7th one is 40 KB
-- (more than one datagram: it takes the stand-in's way to the child, the
-- small ones may go straight), then tells parent it is done.
local to, k, n, parent = ...
local big = string.rep("x", 40000)
for i = 1, n do
  local ok, e = process.send(to, "m", { sender = k, seq = i, pad = i % 7 == 0 and big or nil })
  while not ok do   -- a full mailbox: wait and send the same one again
    time.sleep("1ms")
    ok, e = process.send(to, "m", { sender = k, seq = i, pad = i % 7 == 0 and big or nil })
  end
end
process.send(parent, "blasted", k)
