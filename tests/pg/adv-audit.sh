#!/bin/sh
# adv-audit.sh -- the fleet audit trail against hostile local users,
# careless operators and scripts: a spool directory others may write
# (or that belongs to someone else, or lies in a directory others may
# change, or is a symlink to such) is refused,
# since a spool planted there would be shipped under this user's
# credentials; spool files this user did not make are never shipped nor
# removed; a kept spool's folded counts are not counted as shipped twice;
# a spool removed under its run while the server is away is lost and
# said so (exit 3); stored JSON that is no JSON is never pasted into `ward audit --json`; a
# flood of notifications does not make a follower read once for each;
# SIGTERM stops a follower whose server hangs.
# A real server (lib.sh); TAP.
set -u
. "${WARD_SRCDIR:-$(dirname "$0")/../..}/tests/pg/lib.sh"
plan 26

pg_start
pg_createdb fleet
U=$(pg_uri fleet)
q () { pg_psql fleet "$1"; }
cat > "$T/r.policy" <<'P'
policy "r" { allow process.host on "ward:main"; allow lua.require on "fs"; }
actor "main" { scope = ["r"]; }
P
cp "$S/tests/pg/flood.lua" "$T/flood.lua"
cp "$S/tests/pg/loop.lua" "$T/loop.lua"
# wait_until DESCRIPTION COMMAND...: poll until the command succeeds
wait_until () {
  d=$1; shift
  end=$(( $(date +%s) + $(scaled_s 60) ))
  until "$@" > /dev/null 2>&1; do
    if [ "$(date +%s)" -gt "$end" ]; then echo "# gave up waiting: $d"; return 1; fi
    sleep 0.05
  done
}
is_ge () { v=$($1); [ "${v:-0}" -ge "$2" ]; }
sum_run () { q "SELECT coalesce(sum(a.count), 0) FROM ward.audit a JOIN ward.audit_runs r ON r.id = a.run WHERE r.os_pid = $1"; }
run_spool () { "$WARD" run --policy "$T/r.policy" --audit "$U" --audit-spool "$1" "$T/flood.lua" 3; }

# ---- spool directories that other users may write, or that are theirs ----
mkdir -p "$T/ww" && chmod 0777 "$T/ww"
notok 1 "a spool directory anyone may write is refused" run_spool "$T/ww"
has "... saying why" "audit spool directory \`$T/ww\` may be written by other users (mode 0777)" "$T/err"
hasnt "... before the script runs" "denied" "$T/out"
mkdir -p "$T/tmpish" && chmod 1777 "$T/tmpish"
notok 1 "a sticky world-writable one (like /tmp) too" run_spool "$T/tmpish"
mkdir -p "$T/grp" && chmod 0770 "$T/grp"
notok 1 "a group-writable one too" run_spool "$T/grp"
ln -s "$T/ww" "$T/link"
notok 1 "a symlink to one too (its target counts)" run_spool "$T/link"
mkdir -p "$T/gw/spool" && chmod 0775 "$T/gw" && chmod 0700 "$T/gw/spool"
notok 1 "a private directory inside one that others may change is refused" run_spool "$T/gw/spool"
has "... saying which" "audit spool directory \`$T/gw/spool\` lies in \`$T/gw\` (uid [0-9]*, mode 0775), which another user may change" "$T/err"
mkdir -p "$T/mine" && chmod 0700 "$T/mine"
ln -s "$T/mine" "$T/gw/link"
ok "a symlink there to a private directory is resolved once, at the start: the spool is in its target" \
  sh -c "$WARD run --policy '$T/r.policy' --audit '$U' --audit-spool '$T/gw/link' '$T/flood.lua' 3 2>&1 | grep -q '^denied 3\$' && [ -z \"\$(ls -A '$T/mine')\" ]"
if [ "$(id -u)" -eq 0 ]; then
  mkdir -p "$T/theirs" && chown nobody "$T/theirs" && chmod 0700 "$T/theirs"
  other=$T/theirs
else
  other=/                         # root's, and it exists
fi
notok 1 "a directory of another user is refused" run_spool "$other"
has "... saying whose it is" "belongs to uid [0-9]*, not to this user" "$T/err"

