#!/bin/sh
# audit.sh -- ward run wired to the engine and the audit trail, end to end:
# where records go (the per-user default, --audit, the --db store), refusing
# to run unaudited, the built-in policies, --permissive, --audit-all,
# --audit-sync, --deny and --trace-gate on top of the engine, a bad policy
# file, scope and actor metadata in records, a `ward policy load` picked up
# by a running ward within a second, and `ward audit` (filters, JSON, stats).
set -u
. "${WARD_SRCDIR:-$(dirname "$0")/../..}/tests/policy/lib.sh"
plan 117
# waits on events, never on the clock: each poll gives up only after a
# generous deadline, scaled by WARD_TEST_TIMEOUT_SCALE on slow machines
SCALE=$ward_test_scale   # tests/scale.sh, through lib.sh

R=$T/r
mkdir -p "$R/actors"
cat > "$R/deny.lua" <<'EOF'
-- asks what the restrictive policy does not give, prints what it got
local ok, err = process.registry.register("svc")
print("register", ok, err and err:kind(), err and err:message())
local pid, e2 = process.spawn("actors:ret", "ward:main")
print("spawn", pid ~= nil, e2 and e2:kind())
return "done"
EOF
echo 'return 1' > "$R/actors/ret.lua"
cat > "$T/r.policy" <<'EOF'
policy "r" {
  allow process.spawn on "actors:*";
  allow process.host on "ward:main";
}
actor "main" { scope = ["r"]; team = "infra"; level = 3; }
EOF

# ---- where records go ----
"$WARD" run --policy "$T/r.policy" "$R/deny.lua" > "$T/o1" 2>&1
has "a denied call fails with PERMISSION_DENIED naming action and resource" \
  "register	nil	PERMISSION_DENIED	permission denied: process.registry.register on svc (actor main)" "$T/o1"
has "an allowed call goes on" "spawn	true" "$T/o1"
DEF=$T/state/ward/audit.db
ok "by default the record goes to \$XDG_STATE_HOME/ward/audit.db" test -f "$DEF"
$AUDIT --json > "$T/j1" 2>&1
has "... where \`ward audit\` finds it" '"action":"process.registry.register","resource":"svc"' "$T/j1"
has "the record holds the actor's declared metadata and scope" \
  '"actor":"main","actor_meta":{"team":"infra","level":3},"scope":\["r"\]' "$T/j1"
has "... the caller's PID, host and attributes" \
  '"attrs":{"pid":"{ward:main|0x00001}","host":"ward:main"},"pid":"{ward:main|0x00001}","host":"ward:main"' "$T/j1"
has "... the decision, mode and reason" '"decision":"deny","mode":"enforcing".*"reason":"no rule matched","rule":null' "$T/j1"
hasnt "allowed calls are not recorded without --audit-all" '"decision":"allow"' "$T/j1"

mkdir -p "$T/home"
env -u XDG_STATE_HOME HOME="$T/home" "$WARD" run --policy "$T/r.policy" "$R/deny.lua" > /dev/null 2>&1
ok "without XDG_STATE_HOME: ~/.local/state/ward/audit.db" test -f "$T/home/.local/state/ward/audit.db"

"$WARD" run --policy "$T/r.policy" --audit "$T/a.db" "$R/deny.lua" > /dev/null 2>&1
ok "--audit FILE puts them there" sh -c "$AUDIT --db '$T/a.db' --json | grep -q '\"resource\":\"svc\"'"

notok 1 "an audit database that cannot be opened: ward run fails" \
  "$WARD" run --policy "$T/r.policy" --audit "$T/no/such/dir/a.db" "$R/deny.lua"
has "... saying so" "refusing to run unaudited: cannot open the audit database" "$T/err"
hasnt "... before the script runs" "register" "$T/out"
mkdir -p "$T/ro"
if [ "$(id -u)" -ne 0 ]; then
  chmod 555 "$T/ro"
  notok 1 "an unwritable default location fails too" env XDG_STATE_HOME="$T/ro" "$WARD" run "$R/deny.lua"
  chmod 755 "$T/ro"
