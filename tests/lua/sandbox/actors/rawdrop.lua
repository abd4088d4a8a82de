-- actors:rawdrop -- a compromised child for leftovers.sh (tests/ward-faults with
-- WARD_TEST_RAW_WIRE=1, the global `wire` of tests/harness/rawwire.c):
-- says it dropped a channel it does not hold -- "foreign": one naming the
-- run's first process, never given; "double": the channel ch it was given
-- once, dropped twice; "more": that channel, two copies given back at
-- once; "partial": that channel, given twice (again in a message), its
-- copies given back one at a time -- the first leaves the other counted,
-- so that a send on it is performed -- and then once more -- then blocks
-- until the runtime ends it. (A DROP is the PID and how many copies go
-- back.)
local how, ch, scale = ...
local W = wire
local pid, n = "{ward:main|0x00001}", 1
if how == "double" or how == "more" or how == "partial" then
  local enc = W.encode(ch)                 -- version, count, handle tag, length, PID
  pid = enc:sub(5, 4 + enc:byte(4))
end
if how == "double" then
  W.frame(W.DROP, string.pack("<s4I4", pid, 1))
end
if how == "more" then n = 2 end
if how == "partial" then
  process.inbox():receive()                -- the second copy
  W.frame(W.DROP, string.pack("<s4I4", pid, 1))
  ch:send("still held")                    -- named by the copy left
  W.frame(W.DROP, string.pack("<s4I4", pid, 1))
end
W.frame(W.DROP, string.pack("<s4I4", pid, n))
W.sleep(math.floor(60000 * (tonumber(scale) or 1)))
return "survived"
