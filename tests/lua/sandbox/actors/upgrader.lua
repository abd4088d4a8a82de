-- actors:upgrader -- a subprocess actor that upgrades itself: "again" runs this
-- body anew (process.upgrade(nil, ...)) until n reaches 3, "to" becomes
-- actors:upgraded with a message waiting in its mailbox, "bad" tries what must
-- be refused and reports it.
local parent, how, n = ...
n = n or 0
if how == "again" then
  if n < 3 then
    local ok, err = process.upgrade(nil, parent, how, n + 1)
    return "upgrade failed: " .. tostring(err) .. tostring(ok)
  end
  return n
elseif how == "to" then
  process.send(parent, "before", process.pid())
  process.inbox():receive()             -- "go": then the next one stays queued
  local ok, err = process.upgrade("actors:upgraded", parent, "args", 42)
  return "upgrade failed: " .. tostring(err) .. tostring(ok)
elseif how == "bad" then
  local r = {}
  local ok, err = process.upgrade("actors:upgraded", parent, function() end)
  r[1] = { ok, err and err:kind() }
  ok, err = process.upgrade(7)
  r[2] = { ok, err and err:kind() }
  ok, err = process.upgrade("actors:upgraded", parent)
  r[3] = { ok, err and err:kind(), err and err:message() }
  process.send(parent, "refused", r)
  return "still here"
end
