#!/bin/sh
# audit-volume.sh -- a script that floods denials on long resources cannot
# grow the audit database without bound: each resource is stored as its
# first 1 KiB with its length and SHA-256, and past --audit-fold N (default
# 1000) denials of one actor and action in a run the rest are counted in
# one folded row. Nothing is lost silently: the counts add up to the
# denials the script saw. TAP; reports the database's size.
set -u
. "${WARD_SRCDIR:-$(dirname "$0")/../..}/tests/policy/lib.sh"
plan 19

cat > "$T/r.policy" <<'EOF2'
policy "r" { allow process.host on "ward:main"; }
actor "main" { scope = ["r"]; }
EOF2
# 3000 sends to 60 KB names: each asks the gate for registry.lookup on the
# name, which is denied
cat > "$T/flood.lua" <<'EOF2'
local n = tonumber((...))
local big = string.rep("r", 60000)
local denied = 0
for i = 1, n do
  local ok, err = process.send(big .. i, "t", 1)
  if not ok and err:kind() == "PERMISSION_DENIED" then denied = denied + 1 end
end
print("denied " .. denied)
EOF2
size_of () { cat "$1" "$1"-wal 2>/dev/null | wc -c; }
num () { sed -n "s/.*\"$1\":\\([0-9]*\\).*/\\1/p" "$2"; }
MIB=1048576

"$WARD" run --policy "$T/r.policy" --audit "$T/v.db" "$T/flood.lua" 3000 > "$T/o1" 2> "$T/e1"
has "the script saw 3000 denials" "^denied 3000$" "$T/o1"
sz=$(size_of "$T/v.db")
echo "# audit database after 3000 denials of 60 KB resources: $sz bytes"
ok "the database holds less than 4 MiB ($sz bytes; the resources alone were 180 MB)" \
  test "$sz" -lt $((4 * MIB))
$AUDIT stats --db "$T/v.db" --json > "$T/s1" 2>&1
ok "stats: 3000 records, all denied, none lost" \
  test "$(num records "$T/s1")" = 3000 -a "$(num denied "$T/s1")" = 3000 -a "$(num lost "$T/s1")" = 0
ok "... 2000 of them folded, in 1001 rows" \
  test "$(num folded "$T/s1")" = 2000 -a "$(num rows "$T/s1")" = 1001
$AUDIT stats --db "$T/v.db" > "$T/s2" 2>&1
has "stats says how many were folded" "^2000 of those denials folded" "$T/s2"
$AUDIT --db "$T/v.db" > "$T/l1" 2>&1
has "ward audit lists the folded row with its count" \
  "FOLD  enforcing  main  process.registry.lookup x2000 more denials" "$T/l1"
has "... and a cut resource with its length and digest" "(resource cut: 60001 bytes, sha256 " "$T/l1"
ok "... in lines that stay short" \
  test "$(awk '{ if (length($0) > m) m = length($0) } END { print m }' "$T/l1")" -lt 1000
$AUDIT --db "$T/v.db" --json --limit 1001 > "$T/j1" 2>&1
sha=$({ head -c 60000 /dev/zero | tr '\0' r; printf 1; } | sha256sum | cut -c1-64)
has "--json: the first 1024 bytes, the length and the SHA-256 of the whole" \
  "\"resource\":\"$(printf 'r%.0s' $(seq 1 1024))1\\{0\\}\",\"resource_len\":60001,\"resource_sha256\":\"$sha\"" "$T/j1"
has "--json: the folded row" \
  '"count":2000,"kind":"folded","decision":"deny","mode":"enforcing","actor":"main","action":"process.registry.lookup"' "$T/j1"
$AUDIT --db "$T/v.db" --json --action 'process.registry.*' > "$T/j2" 2>&1
has "--action keeps the folded row of its pairs" '"count":2000,"kind":"folded"' "$T/j2"
$AUDIT --db "$T/v.db" --json --resource 'r*' > "$T/j3" 2>&1
hasnt "--resource drops it (a folded row has no resource)" '"kind":"folded"' "$T/j3"
$AUDIT suggest --db "$T/v.db" > "$T/g1" 2>&1
has "suggest says what it cannot cover" "^# 2000 more denials were folded" "$T/g1"
has "... and proposes no rule on a cut resource" "resources too long to be stored whole" "$T/g1"

# the cut alone, with every denial one by one
"$WARD" run --audit-fold 100000 --policy "$T/r.policy" --audit "$T/w.db" "$T/flood.lua" 3000 \
  > "$T/o2" 2> "$T/e2"
sz=$(size_of "$T/w.db")
echo "# with --audit-fold 100000 (no folding): $sz bytes"
$AUDIT stats --db "$T/w.db" --json > "$T/s3" 2>&1
ok "--audit-fold 100000: 3000 rows, none folded" \
  test "$(num rows "$T/s3")" = 3000 -a "$(num folded "$T/s3")" = 0
ok "... and still less than 8 MiB ($sz bytes)" test "$sz" -lt $((8 * MIB))

# permissive: would-be denials fold too, and say so
"$WARD" run --permissive --audit-fold 10 --policy "$T/r.policy" --audit "$T/p.db" \
  "$T/flood.lua" 50 > "$T/o3" 2> "$T/e3"
$AUDIT stats --db "$T/p.db" --json > "$T/s4" 2>&1
# (each send asks registry.lookup, then process.send: two pairs of 50)
ok "--permissive --audit-fold 10: 100 would-be denials, 80 folded (40 per pair)" \
  test "$(num would_deny "$T/s4")" = 100 -a "$(num folded "$T/s4")" = 80
$AUDIT --db "$T/p.db" > "$T/l4" 2>&1
has "... in folded rows of mode permissive" "FOLD  permissive main  process.send  *x40 more" "$T/l4"
notok 2 "--audit-fold 0 is refused" "$WARD" run --audit-fold 0 "$T/flood.lua" 1
finish
