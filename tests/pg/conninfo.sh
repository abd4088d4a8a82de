#!/bin/sh
# conninfo.sh -- every spelling of a PostgreSQL store that ward(1) and
# ward-fleet(7) promise works end to end: a postgresql:// URI, postgres://,
# libpq's key=value form, `postgresql://` alone with the PG* variables,
# and a password from a password file (PGPASSFILE, as ~/.pgpass) for a
# role the server asks one of; a wrong password is refused, naming the
# server without it.
set -u
. "${WARD_SRCDIR:-$(dirname "$0")/../..}/tests/pg/lib.sh"
plan 12
pg_start
pg_createdb c
printf 'policy "app" {\n  allow env.read on "HOME";\n}\nactor "main" { scope = ["app"]; }\n' > "$T/a.policy"
ok "a postgresql:// URI" "$WARD" policy load --db "$(pg_uri c)" "$T/a.policy"
ok "a postgres:// URI" "$WARD" policy list --db "$(pg_uri c | sed 's|^postgresql://|postgres://|')"
has "... names the store" '^policy store postgresql://ward@' "$T/out"
ok "libpq's key=value form" "$WARD" policy list --db "$(pg_kv c)"
ok "postgresql:// alone, with PGHOST, PGUSER and PGDATABASE" \
  env PGHOST="$PGSOCK" PGUSER="$PGUSER_TEST" PGDATABASE=c "$WARD" policy list --db postgresql://
has "... names the server the variables name" "^policy store postgresql://ward@\[$PGSOCK\]" "$T/out"

# a role that must give a password (scram), the password in a password file
pg_psql c "CREATE ROLE pwuser LOGIN PASSWORD 'Str0ng-secret';
  GRANT USAGE ON SCHEMA ward TO pwuser;
  GRANT SELECT ON ALL TABLES IN SCHEMA ward TO pwuser"
hba=$PGDIR/data/pg_hba.conf
{ echo "local all pwuser scram-sha-256"; cat "$hba"; } > "$T/hba" && cat "$T/hba" > "$hba"
pg_psql c "SELECT pg_reload_conf()" > /dev/null
printf '*:*:c:pwuser:Str0ng-secret\n' > "$T/pgpass"; chmod 600 "$T/pgpass"
KV="host=$PGSOCK user=pwuser dbname=c"
# the reload is asynchronous: wait until the server asks for the password
i=0; until ! PGPASSFILE=/dev/null "$WARD" policy list --db "$KV" > /dev/null 2>&1 \
  || [ $i -gt $((200 * ward_test_scale)) ]; do i=$((i + 1)); sleep 0.05; done
notok 1 "the role without its password is refused" env PGPASSFILE=/dev/null "$WARD" policy list --db "$KV"
has "... by the server's password check" 'password' "$T/err"
ok "its password from PGPASSFILE" env PGPASSFILE="$T/pgpass" "$WARD" policy list --db "$KV"
notok 1 "a wrong password in the URI is refused" env PGPASSFILE=/dev/null \
  "$WARD" policy list --db "postgresql://pwuser:WRONG-pw@$(printf %s "$PGSOCK" | sed 's|/|%2F|g')/c"
hasnt "... and the message does not show it" 'WRONG-pw' "$T/err"
ok "the right one in the URI works" env PGPASSFILE=/dev/null \
  "$WARD" policy list --db "postgresql://pwuser:Str0ng-secret@$(printf %s "$PGSOCK" | sed 's|/|%2F|g')/c"
finish
