#!/bin/sh
# store-roles.sh -- the grants ward-fleet(7) gives for a PostgreSQL store
# are enough, and no more is needed: an owner with CREATE on the database
# makes the schema (the first load); a role with USAGE on the schema and
# SELECT, INSERT, UPDATE, DELETE on the store tables loads, removes and
# rolls back; a role with SELECT only runs ward, lists and explains, and
# its load is refused by the server with a clear error.
set -u
. "${WARD_SRCDIR:-$(dirname "$0")/../..}/tests/pg/lib.sh"
plan 12
pg_start
pg_createdb s
uri_as () { pg_uri s | sed "s|://ward@|://$1@|"; }
pg_psql s "CREATE ROLE ward_owner LOGIN; GRANT CREATE ON DATABASE s TO ward_owner;
  CREATE ROLE ward_loader LOGIN; CREATE ROLE ward_runner LOGIN"
printf 'policy "app" {\n  allow env.read on "HOME";\n}\nactor "main" { scope = ["app"]; }\n' > "$T/app.policy"
ok "the owner's first load creates the schema" "$WARD" policy load --db "$(uri_as ward_owner)" "$T/app.policy"
TABLES='ward.meta, ward.files, ward.policies, ward.rules, ward.actors, ward.hosts, ward.sandboxes, ward.history, ward.history_files'
pg_psql s "SET ROLE ward_owner;
  GRANT USAGE ON SCHEMA ward TO ward_loader, ward_runner;
  GRANT SELECT ON ward.schema_migrations, $TABLES TO ward_loader, ward_runner;
  GRANT INSERT, UPDATE, DELETE ON $TABLES TO ward_loader"
printf 'policy "app" {\n  allow env.read on "HOME";\n  allow env.read on "USER";\n}\nactor "main" { scope = ["app"]; }\n' > "$T/app.policy"
ok "a loader loads" "$WARD" policy load --db "$(uri_as ward_loader)" "$T/app.policy"
ok "... rolls back" "$WARD" policy rollback --db "$(uri_as ward_loader)" --to 1
ok "... and lists the history" "$WARD" policy history --db "$(uri_as ward_loader)"
has "... of three versions" '^3 .* rollback to 1 ' "$T/out"
printf 'print(process.permissions.query{action = "env.read", resource = "HOME"}.state)\n' > "$T/q.lua"
ok "a runner runs ward on the store" "$WARD" run --db "$(uri_as ward_runner)" --audit "$T/au.db" "$T/q.lua"
has "... decided by it" '^granted$' "$T/out"
ok "... lists it" "$WARD" policy list --db "$(uri_as ward_runner)"
ok "... and explains a decision" "$WARD" policy explain --db "$(uri_as ward_runner)" --actor main --action env.read --resource HOME
notok 1 "a runner's load is refused" "$WARD" policy load --db "$(uri_as ward_runner)" "$T/app.policy"
has "... by the server, saying so" 'permission denied' "$T/err"
if [ "$(pg_psql s "SELECT value FROM ward.meta WHERE key = 'version'")" = 3 ]; then
  pass "... and nothing changed"
else fail "... and nothing changed"; fi
finish
