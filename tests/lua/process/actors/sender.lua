-- actors:sender -- sends n messages (tag, i) on topic "seq" to dest.
local dest, tag, n = ...
for i = 1, n do
  local ok, e = process.send(dest, "seq", tag, i)
  if not ok then error("send " .. i .. ": " .. tostring(e), 0) end
end
return n
