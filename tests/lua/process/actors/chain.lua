-- actors:chain -- depth > 0: spawn_linked actors:chain(depth - 1) and wait forever;
-- depth 0: fail with msg.
local depth, msg = ...
if depth == 0 then error(msg, 0) end
local c, e = process.spawn_linked("actors:chain", "ward:main", depth - 1, msg)
if not c then error("spawn_linked: " .. tostring(e), 0) end
process.inbox():receive()
return "chain-not-reached"
