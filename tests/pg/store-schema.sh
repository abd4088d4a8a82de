#!/bin/sh
# store-schema.sh -- the policy store's schema in PostgreSQL: readers of a
# database without it (`ward policy list`, `ward run --db`) fail closed,
# saying who creates it; the first `ward policy load` creates it at the
# version this ward knows; a newer one (a schema_migrations row 99) is
# refused by every command, and a refused load changes nothing.
set -u
. "${WARD_SRCDIR:-$(dirname "$0")/../..}/tests/pg/lib.sh"
plan 17
pg_start
pg_createdb s
U=$(pg_uri s)
printf 'policy "app" {\n  allow env.read on "HOME";\n}\nactor "main" { scope = ["app"]; }\n' > "$T/a.policy"
printf 'print("RAN")\n' > "$T/ran.lua"

notok 1 "list of a database without the ward schema fails" "$WARD" policy list --db "$U"
has "... saying the first load creates it" 'holds no ward schema yet (the first `ward policy load --db` creates it' "$T/err"
notok 1 "ward run --db on it fails closed" "$WARD" run --db "$U" --audit "$T/au.db" "$T/ran.lua"
has "... saying how to create the store" 'create it with `ward policy load --db postgresql://ward@' "$T/err"
hasnt "... before the script ran" 'RAN' "$T/out"
if [ "$(pg_psql s "SELECT to_regclass('ward.schema_migrations') IS NULL")" = t ]; then
  pass "... and neither created the schema"
else fail "... and neither created the schema"; fi

ok "the first load creates it" "$WARD" policy load --db "$U" "$T/a.policy"
if [ "$(pg_psql s 'SELECT max(version) FROM ward.schema_migrations')" = 2 ]; then
  pass "... at the version this ward knows (2)"
else fail "... at the version this ward knows (2)"; fi
if [ "$(pg_psql s "SELECT value FROM ward.meta WHERE key = 'version'")" = 1 ]; then
  pass "... holding the load as version 1"
else fail "... holding the load as version 1"; fi
"$WARD" policy load --db "$U" "$T/a.policy" > /dev/null 2>&1
if [ "$(pg_psql s 'SELECT count(*) FROM ward.schema_migrations')" = 2 ]; then
  pass "a second load migrates nothing"
else fail "a second load migrates nothing"; fi

pg_psql s 'INSERT INTO ward.schema_migrations (version) VALUES (99)'
printf 'policy "app" {\n  allow env.read on "USER";\n}\nactor "main" { scope = ["app"]; }\n' > "$T/a.policy"
notok 1 "a load into a schema newer than this ward is refused" "$WARD" policy load --db "$U" "$T/a.policy"
has "... saying to upgrade ward" 'has version 99; this ward knows up to 2 (upgrade ward)' "$T/err"
if pg_psql s 'SELECT source FROM ward.files' | grep -q HOME; then pass "... and changed nothing"
else fail "... and changed nothing"; fi
notok 1 "list refuses it too" "$WARD" policy list --db "$U"
has "... saying so" 'has version 99' "$T/err"
notok 1 "ward run refuses it, before the script runs" "$WARD" run --db "$U" --audit "$T/au.db" "$T/ran.lua"
hasnt "... (it did not run)" 'RAN' "$T/out"
finish