else
  : > "$T/ro/ward"   # a file where the directory should be
  notok 1 "an unusable default location fails too" env XDG_STATE_HOME="$T/ro" "$WARD" run "$R/deny.lua"
fi

# ---- the built-in policies ----
cat > "$R/all.lua" <<'EOF'
local b = assert(process.with_context({ k = 1 }))
local pid = assert(b:with_actor("helper"):spawn_monitored("actors:ret", "ward:main"))
assert(process.registry.register("svc"))
assert(process.send(pid, "t", 1) or true)
local m = require "actors.ret"
print("all allowed")
EOF
"$WARD" run --audit "$T/b.db" "$R/all.lua" > "$T/o2" 2>&1
has "without --db or --policy the built-in default lets main (and actors it names) do it all" "all allowed" "$T/o2"
$AUDIT --db "$T/b.db" --json --denied > "$T/j2" 2>&1
ok "... with no denial recorded" test ! -s "$T/j2"
notok 1 "the built-in policies are untrusted's too: it cannot spawn on ward:main" \
  sh -c "'$WARD' run --actor untrusted --audit '$T/b.db' '$R/all.lua'"
has "... (with_context is denied first)" "process.context on context (actor untrusted)" "$T/err"
$AUDIT --db "$T/b.db" --json --actor untrusted > "$T/j3" 2>&1
has "... and the record names the deny rule of untrusted.policy" \
  '"rule":{"policy":"untrusted","file":"untrusted.policy","line":21' "$T/j3"
has "... with untrusted's declared metadata" '"actor_meta":{"tier":"untrusted"}' "$T/j3"

# ---- modes and options on top of the engine ----
"$WARD" run --permissive --policy "$T/r.policy" --audit "$T/c.db" "$R/deny.lua" > "$T/o3" 2>&1
has "--permissive: the call that would be denied goes on" "register	true" "$T/o3"
$AUDIT --db "$T/c.db" --json > "$T/j4" 2>&1
has "... recorded as a would-be denial" '"decision":"deny","mode":"permissive".*"resource":"svc"' "$T/j4"
"$WARD" run --audit-all --policy "$T/r.policy" --audit "$T/d.db" "$R/deny.lua" > /dev/null 2>&1
$AUDIT --db "$T/d.db" --json > "$T/j5" 2>&1
has "--audit-all records allowed decisions" '"decision":"allow","mode":"enforcing".*"action":"process.spawn","resource":"actors:ret".*"rule":{"policy":"r","file":"[^"]*r.policy","line":2' "$T/j5"
has "... and the denials" '"decision":"deny".*"resource":"svc"' "$T/j5"
"$WARD" run --audit-sync --policy "$T/r.policy" --audit "$T/e.db" "$R/deny.lua" > /dev/null 2>&1
ok "--audit-sync records too" sh -c "$AUDIT --db '$T/e.db' --json | grep -q '\"resource\":\"svc\"'"
"$WARD" run --deny process.spawn=actors:ret --policy "$T/r.policy" --audit "$T/f.db" \
  --trace-gate "$T/trace" "$R/deny.lua" > "$T/o6" 2>&1
has "--deny overrides what the policy allows" "spawn	false	PERMISSION_DENIED" "$T/o6"
$AUDIT --db "$T/f.db" --json --action process.spawn > "$T/j6" 2>&1
has "... recorded with the command-line rule" '"reason":"--deny","rule":{"policy":"--deny","file":"command line","line":1,"text":"deny process.spawn on \\"actors:ret\\";"}' "$T/j6"
has "--trace-gate still traces every request" "process.spawn	actors:ret	{ward:main|0x00001}" "$T/trace"
printf 'policy "x" {\n  allow process.spwan on "a";\n}\n' > "$T/bad.policy"
notok 1 "a policy file with an error: ward run fails" "$WARD" run --policy "$T/bad.policy" "$R/deny.lua"
has "... with file:line:col" "bad.policy:2:9: error: unknown action" "$T/err"
notok 1 "a missing store: ward run fails" "$WARD" run --db "$T/none.db" "$R/deny.lua"
has "... saying how to make one" "ward policy load --db" "$T/err"

