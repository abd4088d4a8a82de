-- actors:sendmix -- a subprocess actor's sends, small ones (which the
-- runtime's reader performs itself) and large ones (which its stand-in
-- performs), for sends.lua. Modes:
--   "order": 90 numbered messages to the parent, every third one large,
--     then "sent";
--   "refused", other: the same refused send small and large to other, and
--     to a PID that does not exist, reported as their error kinds and texts;
--   "self": a message to itself, received;
--   "busy", ms: runs for ms without receiving, then counts what its
--     mailbox held before it first waited, and all that came;
--   "named", name: 50 small sends to the registered name, then "named"
--     with how many were sent (a name is looked up in the registry).
local parent, mode, arg = ...
local big = string.rep("x", 70 * 1024)
local function err(ok, e)
  if ok then return "sent" end
  return e:kind() .. ": " .. e:message()
end
if mode == "order" then
  for i = 1, 90 do
    local ok, e = process.send(parent, "n", i, i % 3 == 0 and big or { i = i, t = { true } })
    if not ok then process.send(parent, "failed", i, tostring(e)) return end
  end
  process.send(parent, "sent")
elseif mode == "refused" then
  local nobody = "{ward:main|0xfffff}"
  process.send(parent, "refused",
               err(process.send(arg, "x", 1)), err(process.send(arg, "x", big)),
               err(process.send(nobody, "x", 1)), err(process.send(nobody, "x", big)))
elseif mode == "self" then
  local ok = process.send(process.pid(), "me", 42)
  local m = process.inbox():receive()
  process.send(parent, "self", ok, m:topic(), m:payload(), m:from() == process.pid())
elseif mode == "named" then
  local n = 0
  for i = 1, 50 do
    if process.send(arg, "byname", i) then n = n + 1 end
  end
  process.send(parent, "named", n)
elseif mode == "busy" then
  process.send(parent, "busy")
  local t0 = time.now()
  local x = 0
  while time.now() - t0 < arg do x = x + 1 end
  -- what its mailbox holds before it waits at all: taken while it ran
  local inbox, early, n, ended = process.inbox(), 0, 0, false
  while true do
    local r = channel.select { inbox:case_receive(), time.after(0):case_receive() }
    if r.channel ~= inbox then break end
    if r.value:topic() == "end" then ended = true break end
    early = early + 1
  end
  n = early
  while not ended do
    if inbox:receive():topic() == "end" then break end
    n = n + 1
  end
  process.send(parent, "counted", early, n)
end
