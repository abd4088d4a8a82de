-- actors:rawhalf -- a compromised child for leftovers.sh (tests/ward-faults with
-- WARD_TEST_RAW_WIRE=1, the global `wire` of tests/harness/rawwire.c):
-- sends the first `kib` KiB of a CALL frame and nothing more of it, then
-- blocks until the runtime ends it.
local kib, scale = ...
local W = wire
local chunk = string.char(W.MAGIC, W.CALL, W.MORE, 0) .. string.rep("x", W.CHUNK)
for _ = 1, (tonumber(kib) * 1024) // W.CHUNK do
  if not W.datagram(chunk) then break end
end
W.sleep(math.floor(600000 * (tonumber(scale) or 1)))
return "survived"
