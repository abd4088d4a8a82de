-- luacontract.lua -- ward's replacements of standard functions (vm.c) keep
-- Lua 5.4's contract: results, errors and their words as the reference
-- manual and the stock interpreter give them. (load has its own part in
-- stdlib.lua; the deviations that remain are in ward-lua(7).)
local t = require("tap").setup(...)

local function raises(want, name, f, ...)
  local ok, e = pcall(f, ...)
  local good = not ok and type(e) == "string" and e:find(want, 1, true) ~= nil
  t.ok(good, name)
  if not good then t.diag("got " .. tostring(ok) .. ", " .. tostring(e)) end
  return e
end

-- ---- base functions called without a name at hand name themselves ----
raises("bad argument #1 to 'setmetatable' (table expected, got number)",
       "pcall(setmetatable, 1) names setmetatable", setmetatable, 1)
raises("bad argument #1 to 'tostring' (value expected)", "pcall(tostring) names tostring", tostring)
t.ok(require("_G") == _G, "require \"_G\" gives the globals")

-- ---- getmetatable of a string: the string library's metatable ----
t.ok(rawequal(getmetatable("").__index, string), "getmetatable(\"\").__index is string")

-- ---- require ----
local m, where = require("actors.modargs")
t.ok(type(m) == "table" and m.n == 2 and m[1] == "actors.modargs", "a module gets its name as 1st argument")
t.ok(type(m) == "table" and type(m[2]) == "string" and m[2]:find("modargs.lua", 1, true),
     "and where it was found as 2nd")
t.ok(type(where) == "string" and where == (m and m[2]), "require returns that place as 2nd result")
t.is(select("#", require("actors.modargs")), 1, "a module loaded already: one result")
t.is(require("actors.modfalse"), false, "a module that returns false: require returns false")
require("actors.modfalse")
t.is(modfalse_loads, 2, "and loads it again next time, as Lua's require")
raises("module 'actors.nope' not found:", "a missing module: \"module '...' not found\"", require, "actors.nope")

-- ---- coroutines ----
raises("bad argument #1 to 'resume' (thread expected, got number)",
       "coroutine.resume(5): thread expected", function() return coroutine.resume(5) end)
raises("thread expected", "coroutine.close(5): thread expected", coroutine.close, 5)
raises("thread expected", "coroutine.isyieldable(5): thread expected", coroutine.isyieldable, 5)
do
  local ok, e = pcall(coroutine.yield, 1)
  t.ok(not ok and e == "attempt to yield from outside a coroutine",
       "yield at the top: Lua's words, without a position")
  if ok or e ~= "attempt to yield from outside a coroutine" then t.diag(tostring(e)) end
  local f = coroutine.wrap(function() end)
  f()
  local ok2, e2 = pcall(function() return f() end)
  t.ok(not ok2 and tostring(e2):find("^.*luacontract%.lua:%d+: cannot resume dead coroutine$"),
       "a dead wrap: its error carries the caller's position")
  if ok2 or not tostring(e2):find("luacontract") then t.diag(tostring(e2)) end
  local closed = false
  local g = coroutine.wrap(function()
    local x <close> = setmetatable({}, { __close = function() closed = true end })
    coroutine.yield(1)
    error("boom", 0)
  end)
  g()
  local ok3, e3 = pcall(g)
  t.ok(not ok3 and e3 == "boom", "an error in a wrap propagates")
  t.ok(closed, "after closing the coroutine's to-be-closed variables")
  local h = coroutine.wrap(function()
    local x <close> = setmetatable({}, { __close = function() error("in close", 0) end })
    error("first", 0)
  end)
  local ok4, e4 = pcall(h)
  t.ok(not ok4 and e4 == "in close", "an error in such a __close is the one raised")
end

-- ---- table.move ----
raises("bad argument #1 to 'move' (table expected, got nil)", "table.move(nil, ...): table expected",
       function() return table.move(nil, 1, 1, 1) end)
raises("bad argument #5 to 'move' (table expected, got number)", "table.move to a number: table expected",
       function() return table.move({}, 1, 1, 1, 5) end)
do
  local src = setmetatable({}, { __index = function(_, k) return k * 10 end })
  local dst = table.move(src, 1, 3, 1, {})
  t.ok(dst[1] == 10 and dst[3] == 30, "a source with __index is read through it")
  local log = {}
  local sink = setmetatable({}, { __index = {}, __newindex = function(_, k, v) log[#log + 1] = k .. "=" .. v end })
  table.move({ 7, 8 }, 1, 2, 1, sink)
  t.is(table.concat(log, ","), "1=7,2=8", "a destination with __index and __newindex is written through it")
  raises("bad argument #1 to 'move' (table expected, got function)", "a function is refused",
         function() return table.move(print, 1, 1, 1, {}) end)
end

t.plan(t.run)
t.done()
