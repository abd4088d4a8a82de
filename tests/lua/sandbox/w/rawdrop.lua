-- w:rawdrop -- a compromised child for leftovers.sh (tests/ward-faults with
-- WARD_TEST_RAW_WIRE=1, the global `wire` of tests/harness/rawwire.c):
-- says it dropped a channel it does not hold -- "foreign": one naming the
-- run's first process, never given; "double": the channel ch it was given
-- once, dropped twice -- then blocks until the runtime ends it.
local how, ch, scale = ...
local W = wire
local pid = "{ward:main|0x00001}"
if how == "double" then
  local enc = W.encode(ch)                 -- version, count, handle tag, length, PID
  pid = enc:sub(5, 4 + enc:byte(4))
  W.frame(W.DROP, string.pack("<s4", pid))
end
W.frame(W.DROP, string.pack("<s4", pid))
W.sleep(math.floor(60000 * (tonumber(scale) or 1)))
return "survived"
