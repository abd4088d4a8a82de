#!/bin/sh
# adv-store.sh -- the policy store on PostgreSQL under hostile input and a
# hostile or failing server: a connection string libpq cannot parse is
# refused without quoting its password; passwords however spelt (a `?`
# in the user info, a percent-encoded query key, an escaped blank) never
# show in `ps`; a `ward run` whose server stops answering altogether
# (postmaster and backend stopped, connect timeout 0: wait for ever)
# still ends when its script does. Every host reads the policy that was
# loaded whatever its PGCLIENTENCODING and the database's encoding. A
# table a DBA altered (a column dropped and added again: now the last)
# is still read right. A running ward whose schema a newer ward migrated
# reads nothing more from it, and keeps the policies it loaded. A
# connection string given where ward wants a file or a word is not
# echoed with its password. A lock a DBA holds on a store table in an
# open transaction makes a read fail, saying so, instead of hang.
set -u
. "${WARD_SRCDIR:-$(dirname "$0")/../..}/tests/pg/lib.sh"
plan 33
pg_start
pg_createdb s
U=$(pg_uri s)
SOCKU=$(printf %s "$PGSOCK" | sed 's|/|%2F|g')
printf 'policy "app" {\n  allow env.read on "HOME";\n}\nactor "main" { scope = ["app"]; }\n' > "$T/app.policy"
"$WARD" policy load --db "$U" "$T/app.policy" > /dev/null 2>&1 || fail "the first load"

# libpq quotes the piece it cannot parse, or the whole URI
for db in 'postgresql://u:SECRET@[::1/db' 'postgresql://u:SEC%zzRET@h/db' \
          'host=/nonexistent password=SEC RET' 'postgresql://u@h/db?SECRET'; do
  notok 1 "an unparsable string is refused: $(echo "$db" | sed 's/SEC.*RET/.../')" \
    "$WARD" policy list --db "$db"
  if grep -q 'PostgreSQL connection string' "$T/err" && ! grep -q 'SEC\|RET' "$T/err"; then
    pass "... without quoting its password"
  else fail "... without quoting its password" "$T/err"; fi
done

# a connection string where a file or a word goes
SU=$(printf %s "$U" | sed 's|://ward@|://ward:SECRET@|')
notok 1 "ward policy load --db URI URI: the second is no file" \
  "$WARD" policy load --db "$SU" 'postgresql://u:SECRET@h/db'
hasnt "... said without its password" SECRET "$T/err"
notok 2 "ward policy history --db URI URI: an unexpected argument" \
  "$WARD" policy history --db "$SU" 'host=h password=SECRET'
hasnt "... said without its password" SECRET "$T/err"
notok 2 "ward audit --run URI: no run" "$WARD" audit --db "$T/none.db" --run 'postgresql://u:SECRET@h/db'
hasnt "... said without its password" SECRET "$T/err"

# ps of a running ward (the test server trusts local connections: any
# password is accepted)
printf 'print("READY")\ntime.sleep(tonumber((...)))\nprint("DONE")\n' > "$T/nap.lua"
for db in "postgresql://ward:SE?CRET@$SOCKU/s" "postgresql://ward@$SOCKU/s?%70assword=SECRET" \
          "host=$PGSOCK user=ward dbname=s password=SE\\ CRET"; do
  : > "$T/o"
  "$WARD" run --db "$db" --audit "$T/au.db" "$T/nap.lua" "$(scaled_ms 30000)" > "$T/o" 2> "$T/e" &
  wpid=$!
  wait_for 30 READY "$T/o"
  tr '\0' ' ' < "/proc/$wpid/cmdline" > "$T/cmd" 2>/dev/null
  if grep -q READY "$T/o" && grep -q -- '--db' "$T/cmd" && ! grep -q 'SE\|CRET' "$T/cmd"; then
    pass "ps shows no password: $(sed 's/.*--db //; s/ --audit.*//' "$T/cmd")"
  else fail "ps shows no password" "$T/cmd" "$T/o" "$T/e"; fi
  kill $wpid; wait $wpid 2>/dev/null
done

# the server stops answering altogether while the run is on; its
# reconnection would wait for ever (connect_timeout=0): the run still
# ends when its script does
"$WARD" run --db "$U?connect_timeout=0" --audit "$T/au2.db" "$T/nap.lua" "$(scaled_ms 5000)" \
  > "$T/o2" 2> "$T/e2" &
wpid=$!
wait_for 30 READY "$T/o2"
pm=$(head -1 "$PGDIR/data/postmaster.pid")
bpids=$(pg_psql s "SELECT pid FROM pg_stat_activity WHERE application_name = 'ward'")
kill -STOP $pm $bpids
wait_for 30 'policy store is lost' "$T/e2"
has "a server that stops answering is lost" 'policy store is lost' "$T/e2"
if ends_within 60 $wpid && [ $rc = 0 ] && grep -q DONE "$T/o2"; then
  pass "... and the run still ends when its script does"
else fail "... and the run still ends when its script does (status $rc)" "$T/o2" "$T/e2"; fi
kill -CONT $pm $bpids

