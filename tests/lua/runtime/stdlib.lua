-- stdlib.lua -- the safe standard library of a ward process, and error
-- values whose metamethods must never run inside ward's error handling.
local t = require("tap").setup(...)
local me = process.pid()
local inbox, events = process.inbox(), process.events()

local raises = t.raises

-- ---- what is gone ----
for _, name in ipairs{ "debug", "package", "dofile", "loadfile" } do
  t.is(_G[name], nil, name .. " is nil")
end
-- io is the standard streams alone (lio.c): it opens nothing by name
for _, name in ipairs{ "open", "popen", "tmpfile", "close" } do
  t.is(io[name], nil, "io." .. name .. " is nil")
end
t.is(string.dump, nil, "string.dump is nil")
t.is(("x").dump, nil, "(\"x\").dump is nil (the string metatable too)")
for _, name in ipairs{ "execute", "exit", "remove", "rename", "tmpname", "setlocale" } do
  t.is(os[name], nil, "os." .. name .. " is nil")
end
-- require looks for a process definition of that name: there is none
do
  local ok, io2 = pcall(require, "io")
  t.ok(ok and rawequal(io2, io) and io2.open == nil, "require \"io\" gives the same io, no io.open")
end
raises("module 'debug' not found: no process definition", "require \"debug\" fails", require, "debug")
raises("module 'package' not found: no process definition", "require \"package\" fails", require, "package")
do
  local ok, os2 = pcall(require, "os")
  t.ok(ok and rawequal(os2, os) and os2.execute == nil
         and os2.remove == nil,
       "require \"os\" gives the same os, no more")
end

-- ---- what works ----
t.is(math.type(os.time()), "integer", "os.time() works")
t.ok(os.time{ year = 2020, month = 1, day = 1, hour = 0 } ~= nil, "os.time(table) works")
t.is(type(os.clock()), "number", "os.clock() works")
t.like(os.date("!%Y-%m-%d", 0), "^1970%-01%-01$", "os.date works")
t.is(os.difftime(10, 4), 6.0, "os.difftime works")
t.ok(type(coroutine.create) == "function" and type(utf8.char) == "function"
     and type(table.concat) == "function" and type(math.floor) == "function",
     "coroutine, utf8, table and math are there")
t.is(string.format("%d-%s", 5, "x"), "5-x", "string.format works")
t.is(select("#", pcall(print, "# print works")), 1, "print works")

-- ---- load: text only ----
do
  local f = load("return 1 + 2")
  t.ok(f and f() == 3, "load of a text chunk works")
  local env = { x = 5 }
  f = load("y = x * 2; return x", "chunk", "t", env)
  t.ok(f and f() == 5 and env.y == 10 and rawget(_G, "y") == nil,
       "load with an env uses that env")
  f = load("return x", "=nox", "t", nil)
  t.ok(f ~= nil, "load with an explicit nil env compiles")
  local v, err = load("return +", "=bad")
  t.ok(v == nil and type(err) == "string" and err:find("bad") ~= nil,
       "a syntax error gives nil, message")
  -- a binary chunk: string.dump is gone, so forge the signature by hand.
  -- Lua's contract: a chunk load refuses gives nil, message; load never
  -- raises for one (programs write `local f, err = load(s)`)
  local bin = "\27Lua\x54\x00\x19\x93\r\n\x1a\n\x04\x08\x08\x78\x56\0\0\0\0\0\0\0\0\0\0\0\0\x28\x77\x40"
  local NOBIN = "attempt to load a binary chunk (binary chunks are not allowed in ward processes)"
  local function refused(want, name, ...)
    local r = table.pack(pcall(load, ...))
    local good = r[1] and r[2] == nil and r[3] == want and r.n == 3
    t.ok(good, name)
    if not good then t.diag("got " .. tostring(r[1]) .. ", " .. tostring(r[2]) .. ", " .. tostring(r[3])) end
  end
  refused(NOBIN, "load of a binary chunk: nil, message", bin)
  refused(NOBIN, "load(bin, name, \"b\"): nil, message (it never raises)", bin, "b", "b")
  refused(NOBIN, "load(bin, name, \"bt\"): nil, message", bin, "bt", "bt")
  refused("attempt to load a binary chunk (mode is 't')", "load(bin, name, \"t\"): Lua's words",
          bin, "t", "t")
  refused("attempt to load a text chunk (mode is 'b')", "load(text, name, \"b\"): Lua's words",
          "return 1", "b", "b")
  refused("attempt to load a text chunk (mode is 'x')", "a mode without t refuses text", "return 1", "x", "x")
  refused("attempt to load a text chunk (mode is 'b')", "an empty chunk is text to mode b", "", "e", "b")
  v, err = load("\27", "esc", "t")
  t.ok(v == nil and type(err) == "string" and err:find("binary chunk", 1, true) ~= nil,
       "a chunk that is only ESC is refused as binary")
  local f42 = load(42)
  t.ok(f42 == nil or type(f42) == "function", "load of a number takes it as its text")
  -- reader functions, as Lua's: pieces until nil or "", errors as nil, message
  local parts, i = { "return ", "1 ", "+ 2" }, 0
  local fr = load(function() i = i + 1 return parts[i] end)
  t.ok(fr and fr() == 3, "load of a reader function joins its pieces")
  i = 0
  parts = { "return 7", "", "junk" }
  fr = load(function() i = i + 1 return parts[i] end)
  t.ok(fr and fr() == 7 and i == 2, "an empty piece ends the chunk")
  local _, ename = pcall(load(function() i = i + 1 if i == 3 then return "error('e')" end end))
  t.like(ename, "^%(load%):1: e$", "a reader's chunk is named (load) by default")
  local d = false
  refused(NOBIN, "a binary chunk through a reader function: nil, message",
          function() if d then return nil end d = true return bin end)
  d = false
  refused(NOBIN, "also handed out piece by piece",
          function() if d then return nil end d = true return "\27Lu" end)
  v, err = load(function() return {} end)
  t.ok(v == nil and tostring(err):find("reader function must return a string", 1, true),
       "a reader returning a table: nil, message")
  v, err = load(function() error("boom", 0) end)
  t.ok(v == nil and err == "boom", "an error in the reader: nil, its error")
  raises("bad argument #1 to 'load' (function expected, got nil)",
         "load(nil) raises as Lua's, naming load", load, nil)
  local okn, en = pcall(load, nil)
  t.ok(not okn and tostring(en):find("to 'load'", 1, true), "pcall(load, nil) names load, not '?'")
  if okn or not tostring(en):find("to 'load'", 1, true) then t.diag(tostring(en)) end
