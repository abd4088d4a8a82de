-- actors:chanret -- holds the channel it was spawned with and returns it as
-- its result once its inbox says "go".
local ch = ...
process.inbox():receive()
return ch