# ---- scope in records ----
cat > "$R/scope.lua" <<'EOF'
local b = assert(process.with_context({}))
local events = process.events()
local function wait(pid)
  repeat local e = events:receive() until e.kind == process.event.EXIT and e.from == pid
end
wait(assert(b:with_actor("worker"):with_scope({ "r", "extra" }):spawn_monitored("actors:try", "ward:main")))
wait(assert(b:with_actor("nobody"):spawn_monitored("actors:try", "ward:main")))
EOF
echo 'return (process.registry.register("x." .. process.pid()))' > "$R/actors/try.lua"
cat > "$T/s.policy" <<'EOF'
policy "r" {
  allow process.spawn, process.spawn.monitored on "actors:*";
  allow process.host on "ward:main";
  allow process.context on "context";
  allow process.security on "security";
}
actor "main" { scope = ["r"]; }
EOF
"$WARD" run --policy "$T/s.policy" --audit "$T/g.db" "$R/scope.lua" > /dev/null 2>&1
$AUDIT --db "$T/g.db" --json --actor worker > "$T/j7" 2>&1
has "a child spawned :with_scope() is decided, and recorded, with that scope" '"scope":\["r","extra"\]' "$T/j7"
has "... noted as the request's scope" '"scope":\["r","extra"\],"note":"scope from the request (:with_scope)"' "$T/j7"
$AUDIT --db "$T/g.db" --json --actor nobody > "$T/j8" 2>&1
has "an undeclared actor without a scope has no policy (scope null)" '"actor":"nobody","actor_meta":{},"scope":null' "$T/j8"
has "... its denial says it is not declared" '"reason":"actor `nobody` is not declared"' "$T/j8"
hasnt "... it is never allowed" '"decision":"allow"' "$T/j8"
hasnt "... and has no scope note" '"note"' "$T/j8"

# ---- a running ward picks up `ward policy load` ----
cat > "$R/reload.lua" <<'EOF'
-- main and an already running child both wait to be allowed to register
local child = assert(process.spawn_monitored("actors:wait", "ward:main", "late.child"))
print("READY")
local t0 = time.now()
local mine
while time.now() - t0 < 15000 do
  if process.registry.register("late.main") then mine = time.now() break end
  time.sleep(20)
end
local events = process.events()
local e
repeat e = events:receive() until e.kind == process.event.EXIT and e.from == child
print("MAIN " .. tostring(mine))
print("CHILD " .. tostring(e.result.value))
EOF
cat > "$R/actors/wait.lua" <<'EOF'
local name = ...
local t0 = time.now()
while time.now() - t0 < 15000 do
  if process.registry.register(name) then return time.now() end
  time.sleep(20)
end
return nil
EOF
cat > "$T/v.policy" <<'EOF'
policy "v" {
  allow process.spawn, process.spawn.monitored on "actors:*";
  allow process.host on "ward:main";
}
actor "main" { scope = ["v"]; }
EOF
ok "load the first version into a store" "$WARD" policy load --db "$T/store.db" "$T/v.policy"
"$WARD" run --db "$T/store.db" "$R/reload.lua" > "$T/o9" 2> "$T/e9" &
wpid=$!
i=0; until grep -q READY "$T/o9" 2>/dev/null || [ $i -gt $((600 * SCALE)) ]; do
  i=$((i + 1)); sleep 0.05
done
cat > "$T/v.policy" <<'EOF'
policy "v" {
  allow process.spawn, process.spawn.monitored on "actors:*";
  allow process.host on "ward:main";
  allow process.registry.register on "late.*";
}
actor "main" { scope = ["v"]; }
EOF
"$WARD" policy load --db "$T/store.db" "$T/v.policy" > /dev/null
loaded=$(date +%s%3N)
wait $wpid
main_at=$(sed -n 's/^MAIN //p' "$T/o9"); child_at=$(sed -n 's/^CHILD //p' "$T/o9")
echo "# loaded at $loaded; main allowed at $main_at, child at $child_at"
case $main_at in
  ''|nil) fail "the running first process is allowed after the load" "$T/o9" "$T/e9" ;;
  *) if [ $((main_at - loaded)) -le $((1000 * SCALE)) ]; then pass "the running first process is allowed within 1 s of the load ($((main_at - loaded)) ms)"
     else fail "the running first process is allowed within 1 s of the load ($((main_at - loaded)) ms)"; fi ;;
