#!/bin/sh
# audit-query.sh -- `ward audit --db postgresql://...` on the fleet's
# trail, against a real server (lib.sh): the records of three hosts,
# shaped as the shipper writes them, read across hosts and with --host,
# --run, --limit, --since and the patterns; stats by hostname; suggest
# from every host's denials; --json with "hostname"; errors naming the
# server without its password (unreachable, no schema, a newer schema);
# --follow: records inserted and notified while following, a filter, a
# transaction that commits after a later one (no record missed), a server
# restart (resumed without a duplicate), SIGTERM, a reader gone.
set -u
. "${WARD_SRCDIR:-$(dirname "$0")/../..}/tests/pg/lib.sh"
plan 58
SCALE=$ward_test_scale
MKSCHEMA=$B/tests/pg/query-schema

stop () { kill "-$2" "$1"; wait "$1"; rc=$?; }
# is DESCRIPTION COMMAND... : as ok, leaving $T/out (the last output) be
is () {
  d=$1; shift
  if "$@" > /dev/null 2>&1; then pass "$d"; else fail "$d" "$T/out"; fi
}

pg_start
pg_createdb fleet
"$MKSCHEMA" "$(pg_kv fleet)" || { echo "Bail out! the ward schema could not be created"; exit 99; }
# a password in the URI: trust authentication ignores it; no output may show it
SOCKU=$(printf %s "$PGSOCK" | sed 's|/|%2F|g')
U="postgresql://$PGUSER_TEST:s3cretpw@$SOCKU/fleet"

# rec HOST RUN SPOOL_SERIAL TS_SECONDS ACTOR ACTION RESOURCE DECISION: a
# record as the shipper inserts it (the spool is the run's)
rec_sql () {
  echo "INSERT INTO ward.audit (run, hostname, spool, spool_serial, ts, ts_last, kind,
    decision, mode, actor, action, resource, attrs, pid, host, reason, store_version)
    VALUES ($2, '$1', '$1-spool', $3, $4::bigint * 1000000, $4::bigint * 1000000, 'decision', '$8',
    'enforcing', '$5', '$6', '$7', '{}', 'p$2', 'ward:main', 'no rule matched', 0);"
}
rec () { pg_psql fleet "$(rec_sql "$@")"; }
pg_psql fleet "
  INSERT INTO ward.audit_spools (spool, hostname) VALUES
    ('alpha-spool', 'alpha'), ('beta-spool', 'beta'), ('gamma-spool', 'gamma');
  INSERT INTO ward.audit_runs (spool, hostname, started, os_pid, store, permissive, audit_all)
  VALUES ('alpha-spool', 'alpha', 1767225600000000, 11, 'builtin', 0, 0),
         ('beta-spool', 'beta', 1767225600000000, 12, 'builtin', 0, 0),
         ('gamma-spool', 'gamma', 1767225600000000, 13, 'builtin', 0, 0);"
NOW=$(date +%s)
rec alpha 1 1 1767225601 main fs.read /etc/shadow deny
rec alpha 1 2 1767225602 main fs.read /etc/hosts allow
rec beta 2 1 1767225603 web net.connect 10.0.0.1:80 deny
rec beta 2 2 1767225604 main fs.read /etc/passwd deny
rec gamma 3 1 "$NOW" web net.connect 10.0.0.2:443 deny
pg_psql fleet "INSERT INTO ward.audit (run, hostname, spool, spool_serial, ts, ts_last, count,
  kind, decision, mode, actor, action, note) VALUES (3, 'gamma', 'gamma-spool', 2,
  $NOW::bigint * 1000000, $NOW::bigint * 1000000, 40, 'folded', 'deny', 'enforcing', 'web', 'net.connect',
  'folded')"

