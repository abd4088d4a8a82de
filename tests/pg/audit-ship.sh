#!/bin/sh
# audit-ship.sh -- `ward run --audit postgresql://...`: the run's records
# reach PostgreSQL through a local spool, with the host name and the run's
# id, exactly once: counts add up (folded counts too, raised after their
# row was first shipped); the server stopped in the middle of a flood and
# started again loses and doubles nothing; a run that ends while the server
# is away keeps its spool, which the next run ships; two runs at once; a
# spool that cannot be made refuses the run (fail closed); no password in
# any record or message. A real server (lib.sh); TAP.
set -u
. "${WARD_SRCDIR:-$(dirname "$0")/../..}/tests/pg/lib.sh"
plan 49

pg_start
pg_createdb fleet
U=$(pg_uri fleet)
q () { pg_psql fleet "$1"; }
# wait_until DESCRIPTION COMMAND...: poll until the command succeeds, for
# at most a scaled deadline; 1 when it never did
wait_until () {
  d=$1; shift
  end=$(( $(date +%s) + $(scaled_s 60) ))
  until "$@" > /dev/null 2>&1; do
    if [ "$(date +%s)" -gt "$end" ]; then echo "# gave up waiting: $d"; return 1; fi
    sleep 0.05
  done
}
ge () { [ "${1:-0}" -ge "$2" ]; }
is_ge () { v=$($1); [ "${v:-0}" -ge "$2" ]; }   # is_ge FUNCTION N: its output >= N
sum_run () { q "SELECT coalesce(sum(a.count), 0) FROM ward.audit a JOIN ward.audit_runs r ON r.id = a.run WHERE r.os_pid = $1"; }

cat > "$T/r.policy" <<'EOF'
policy "r" { allow process.host on "ward:main"; allow lua.require on "fs"; }
actor "main" { scope = ["r"]; }
EOF
# flood.lua N: N denials (a send to an unknown name asks for
# process.registry.lookup, which is denied), then how many it saw
cp "$S/tests/pg/flood.lua" "$T/flood.lua"
cp "$S/tests/pg/loop.lua" "$T/loop.lua"
SPOOL=$T/state/ward/spool

# ---- records arrive, with the host name and the run's id ----
"$WARD" run --policy "$T/r.policy" --audit "$U" "$T/flood.lua" 3000 > "$T/o1" 2> "$T/e1"
has "a run auditing to PostgreSQL runs" "^denied 3000$" "$T/o1"
ok "... quietly" test ! -s "$T/e1"
ok "every denial is in PostgreSQL: 1000 rows one by one, 2000 in a folded row" \
  test "$(q "SELECT count(*), sum(count) FROM ward.audit WHERE kind = 'decision'")|$(q "SELECT count(*), sum(count) FROM ward.audit WHERE kind = 'folded'")" = "1000|1000|1|2000"
H=$(hostname)
ok "each row carries the host name and the run's id" \
  test "$(q "SELECT count(*) FROM ward.audit a JOIN ward.audit_runs r ON r.id = a.run WHERE a.hostname = '$H' AND r.hostname = '$H'")" = 1001
ok "the run's row: host, store, mode" \
  test "$(q "SELECT hostname, store LIKE 'files %r.policy', permissive, audit_all FROM ward.audit_runs")" = "$H|t|0|0"
ok "the spool's position is its last row" \
  test "$(q "SELECT s.shipped = max(a.spool_serial) FROM ward.audit_spools s JOIN ward.audit a USING (spool) GROUP BY s.shipped")" = t
ok "in serial order" \
  test "$(q "SELECT bool_and(ok) FROM (SELECT (spool_serial > lag(spool_serial) OVER (ORDER BY serial)) IS NOT FALSE AS ok FROM ward.audit) x")" = t
ok "the record's fields: action, resource, actor, mode" \
  test "$(q "SELECT actor, action, resource, mode, decision FROM ward.audit WHERE spool_serial = (SELECT min(spool_serial) FROM ward.audit)")" = "main|process.registry.lookup|x1|enforcing|deny"