esac
case $child_at in
  ''|nil) fail "so is a child that was already running" "$T/o9" "$T/e9" ;;
  *) if [ $((child_at - loaded)) -le $((1000 * SCALE)) ]; then pass "so is a child that was already running ($((child_at - loaded)) ms)"
     else fail "so is a child that was already running ($((child_at - loaded)) ms)"; fi ;;
esac
$AUDIT --db "$T/store.db" --json --action process.registry.register > "$T/j9" 2>&1
has "the audit went into the store's file (no --audit)" '"store_version":1' "$T/j9"
ok "... which is still a policy store" "$WARD" policy list --db "$T/store.db"
"$WARD" run --audit-all --db "$T/store.db" "$R/reload.lua" > /dev/null 2>&1
$AUDIT --db "$T/store.db" --json --run last --action process.registry.register > "$T/j10" 2>&1
has "records carry the store version that decided" '"decision":"allow".*"store_version":2' "$T/j10"

# ---- ward audit ----
D=$T/a.db
"$WARD" run --permissive --policy "$T/r.policy" --audit "$D" "$R/deny.lua" > /dev/null 2>&1
$AUDIT --db "$D" > "$T/t1" 2>&1
has "the table has a header" "^SERIAL .*ACTOR .*ACTION .*RESOURCE .*CALLER .*RULE" "$T/t1"
has "... and a row per record" "deny  enforcing  main  process.registry.register svc" "$T/t1"
$AUDIT --db "$D" --json > "$T/t2" 2>&1
ok "--json: one JSON object per line" sh -c "grep -vc '^{.*}\$' '$T/t2' | grep -qx 0"
$AUDIT --db "$D" --json --run last > "$T/t3" 2>&1
ok "--run last: only the last run's records (1)" sh -c "grep -c . '$T/t3' | grep -qx 1"
has "... the permissive one" '"mode":"permissive"' "$T/t3"
$AUDIT --db "$D" --json --since 1h --resource 's*' > "$T/t4" 2>&1
ok "--since 1h --resource 's*': both runs' records" sh -c "grep -c . '$T/t4' | grep -qx 2"
$AUDIT --db "$D" --json --since 2020-01-01T00:00:00Z --action 'process.spawn' > "$T/t5" 2>&1
ok "--since TIME --action: none (nothing spawned was denied)" test ! -s "$T/t5"
$AUDIT --db "$D" --limit 1 > "$T/t6" 2>&1
ok "--limit 1: the header and the newest record" sh -c "grep -c . '$T/t6' | grep -qx 2"
$AUDIT stats --db "$D" > "$T/t7" 2>&1
has "stats: totals" "2 records: 1 denied, 1 would-be denials (permissive), 0 allowed; 0 lost" "$T/t7"
has "... and counts by actor" "^ *2  main" "$T/t7"
$AUDIT stats --db "$D" --json > "$T/t8" 2>&1
has "stats --json" '"records":2,"rows":2,"denied":1,"would_deny":1,"allowed":0,"lost":0,"folded":0,"by_actor":{"main":2}' "$T/t8"
notok 2 "an unknown option is a usage error" $AUDIT --db "$D" --bogus
notok 2 "an unknown command too, with a suggestion" $AUDIT stat --db "$D"
has "... did you mean" "did you mean \`stats\`" "$T/err"
notok 2 "a bad --since too" $AUDIT --db "$D" --since yesterday
notok 1 "a database that does not exist is an error" $AUDIT --db "$T/nothing.db"
# term_when NAME PATTERN OUT ERR: the run in the background ($wpid) prints
# a line matching PATTERN to OUT within 600 s (TAP line NAME, showing ERR if
# not); then it is sent SIGTERM, and its exit status is in $rc.
term_when () {
  if wait_for 600 "$2" "$3"; then pass "$1"
  else fail "$1" "$4"; fi
  kill -TERM "$wpid"
  wait "$wpid"
  rc=$?
}
num () { sed -n "s/.*\"$1\":\\([0-9]*\\).*/\\1/p" "$2"; }

