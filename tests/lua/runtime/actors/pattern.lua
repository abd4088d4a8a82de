-- actors:pattern -- runs the catastrophic pattern without pcall.
local s = ("a"):rep(120)
return s:find(("a*"):rep(5) .. "b")
