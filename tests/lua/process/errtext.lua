-- errtext.lua -- an error value is text where Lua programs expect text:
-- the string library's functions, string methods on it, `..` and tostring
-- all see tostring(err) ("KIND: message"), while err:kind() and
-- err:message() keep working. Wippy programs write
-- `if string.find(err, "not found") then ...` and `err:find(...)`.
local t = require("tap").setup(...)
local u = require "util"

local ok, err = process.send("{ward:main|0xffffd}", "x")
t.ok(ok == nil and u.is_err(err, errors.NOT_FOUND), "a NOT_FOUND error to work with")
local text = tostring(err)
t.is(text, "NOT_FOUND: " .. err:message(), "tostring(err) is \"KIND: message\"")
t.is(err:kind(), errors.NOT_FOUND, "err:kind() still works")
t.like(err:message(), "not found", "err:message() still works")

-- the string library takes it as its text
local function same(name, got, ...)
  local want = table.pack(...)
  local g = table.pack(got())
  local eq = g.n == want.n
  for i = 1, want.n do eq = eq and g[i] == want[i] end
  if not t.ok(eq, name) then
    t.diag("got " .. tostring(g[1]) .. ", " .. tostring(g[2]) .. "; want " .. tostring(want[1]))
  end
end
same("string.find(err, \"not found\")", function() return string.find(err, "not found") end,
     string.find(text, "not found"))
t.ok(string.find(err, "not found") ~= nil, "string.find(err, \"not found\") finds it")
same("string.find plain", function() return string.find(err, "{ward", 1, true) end,
     string.find(text, "{ward", 1, true))
same("string.match", function() return string.match(err, "^(%u+_?%u*):") end, "NOT_FOUND")
same("string.gsub", function() return string.gsub(err, "found", "here") end,
     string.gsub(text, "found", "here"))
local words = {}
for w in string.gmatch(err, "%a+") do words[#words + 1] = w end
t.is(words[1] .. "/" .. words[#words], "NOT/existed", "string.gmatch")
same("string.len", function() return string.len(err) end, #text)
same("string.sub", function() return string.sub(err, 1, 9) end, "NOT_FOUND")
same("string.lower", function() return string.lower(err) end, text:lower())
same("string.rep", function() return string.rep(err, 2, "|") end, text .. "|" .. text)
same("string.byte", function() return string.byte(err, 1, 3) end, 78, 79, 84)
same("string.format %s", function() return string.format("<%s>", err) end, "<" .. text .. ">")
same("string.format %q", function() return string.format("%q", err) end, string.format("%q", text))
same("string.gsub with an error as the replacement", function()
  return string.gsub("x", "x", err) end, text, 1)

-- methods of strings on it
same("err:find(\"not found\")", function() return err:find("not found") end,
     text:find("not found"))
same("err:lower()", function() return err:lower() end, text:lower())
same("err:upper()", function() return err:upper() end, text:upper())
same("err:match()", function() return err:match("process (%S+)") end, text:match("process (%S+)"))
same("err:len()", function() return err:len() end, #text)
same("err:sub()", function() return err:sub(-7) end, text:sub(-7))
function string.ward_test_shout(s) return s:upper() .. "!" end
same("a function a script adds to string", function() return err:ward_test_shout() end,
     text:upper() .. "!")
string.ward_test_shout = nil
t.is(err.no_such_method, nil, "a key neither a method nor a string function is nil")
t.is(err[1], nil, "a key that is not a string is nil")

-- concatenation
t.is("failed: " .. err, "failed: " .. text, "\"...\" .. err")
t.is(err .. " (retry)", text .. " (retry)", "err .. \"...\"")
t.is(1 .. err, "1" .. text, "a number .. err")
t.is(err .. err, text .. text, "err .. err")
local okc, ec = pcall(function() return err .. {} end)
t.ok(not okc and tostring(ec):find("attempt to concatenate a table value", 1, true),
     "err .. {} fails as Lua's concatenation does")

-- only error values are coerced; nothing else changes
local okr, er = pcall(string.rep, process.inbox(), 2)
t.ok(not okr and tostring(er):find("bad argument #1 to 'string.rep'", 1, true),
     "another userdata is still refused, the message naming string.rep")
if okr or not tostring(er):find("string.rep", 1, true) then t.diag(tostring(er)) end
local okf, ef = pcall(function() return string.find() end)
t.ok(not okf and tostring(ef):find("bad argument #1 to 'find'", 1, true),
     "argument errors still name the function")
if okf or not tostring(ef):find("'find'", 1, true) then t.diag(tostring(ef)) end
t.is(("abc"):upper(), "ABC", "string methods on strings are unchanged")

u.finish(t)
