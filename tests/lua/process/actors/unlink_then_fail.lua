-- actors:unlink_then_fail -- on its first inbox message, unlinks target and fails.
local target, msg = ...
process.inbox():receive()
process.unlink(target)
error(msg, 0)