printf '%s\n' 'process.send("w\tx\ny\\z\255!", "t", 1)' > "$T/weird.lua"
"$WARD" run --policy "$T/r.policy" --audit "$U" "$T/weird.lua" > /dev/null 2>&1
ok "a resource with a tab, a newline, a backslash and a byte that is no UTF-8 arrives as such (U+FFFD for the byte)" \
  test "$(q "SELECT count(*) FROM ward.audit WHERE resource = E'w\\tx\\ny\\\\z\\uFFFD!'")" = 1
ok "the spool of a run wholly shipped is removed" sh -c "[ -z \"\$(ls -A '$SPOOL')\" ]"
ok "the spool directory is private (0700)" test "$(stat -c %a "$SPOOL")" = 700

# ---- folded counts raised after their row was first shipped ----
q "TRUNCATE ward.audit, ward.audit_runs, ward.audit_spools" > /dev/null
mkdir -p "$T/c1"
"$WARD" run --policy "$T/r.policy" --allow-read "$T/c1" --audit "$U" "$T/loop.lua" "$T/c1" \
  > "$T/o2" 2> "$T/e2" &
W=$!
folded () { q "SELECT coalesce(max(count), 0) FROM ward.audit WHERE kind = 'folded'"; }
wait_until "a folded row in PostgreSQL" is_ge folded 1; f1=$(folded)
ok "a folded row is shipped while the run goes on (count $f1)" ge "$f1" 1
wait_until "its count raised" is_ge folded $((f1 + 1001))
ok "... and its count raised in place afterwards ($(folded))" ge "$(folded)" $((f1 + 1001))
: > "$T/c1/stop"
wait "$W"; rc=$?
n2=$(sed -n 's/^denied //p' "$T/o2")
ok "the run ends (status $rc)" test "$rc" -eq 0
ok "the counts add up: ${n2:-?} denials, $(sum_run "$W") in PostgreSQL" test "$(sum_run "$W")" = "${n2:-x}"
ok "... in one folded row" test "$(q "SELECT count(*) FROM ward.audit WHERE kind = 'folded'")" = 1

# ---- the server stopped in the middle of a flood and started again ----
q "TRUNCATE ward.audit, ward.audit_runs, ward.audit_spools" > /dev/null
mkdir -p "$T/c2"
"$WARD" run --policy "$T/r.policy" --allow-read "$T/c2" --audit "$U" --audit-fold 1000000000 \
  "$T/loop.lua" "$T/c2" > "$T/o3" 2> "$T/e3" &
W=$!
rows () { q "SELECT count(*) FROM ward.audit"; }
wait_until "rows shipped" is_ge rows 2001
before=$(rows)
pg_stop immediate > /dev/null 2>&1
wait_until "the run says it spools" grep -q "the audit trail is spooling to" "$T/e3"
ok "the server stopped: the run says that the trail spools" grep -q "is spooling to \`$SPOOL/" "$T/e3"
# the records in the run's spool, as `ward audit stats` counts them
spooled () { $AUDIT stats --db "$(ls "$SPOOL"/*.db | head -1)" --json 2>/dev/null | sed -n 's/.*"records":\([0-9]*\).*/\1/p'; }
have=$(spooled)
wait_until "records spooled meanwhile" is_ge spooled $((have + 2001))
ok "... and goes on denying, into the spool" kill -0 "$W"
pg_restart
wait_until "shipping again" grep -q "shipping the audit trail to .* again" "$T/e3"
ok "the server back: the run says it ships again" grep -q "shipping the audit trail to postgresql://ward@.*/fleet again" "$T/e3"
wait_until "more rows" is_ge rows $((before + 4001))
: > "$T/c2/stop"
wait "$W"; rc=$?
n3=$(sed -n 's/^denied //p' "$T/o3")
ok "the run ends well (status $rc)" test "$rc" -eq 0
ok "exactly once: ${n3:-?} denials, $(rows) rows in PostgreSQL" test "$(rows)" = "${n3:-x}"
ok "... $(sum_run "$W") counted" test "$(sum_run "$W")" = "${n3:-x}"
ok "... no serial twice, none missing" \
  test "$(q "SELECT count(DISTINCT spool_serial) = count(*) AND max(spool_serial) - min(spool_serial) + 1 = count(*) FROM ward.audit")" = t