# ---- a run stopped by a signal records every denial, loses none ----
cat > "$T/loop.lua" <<'LUA'
local n = 0
while true do
  process.registry.register("x")
  n = n + 1
  if n % 1000 == 0 then print(n) end
end
LUA
printf 'policy "p" { allow process.send on "**"; }\n' > "$T/p.policy"
"$WARD" run --policy "$T/p.policy" --audit "$T/sig.db" "$T/loop.lua" > "$T/sigout" 2> "$T/sigerr" &
wpid=$!
term_when "a run makes a million denials" '^1000000$' "$T/sigout" "$T/sigerr"
ok "SIGTERM stops a run with status 143" test "$rc" -eq 143
has "... saying so on stderr" "stopped by" "$T/sigerr"
last=$(tail -n 1 "$T/sigout")
$AUDIT stats --db "$T/sig.db" --json > "$T/sigstats" 2>&1
recs=$(num denied "$T/sigstats")
# the script prints every 1000th denial: it made from $last to $last + 1000
ok "every denial made before the signal is recorded ($last <= $recs <= $last + 1000)" \
  test "${recs:-0}" -ge "${last:-1}" -a "${recs:-0}" -le "$((${last:-0} + 1000))" -a "${last:-0}" -ge 1000000
has "... and none was lost" '"lost":0' "$T/sigstats"

cat > "$T/exact.lua" <<'LUA'
for i = 1, 1100000 do process.registry.register("x" .. i % 7) end
print("made 1100000")
process.events():receive()
LUA
"$WARD" run --policy "$T/p.policy" --audit "$T/ex.db" "$T/exact.lua" > "$T/exout" 2> "$T/exerr" &
wpid=$!
term_when "a run makes 1,100,000 denials, then waits" '^made 1100000$' "$T/exout" "$T/exerr"
ok "SIGTERM stops it with status 143" test "$rc" -eq 143
$AUDIT stats --db "$T/ex.db" --json > "$T/exstats" 2>&1
has "recorded == made: 1100000 denials, none lost" '"records":1100000,"rows":[0-9]*,"denied":1100000,.*"lost":0,' "$T/exstats"

