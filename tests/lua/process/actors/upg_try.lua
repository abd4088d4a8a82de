-- actors:upg_try -- tries upgrade("actors:ret") and returns what it gave; with
-- "same" then upgrades to its own id, with "nilid" to nil (both should work).
local mode = ...
if mode == "again" then return "upgraded-same" end
if mode == "nil" then return "upgraded-nil" end
local ok, e = process.upgrade("actors:ret", "x")
local r = { ok = ok, kind = e and e:kind(), msg = e and e:message() }
if mode == "same" then process.upgrade("actors:upg_try", "again") end
if mode == "nilid" then process.upgrade(nil, "nil") end
return r
