-- actors:sender -- sends n messages (topic, i) to dest, then reports how many
-- sends succeeded and how many were refused with which kind.
local dest, topic, n, report = ...
local ok, refused, kind = 0, 0, nil
for i = 1, n do
  local r, err = process.send(dest, topic, i)
  if r then ok = ok + 1 else refused = refused + 1; kind = err:kind() end
end
process.send(report, "sent", ok, refused, kind)
return ok