# a database in LATIN1, read by hosts whose PGCLIENTENCODING differ: the
# deny on "café" holds on every one
pg_psql postgres "CREATE DATABASE l1 ENCODING 'LATIN1' TEMPLATE template0 LC_COLLATE 'C' LC_CTYPE 'C'"
L=$(pg_uri l1)
printf 'policy "app" {\n  allow env.read on "*";\n  deny env.read on "caf\303\251";\n}\nactor "main" { scope = ["app"]; }\n' > "$T/enc.policy"
ok "a load into a LATIN1 database" env -u PGCLIENTENCODING "$WARD" policy load --db "$L" "$T/enc.policy"
for e in UTF8 LATIN1 SQL_ASCII; do
  PGCLIENTENCODING=$e "$WARD" policy explain --db "$L" --actor main --action env.read \
    --resource "$(printf 'caf\303\251')" > "$T/x" 2>&1
  has "a host with PGCLIENTENCODING=$e reads the deny as loaded" '^decision: deny' "$T/x"
done

# a DBA moves ward.files.source to the end of the table
pg_createdb c1
C=$(pg_uri c1)
"$WARD" policy load --db "$C" "$T/app.policy" > /dev/null 2>&1
pg_psql c1 "SET search_path TO ward; ALTER TABLE files RENAME COLUMN source TO old;
  ALTER TABLE files ADD COLUMN source text; UPDATE files SET source = old;
  ALTER TABLE files DROP COLUMN old; ALTER TABLE files ALTER COLUMN source SET NOT NULL"
"$WARD" policy explain --db "$C" --actor main --action env.read --resource HOME > "$T/x" 2>&1
has "a store whose files table was altered is read right" '^decision: allow' "$T/x"
printf 'policy "app" {\n  allow env.read on "HOME";\n  allow env.read on "USER";\n}\nactor "main" { scope = ["app"]; }\n' > "$T/app.policy"
ok "... and loaded into" "$WARD" policy load --db "$C" "$T/app.policy"
"$WARD" policy explain --db "$C" --actor main --action env.read --resource USER > "$T/x" 2>&1
has "... the load in force" '^decision: allow' "$T/x"
ok "... its history whole" "$WARD" policy rollback --db "$C" --to 1

# a newer ward migrates the schema under a running one, and changes the
# store as the newer schema says
pg_createdb n1
N=$(pg_uri n1)
printf 'policy "app" {\n  allow env.read on "HOME";\n}\nactor "main" { scope = ["app"]; }\n' > "$T/app.policy"
"$WARD" policy load --db "$N" "$T/app.policy" > /dev/null 2>&1
cp "$S/tests/pg/until-granted.lua" "$T/user.lua"
"$WARD" run --db "$N" --audit "$T/au4.db" "$T/user.lua" "$(scaled_ms 30000)" USER > "$T/o4" 2> "$T/e4" &
wpid=$!
wait_for 30 READY "$T/o4"
pg_psql n1 "SET search_path TO ward; INSERT INTO schema_migrations (version) VALUES (99);
  UPDATE files SET source = replace(source, 'on \"HOME\";', 'on \"HOME\", \"USER\";');
  UPDATE meta SET value = value + 1; NOTIFY ward_policy"
i=0; until grep -q 'reloading the policy store failed' "$T/e4" || grep -q GRANTED "$T/o4" \
  || [ $i -gt $((600 * ward_test_scale)) ]; do i=$((i + 1)); sleep 0.05; done
has "a running ward does not read a schema newer than it knows" \
  'reloading the policy store failed.*has version 99; this ward knows up to [0-9]* (upgrade ward)' "$T/e4"
hasnt "... and keeps the policies it loaded" GRANTED "$T/o4"
kill $wpid 2>/dev/null; wait $wpid 2>/dev/null
pg_psql n1 "DELETE FROM ward.schema_migrations WHERE version = 99"
"$WARD" policy explain --db "$N" --actor main --action env.read --resource USER > "$T/x" 2>&1
has "(the change was one a ward that knows the schema takes)" '^decision: allow' "$T/x"

# a DBA's transaction holds ward.files locked (until this test says)
pg_createdb k1
K=$(pg_uri k1)
"$WARD" policy load --db "$K" "$T/app.policy" > /dev/null 2>&1
mkfifo "$T/dba"
"$PGBIN/psql" -X -q -h "$PGSOCK" -U "$PGUSER_TEST" -d k1 < "$T/dba" > /dev/null 2>&1 &
dba=$!
exec 3> "$T/dba"
echo "BEGIN; LOCK TABLE ward.files IN ACCESS EXCLUSIVE MODE;" >&3
i=0; until [ "$(pg_psql k1 "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
  WHERE c.relname = 'files' AND l.mode = 'AccessExclusiveLock' AND l.granted")" = 1 ] \
  || [ $i -gt $((600 * ward_test_scale)) ]; do i=$((i + 1)); sleep 0.05; done
"$WARD" policy list --db "$K" > "$T/lo" 2> "$T/le" &
lpid=$!
i=0; while kill -0 $lpid 2>/dev/null && [ $i -lt $((1200 * ward_test_scale)) ]; do
  i=$((i + 1)); sleep 0.05
done
if kill -0 $lpid 2>/dev/null; then
  fail "a read of a store whose table is locked ends (it hung)"
  kill $lpid
else pass "a read of a store whose table is locked ends"; fi
wait $lpid; rc=$?
[ $rc = 1 ] && pass "... failing" || fail "... failing (status $rc)" "$T/lo" "$T/le"
has "... saying why" 'reading files: .*lock timeout' "$T/le"
echo "COMMIT;" >&3
exec 3>&-
wait $dba
finish