ok "... the resources all distinct (y1 .. y$n3)" \
  test "$(q "SELECT count(DISTINCT resource) FROM ward.audit")" = "${n3:-x}"
grep -c "is spooling to" "$T/e3" > "$T/c"
ok "it said so once" test "$(cat "$T/c")" = 1
ok "its spool removed" sh -c "[ -z \"\$(ls -A '$SPOOL')\" ]"

# ---- a run that ends while the server is away; the next one ships it ----
q "TRUNCATE ward.audit, ward.audit_runs, ward.audit_spools" > /dev/null
pg_stop fast > /dev/null 2>&1
PW="postgresql://ward:sekrit@$(printf %s "$PGSOCK" | sed 's|/|%2F|g')/fleet"
"$WARD" run --policy "$T/r.policy" --audit "$PW" "$T/flood.lua" 2500 > "$T/o4" 2> "$T/e4"; rc=$?
ok "with the server away a run goes on, spooling (status $rc)" test "$rc" -eq 0 -a "$(cat "$T/o4")" = "denied 2500"
has "... says so at the start" "cannot connect to postgresql://ward@.*/fleet.*the audit trail is spooling to" "$T/e4"
has "... and at the end how many records wait, not lost" \
  "2500 records of this run wait in the spool \`$SPOOL/.*\` (not lost): the next \`ward run\` auditing to postgresql://ward@.*/fleet ships them" "$T/e4"
ok "the spool is kept" test "$(ls "$SPOOL" | grep -c '\.db$')" = 1
pg_restart
"$WARD" run --policy "$T/r.policy" --audit "$PW" "$T/flood.lua" 10 z > "$T/o5" 2> "$T/e5"
has "the next run ships it" "2500 records of earlier runs shipped to postgresql://ward@" "$T/e5"
ok "... all of them, once: 2500 + 10 in PostgreSQL" \
  test "$(q "SELECT sum(count) FROM ward.audit")" = 2510
ok "... under their own run" test "$(q "SELECT count(DISTINCT run) FROM ward.audit")" = 2
ok "... and removes it" sh -c "[ -z \"\$(ls -A '$SPOOL')\" ]"
cat "$T/e4" "$T/e5" > "$T/msgs"
q "SELECT * FROM ward.audit_runs" >> "$T/msgs"
q "SELECT * FROM ward.audit" >> "$T/msgs"
q "SELECT * FROM ward.audit_spools" >> "$T/msgs"
hasnt "no password in any message or record" "sekrit" "$T/msgs"

# ---- two runs at once ----
q "TRUNCATE ward.audit, ward.audit_runs, ward.audit_spools" > /dev/null
"$WARD" run --policy "$T/r.policy" --audit "$U" --audit-fold 1000000000 "$T/flood.lua" 20000 a > "$T/o6" 2>&1 &
A=$!
"$WARD" run --policy "$T/r.policy" --audit "$U" --audit-fold 1000000000 "$T/flood.lua" 20000 b > "$T/o7" 2>&1 &
B=$!
wait "$A"; ra=$?
wait "$B"; rb=$?
ok "two runs at once end well" test "$ra$rb" = 00
ok "... each with its 20000 records under its own run" \
  test "$(sum_run "$A")|$(sum_run "$B")|$(q "SELECT count(*) FROM ward.audit_runs")" = "20000|20000|2"

# ---- a live run's spool is no leftover; NOTIFY ward_audit ----
q "TRUNCATE ward.audit, ward.audit_runs, ward.audit_spools" > /dev/null
mkdir -p "$T/c3"
mkfifo "$T/lq"
"$PGBIN/psql" -X -A -t -q -h "$PGSOCK" -U "$PGUSER_TEST" -d fleet < "$T/lq" > "$T/notes" 2>&1 &
P=$!
exec 7> "$T/lq"
echo "LISTEN ward_audit;" >&7
"$WARD" run --policy "$T/r.policy" --allow-read "$T/c3" --audit "$U" "$T/loop.lua" "$T/c3" \
  > "$T/o9" 2> "$T/e9" &
