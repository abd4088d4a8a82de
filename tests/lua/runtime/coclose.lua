-- coclose.lua -- coroutine.wrap closes the pending to-be-closed variables
-- of a coroutine that ends with an error, as the reference manual (6.2)
-- and stock Lua 5.4.4 do: each __close gets the error, in reverse order,
-- and one that raises replaces it. coroutine.resume leaves them to
-- coroutine.close, as stock Lua does.
local t = require("tap").setup(...)
local log = {}
local function closer(name)
  return setmetatable({}, { __close = function(_, e) log[#log + 1] = name .. ":" .. tostring(e) end })
end
local function taken() local s = table.concat(log, ","); log = {}; return s end

-- an error after a yield: the variable is closed with the error
local f = coroutine.wrap(function()
  local x <close> = closer("x")
  coroutine.yield(1)
  error("boom", 0)
end)
t.is(f(), 1, "the wrapped coroutine yields")
t.is(taken(), "", "... nothing closed while it is suspended")
local ok, e = pcall(f)
t.is(ok, false, "its error reaches the caller")
t.is(e, "boom", "... unchanged")
t.is(taken(), "x:boom", "its pending variable was closed, with the error")
ok, e = pcall(f)
t.is(e, "cannot resume dead coroutine", "it is dead afterwards")
t.is(taken(), "", "... and nothing is closed twice")

-- a non-string error object: the same object to __close and to the caller
local seen
local obj = {}
local g = coroutine.wrap(function()
  local y <close> = setmetatable({}, { __close = function(_, err) seen = err end })
  error(obj)
end)
ok, e = pcall(g)
t.ok(not ok and e == obj and seen == obj, "a table error: __close and the caller get the same object")

-- several variables: closed in reverse order; a __close that raises
-- replaces the error for those closed after it and for the caller
local h = coroutine.wrap(function()
  local a <close> = closer("a")
  local b <close> = setmetatable({}, { __close = function(_, err)
    log[#log + 1] = "b:" .. tostring(err); error("close failed", 0) end })
  local c <close> = closer("c")
  error("first", 0)
end)
ok, e = pcall(h)
t.is(e, "close failed", "a __close that raises replaces the error")
t.is(taken(), "c:first,b:first,a:close failed", "closed in reverse order, each with the error so far")

-- a string error keeps its position; an error through two wraps closes both
local inner = coroutine.wrap(function() local a <close> = closer("inner"); error("deep") end)
local outer = coroutine.wrap(function() local a <close> = closer("outer"); inner() end)
ok, e = pcall(outer)
t.like(e, "coclose%.lua:%d+: deep$", "an error through two wraps keeps its position")
t.like(taken(), "^inner:.*deep,outer:.*deep$", "... and each closes its own variables")

-- a normal end closes them once, by the return itself
local n = coroutine.wrap(function() local a <close> = closer("n"); return 7 end)
t.is(n(), 7, "a normal end returns its value")
t.is(taken(), "n:nil", "... its variable closed once, without an error")

-- coroutine.resume: the variables wait for coroutine.close (as in stock Lua)
local co = coroutine.create(function() local z <close> = closer("z"); error("bad", 0) end)
t.is(select(2, coroutine.resume(co)), "bad", "resume returns the error")
t.is(taken(), "", "... and leaves the variable pending")
coroutine.close(co)
t.is(taken(), "z:bad", "coroutine.close closes it")

-- a __close may not block (it runs where nothing can yield): its error
-- replaces the coroutine's, and the process goes on
local blk = coroutine.wrap(function()
  local x <close> = setmetatable({}, { __close = function() process.inbox():receive() end })
  error("first", 0)
end)
ok, e = pcall(blk)
t.like(e, "cannot block here", "a __close that blocks raises, and that replaces the error")

-- a chain of failing wraps, each __close resuming the next: bounded like
-- coroutine.close, never a crash of the runtime
local function chain(k)
  if k == 0 then return coroutine.wrap(function() error("end", 0) end) end
  local nxt = chain(k - 1)
  return coroutine.wrap(function()
    local a <close> = setmetatable({}, { __close = function() pcall(nxt) end })
    error("level " .. k, 0)
  end)
end
ok, e = pcall(chain(300))
t.is(e, "level 300", "a chain of 300 failing wraps closing each other ends with the first error")

t.plan(t.run)
t.done()