# ---- a failed commit is loud: a lost entry, stderr, status 3 ----
# (the failures are injected by WARD_TEST_AUDIT_FAULT, a hook only the test
# build tests/ward-faults has: the installed ward ignores the variable)
cat > "$T/five.lua" <<'LUA'
for _, n in ipairs { "a", "b", "c", "d", "e" } do process.registry.register(n) end
LUA
WARD_TEST_AUDIT_FAULT=1: "$WARD" run --audit-sync --policy "$T/p.policy" --audit "$T/f0.db" "$T/five.lua" > "$T/f0out" 2> "$T/f0err"
ok "the installed ward ignores WARD_TEST_AUDIT_FAULT: status 0" test $? -eq 0
$AUDIT stats --db "$T/f0.db" --json > "$T/f0s" 2>&1
has "... every record written, none lost" '"records":5,.*"lost":0,' "$T/f0s"
WARD_TEST_AUDIT_FAULT=2:3 "$WARD_FAULTS" run --audit-sync --policy "$T/p.policy" --audit "$T/f1.db" "$T/five.lua" > "$T/f1out" 2> "$T/f1err"
ok "--audit-sync, commits 2 and 3 failing: ward run exits 3" test $? -eq 3
has "... saying so on stderr" "ward: audit: cannot write to \`$T/f1.db\`: injected fault" "$T/f1err"
$AUDIT --db "$T/f1.db" > "$T/f1t" 2>&1
has "ward audit lists the lost entry" "LOST  2 records could not be written: injected fault" "$T/f1t"
$AUDIT stats --db "$T/f1.db" --json > "$T/f1s" 2>&1
has "ward audit stats counts it: 3 recorded, 2 lost" '"records":3,.*"lost":2,' "$T/f1s"
$AUDIT stats --db "$T/f1.db" > "$T/f1st" 2>&1
has "... in the table too" "3 records: 3 denied, 0 would-be denials (permissive), 0 allowed; 2 lost" "$T/f1st"
$AUDIT suggest --db "$T/f1.db" > "$T/f1sg" 2>&1
has "ward audit suggest says what it cannot cover" "^# 2 more records could not be written (LOST in \`ward audit\`)" "$T/f1sg"
WARD_TEST_AUDIT_FAULT=1: "$WARD_FAULTS" run --policy "$T/p.policy" --audit "$T/f2.db" "$T/five.lua" > "$T/f2out" 2> "$T/f2err"
ok "asynchronous, no commit ever succeeding: ward run exits 3" test $? -eq 3
has "... naming the fallback file on stderr" "the count is in \`$T/f2.db.lost\`" "$T/f2err"
ok "... which holds the count" grep -q "^lost	[0-9]*	5	" "$T/f2.db.lost"
$AUDIT stats --db "$T/f2.db" --json > "$T/f2s" 2>&1
has "ward audit imports it: 0 recorded, 5 lost" '"records":0,.*"lost":5,' "$T/f2s"
ok "... and removes the file" test ! -e "$T/f2.db.lost"
: > "$T/f2.db.lost"   # what a full disk leaves: the file, no entry
$AUDIT stats --db "$T/f2.db" --json > "$T/f2s" 2> "$T/f2e"
has "an empty fallback file: ward audit stats warns, naming it" "warning: \`$T/f2.db.lost\` is empty: a run lost records" "$T/f2e"
ok "... and keeps it" test -e "$T/f2.db.lost"
"$WARD" run --policy "$T/p.policy" --audit "$T/f2.db" "$T/five.lua" > /dev/null 2> "$T/f2e"
has "... so does ward run" "\`$T/f2.db.lost\` is empty.*the file is kept" "$T/f2e"
rm -f "$T/f2.db.lost"
# (every denial one by one: folded ones would need no commit before the signal)
WARD_TEST_AUDIT_FAULT=2:3 "$WARD_FAULTS" run --audit-fold 1000000000 --deny process.registry.register --policy "$T/p.policy" --audit "$T/f3.db" "$T/loop.lua" > "$T/f3out" 2> "$T/f3err" &
wpid=$!
wait_for 600 '^100000$' "$T/f3out"
kill -TERM "$wpid"
wait "$wpid"
ok "lost records outrank a signal: status 3" test $? -eq 3
$AUDIT stats --db "$T/f3.db" --json > "$T/f3s" 2>&1
lost=$(num lost "$T/f3s"); recs=$(num denied "$T/f3s"); last=$(tail -n 1 "$T/f3out")
ok "... every denial is recorded or counted lost ($recs + $lost)" \
  test "$((recs + lost))" -ge "${last:-1}" -a "$((recs + lost))" -le "$((${last:-0} + 1000))" -a "${lost:-0}" -gt 0

# ---- nothing a script controls reaches the terminal raw ----
A100K_SHA=$(head -c 102400 /dev/zero | tr '\0' A | sha256sum | cut -c1-64)
ESC=$(printf '\033'); CR=$(printf '\r'); BEL=$(printf '\007')
cat > "$T/forge.lua" <<'LUA'
local names = {
  "x\n99     2026-01-01T00:00:00.000Z 1    allow enforcing  main  process.send forged",
  "cr\rover", "tab\there", "\27[31mred\27[0m", "\27]0;pwned\7title",
}
for _, n in ipairs(names) do process.registry.register(n) end
-- a name is 255 bytes at most; a lookup asks the gate about any string
process.registry.lookup(string.rep("A", 100 * 1024))
error("boom\nward: {ward:main|0x00001}: FAKE \27]0;t\7", 0)
LUA
"$WARD" run --policy "$T/p.policy" --audit "$T/x.db" "$T/forge.lua" > "$T/out" 2> "$T/xerr"
ok "a script that ends with an error: status 1" test $? -eq 1
ok "ward run prints its error on one line, escaped" \
  test "$(grep -c '^ward: ' "$T/xerr")" -eq 1
