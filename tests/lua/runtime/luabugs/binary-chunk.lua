-- Lua 5.4.4 bug "Loading a corrupted binary file can segfault": binary
-- chunks never reach the undumper in a ward process, and string.dump is
-- absent. The bytes are the published corrupted dump.
local code = "\x1b\x4c\x75\x61\x54\x00\x19\x93\x0d\x0a\x1a\x0a\x04\x08\x08\x78\x56"
  .. "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x28\x77\x40\x00\x86\x40"
  .. "\x74\x65\x6d\x70\x81\x81\x01\x00\x02\x82\x48\x00\x02\x00\xc7\x00\x01"
  .. "\x00\x80\x80\x80\x82\x00\x00\x80\x81\x82\x78\x80\x82\x81\x86\x40\x74"
  .. "\x65\x6d\x70"
local f, msg = load(code)
print((f == nil and "ok " or "fail ") .. "load of the corrupted dump (mode bt) is refused: " .. tostring(msg))
local ok, f2, e = pcall(load, code, "dump", "b")
print((ok and f2 == nil and e ~= nil and "ok " or "fail ")
      .. "load of it with mode b is refused too (nil, message): " .. tostring(e))
local d = false
local f3, e3 = load(function() if d then return nil end d = true return code end, "dump", "b")
print((f3 == nil and e3 ~= nil and "ok " or "fail ")
      .. "so is a reader function handing it out: " .. tostring(e3))
print((string.dump == nil and "ok " or "fail ") .. "string.dump is absent")
print("END")
