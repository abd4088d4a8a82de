-- actors:membomb -- tries to use far more memory than the cap, inside pcall, and
-- reports "survived" if it ever gets past that.
local parent, how = ...
process.send(parent, "started", how)
local ok, e
if how == "rep" then
  ok, e = pcall(string.rep, "x", 1 << 30)
elseif how == "table" then
  ok, e = pcall(function()
    local t = {}
    for i = 1, 1 << 40 do t[i] = i end
  end)
elseif how == "strings" then
  ok, e = pcall(function()
    local parts, s = {}, "y"
    for i = 1, 1 << 40 do parts[i] = s .. i end
  end)
elseif how == "concat" then
  ok, e = pcall(function()
    local s = "z"
    while true do s = s .. s end
  end)
elseif how == "coroutine" then
  ok, e = pcall(coroutine.wrap(function()
    local t = {}
    for i = 1, 1 << 40 do t[i] = { i } end
  end))
elseif how == "retry" then
  -- catch "not enough memory" and keep allocating
  for _ = 1, 1000 do
    ok, e = pcall(string.rep, "x", 1 << 30)
  end
elseif how == "fits" then
  local s = string.rep("x", 20 << 20)
  return #s
end
-- only functions already used above: a call that binds a library function
-- on first use would allocate and so fail for another reason
process.send(parent, "survived", how)
return "survived"
