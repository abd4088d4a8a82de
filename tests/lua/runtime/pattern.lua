-- pattern.lua -- DESIGN 2.0: a catastrophic pattern cannot hold a thread:
-- string.find/match/gmatch/gsub raise "pattern too complex" quickly, pcall
-- catches it and the process goes on; ordinary patterns still behave as in
-- stock Lua 5.4. ("Quickly" is a scaled bound far below the ~35 s stock
-- Lua takes on these patterns.)
local t = require("tap").setup(...)
local me = process.pid()
local events = process.events()

local subject = ("a"):rep(120)
local evil = ("a*"):rep(5) .. "b"

local function check(name, f, ...)
  local t0 = time.now()
  local ok, e = pcall(f, ...)
  local el = time.now() - t0
  t.ok(not ok and type(e) == "string" and e:find("pattern too complex", 1, true) ~= nil,
       name .. ": raises \"pattern too complex\"")
  if ok or type(e) ~= "string" then t.diag("got " .. tostring(ok) .. ", " .. tostring(e)) end
  t.ok(el < t.ms(5000), name .. ": quickly (" .. el .. " ms)")
end

check("s:find", function() return subject:find(evil) end)
check("string.find", string.find, subject, evil)
check("string.find with init", string.find, subject, evil, 3)
check("string.match", string.match, subject, evil)
check("string.match with captures", string.match, subject, "(" .. evil .. ")")
check("string.gmatch", function() for _ in subject:gmatch(evil) do end end)
check("string.gsub", string.gsub, subject, evil, "x")
check(".-.-.-.-.-b", string.find, subject, (".-"):rep(6) .. "b")
check("nested captures", string.match, subject, ("(a*)"):rep(6) .. "b")

-- a plain find (no specials, or plain = true) is not a pattern search
t.is(subject:find(evil, 1, true), nil, "plain find of the same text: nil, fast")

-- ordinary patterns work as in stock Lua
t.is(("hello world"):find("o w"), 5, "find")
do
  local a, b, c = ("key = value"):find("(%w+)%s*=%s*(%w+)")
  t.ok(a == 1 and b == 11 and c == "key", "find with captures")
end
t.is(("x=1, y=22"):match("y=(%d+)"), "22", "match")
t.is(select(2, ("a.b.c"):gsub("%.", "/")), 2, "gsub count")
t.is(("a.b.c"):gsub("%.", "/"), "a/b/c", "gsub result")
t.is(("abc"):gsub("%w", "%0%0"), "aabbcc", "gsub with %0")
t.is(("hello"):gsub("l+", function(s) return #s end), "he2o", "gsub with a function")
t.is(("$name is $age"):gsub("%$(%w+)", { name = "bob", age = 3 }), "bob is 3",
     "gsub with a table")
do
  local words = {}
  for w in ("one two  three"):gmatch("%a+") do words[#words + 1] = w end
  t.is(table.concat(words, ","), "one,two,three", "gmatch")
  local pairs_ = {}
  for k, v in ("a=1,b=2"):gmatch("(%w+)=(%w+)") do pairs_[#pairs_ + 1] = k .. v end
  t.is(table.concat(pairs_, ","), "a1,b2", "gmatch with captures")
end
t.is(("THE (quick) fox"):find("%((%a+)%)"), 5, "escaped parentheses")
t.is(("f(a(b)c)d"):match("%b()"), "(a(b)c)", "%b balanced match")
t.is(("THE (quick) fox"):gsub("%f[%a]%a+", "W"), "W (W) W", "%f frontier")
t.is(("  trim  "):match("^%s*(.-)%s*$"), "trim", "anchors and lazy .-")
t.is(("abc"):match("()b()"), 2, "position captures")
t.is(("hello"):find("l", -2), 4, "negative init")
t.is(("aaa"):match("a-"), "", "a- matches empty")
t.is(("x"):rep(3, ","), "x,x,x", "string.rep with a separator")
t.ok(not pcall(string.find, "a", "%"), "a malformed pattern still raises its own error")
t.ok(not pcall(string.find, "a", "(()"), "an unfinished capture raises")
t.is(("\0a\0b"):find("%z?b"), 3, "a subject with NULs")

-- linear work on a large subject is not "too complex"
do
  local big = ("a"):rep(200000) .. "b"
  t.is(big:find("b"), 200001, "find on a 200 KB subject")
  t.is(big:find("a+b"), 1, "a+b on a 200 KB subject")
  t.is(select(2, big:gsub("a", "")), 200000, "gsub over 200 KB")
  local n = 0
  for _ in big:gmatch("a") do n = n + 1 end
  t.is(n, 200000, "gmatch over 200 KB")
end

-- without pcall the error ends only that process, quickly
do
  local t0 = time.now()
  local pid = process.spawn_monitored("actors:pattern", "ward:main")
  local r = channel.select{ events:case_receive(), t.after(60000):case_receive() }
  t.ok(r.channel == events and r.value.kind == "EXIT" and r.value.from == pid,
       "a process using the pattern without pcall exits")
  t.like(r.value and r.value.result and r.value.result.error, "pattern too complex",
         "with \"pattern too complex\" as its error")
  t.ok(time.now() - t0 < t.ms(10000), "quickly (" .. (time.now() - t0) .. " ms)")
end

t.plan(t.run)
t.done()
