#!/bin/sh
# multihost.sh -- three hosts on one policy store and one audit trail in
# PostgreSQL: three `ward run` processes, each in a UTS namespace of its
# own with its own host name, start under a policy that denies them a
# name; a `ward policy load` from a fourth process grants it, and all
# three, still running, are allowed; the trail holds every denial of all
# three, under their host names (`ward audit --host`, and in SQL).
set -u
. "${WARD_SRCDIR:-$(dirname "$0")/../..}/tests/pg/lib.sh"
plan 13

# a host name of its own: a UTS namespace (as root; else in a user
# namespace of our own, where the kernel allows one)
if [ "$(id -u)" -eq 0 ] && unshare --uts true 2> /dev/null; then
  UNSHARE="unshare --uts"
elif unshare -r --uts true 2> /dev/null; then
  UNSHARE="unshare -r --uts"
else
  echo "1..0 # SKIP no UTS namespace here (unshare --uts, or -r --uts, refused)"; exit 0
fi

pg_start
pg_createdb fleet
DB=$(pg_uri fleet)
mkdir -p "$T/app"
cat > "$T/app/main.lua" <<'EOF2'
-- ask for a name until a policy grants it; count the denials
local deadline = time.now() + tonumber((...))
local denied = 0
print("READY")
io.stdout:flush()
while time.now() < deadline do
  if process.registry.register("fleet.worker") then
    print("ALLOWED " .. denied)
    return
  end
  denied = denied + 1
  time.sleep(20)
end
print("TIMEOUT " .. denied)
EOF2
v1='policy "v" {\n  allow process.host on "ward:main";\n}\nactor "main" { scope = ["v"]; }\n'
printf "$v1" > "$T/v.policy"
ok "the first version is loaded into the fleet store" "$WARD" policy load --db "$DB" "$T/v.policy"

WAIT_MS=$(scaled_ms 60000)
for h in alpha bravo charlie; do
  $UNSHARE sh -c 'hostname "$1" && shift && exec "$@"' sh "$h" \
    "$WARD" run --db "$DB" --audit "$DB" "$T/app/main.lua" "$WAIT_MS" > "$T/$h.out" 2> "$T/$h.err" &
  echo $! > "$T/$h.pid"
done
ready () { for h in alpha bravo charlie; do grep -q READY "$T/$h.out" || return 1; done; }
i=0; until ready || [ $i -gt $((600 * ward_test_scale)) ]; do i=$((i + 1)); sleep 0.05; done
if ready; then pass "three hosts are running on the store"
else fail "three hosts are running on the store" "$T/alpha.err" "$T/bravo.err" "$T/charlie.err"; fi
# each has been denied at least once before the load
denied_once () { for h in alpha bravo charlie; do
  [ "$(pg_psql fleet "SELECT count(*) FROM ward.audit WHERE hostname = '$h'")" -gt 0 ] 2> /dev/null || return 1
done; }
i=0; until denied_once || [ $i -gt $((600 * ward_test_scale)) ]; do i=$((i + 1)); sleep 0.05; done
if denied_once; then pass "each host's denials reach the trail while it runs"
else fail "each host's denials reach the trail while it runs"; pg_psql fleet "SELECT hostname, count(*) FROM ward.audit GROUP BY 1" | sed 's/^/# /'; fi

printf 'policy "v" {\n  allow process.host on "ward:main";\n  allow process.registry.register on "fleet.*";\n}\nactor "main" { scope = ["v"]; }\n' > "$T/v.policy"
ok "a fourth process loads a grant" "$WARD" policy load --db "$DB" "$T/v.policy"
for h in alpha bravo charlie; do
  wait "$(cat "$T/$h.pid")"
  rc=$?
  if [ "$rc" -eq 0 ] && grep -q '^ALLOWED ' "$T/$h.out"; then pass "$h, still running, is allowed by the new version"
  else fail "$h, still running, is allowed by the new version (status $rc)" "$T/$h.out" "$T/$h.err"; fi
done

# every denial of every host, counted by the hosts themselves, is in the trail
want=0 ok_all=1
for h in alpha bravo charlie; do
  made=$(sed -n 's/^ALLOWED //p' "$T/$h.out")
  got=$(pg_psql fleet "SELECT coalesce(sum(count), 0) FROM ward.audit WHERE hostname = '$h' AND decision = 'deny' AND action = 'process.registry.register'")
  echo "# $h: $made denials made, $got in the trail"
  [ -n "$made" ] && [ "$made" = "$got" ] || ok_all=0
  want=$((want + ${made:-0}))
done
if [ "$ok_all" -eq 1 ]; then pass "the trail holds every denial of each host, exactly once ($want)"
else fail "the trail holds every denial of each host, exactly once ($want)"; fi
got=$(pg_psql fleet "SELECT count(DISTINCT run) FROM ward.audit WHERE action = 'process.registry.register'")
if [ "$got" = 3 ]; then pass "... from three runs"; else fail "... from three runs (got $got)"; fi

"$WARD" audit --db "$DB" --json --host bravo --denied > "$T/bravo.json" 2> "$T/q.err"
has "ward audit --host names one host's records" '"hostname":"bravo"' "$T/bravo.json"
hasnt "... and only its" '"hostname":"alpha"' "$T/bravo.json"
"$WARD" audit stats --db "$DB" > "$T/stats" 2> "$T/q.err"
has "ward audit stats counts fleet-wide: alpha" 'alpha' "$T/stats"
has "... and charlie" 'charlie' "$T/stats"
finish