# ---- reading across hosts ----
ok "ward audit --db postgresql://... lists the fleet's records" $AUDIT --db "$U"
has "... with a HOST column" "^HOST  *SERIAL" "$T/out"
has "... the records of every host" "^alpha .*/etc/shadow" "$T/out"
has "... (beta)" "^beta .*10.0.0.1:80" "$T/out"
has "... (gamma, a folded row)" "^gamma .*FOLD .*x40" "$T/out"
ok "--host beta: only beta's records" $AUDIT --db "$U" --host beta
is "... both of them, nothing else" sh -c "test \$(grep -c '^beta ' '$T/out') -eq 2 && ! grep -q '^alpha\|^gamma' '$T/out'"
ok "--host 'g*': a shell pattern" $AUDIT --db "$U" --host 'g*' --json
is "... gamma's two rows only" sh -c "test \$(grep -c '\"hostname\":\"gamma\"' '$T/out') -eq 2 && test \$(wc -l < '$T/out') -eq 2"
ok "--json gives each record's hostname after its run" $AUDIT --db "$U" --json
has "... (alpha)" '^{"serial":1,"run":1,"hostname":"alpha","time":"2026-01-01T00:00:01.000Z"' "$T/out"
ok "--run 2: beta's run" $AUDIT --db "$U" --run 2 --json
is "... only it" sh -c "test \$(grep -c '\"run\":2,' '$T/out') -eq 2 && test \$(wc -l < '$T/out') -eq 2"
ok "--run last: the newest run (gamma's)" $AUDIT --db "$U" --run last --json
is "... only it" sh -c "test \$(grep -c '\"hostname\":\"gamma\"' '$T/out') -eq 2 && test \$(wc -l < '$T/out') -eq 2"
notok 1 "--run 9: there is no such run" $AUDIT --db "$U" --run 9
has "... saying which there are, naming the server" "no run 9 in postgresql://ward@.*fleet (its runs are numbered up to 3" "$T/err"
ok "--denied --limit 2: the two newest denials" $AUDIT --db "$U" --denied --limit 2 --json
is "... (the folded row and gamma's denial)" sh -c "test \$(wc -l < '$T/out') -eq 2 && grep -q '10.0.0.2:443' '$T/out' && grep -q folded '$T/out'"
ok "--since 1h: this hour's records" $AUDIT --db "$U" --since 1h --json
is "... gamma's" sh -c "test \$(wc -l < '$T/out') -eq 2"
ok "--actor main --denied: a pattern, matched across hosts" $AUDIT --db "$U" --actor main --denied --json
is "... alpha's and beta's" sh -c "grep -q '/etc/shadow' '$T/out' && grep -q '/etc/passwd' '$T/out' && test \$(wc -l < '$T/out') -eq 2"

# ---- stats and suggest ----
ok "stats on the fleet's trail" $AUDIT stats --db "$U"
has "... counts by hostname" "^by hostname:" "$T/out"
has "... (gamma: its denial and 40 folded)" "^ *41  gamma" "$T/out"
ok "stats --json" $AUDIT stats --db "$U" --json
has "... has by_hostname" '"by_hostname":{"gamma":41,"alpha":2,"beta":2}' "$T/out"
ok "suggest from every host's denials" $AUDIT suggest --db "$U"
has "... alpha's" 'allow fs.read on "/etc/passwd", "/etc/shadow";' "$T/out"
has "... beta's and gamma's" 'allow net.connect on "10.0.0.1:80", "10.0.0.2:443";' "$T/out"
has "... the header names the server" "recorded in postgresql://ward@.*/fleet" "$T/out"
ok "suggest --host alpha: that host's only" $AUDIT suggest --db "$U" --host alpha
hasnt "... (no net.connect)" 'net.connect' "$T/out"
has "... saying so in the header" "(--host alpha)" "$T/out"
is "no password in any of it" sh -c "! grep -rq s3cretpw '$T/out' '$T/err'"

# ---- errors ----
notok 1 "a server that cannot be reached is an error" $AUDIT --db "postgresql://ward:s3cretpw@$(printf %s "$T/nosock" | sed 's|/|%2F|g')/fleet"
has "... naming it" "cannot connect to postgresql://ward@" "$T/err"
hasnt "... without its password" "s3cretpw" "$T/err"
pg_createdb empty
notok 1 "a database without the ward schema is an error" $AUDIT --db "postgresql://ward:s3cretpw@$SOCKU/empty"
has "... saying so" "holds no ward schema yet" "$T/err"
pg_createdb newer
"$MKSCHEMA" "$(pg_kv newer)" && pg_psql newer "INSERT INTO ward.schema_migrations (version) VALUES (999)"
notok 1 "a newer schema is refused" $AUDIT stats --db "$(pg_kv newer)"
has "... saying to upgrade ward" "has version 999; this ward knows up to .*(upgrade ward)" "$T/err"

