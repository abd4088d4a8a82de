-- actors:fdkid -- descriptors in a subprocess actor. Inbox topics: "echo" (fd)
-- reads one chunk and writes "echo: " .. it back; "make" answers "made"
-- with the reader of a pipe it writes "made in the sandbox" to; "pass"
-- (fd, pid) sends fd on to pid under topic "passed"; "many" tries to send
-- 17 descriptors and answers "many" with the error; "stop" returns.
local parent = ...
local fd = require "fd"
local inbox = process.inbox()
while true do
  local m = inbox:receive()
  local topic = m:topic()
  if topic == "stop" then return "stopped" end
  if topic == "echo" then
    local s = m:payload()
    local got = s:read(100, "120s")
    s:write("echo: " .. tostring(got))
    s:close()
  elseif topic == "make" then
    local r, w = fd.pipe()
    process.send(parent, "made", r)
    r:close()
    w:write("made in the sandbox")
    w:close()
  elseif topic == "pass" then
    local f, to = m:payload()
    process.send(to, "passed", f)
    f:close()
  elseif topic == "many" then
    local r, w = fd.pipe()
    local t = {}
    for i = 1, 17 do t[i] = r end
    local ok, e = process.send(parent, "x", t)
    process.send(parent, "many", ok, tostring(e))
  elseif topic == "count" then
    -- the lowest free descriptor: grows if descriptors leak here
    local r, w = fd.pipe()
    local n = tonumber(tostring(r):match("%d+"))
    r:close() w:close()
    process.send(parent, "count", n)
  end
end
