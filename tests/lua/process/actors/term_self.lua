-- actors:term_self -- terminates itself (optionally inside pcall); reports
-- "before", and "after" if it ever gets past the call. If terminate
-- returns an error, it raises it (after reporting "after").
local parent, use_pcall = ...
process.send(parent, "before", process.pid())
if use_pcall then
  local ok, r, e = pcall(process.terminate, process.pid())
  process.send(parent, "after", "pcall", ok, r)
else
  local r, e = process.terminate(process.pid())
  process.send(parent, "after", "plain")
  if e then error(e) end
end
return "not terminated"
