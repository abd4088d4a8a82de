#!/bin/sh
# store-reload.sh -- hot reload across hosts: two running `ward run --db
# postgresql://...` take up a `ward policy load` made by a third process
# (NOTIFY ward_policy); a change that sent no notification (the version
# moved by hand) is taken up by the periodic version check.
set -u
. "${WARD_SRCDIR:-$(dirname "$0")/../..}/tests/pg/lib.sh"
plan 9
pg_start
pg_createdb fleet
U=$(pg_uri fleet)
v1='policy "app" {\n  allow env.read on "HOME";\n}\nactor "main" { scope = ["app"]; }\n'
printf "$v1" > "$T/app.policy"
ok "load version 1" "$WARD" policy load --db "$U" "$T/app.policy"
cp "$S/tests/pg/until-granted.lua" "$T/loop.lua"
"$WARD" run --db "$U" --audit "$T/a1.db" "$T/loop.lua" "$(scaled_ms 30000)" USER > "$T/o1" 2> "$T/e1" &
p1=$!
"$WARD" run --db "$U" --audit "$T/a2.db" "$T/loop.lua" "$(scaled_ms 30000)" USER > "$T/o2" 2> "$T/e2" &
p2=$!
wait_for 30 READY "$T/o1"; wait_for 30 READY "$T/o2"
has "the first running ward is denied USER" '^READY denied$' "$T/o1"
has "... and the second" '^READY denied$' "$T/o2"
printf 'policy "app" {\n  allow env.read on "HOME";\n  allow env.read on "USER";\n}\nactor "main" { scope = ["app"]; }\n' > "$T/app.policy"
ok "a third process loads a version that allows USER" "$WARD" policy load --db "$U" "$T/app.policy"
wait $p1; wait $p2
has "the first ward takes it up" '^GRANTED$' "$T/o1"
has "... and the second" '^GRANTED$' "$T/o2"

# no notification: the version and a file changed behind ward's back
"$WARD" run --db "$U" --audit "$T/a3.db" "$T/loop.lua" "$(scaled_ms 30000)" LANG > "$T/o3" 2> "$T/e3" &
p3=$!
wait_for 30 READY "$T/o3"
has "a running ward is denied LANG" '^READY denied$' "$T/o3"
pg_psql fleet "UPDATE ward.files SET source = replace(source, '\"USER\"', '\"LANG\"');
  UPDATE ward.meta SET value = value + 1 WHERE key = 'version'"
wait $p3
has "a change without NOTIFY is taken up by the version check" '^GRANTED$' "$T/o3"
if [ ! -s "$T/e1" ] && [ ! -s "$T/e2" ] && [ ! -s "$T/e3" ]; then pass "no ward said anything on stderr"
else fail "no ward said anything on stderr" "$T/e1" "$T/e2" "$T/e3"; fi
finish
