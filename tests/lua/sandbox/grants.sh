#!/bin/sh
# grants.sh -- ward run's --allow-read/--allow-write/--allow-net/
# --allow-listen flags (DESIGN 3.3) and process.permissions.query on fs.*
# and net.*, through the real ward binary: what each flag value becomes
# (the canonical path, everything below a directory, HOST:PORT), that
# --print-policy round-trips through `ward policy check` and `--policy`,
# that hostile values cannot add policy text, an --untrusted script that
# reads the granted file and is denied its sibling, connects to the one
# granted endpoint (a listener of a second ward run on 127.0.0.1), and
# queries that answer as the calls would (path resolved like fs.open,
# every resolved address asked) without auditing a denial; the same
# queries from a trusted actor under the printed policy as a --policy file.
. "${WARD_SRCDIR:-.}/tests/lua/sandbox/lib.sh"
wait_s=$(scaled_s 60)
case $WARD in /*) ;; *) WARD=$(pwd)/$WARD ;; esac     # the runs below cd
mkdir -p "$T/w/data/sub" "$T/w/out"
echo hello-a > "$T/w/data/a"
echo below > "$T/w/data/sub/b"
echo secret > "$T/w/secret"
ln -s data "$T/w/link"
ln -s ../secret "$T/w/data/tosecret"
W=$(cd "$T/w" && pwd -P)

# ---- what a value becomes ----
(cd "$W" && "$WARD" run --allow-read data --allow-read link/a --allow-write out/ \
  --allow-write 'new"f*' --allow-net localhost:080 --allow-net '[::1]:443' \
  --allow-listen 127.0.0.1:0 --print-policy) > "$T/g.policy" 2> "$T/gerr"
ok "--print-policy with --allow-read/-write/-net/-listen exits 0" test $? -eq 0
has "a directory grants itself and everything below it, by its canonical path" \
  "^  allow fs.read on \"$W/data\", \"$W/data/\*\*\";\$" "$T/g.policy"
has "... fs.list as well" "^  allow fs.list on \"$W/data\", \"$W/data/\*\*\";\$" "$T/g.policy"
has "a file named through a link grants the file's canonical path only" \
  "^  allow fs.read on \"$W/data/a\";\$" "$T/g.policy"
has "--allow-write grants fs.write, fs.create and fs.remove below a path ending in /" \
  "^  allow fs.remove on \"$W/out\", \"$W/out/\*\*\";\$" "$T/g.policy"
has "... the glob characters of a value are escaped (a literal, never a pattern)" \
  "^  allow fs.create on \"$W/new\\\\\"f\\\\\\\\\*\";\$" "$T/g.policy"
has "--allow-net names HOST:PORT as net.connect asks it (no leading zero)" \
  '^  allow net.connect on "localhost:80";$' "$T/g.policy"
has "... an IPv6 address in brackets" '^  allow net.connect on "\[::1\]:443";$' "$T/g.policy"
has "--allow-listen grants net.listen" '^  allow net.listen on "127.0.0.1:0";$' "$T/g.policy"
has "the module of each is granted once" '^  allow lua.require on "fs";$' "$T/g.policy"
ok "... only once" test "$(grep -c 'lua.require on "fs"' "$T/g.policy")" -eq 1
has "... and net's" '^  allow lua.require on "net";$' "$T/g.policy"
"$WARD" policy check "$T/g.policy" > "$T/gcheck" 2>&1
ok "ward policy check accepts the printed policy" test $? -eq 0
{ cat "$T/g.policy"; echo 'actor "main" { scope = ["ward-run-grants"]; }'; } > "$T/gm.policy"
cat > "$T/g.test" <<EOF
allow main fs.read "$W/data/sub/b"
allow main fs.list "$W/data"
deny main fs.read "$W/secret"
deny main fs.read "$W/new\"f*"
allow main fs.create "$W/new\"f*"
deny main fs.create "$W/new\"fx"
allow main fs.create "$W/out/x/y"
deny main fs.create "$W/outx"
EOF
"$WARD" policy test --policy "$T/gm.policy" "$T/g.test" > "$T/pt" 2>&1
ok "... whose rules allow what below a directory, the literal, and nothing beside" test $? -eq 0 \
  || sed 's/^/# /' "$T/pt"

# hostile and bad values: refused with a reason, or a literal that adds no rule
(cd "$W" && "$WARD" run --allow-read 'x", "/**' --allow-net 'h";allow:1' \
  --print-policy) > "$T/h.policy" 2>&1
ok "a value holding quotes prints (as a literal)" test $? -eq 0
ok "... and adds no rule: one grant a flag and its module" \
  test "$(grep -c '^  allow' "$T/h.policy")" -eq 5
"$WARD" policy check "$T/h.policy" > /dev/null 2>&1
ok "... which ward policy check accepts" test $? -eq 0
for bad in "--allow-read=" "--allow-net=localhost" "--allow-net=h:*" "--allow-net=::1:80" \
           "--allow-net=h:0" "--allow-net=h:65536" "--allow-listen=h:x" \
           "--allow-read=data/a/" "--allow-write=$(printf 'a\nb')"; do
  (cd "$W" && "$WARD" run "$bad" --print-policy) > "$T/bout" 2> "$T/berr"
  rc=$?
  ok "refused: $(printf '%s' "$bad" | tr '\n' ' ') (exit 2, nothing printed)" \
    sh -c "[ $rc -eq 2 ] && [ ! -s '$T/bout' ] && grep -q 'bad value' '$T/berr'"
done

# ---- a listener: a second, trusted ward run on 127.0.0.1 ----
cat > "$T/listen.lua" <<'LUA'
local net = require "net"
local l, port = assert(net.listen("127.0.0.1", 0))
io.write(port, "\n")
for _ = 1, 2 do
  local s = net.accept(l, 60000)
  if s then s:write("hello from the endpoint\n"); s:close() end
end
LUA
serve "$T/listen.lua"
ok "a listener on 127.0.0.1 says its port" test -n "$PORT"

# ---- the script: reads, connects, queries ----
cat > "$T/s.lua" <<'LUA'
local port = tonumber(os.getenv("PORT"))
local fs, net = require "fs", require "net"
local function say(k, v) io.write(k, "=", tostring(v), "\n") end
local function kind(e) return type(e) == "userdata" and e:kind() or tostring(e) end
local v, e = fs.read_file("data/a"); say("read data/a", v and v:gsub("\n", "") or kind(e))
v, e = fs.read_file("link/sub/b"); say("read link/sub/b", v and v:gsub("\n", "") or kind(e))
v, e = fs.read_file("secret"); say("read secret", v or kind(e))
v, e = fs.read_file("data/tosecret"); say("read data/tosecret", v or kind(e))
v, e = fs.read_file("data/../secret"); say("read data/../secret", v or kind(e))
v, e = fs.list("data"); say("list data", v and #v or kind(e))
v, e = fs.write_file("data/new", "x"); say("write data/new", v or kind(e))
local c, ce = net.connect("127.0.0.1", port, { timeout = 10000 })
say("connect", c and (c:read(100, 10000) or "nothing"):gsub("\n", "") or kind(ce))
if c then c:close() end
c, ce = net.connect("127.0.0.1", port == 65535 and 1 or port + 1); say("connect other port", c or kind(ce))
c, ce = net.connect("localhost", port); say("connect localhost", c or kind(ce))
local function q(a, r)
  local t = process.permissions.query { action = a, resource = r }
  say("query " .. a .. " " .. r, t.state)
end
q("fs.read", "data/a"); q("fs.read", "link/a"); q("fs.read", "link/sub/b"); q("fs.list", "data")
q("fs.read", "data/never-asked"); q("fs.read", "never-asked"); q("fs.read", "data/../never-asked")
q("fs.read", "data/tosecret"); q("fs.write", "data/a"); q("fs.read", "")
q("net.connect", "127.0.0.1:" .. port); q("net.connect", "127.0.0.1:0" .. port)
q("net.connect", "127.0.0.1:1"); q("net.connect", "localhost:" .. port)
q("net.connect", "never-asked.invalid:80"); q("net.connect", "never-asked")
q("net.listen", "127.0.0.1:0")
LUA
cat > "$T/s.want" <<EOF
read data/a=hello-a
read link/sub/b=below
read secret=PERMISSION_DENIED
read data/tosecret=PERMISSION_DENIED
read data/../secret=PERMISSION_DENIED
list data=3
write data/new=PERMISSION_DENIED
connect=hello from the endpoint
connect other port=PERMISSION_DENIED
connect localhost=PERMISSION_DENIED
query fs.read data/a=granted
query fs.read link/a=granted
query fs.read link/sub/b=granted
query fs.list data=granted
query fs.read data/never-asked=granted
query fs.read never-asked=denied
query fs.read data/../never-asked=denied
query fs.read data/tosecret=denied
query fs.write data/a=denied
query fs.read =denied
query net.connect 127.0.0.1:$PORT=granted
query net.connect 127.0.0.1:0$PORT=granted
query net.connect 127.0.0.1:1=denied
query net.connect localhost:$PORT=denied
query net.connect never-asked.invalid:80=denied
query net.connect never-asked=denied
query net.listen 127.0.0.1:0=denied
EOF
flags="--allow-read data --allow-net 127.0.0.1:$PORT --allow-env PORT"
(cd "$W" && PORT=$PORT timeout "$wait_s" "$WARD" run --untrusted --audit "$T/u.db" $flags \
  "$T/s.lua") > "$T/u.out" 2> "$T/u.err"
rc=$?
skip_unless_sandbox "$T/u.err"
ok "ward run --untrusted $flags: the script runs to its end" test "$rc" -eq 0
n=$((n + 1))
if diff "$T/s.want" "$T/u.out" > "$T/diff"; then
  echo "ok $n - ... reads the granted files, is denied the sibling (however named), connects to the one endpoint, queries answer as the calls do"
else
  echo "not ok $n - ... reads, connects and queries as granted"; sed 's/^/# /' "$T/diff" "$T/u.err"
  fails=$((fails + 1))
fi
"$WARD" audit --db "$T/u.db" --json > "$T/uaudit" 2>&1
has "the denied read of the sibling is audited with its canonical path" \
  "\"action\":\"fs.read\".*\"resource\":\"$W/secret\"" "$T/uaudit"
has "the denied connect is audited" '"action":"net.connect"' "$T/uaudit"
ok "no denied query is audited" sh -c "! grep -q 'never-asked\\|127.0.0.1:1\"' '$T/uaudit'"

# the same script as a trusted actor under the printed policy as a file
(cd "$W" && "$WARD" run $flags --print-policy) > "$T/p.policy"
cat > "$T/io.policy" <<'POL'
policy "io" { allow io.stdout on "stdout"; allow io.stderr on "stderr"; }
POL
(cd "$W" && PORT=$PORT timeout "$wait_s" "$WARD" run --audit "$T/t.db" --policy "$T/p.policy" \
  --policy "$T/io.policy" "$T/s.lua") > "$T/t.out" 2> "$T/t.err"
ok "the printed policy as a --policy file: a trusted actor runs the script" test $? -eq 0
n=$((n + 1))
if diff "$T/s.want" "$T/t.out" > "$T/diff"; then
  echo "ok $n - ... with the same answers"
else
  echo "not ok $n - ... with the same answers"; sed 's/^/# /' "$T/diff" "$T/t.err"
  fails=$((fails + 1))
fi
"$WARD" audit --db "$T/t.db" --json > "$T/taudit" 2>&1
ok "... and no denied query is audited" sh -c "! grep -q 'never-asked\\|127.0.0.1:1\"' '$T/taudit'"
wait $served

# ---- attr.path and attr.address reach the query ----
cat > "$T/a.policy" <<POL
policy "attrs" {
  allow fs.read on "$W/**";
  deny fs.read on "**" when attr.path matches "link/**";
  allow net.connect on "localhost:*", "127.0.0.1:*";
  deny net.connect on "*" when attr.address matches "127.**";
  allow io.stdout on "stdout";
}
POL
cat > "$T/a.lua" <<'LUA'
for _, r in ipairs { {"fs.read", "data/a"}, {"fs.read", "link/a"},
                     {"net.connect", "localhost:80"}, {"net.connect", "127.0.0.1:80"} } do
  io.write(r[1], " ", r[2], "=", process.permissions.query { action = r[1], resource = r[2] }.state, "\n")
end
LUA
(cd "$W" && timeout "$wait_s" "$WARD" run --policy "$T/a.policy" "$T/a.lua") > "$T/a.out" 2>&1
has "a query passes attr.path (the path as given)" '^fs.read link/a=denied$' "$T/a.out"
has "... the canonical path is the resource" '^fs.read data/a=granted$' "$T/a.out"
has "a query asks every resolved address (attr.address)" '^net.connect localhost:80=denied$' "$T/a.out"
has "... as net.connect does" '^net.connect 127.0.0.1:80=denied$' "$T/a.out"
finish