W=$!
live () { ls "$SPOOL" | grep -c '\.db$'; }
wait_until "the live run's spool" is_ge live 1
wait_until "rows of the live run" is_ge rows 1
"$WARD" run --policy "$T/r.policy" --audit "$U" "$T/flood.lua" 10 v > "$T/o10" 2> "$T/e10"
got="$(live)|$(q "SELECT sum(count) FROM ward.audit WHERE resource LIKE 'v%'")"
ok "a run beside a live one ships and removes only its own spool ($got)" test "$got" = "1|10"
hasnt "... it ships nothing of the live run's spool" "earlier runs" "$T/e10"
: > "$T/c3/stop"
wait "$W"
n9=$(sed -n 's/^denied //p' "$T/o9")
ok "the live run's records all arrive, once (${n9:-?})" test "$(sum_run "$W")" = "${n9:-x}"
echo "SELECT 1;" >&7
exec 7>&-
wait "$P"
has "each shipment NOTIFYs ward_audit with the host name" \
  "notification \"ward_audit\" with payload \"$H\" received" "$T/notes"

# ---- the least a host's role needs (ward-fleet(7)) ----
q "CREATE ROLE host1 LOGIN;
GRANT USAGE ON SCHEMA ward TO host1;
GRANT SELECT ON ward.schema_migrations TO host1;
GRANT SELECT, INSERT, UPDATE ON ward.audit_spools TO host1;
GRANT SELECT, INSERT ON ward.audit_runs TO host1;
GRANT INSERT, UPDATE (count, ts_last), SELECT (spool, spool_serial) ON ward.audit TO host1;
GRANT USAGE ON SEQUENCE ward.audit_runs_id_seq, ward.audit_serial_seq TO host1;" > /dev/null
"$WARD" run --policy "$T/r.policy" --audit "host=$PGSOCK user=host1 dbname=fleet" "$T/flood.lua" 1500 h > "$T/o11" 2> "$T/e11"
ok "a role with only the documented grants ships, folded counts too" \
  test "$(cat "$T/o11")|$(cat "$T/e11")|$(q "SELECT sum(count) FROM ward.audit WHERE resource LIKE 'h%' OR (kind = 'folded' AND run = (SELECT max(id) FROM ward.audit_runs))")" = "denied 1500||1500"
ok "... and may raise a folded row's count as the shipper does" "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 \
  -h "$PGSOCK" -U host1 -d fleet -c "UPDATE ward.audit a SET count = v.c, ts_last = v.t FROM (VALUES (1, 2, 3)) v(s, c, t) WHERE a.spool = 'none' AND a.spool_serial = v.s"

# ---- fail closed ----
pg_stop fast > /dev/null 2>&1
: > "$T/file"
notok 1 "the server away and the spool impossible: the run is refused" \
  "$WARD" run --policy "$T/r.policy" --audit "$PW" --audit-spool "$T/file/spool" "$T/flood.lua" 1
has "... saying why" "refusing to run unaudited: the audit trail to postgresql://ward@.*/fleet goes through a local spool: cannot create the audit spool directory" "$T/err"
hasnt "... before the script runs" "denied" "$T/out"
hasnt "... without the password" "sekrit" "$T/err"
pg_restart
notok 1 "the server there but the spool impossible: refused too (the spool is the one way records go)" \
  "$WARD" run --policy "$T/r.policy" --audit "$U" --audit-spool "$T/file/spool" "$T/flood.lua" 1
mkdir -p "$T/sp"
"$WARD" run --policy "$T/r.policy" --audit "$U" --audit-spool "$T/sp" "$T/flood.lua" 5 > "$T/o8" 2>&1
ok "--audit-spool DIR: the spool there, shipped and removed" \
  test "$(cat "$T/o8")|$(ls -A "$T/sp")|$(q "SELECT sum(count) FROM ward.audit WHERE resource LIKE 'x%'")" = "denied 5||5"
finish