# ---- --follow ----
$AUDIT --follow --json --db "$U" > "$T/f" 2> "$T/fe" &
f=$!
$AUDIT --follow --json --db "$U" --host beta --limit 1 > "$T/fb" 2> "$T/fbe" &
fb=$!
wait_for 60 '"note":"folded"' "$T/f"
is "a follower's command line (ps) holds no password" sh -c "tr '\\0' ' ' < /proc/$f/cmdline | grep -q 'ward:\\*' && ! grep -q s3cretpw /proc/$f/cmdline"
ok "--follow starts with the last records (at most 10)" test "$(wc -l < "$T/f")" -eq 6
pg_psql fleet "$(rec_sql alpha 1 3 "$NOW" main fs.write /tmp/new deny) NOTIFY ward_audit, 'alpha'"
if wait_for 60 '"resource":"/tmp/new"' "$T/f"; then pass "a record inserted and notified is followed"
else fail "a record inserted and notified is followed" "$T/f" "$T/fe"; fi
rec beta 2 3 "$NOW" web net.connect 10.9.9.9:53 deny
if wait_for 60 '"resource":"10.9.9.9:53"' "$T/f"; then pass "one not notified too (the periodic read)"
else fail "one not notified too (the periodic read)" "$T/f" "$T/fe"; fi
wait_for 60 '"resource":"10.9.9.9:53"' "$T/fb"
ok "--host beta follows beta's records only" sh -c "! grep -q '/tmp/new' '$T/fb' && test \$(wc -l < '$T/fb') -eq 2"

# A transaction takes a serial, then another commits a later one first:
# the earlier is printed when it commits, not skipped.
mkfifo "$T/tx"
"$PGBIN/psql" -X -q -h "$PGSOCK" -U "$PGUSER_TEST" -d fleet < "$T/tx" > /dev/null 2>&1 &
tx=$!
exec 3> "$T/tx"
seq0=$(pg_psql fleet "SELECT last_value FROM ward.audit_serial_seq")
echo "BEGIN; $(rec_sql gamma 3 3 "$NOW" web fs.read /late deny)" >&3
i=0; until [ "$(pg_psql fleet "SELECT last_value FROM ward.audit_serial_seq")" -gt "$seq0" ] \
  || [ "$i" -gt $((1200 * SCALE)) ]; do i=$((i + 1)); sleep 0.05; done
pg_psql fleet "$(rec_sql gamma 3 4 "$NOW" web fs.read /early deny) NOTIFY ward_audit"
wait_for 60 '"resource":"/early"' "$T/f"
echo "COMMIT; NOTIFY ward_audit;" >&3
exec 3>&-
wait "$tx"
if wait_for 60 '"resource":"/late"' "$T/f"; then pass "a record committed after a later one is followed too"
else fail "a record committed after a later one is followed too" "$T/f" "$T/fe"; fi
late=$(grep '"/late"' "$T/f" | sed 's/^{"serial":\([0-9]*\),.*/\1/')
early=$(grep '"/early"' "$T/f" | sed 's/^{"serial":\([0-9]*\),.*/\1/')
is "... (its serial is the lower, printed after: serials $late and $early)" \
  sh -c "test '${late:-0}' -lt '${early:-0}' && tail -n 1 '$T/f' | grep -q '\"/late\"'"

# The server restarts under the follower: it says so once, reconnects and
# goes on after the last record it printed.
pg_stop fast > /dev/null
if wait_for 60 "reconnecting" "$T/fe"; then pass "a lost server is said on stderr"
else fail "a lost server is said on stderr" "$T/fe"; fi
pg_restart
pg_psql fleet "$(rec_sql alpha 1 4 "$NOW" main fs.read /after-restart deny) NOTIFY ward_audit"
if wait_for 60 '"resource":"/after-restart"' "$T/f"; then pass "... followed on after the restart"
else fail "... followed on after the restart" "$T/f" "$T/fe"; fi
has "... saying so" "reconnected to postgresql://ward@" "$T/fe"
ok "... every record once" sh -c "test \$(grep -c '\"serial\"' '$T/f') -eq 11 && test \$(sed 's/,.*//' '$T/f' | sort | uniq -d | wc -l) -eq 0"
ok "... one message each way" sh -c "test \$(grep -c reconnecting '$T/fe') -eq 1"
hasnt "... no password on stderr" "s3cretpw" "$T/fe"
stop "$f" TERM
ok "SIGTERM stops a follower with status 0" test "$rc" -eq 0
stop "$fb" INT

( $AUDIT --follow --db "$U"; echo "$?" > "$T/prc" ) 2> "$T/pe" | head -n 1 > /dev/null &
pp=$!
i=0; until [ -s "$T/prc" ] || [ "$i" -gt $((1200 * SCALE)) ]; do i=$((i + 1)); sleep 0.05; done
ok "a follower whose reader went away (| head -1) ends with status 0" sh -c "test \"\$(cat '$T/prc' 2>/dev/null)\" = 0"
wait "$pp" 2>/dev/null
finish
