-- fs-attempts.lua -- the `fs` module's escape suite, run by fs-escape.sh as
-- a trusted actor and as a subprocess actor, as root and as nobody.
-- Arguments: TREE (the test's tree: grant/ is granted, secret/ and grant2/
-- are not; names below grant/keep/ may not be removed or replaced),
-- RACES (iterations of each race), "dev" when grant/null is a device.
-- Every attempt to reach secret/ or grant2/ must fail, and so must a
-- rename of a directory that would move a protected name; a path through
-- a denied directory and back out must not tell what it holds; what the
-- grant allows must work. TAP on stdout (ok, denied, done: attempts-tap.lua,
-- which fs-escape.sh puts before this file).
local TREE, RACES, DEV = ...
RACES = tonumber(RACES) or 200
local G, S = TREE .. "/grant", TREE .. "/secret"
local fs = require "fs"
-- refused: nil and any error, never the secret
local function refused(name, v, e)
  return ok(v == nil and e ~= nil, name .. ": refused", v ~= nil and ("got " .. tostring(v)) or nil)
end

-- ---- positives: every function on what the grant allows ----
ok(fs.read_file(G .. "/ok.txt") == "ok", "read_file a granted file")
ok(fs.read_file("grant/ok.txt") == "ok", "a relative path is taken from where ward run started")
local f, e = fs.open(G .. "/new.txt", "w")
ok(f ~= nil, "open 'w' makes a file (fs.create)", e)
if f then
  ok(f:write("a\nbb\nccc") == 8, "write to it")
  f:close()
