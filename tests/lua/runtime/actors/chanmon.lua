-- actors:chanmon -- monitors x, reports "got" once x's EXIT (whose result holds
-- a channel) has come and been dropped, then waits.
local x, parent = ...
process.monitor(x)
process.send(parent, "ready")
local e = process.events():receive()
local v = e.result and e.result.value
process.send(parent, "got", type(v) == "userdata")
v, e = nil, nil
collectgarbage()
collectgarbage()
process.inbox():receive()
