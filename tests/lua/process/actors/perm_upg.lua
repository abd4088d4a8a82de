-- actors:perm_upg -- upgrades itself to actors:perm_kid (mode "ret": it pings to,
-- then returns tag); when the upgrade is refused, returns "KIND|message".
local to, tag = ...
local _, e = process.upgrade("actors:perm_kid", to, tag, "ret")
return e:kind() .. "|" .. e:message()
