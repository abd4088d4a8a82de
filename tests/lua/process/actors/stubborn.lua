-- actors:stubborn -- a busy loop inside pcall that retries forever: it tries
-- to swallow whatever ends it.
local parent = ...
process.send(parent, "stubborn", process.pid())
while true do
  pcall(function() while true do end end)
end
