-- actors:try_all -- tries a spawn, a send to `parent` and a registry.register,
-- and returns what each gave: "spawn=KIND send=KIND register=KIND" where
-- KIND is "ok" or the error's kind.
local parent = ...
local function kind(v, e)
  if v then return "ok" end
  return e and e:kind() or "?"
end
local s = kind(process.spawn("actors:ret", "ward:main"))
local m = kind(process.send(parent, "try_all", "hello"))
local r = kind(process.registry.register("try_all." .. process.pid()))
return "spawn=" .. s .. " send=" .. m .. " register=" .. r
