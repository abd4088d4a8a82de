-- actors:fdflood -- sends its parent the reader of a pipe under topic "flood",
-- one per message, until a send fails (or `max` went), then answers
-- "flooded" with the count and the error; "again" floods once more, "stop"
-- returns.
local parent, max = ...
local fd = require "fd"
local r, w = fd.pipe()
local inbox = process.inbox()
repeat
  local n, err = 0, nil
  for _ = 1, max or 100000 do
    local ok, e = process.send(parent, "flood", r)
    if not ok then err = e break end
    n = n + 1
  end
  process.send(parent, "flooded", n, err and err:kind() or "", err and err:message() or "")
until inbox:receive():topic() ~= "again"
r:close() w:close()
return "stopped"
