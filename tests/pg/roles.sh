#!/bin/sh
# roles.sh -- the roles and grants ward-fleet(7) tells a DBA to set up are
# enough, and no more: the SQL is taken from the page itself. The admin
# role creates the schema with its first load; the hosts' role runs
# scripts on the store and writes the trail but cannot change the store;
# the auditors' role reads the trail and nothing else.
set -u
. "${WARD_SRCDIR:-$(dirname "$0")/../..}/tests/pg/lib.sh"
plan 14

pg_start
pg_createdb ward
as () { echo "host=$PGSOCK user=$1 dbname=ward"; }
# the page's SQL: \- is -, and the .EX blocks of SETTING UP
sql_of () {  # sql_of FIRST-LINE: the .EX block of doc/ward-fleet.7 that starts so
  awk -v first="$1" '/^\.EX/{inb=1; buf=""; next} /^\.EE/{if (inb && keep) print buf; inb=0; keep=0; next}
    inb { line=$0; gsub(/\\-/, "-", line); if (buf == "" && index(line, first) == 1) keep=1; buf = buf line "\n" }' \
    "$S/doc/ward-fleet.7"
}
sql_of "CREATE DATABASE" | grep -v '^CREATE DATABASE' > "$T/admin.sql"
sql_of "-- the hosts" > "$T/grants.sql"
if [ -s "$T/admin.sql" ] && [ -s "$T/grants.sql" ]; then pass "ward-fleet(7) shows the roles and their grants"
else fail "ward-fleet(7) shows the roles and their grants" "$T/admin.sql" "$T/grants.sql"; fi
ok "the admin role is made as the page says" pg_psql ward "$(cat "$T/admin.sql")"

printf 'policy "p" {\n  allow process.host on "ward:main";\n}\nactor "main" { scope = ["p"]; }\n' > "$T/p.policy"
ok "the admin's first load creates the schema" "$WARD" policy load --db "$(as ward_admin)" "$T/p.policy"
ok "the host and auditor roles are granted as the page says" pg_psql ward "$(cat "$T/grants.sql")"

cat > "$T/deny.lua" <<'EOF2'
print(process.registry.register("not.granted"))
EOF2
ok "a host runs a script on the store, auditing to the trail" \
  "$WARD" run --db "$(as ward_host)" --audit "$(as ward_host)" "$T/deny.lua"
cnt=$(pg_psql ward "SELECT count(*) FROM ward.audit WHERE action = 'process.registry.register'")
if [ "$cnt" -ge 1 ] 2> /dev/null; then pass "... and its denial is in the trail"; else fail "... and its denial is in the trail (got $cnt)"; fi
printf 'policy "p" {\n  allow process.host on "ward:main";\n  allow process.registry.register on "*";\n}\nactor "main" { scope = ["p"]; }\n' > "$T/p.policy"
notok 1 "the host role cannot load a policy" "$WARD" policy load --db "$(as ward_host)" "$T/p.policy"
has "... PostgreSQL said why" 'permission denied' "$T/err"
v=$(pg_psql ward "SELECT value FROM ward.meta WHERE key = 'version'")
if [ "$v" = 1 ]; then pass "... and the store did not change"; else fail "... and the store did not change (version $v)"; fi
ok "the auditor role reads the trail" "$WARD" audit --db "$(as ward_auditor)" --denied
has "... every host's denials" 'not.granted' "$T/out"
printf 'policy "q" {\n  allow process.host on "ward:main";\n}\n' > "$T/q.policy"
ok "a loader role loads a policy" "$WARD" policy load --db "$(as ward_loader)" "$T/q.policy"
has "... which the store now holds" '+ policy "q"' "$T/out"
notok 1 "the auditor role cannot load a policy" "$WARD" policy load --db "$(as ward_auditor)" "$T/p.policy"
finish
