-- DESIGN 2.0: 35 s of backtracking in stock Lua.
local ok, err = pcall(string.find, ("a"):rep(120),
                      ("a*"):rep(5) .. "b")
return err