# ---- a spool file this user did not make, in its own directory ----
mkdir -p "$T/sp" && chmod 0700 "$T/sp"
if [ "$(id -u)" -eq 0 ]; then
  # a genuine spool of an earlier run, kept (the server away), given to
  # another user who rewrites the host it claims
  pg_stop fast > /dev/null 2>&1
  run_spool "$T/sp" > /dev/null 2>&1
  pg_restart
  f=$(ls "$T/sp"/*.db)
  sqlite3 "$f" "UPDATE audit_runs SET hostname = 'forged-host'"
  chown nobody "$f"
  run_spool "$T/sp" > "$T/o1" 2> "$T/e1"
  ok "a spool another user owns is not shipped (no forged host in the trail)" \
    test "$(q "SELECT count(*) FROM ward.audit_runs WHERE hostname = 'forged-host'")|$(cat "$T/o1")" = "0|denied 3"
  ok "... nor removed" test -f "$f"
else
  n=$((n + 1)); echo "ok $n # SKIP a file of another user needs root to be made"
  n=$((n + 1)); echo "ok $n # SKIP a file of another user needs root to be made"
fi

# ---- a spool kept with a folded row shipped before: the next run says
# how many records it shipped, not the folded row's whole count again ----
mkdir -p "$T/c1" "$T/sp2" && chmod 0700 "$T/sp2"
"$WARD" run --policy "$T/r.policy" --allow-read "$T/c1" --audit "$U" --audit-spool "$T/sp2" \
  "$T/loop.lua" "$T/c1" > "$T/o2" 2> "$T/e2" &
W=$!
folded () { q "SELECT coalesce(max(count), 0) FROM ward.audit WHERE kind = 'folded' AND run = (SELECT max(id) FROM ward.audit_runs)"; }
wait_until "a folded row shipped" is_ge folded 2000
pg_stop fast > /dev/null 2>&1
wait_until "the run spools" grep -q "is spooling to" "$T/e2"
: > "$T/c1/stop"
wait "$W"
pg_restart
nd=$(sed -n 's/^denied //p' "$T/o2")
had=$(sum_run "$W")
waiting=$(sed -n 's/.*: \([0-9]*\) records\{0,1\} of this run wait in the spool.*/\1/p' "$T/e2")
ok "the run said how many records wait: $waiting of $nd, $had in PostgreSQL" \
  test "$((had + ${waiting:-0}))" = "${nd:-x}"
run_spool "$T/sp2" > "$T/o3" 2> "$T/e3"
shipped=$(sed -n 's/.*: \([0-9]*\) records\{0,1\} of earlier runs shipped.*/\1/p' "$T/e3")
ok "the next run ships them all: $(sum_run "$W") of $nd" test "$(sum_run "$W")" = "${nd:-x}"
ok "... and says how many: ${shipped:-?}, as many as waited" test "${shipped:-0}" = "${waiting:-0}"

# ---- a spool removed while its run goes on, the server away at the end:
# its records are lost, said so, exit 3 (never "not lost") ----
mkdir -p "$T/c5" "$T/sp5" && chmod 0700 "$T/sp5"
"$WARD" run --policy "$T/r.policy" --allow-read "$T/c5" --audit "$U" --audit-spool "$T/sp5" \
  "$T/loop.lua" "$T/c5" > "$T/o5" 2> "$T/e5" &
W=$!
wait_until "the spool made" sh -c "ls '$T/sp5' | grep -q '[.]db\$'"
pg_stop fast > /dev/null 2>&1
wait_until "the run spools" grep -q "is spooling to" "$T/e5"
rm -rf "$T/sp5"
: > "$T/c5/stop"
wait "$W"; rc=$?
pg_restart
ok "a spool removed under a run whose server is away: exit 3 (status $rc)" test "$rc" -eq 3
has "... saying its records are lost" "records\{0,1\} of this run are lost: its spool .* was removed while the run went on" "$T/e5"
hasnt "... never that they wait" "wait in the spool" "$T/e5"

# ---- a row that a fleet host's role inserted itself: its stored JSON
# (attrs, actor_meta, scope) is never pasted into `ward audit --json` ----
ESC=$(printf '\033')
q "INSERT INTO ward.audit (spool, spool_serial, run, hostname, kind, ts, ts_last, count, decision, mode, actor, action, resource, actor_meta, scope, attrs) SELECT spool, 1000000, run, 'h', 'decision', ts, ts_last, 1, 'deny', 'enforcing', 'evil', 'a', 'r', E'{\"k\":\"\x1b[2J\"}', '[\"s\"', '{\"x\":1},\"decision\":\"allow\",\"y\":{}' FROM ward.audit LIMIT 1" > /dev/null
"$WARD" audit --json --db "$U" --actor evil > "$T/j1" 2>&1
hasnt "a stored JSON value that is not one (fields after it) adds no field to the record" '"decision":"allow"' "$T/j1"
hasnt "... one with a raw control character puts none on the output" "$ESC" "$T/j1"
has "... both shown as strings beside their fields" '"actor_meta":{},"actor_meta_invalid":"{\\"k\\":\\"\\u001b\[2J\\"}".*"scope":null,"scope_invalid":.*"attrs":{},"attrs_invalid":' "$T/j1"

# ---- a flood of notifications on ward_audit (any role that may connect
# may NOTIFY): a follower reads once per notification no more ----
"$WARD" audit --db "$U" --follow --json > "$T/f4" 2> "$T/fe4" &
F=$!
wait_until "the follower's first lines" grep -q '"serial"' "$T/f4"
xr () { q "SELECT xact_rollback FROM pg_stat_database WHERE datname = 'fleet'"; }
r0=$(xr)
echo "NOTIFY ward_audit, 'x';" > "$T/n.sql"
"$PGBIN/pgbench" -n -h "$PGSOCK" -U "$PGUSER_TEST" -c 2 -t 20000 -f "$T/n.sql" fleet > "$T/pgb" 2>&1
kill -TERM "$F"; wait "$F"
reads=$(( $(xr) - r0 ))          # the follower's reads end in ROLLBACK
ok "40000 notifications: the follower read $reads times (at most one read per 100 ms)" \
  test "$reads" -lt 800

# ---- a server that hangs (its process stopped) under a follower:
# SIGTERM still stops the follower, with status 0 ----
"$WARD" audit --db "$U" --follow --json > "$T/f6" 2> "$T/fe6" &
F=$!
wait_until "the follower's first lines" grep -q '"serial"' "$T/f6"
bk=$(q "SELECT pid FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid() AND query LIKE '%ROLLBACK%'")
ok "the follower's server process found (${bk:-none})" test -n "$bk"
kill -STOP $bk
gone () { ! kill -0 "$F" 2> /dev/null; }
# the follower's fallback read (every second without a notification) is
# sent and blocks; a shorter pause only makes this check weaker
sleep 2
kill -TERM "$F"
wait_until "the follower gone" gone
ok "SIGTERM stops a follower whose server hangs" gone
kill -CONT $bk
kill -KILL "$F" 2> /dev/null
wait "$F"; rc=$?
ok "... with status 0, quietly (status $rc)" sh -c "[ $rc -eq 0 ] && ! [ -s '$T/fe6' ]"
finish