end
f = fs.open(G .. "/new.txt")
if ok(f ~= nil, "open 'r'") then
  local lines = {}
  for l in f:lines() do lines[#lines + 1] = l end
  ok(table.concat(lines, "|") == "a|bb|ccc", "lines", table.concat(lines, "|"))
  ok(f:seek("set", 2) == 2 and f:read(2) == "bb", "seek and read")
  f:close()
end
ok(fs.write_file(G .. "/new.txt", "over") and fs.read_file(G .. "/new.txt") == "over",
   "write_file replaces a file (fs.write)")
ok(fs.write_file(G .. "/new.txt", "+", "a") and fs.read_file(G .. "/new.txt") == "over+",
   "write_file 'a' appends")
local st = fs.stat(G .. "/new.txt")
ok(st and st.type == "file" and st.size == 5 and st.path == G .. "/new.txt", "stat")
ok(fs.mkdir(G .. "/d") == true and fs.stat(G .. "/d").type == "directory", "mkdir")
ok(fs.rename(G .. "/new.txt", G .. "/d/moved.txt") == true
   and fs.read_file(G .. "/d/moved.txt") == "over+", "rename")
local l = fs.list(G .. "/d")
ok(l and #l == 1 and l[1] == "moved.txt", "list")
ok(fs.remove(G .. "/d/moved.txt") and fs.remove(G .. "/d") and fs.stat(G .. "/d") == nil,
   "remove a file, then its directory")
ok(fs.read_file(G .. "/./sub/../ok.txt") == "ok", ". and .. inside the grant")
ok(fs.read_file(G .. "/link-in") == "ok", "a link that stays inside the grant is followed")

-- ---- escapes ----
denied("the secret by its own path", fs.read_file(S .. "/s.txt"))
denied("`..` out of the grant", fs.read_file(G .. "/../secret/s.txt"))
denied("`..` twice from a subdirectory", fs.read_file(G .. "/sub/../../secret/s.txt"))
denied("`//` and `..`", fs.read_file(G .. "//..//..//" .. TREE:match("[^/]+$") .. "/secret/s.txt"))
denied("a relative path out of the grant", fs.read_file("grant/../secret/s.txt"))
denied("a symlink to the secret file", fs.read_file(G .. "/link-out"))
local _, le = fs.read_file(G .. "/link-out")
ok(le and not tostring(le):find("secret", 1, true),
   "the denial names the path as given, not where the link points", le)
denied("a symlink to the secret directory", fs.read_file(G .. "/link-dir/s.txt"))
denied("an absolute symlink", fs.read_file(G .. "/link-abs"))
denied("a chain of symlinks", fs.read_file(G .. "/chain1"))
denied("a symlink through /proc/self/root", fs.read_file(G .. "/link-proc"))
denied("`..` after a symlink (physical, not lexical)", fs.read_file(G .. "/link-deep/../s.txt"))
refused("a symlink loop", fs.read_file(G .. "/loop1"))
denied("a sibling with the grant's name as prefix", fs.read_file(TREE .. "/grant2/x.txt"))
denied("a sibling through `..`", fs.read_file(G .. "/../grant2/x.txt"))
denied("a sibling through a symlink", fs.read_file(G .. "/link-sib/x.txt"))
denied("/proc/self/root", fs.read_file("/proc/self/root" .. S .. "/s.txt"))
denied("/proc/thread-self/root", fs.read_file("/proc/thread-self/root" .. S .. "/s.txt"))
denied("/proc/self/cwd", fs.read_file("/proc/self/cwd/secret/s.txt"))
-- every /proc/self/fd/N: a magic link is resolved to what it names, and
-- only what lies in the grant is given
local leaked = 0
for i = 0, 63 do
  local v = fs.read_file("/proc/self/fd/" .. i)
  local s2 = fs.stat("/proc/self/fd/" .. i)
  if v == "SECRET" or (s2 and s2.path:sub(1, #G + 1) ~= G .. "/") then leaked = leaked + 1 end
end
ok(leaked == 0, "/proc/self/fd/0..63 give nothing outside the grant", leaked)
do
  local v, e = fs.read_file(G .. "/link-long")
  denied("a link to a long path in the secret", v, e)
  ok(not tostring(e):find("wwww", 1, true), "... whose denial does not tell where it points "
     .. "(however long the path)", tostring(e))
end
denied("a hard link to the secret (more than one name)", fs.read_file(G .. "/hard.txt"))
denied("a hard link opened for writing", fs.open(G .. "/hard.txt", "w"))
denied("write_file through a hard link", fs.write_file(G .. "/hard.txt", "pwned"))
denied("stat through a hard link (the secret's size and time)", fs.stat(G .. "/hard.txt"))
local t0 = time.now()
refused("a fifo", fs.read_file(G .. "/fifo"))
ok(time.now() - t0 < 5000, "... at once (a fifo is never opened to wait on)")
if DEV == "dev" then
  refused("a device file", fs.read_file(G .. "/null"))
  refused("a device file opened for writing", fs.open(G .. "/null", "w"))
else
  ok(true, "a device file # SKIP mknod is not allowed here")
  ok(true, "a device file opened for writing # SKIP mknod is not allowed here")
end
local nul = "grant/ok.txt\0/../../secret/s.txt"
local v, e2 = fs.read_file(nul)
ok(v == nil and kind(e2) == "INVALID", "a path holding a NUL byte is INVALID", e2)
v, e2 = fs.read_file(G .. "/" .. string.rep("a/", 3000))
ok(v == nil and kind(e2) == "INVALID", "a path over PATH_MAX is INVALID", e2)
v, e2 = fs.read_file("")
ok(v == nil and kind(e2) == "INVALID", "the empty path is INVALID", e2)
denied("write through a symlink to the secret", fs.write_file(G .. "/link-out", "pwned"))
denied("create through a dangling symlink", fs.open(G .. "/dangling", "w"))
denied("create inside a symlinked directory", fs.write_file(G .. "/link-dir/new.txt", "x"))
denied("r+ through a symlink", fs.open(G .. "/link-out", "r+"))
denied("list the grant's parent", fs.list(TREE))
denied("list `..` of the grant", fs.list(G .. "/.."))
denied("list through a symlinked directory", fs.list(G .. "/link-dir"))
denied("list the secret with a trailing slash", fs.list(S .. "/"))
denied("stat the secret", fs.stat(S .. "/s.txt"))
denied("stat through a symlink", fs.stat(G .. "/link-out"))
denied("stat a name that does not exist in the secret (no existence leak)", fs.stat(S .. "/nope"))
denied("stat below a missing name in the secret", fs.stat(S .. "/nope/deeper"))
denied("stat a missing name through a symlinked directory", fs.stat(G .. "/link-dir/nope"))
denied("mkdir through a symlinked directory", fs.mkdir(G .. "/link-dir/newdir"))
denied("mkdir out of the grant with `..`", fs.mkdir(G .. "/../escape"))
denied("rename the secret into the grant", fs.rename(S .. "/s.txt", G .. "/stolen"))
denied("rename through a symlinked directory", fs.rename(G .. "/link-dir/s.txt", G .. "/stolen"))
denied("rename out of the grant", fs.rename(G .. "/ok.txt", S .. "/planted"))
denied("remove the secret through a symlinked directory", fs.remove(G .. "/link-dir/s.txt"))
ok(fs.remove(G .. "/link-out") == true, "remove a symlink removes the link, not its target")
-- a descriptor used after close
f = fs.open(G .. "/ok.txt")
local again = f:dup()
f:close()
v, e2 = f:read()
ok(v == nil and kind(e2) == "INVALID", "a closed descriptor reads nothing", e2)
v, e2 = f:dup()
ok(v == nil, "nor is duplicated", e2)
denied("the secret, after a descriptor's close", fs.open(S .. "/s.txt"))
ok(f:read() == nil and again:read() == "ok", "the closed one stays closed; its dup reads its own file")
again:close()

-- ---- what is in a denied directory is not told by whether a path
-- through it and back out works: a directory, a file and no name at all
-- give the same answer ----
do
  local a = fs.read_file(S .. "/deep/../../grant/ok.txt")
  local b = fs.read_file(S .. "/only-in-secret/../../grant/ok.txt")
  local c = fs.read_file(S .. "/no-such-name/../../grant/ok.txt")
  ok(a == b and b == c, "'..' out of a denied directory: the same answer whatever is there",
     string.format("directory %s, file %s, nothing %s", tostring(a), tostring(b), tostring(c)))
end

-- ---- renaming a directory moves every name below it: each must be
-- removable (keep/in/k.txt is not) ----
denied("rename a directory holding a name that may not be removed",
       fs.rename(G .. "/keep", G .. "/gone"))
denied("... nor one level further up", fs.rename(G .. "/keep/in", G .. "/gone"))
ok(fs.read_file(G .. "/keep/in/k.txt") == "KEPT" and fs.stat(G .. "/gone") == nil,
   "the protected name stays where it was")
ok(fs.rename(G .. "/free", G .. "/free2") == true and fs.read_file(G .. "/free2/f.txt") == "f",
   "a directory whose names may all be removed is renamed")

-- ---- races: a name swapped between a file (or directory) and a symlink
-- to the secret by fs-escape.sh's racer while we read it ----
local got_secret, got_ok, other = 0, 0, 0
for _ = 1, RACES do
  local r = fs.read_file(G .. "/race")
  if r == "SECRET" then got_secret = got_secret + 1
  elseif r == "ok" then got_ok = got_ok + 1 else other = other + 1 end
end
ok(got_secret == 0, string.format("a file swapped with a symlink, %d reads: never the secret "
   .. "(%d ok, %d refused)", RACES, got_ok, other))
got_secret, got_ok, other = 0, 0, 0
for _ = 1, RACES do
  local r = fs.read_file(G .. "/raced/s.txt")
  if r == "SECRET" then got_secret = got_secret + 1
  elseif r == "ok" then got_ok = got_ok + 1 else other = other + 1 end
end
ok(got_secret == 0, string.format("a directory swapped with a symlink, %d reads: never the "
   .. "secret (%d ok, %d refused)", RACES, got_ok, other))
got_secret = 0
for _ = 1, RACES do
  local d = fs.list(G .. "/raced")
  if d then for _, name in ipairs(d) do if name == "only-in-secret" then got_secret = got_secret + 1 end end end
end
ok(got_secret == 0, string.format("list of a swapped directory, %d times: never the secret's names", RACES))

return done()
