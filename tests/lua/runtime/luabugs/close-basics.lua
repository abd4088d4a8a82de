-- ward's coroutine.close keeps Lua's behaviour below its nesting bound.
local function say (cond, text) print((cond and "ok " or "fail ") .. text) end
local closed = 0
local co = coroutine.create(function ()
  local x <close> = setmetatable({}, { __close = function () closed = closed + 1 end })
  coroutine.yield()
end)
coroutine.resume(co)
local ok = coroutine.close(co)
say(ok == true and closed == 1, "closing a suspended coroutine runs its __close and returns true")
say(coroutine.status(co) == "dead", "it is dead after")
say(coroutine.close(co) == true, "closing a dead coroutine returns true")
local fresh = coroutine.create(function () end)
say(coroutine.close(fresh) == true and coroutine.status(fresh) == "dead",
    "closing a coroutine never started returns true and kills it")
local bad = coroutine.create(function ()
  local x <close> = setmetatable({}, { __close = function () error("in close", 0) end })
  coroutine.yield()
end)
coroutine.resume(bad)
local ok2, e2 = coroutine.close(bad)
say(ok2 == false and e2 == "in close", "an error in __close comes back as false, error: " .. tostring(e2))
local failed = coroutine.create(function () error({ code = 7 }) end)
coroutine.resume(failed)
local ok3, e3 = coroutine.close(failed)
say(ok3 == false and type(e3) == "table" and e3.code == 7,
    "closing a coroutine dead by an error returns false and that error")
local okr, er = pcall(coroutine.close, coroutine.running())
say(not okr and tostring(er):find("cannot close a running coroutine", 1, true),
    "closing the running coroutine raises: " .. tostring(er))
local outer
outer = coroutine.create(function ()
  local inner = coroutine.create(function () return pcall(coroutine.close, outer) end)
  return select(2, coroutine.resume(inner))
end)
local _, okn, en = coroutine.resume(outer)
say(okn == false and tostring(en):find("cannot close a normal coroutine", 1, true),
    "closing a normal coroutine raises: " .. tostring(en))
local okx, ex = pcall(coroutine.close, "x")
say(not okx and tostring(ex):find("thread expected", 1, true),
    "closing a string raises: " .. tostring(ex))
print("END")
