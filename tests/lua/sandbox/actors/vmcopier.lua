-- actors:vmcopier -- a subprocess actor that copies a channel itself
-- (copies.lua): it upgrades (process.upgrade(nil, ...)) with the channel a
-- among the new body's arguments -- "once": once; "twice": twice; "self":
-- its own inbox, which arrives as a channel to itself -- so that the old
-- VM's copies are collected before the new body uses its own; or
-- ("snapshot") copies it into a builder's message (with_message), which
-- the collector takes before the body uses its own. The new
-- body sends on the channel, reports "sent" to parent, and on "drop"
-- closes what it holds (the body's arguments stay referenced: closed, not
-- collected), reports "dropped", and returns "done" on "end".
local parent, how, a, b, round = ...
if round ~= "again" and how == "snapshot" then
  local bld = process.with_context({}):with_message("m", a)
  bld = nil
elseif round ~= "again" then
  if how == "once" then return process.upgrade(nil, parent, how, a, nil, "again") end
  if how == "twice" then return process.upgrade(nil, parent, how, a, a, "again") end
  if how == "self" then return process.upgrade(nil, parent, how, require "inbox", nil, "again") end
  return "unknown case " .. tostring(how)
end
collectgarbage()
collectgarbage()                -- (the old VM's copies are long gone)
local cmds = process.inbox()
if how == "self" then
  a:send("to myself")
  process.send(parent, "sent", require("inbox").receive())
else
  a:send("first")
  if b then
    a:close()                   -- one copy of two: the other still sends
    b:send("second")
  end
  process.send(parent, "sent", b and 2 or 1)
end
cmds:receive()                  -- "drop"
a:close()
if b then b:close() end
process.send(parent, "dropped", true)
cmds:receive()                  -- "end"
return "done"
