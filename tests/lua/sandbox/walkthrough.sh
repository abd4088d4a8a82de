#!/bin/sh
# walkthrough.sh -- the walkthrough of doc/writing-policies.md section 13,
# with the plugin script taken from the document itself: a permissive
# --untrusted run, `ward audit suggest`, the reviewed grants as --allow-*
# flags, an enforcing run, and what stays denied. The endpoint is a tiny
# HTTP responder (a second, trusted ward run) on 127.0.0.1, on a port the
# system chooses where the document says 8000.
. "${WARD_SRCDIR:-.}/tests/lua/sandbox/lib.sh"
wait_s=$(scaled_s 60)
case $WARD in /*) ;; *) WARD=$(pwd)/$WARD ;; esac     # the runs below cd
doc=${WARD_SRCDIR:-.}/doc/writing-policies.md
mkdir -p "$T/r/data"
printf 'a\nb\n' > "$T/r/data/one.txt"
printf 'c\n' > "$T/r/data/two.txt"
echo 'not for the plugin' > "$T/r/secret.txt"
R=$(cd "$T/r" && pwd -P)
awk '/<!-- walkthrough: report.lua -->/ { on = 1; next }
     on && /^```lua/ { body = 1; next }
     body && /^```/ { exit }
     body { print }' "$doc" > "$R/report.lua"
ok "the document holds the plugin (report.lua)" grep -q 'net.connect' "$R/report.lua"

cat > "$T/http.lua" <<'LUA'
local net = require "net"
local l, port = assert(net.listen("127.0.0.1", 0))
io.write(port, "\n")
while true do
  local s = net.accept(l, 60000)
  if not s then break end
  s:read(4096, 5000)
  s:write("HTTP/1.0 200 OK\r\nContent-Length: 3\r\n\r\nok\n")
  s:close()
end
LUA
serve "$T/http.lua"
ok "the endpoint listens on 127.0.0.1" test -n "$PORT"

# 0: under --untrusted alone, require "fs" is the first wall
(cd "$R" && STATUS_PORT=$PORT timeout "$wait_s" "$WARD" run --untrusted --audit "$T/x.db" \
  report.lua) > "$T/0.out" 2> "$T/0.err"
rc=$?
skip_unless_sandbox "$T/0.err"
ok "without grants the plugin fails" test "$rc" -ne 0
has "... at require \"fs\"" 'lua.require on fs' "$T/0.err"

# 1: permissive
(cd "$R" && STATUS_PORT=$PORT timeout "$wait_s" "$WARD" run --untrusted --permissive \
  --audit audit.db report.lua) > "$T/1.out" 2> "$T/1.err"
ok "1. the permissive run completes" test $? -eq 0
has "... and prints what the document shows" '^lines: 3, endpoint: 200$' "$T/1.out"

# 2: suggest
(cd "$R" && "$WARD" audit suggest --db audit.db --run last) > "$T/s.policy" 2> "$T/s.err"
ok "2. ward audit suggest drafts a policy" test $? -eq 0
for rule in 'allow env.read on "STATUS_PORT";' "allow fs.list on \"$R/data\";" \
    "allow fs.read on \"$R/data/one.txt\", \"$R/data/two.txt\";" \
    "# wider: allow fs.read on \"$R/data/**\";" 'allow lua.require on "fs", "net";' \
    "allow net.connect on \"127.0.0.1:$PORT\";"; do
  n=$((n + 1))
  if grep -qF -- "$rule" "$T/s.policy"; then echo "ok $n - ... $rule"
  else echo "not ok $n - ... $rule"; sed 's/^/# /' "$T/s.policy"; fails=$((fails + 1)); fi
done
ok "... nothing else is allowed" test "$(grep -c '^  allow' "$T/s.policy")" -eq 5
"$WARD" policy check "$T/s.policy" > /dev/null 2>&1
ok "... and it is valid policy text" test $? -eq 0

# 4: enforce with the reviewed grants
grants="--allow-read data --allow-net 127.0.0.1:$PORT --allow-env STATUS_PORT"
(cd "$R" && STATUS_PORT=$PORT timeout "$wait_s" "$WARD" run --untrusted $grants \
  --audit enforce.db report.lua) > "$T/4.out" 2> "$T/4.err"
ok "4. the enforcing run with $grants completes" test $? -eq 0
has "... with the same output" '^lines: 3, endpoint: 200$' "$T/4.out"
printf 'd\ne\n' > "$R/data/three.txt"
(cd "$R" && STATUS_PORT=$PORT timeout "$wait_s" "$WARD" run --untrusted $grants \
  --audit enforce.db report.lua) > "$T/5.out" 2> "$T/5.err"
has "... a file added to data/ later is read too" '^lines: 5, endpoint: 200$' "$T/5.out"
# what stays denied: the directory beside, another port
sed 's|"data"|"."|; s|"data/"|"./"|' "$R/report.lua" > "$R/wider.lua"
(cd "$R" && STATUS_PORT=$PORT timeout "$wait_s" "$WARD" run --untrusted $grants \
  --audit enforce.db wider.lua) > "$T/6.out" 2> "$T/6.err"
ok "the same grants do not let it list the directory above data/" test $? -ne 0
has "... (fs.list denied)" "fs.list on" "$T/6.err"
other=$((PORT == 65535 ? 1 : PORT + 1))
(cd "$R" && STATUS_PORT=$other timeout "$wait_s" "$WARD" run --untrusted $grants \
  --audit enforce.db report.lua) > "$T/7.out" 2> "$T/7.err"
ok "... nor connect to another port" test $? -ne 0
has "... (net.connect denied)" "net.connect on 127.0.0.1:$other" "$T/7.err"
"$WARD" audit --db "$R/enforce.db" --json > "$T/audit" 2>&1
has "... both denials are audited" "\"resource\":\"127.0.0.1:$other\"" "$T/audit"
(cd "$R" && "$WARD" run $grants --print-policy) > "$T/p.policy"
has "--print-policy gives the grants as policy text" \
  "allow fs.read on \"$R/data\", \"$R/data/\*\*\";" "$T/p.policy"
kill "$served" 2> /dev/null
wait "$served" 2> /dev/null
finish
