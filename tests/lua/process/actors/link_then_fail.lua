-- actors:link_then_fail -- links to target, then fails with msg.
local target, msg = ...
local ok, e = process.link(target)
if not ok then error("link failed: " .. tostring(e), 0) end
error(msg, 0)
