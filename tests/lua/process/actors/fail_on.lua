-- actors:fail_on -- waits for one inbox message and fails with its payload.
local m = process.inbox():receive()
error(m:payload() or "failed on message", 0)
