local mt = { __gc = function() while true do end end }
local ok, err = pcall(setmetatable, {}, mt)
return err
