-- actors:coblock -- blocks in receive inside the script's own coroutine.
local parent = ...
local co = coroutine.wrap(function()
  process.send(parent, "started", process.pid())
  local m = process.inbox():receive()
  process.send(parent, "got", m:payload())
end)
co()
return "returned"