has "... so it cannot forge a line of ward's" 'boom\\nward: {ward:main|0x00001}: FAKE \\x1b]0;t\\x07' "$T/xerr"
$AUDIT --db "$T/x.db" > "$T/xt" 2>&1
ok "ward audit: a header and one line per record (no forged line)" \
  test "$(grep -c . "$T/xt")" -eq 7 -a "$(grep -vc '^[0-9]' "$T/xt")" -eq 1
has "... the newline shown as \\n" 'x\\n99  *2026-01-01T00:00:00.000Z' "$T/xt"
hasnt "... no ESC reaches the terminal" "$ESC" "$T/xt"
hasnt "... no BEL" "$BEL" "$T/xt"
hasnt "... no carriage return" "$CR" "$T/xt"
has "... CR, tab, ESC and OSC escaped" 'cr\\rover.*' "$T/xt"
has "... (OSC)" '\\x1b]0;pwned\\x07title' "$T/xt"
has "... a 100 KB name stored cut (1 KiB), shown cut at 200 bytes" "AAAA…(1024 bytes)" "$T/xt"
has "... with its whole length and digest" "(resource cut: 102400 bytes, sha256 ${A100K_SHA%${A100K_SHA#????????????????}}...)" "$T/xt"
ok "... so every line stays short" test "$(awk '{ if (length($0) > m) m = length($0) } END { print m }' "$T/xt")" -lt 1000
$AUDIT --db "$T/x.db" --full > "$T/xf" 2>&1
ok "--full shows it whole" grep -q "$(printf 'A%.0s' $(seq 1 1000))" "$T/xf"
$AUDIT stats --db "$T/x.db" > "$T/xs" 2>&1
hasnt "ward audit stats: no ESC" "$ESC" "$T/xs"
has "... the names escaped" '^ *1  x\\n99 ' "$T/xs"
$AUDIT --db "$T/x.db" --json > "$T/xj" 2>&1
has "--json stays exact JSON: escaped per JSON" '"resource":"\\u001b\]0;pwned\\u0007title"' "$T/xj"
ok "... the 100 KB name's first 1024 bytes" grep -q "\"resource\":\"$(printf 'A%.0s' $(seq 1 1024))\"" "$T/xj"
has "... its length and SHA-256" "\"resource_len\":102400,\"resource_sha256\":\"$A100K_SHA\"" "$T/xj"
"$WARD" policy explain --policy "$T/p.policy" --actor "$(printf 'ev\033]0;t\007il\nward: x')" \
  --action process.send --resource "$(printf 'r\r')" > "$T/xe" 2>&1
hasnt "ward policy explain: no ESC" "$ESC" "$T/xe"
has "... the actor and resource escaped" 'request: actor "ev\\x1b]0;t\\x07il\\nward: x" process.send on "r\\r"' "$T/xe"
# ---- invisible characters escaped; invalid bytes distinct in JSON ----
cat > "$T/inv.lua" <<'LUA'
process.registry.lookup("a\255b")
process.registry.lookup("a\u{ff}b")
process.registry.lookup("z\u{61c}\u{200b}\u{200d}\u{2060}\u{feff}")
LUA
"$WARD" run --policy "$T/p.policy" --audit "$T/inv.db" "$T/inv.lua" > /dev/null 2>&1
$AUDIT --db "$T/inv.db" > "$T/invt" 2>&1
has "ward audit: the Arabic letter mark, zero-width and BOM characters escaped" \
  'z\\u{61c}\\u{200b}\\u{200d}\\u{2060}\\u{feff} ' "$T/invt"