end

-- ---- setmetatable and __gc ----
raises("__gc", "setmetatable with __gc is refused",
       setmetatable, {}, { __gc = function() end })
raises("__gc", "setmetatable with __gc = true is refused", setmetatable, {}, { __gc = true })
do
  local obj = setmetatable({}, { __index = function(_, k) return k .. "!" end })
  t.is(obj.hi, "hi!", "setmetatable without __gc works")
  local locked = setmetatable({}, { __metatable = "locked" })
  raises("protected", "a protected metatable cannot be changed", setmetatable, locked, {})
  t.is(getmetatable(locked), "locked", "getmetatable honours __metatable")
  raises("nil or table", "setmetatable with a number is refused", setmetatable, {}, 5)
end
do
  -- __gc added after setmetatable: Lua never marks the object, so neither a
  -- collection nor the close may run it (it would loop with hooks off)
  local pid = process.spawn_monitored("actors:gcsneak", "ward:main", me)
  local r = channel.select{ events:case_receive(), t.after(30000):case_receive() }
  t.ok(r.channel == events and r.value.kind == "EXIT" and r.value.result.value == "done",
       "a late __gc does not hang the process or its close")
  local seen_gc = false
  while true do
    local m = channel.select{ inbox:case_receive(), time.after("200ms"):case_receive() }
    if m.channel ~= inbox then break end
    if m.value:topic() == "gc" then seen_gc = true end
  end
  t.ok(not seen_gc, "the late __gc never ran")
end

-- ---- error values of a process ----
local function exit_of(which)
  local pid, err = process.spawn_monitored("actors:errval", "ward:main", me, which)
  if not pid then return nil, tostring(err) end
  local ev = t.exit_event(pid)
  if not ev then return nil, "timeout" end
  return ev.result
end

local function side_effects()
  local seen = {}
  while true do
    local r = channel.select{ inbox:case_receive(), time.after("200ms"):case_receive() }
    if r.channel ~= inbox then break end
    if r.value:topic() == "side" then seen[#seen + 1] = r.value:payload() end
  end
  return seen
end

do
  local res = exit_of("evil")
  t.is(res and res.error, "(error object is a table value)",
       "an error object with metamethods: EXIT error text is safe")
  local seen = side_effects()
  t.is(#seen, 0, "none of its metamethods ran (" .. table.concat(seen, ", ") .. ")")
  res = exit_of("evil-in-pcall")
  local caught
  for _ = 1, 1 do
    local r = channel.select{ inbox:case_receive(), t.after(30000):case_receive() }
    if r.channel == inbox and r.value:topic() == "caught" then caught = table.pack(r.value:payload()) end
  end
  t.ok(caught and caught[1] == false and caught[2] == "mine",
       "the script's own pcall gets the very error object")
  t.is(res and res.error, "(error object is a table value)", "re-raised: still safe text")
  seen = side_effects()
  t.is(#seen, 0, "no metamethod ran when it was re-raised (" .. table.concat(seen, ", ") .. ")")
end
do
  local cases = {
    { "nil", "nil" }, { "int", "42" }, { "float", "4.5" },
    { "bool", "(error object is a boolean value)" }, { "string", "plain message" },
    { "table", "(error object is a table value)" },
    { "function", "(error object is a function value)" },
  }
  for _, c in ipairs(cases) do
    local res = exit_of(c[1])
    t.is(res and res.error, c[2], "error(" .. c[1] .. ") -> EXIT error " .. string.format("%q", c[2]))
  end
  local res = exit_of("located")
  t.like(res and res.error, "errval%.lua:%d+: with a location$", "error(\"...\") carries its location")
  res = exit_of("ward")
  t.like(res and res.error, "^INVALID: ", "error(err) of a ward error -> \"KIND: message\"")
  res = exit_of("long")
  t.ok(res and type(res.error) == "string" and #res.error > 100 and res.error:match("^y+$"),
       "a very long error message arrives (possibly cut short)")
  res = exit_of("none")
  t.is(res and res.value, "no error", "and a normal exit has result.value")
end

t.plan(t.run)
t.done()
