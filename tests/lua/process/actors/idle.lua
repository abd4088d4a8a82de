-- actors:idle -- waits for one inbox message and returns its topic.
local m = process.inbox():receive()
return m:topic()
