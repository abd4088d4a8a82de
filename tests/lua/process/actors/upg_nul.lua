-- actors:upg_nul -- tries upgrade("actors:ret\0junk") and returns what it gave.
local ok, r, e = pcall(process.upgrade, "actors:ret\0junk", "x")
return { r = ok and r or nil, kind = ok and e and e:kind() or "raised", msg = tostring(e or r) }