$AUDIT --db "$T/inv.db" --json > "$T/invj" 2>&1
has "--json: an invalid byte is U+FFFD, with the exact bytes in resource_hex" \
  "\"resource\":\"a$(printf '\357\277\275')b\",\"resource_hex\":\"61ff62\"" "$T/invj"
has "... U+00FF is itself, with no _hex field" "\"resource\":\"a$(printf '\303\277')b\",\"attrs\"" "$T/invj"
hasnt "... and no \\u00ff escape stands for either" '\\u00ff' "$T/invj"

# ---- a flood keeps the WAL bounded: checkpoints catch up with the writer ----
# (every denial stored one by one: folding would keep the database small)
printf 'policy "p" { allow process.spawn, process.host on "**"; }\n' > "$T/fd.policy"
mkdir -p "$T/fw"
cat > "$T/fw/fl.lua" <<'LUA'
local pre = ...; local i = 0
while true do i = i + 1; process.registry.lookup(pre .. i) end
LUA
cat > "$T/flood.lua" <<'LUA'
for k = 1, 4 do process.spawn("fw:fl", "ward:main", "p" .. k .. "_") end
print("flooding")
local i = 0; while true do i = i + 1; process.registry.lookup("m_" .. i) end
LUA
size () { stat -c %s "$1" 2>/dev/null || echo 0; }
WALMAX=$((32 * 1024 * 1024)); DBWANT=$((96 * 1024 * 1024))
(cd "$T" && exec "$WARD" run --audit-fold 1000000000 --policy "$T/fd.policy" --audit "$T/fl.db" "$T/flood.lua") \
  > "$T/flout" 2> "$T/flerr" &
wpid=$!
wal=0; walpeak=0; db=0; i=0; limit=$((3000 * SCALE))
while [ "$db" -lt "$DBWANT" ] && [ "$wal" -le "$WALMAX" ] && [ "$i" -lt "$limit" ] \
      && kill -0 "$wpid" 2>/dev/null; do
  i=$((i + 1)); sleep 0.1
  wal=$(size "$T/fl.db-wal"); db=$(size "$T/fl.db")
  [ "$wal" -gt "$walpeak" ] && walpeak=$wal
done
ok "a flood of denials fills the database past 96 MB ($db bytes)" test "$db" -ge "$DBWANT"
ok "... while its WAL stays under 32 MB (peak $walpeak bytes)" test "$walpeak" -le "$WALMAX"
kill -TERM "$wpid"
wait "$wpid"
ok "SIGTERM ends the flood: status 143" test $? -eq 143
ok "... the WAL copied and removed at the close" test ! -s "$T/fl.db-wal"
rm -f "$T"/fl.db*
# ---- a small file system: the WAL leaves the database room ----
mkdir -p "$T/small"
printf 'for i = 1, 3000 do process.registry.lookup("r" .. i) end\n' > "$T/many.lua"
cat > "$T/small.sh" <<SH
mount -t tmpfs -o size=1m tmpfs "$T/small" || exit 77
"$WARD" run --audit-sync --policy "$T/p.policy" --audit "$T/small/a.db" "$T/many.lua" > "$T/smout" 2> "$T/smerr"
echo "status \$?" >> "$T/smout"
$AUDIT stats --db "$T/small/a.db" --json > "$T/smstats" 2>&1
SH
if [ "$(id -u)" -eq 0 ]; then unshare -m sh "$T/small.sh"; else unshare -rm sh "$T/small.sh"; fi 2> "$T/smunshare"
if [ $? -eq 0 ] && [ -s "$T/smstats" ]; then
  has "--audit-sync on a 1 MB file system: 3000 denials all recorded (the WAL is reclaimed)" \
    '"records":3000,.*"lost":0,' "$T/smstats"
  has "... and ward run exits 0" "status 0" "$T/smout"
else
  echo "ok $((n + 1)) # SKIP no private tmpfs mount here ($(head -c 100 "$T/smunshare" | tr -d '\n'))"
  echo "ok $((n + 2)) # SKIP no private tmpfs mount here"
  n=$((n + 2))
fi
finish
