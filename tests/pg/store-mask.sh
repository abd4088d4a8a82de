#!/bin/sh
# store-mask.sh -- a password in a --db connection string never shows:
# not in `ps` (/proc/PID/cmdline of a running ward), the list's header,
# the output and errors of `ward policy`, the audit's run row; a `ward
# run` that cannot reach its store fails closed, naming the server
# without the password, before the script runs. The connection to the
# server is close-on-exec, so no child inherits it. (The test server
# trusts every local connection: any password is accepted.)
set -u
. "${WARD_SRCDIR:-$(dirname "$0")/../..}/tests/pg/lib.sh"
plan 28
pg_start
pg_createdb s
SU=$(pg_uri s | sed 's|://ward@|://ward:SECRET@|')
printf 'policy "app" {\n  allow env.read on "HOME";\n}\nactor "main" { scope = ["app"]; }\n' > "$T/app.policy"
printf 'print("RAN")\n' > "$T/ran.lua"

ok "a load with a password in the URI" "$WARD" policy load --db "$SU" "$T/app.policy"
hasnt "... does not print it" SECRET "$T/out"
has "... names the server without it" '^loaded 1 file into postgresql://ward@' "$T/out"
ok "list" "$WARD" policy list --db "$SU"
has "... names the store in its header" '^policy store postgresql://ward@.*/s, version 1$' "$T/out"
hasnt "... without the password" SECRET "$T/out"
"$WARD" policy history --db "$SU" > "$T/h" 2>&1
hasnt "history does not show it" SECRET "$T/h"
notok 1 "remove of a name the store does not hold fails" "$WARD" policy remove --db "$SU" nosuch
hasnt "... its error does not show the password" SECRET "$T/err"
printf 'policy "app" {\n  allow env.reed on "HOME";\n}\n' > "$T/bad.policy"
notok 1 "a load with an error fails" "$WARD" policy load --db "$SU" "$T/bad.policy"
hasnt "... without showing the password" SECRET "$T/err"

# unreachable at the start: fails closed
notok 1 "ward run --db on a server that is not there fails" \
  "$WARD" run --db "postgresql://ward:SECRET@%2Fnonexistent/x" --audit "$T/au0.db" "$T/ran.lua"
has "... naming the server" 'cannot connect to postgresql://ward@\[/nonexistent\]/x' "$T/err"
hasnt "... without its password" SECRET "$T/err"
hasnt "... before the script ran" RAN "$T/out"
notok 1 "the key=value form too" \
  "$WARD" run --db "host=/nonexistent dbname=x password=SECRET" --audit "$T/au0.db" "$T/ran.lua"
hasnt "... without the password" SECRET "$T/err"

# a running ward
cp "$S/tests/pg/until-granted.lua" "$T/wait.lua"
"$WARD" run --db "$SU" --audit "$T/au.db" "$T/wait.lua" "$(scaled_ms 30000)" USER > "$T/o" 2> "$T/e" &
wpid=$!
i=0; until grep -q READY "$T/o" 2>/dev/null || [ $i -gt $((600 * ward_test_scale)) ]; do
  i=$((i + 1)); sleep 0.05
done
tr '\0' ' ' < "/proc/$wpid/cmdline" > "$T/cmdline"
hasnt "/proc/PID/cmdline of the running ward holds no password" SECRET "$T/cmdline"
has "... but stars" 'postgresql://ward:\*\*\*\*\*\*@' "$T/cmdline"
# every socket the ward holds (its store's connection among them) is
# close-on-exec (O_CLOEXEC, 02000000 in fdinfo's octal flags)
: > "$T/fds"
for f in /proc/$wpid/fd/*; do
  case $(readlink "$f") in
    socket:*) sed -n 's/^flags:[[:space:]]*//p' "/proc/$wpid/fdinfo/${f##*/}" >> "$T/fds" ;;
  esac
done
if [ -s "$T/fds" ] && ! grep -qv '^0*2[0-7]\{6\}$' "$T/fds"; then
  pass "the ward's sockets are close-on-exec"
else fail "the ward's sockets are close-on-exec" "$T/fds"; fi
printf 'policy "app" {\n  allow env.read on "USER";\n}\nactor "main" { scope = ["app"]; }\n' > "$T/app.policy"
"$WARD" policy load --db "$SU" "$T/app.policy" > /dev/null 2>&1
wait $wpid
if [ $? = 0 ] && ! grep -q TIMEOUT "$T/o"; then pass "a load ends the run (its reload works)"
else fail "a load ends the run (its reload works)" "$T/o" "$T/e"; fi
if cat "$T/au.db"* | grep -q SECRET; then fail "the audit (its run row's store) holds no password"
else pass "the audit (its run row's store) holds no password"; fi
if cat "$T/au.db"* | grep -aq 'store postgresql://ward@'; then pass "... which names the server"
else fail "... which names the server"; fi
# the same run auditing to the fleet's trail: the run row there too
"$WARD" run --db "$SU" "$T/ran.lua" > "$T/o5" 2> "$T/e5"
pg_psql s "SELECT store FROM ward.audit_runs" > "$T/runs"
has "a run auditing to PostgreSQL names its store in the trail's run row" '^store postgresql://ward@' "$T/runs"
hasnt "... without the password" SECRET "$T/runs"
# ward audit suggest --policy-db: its header names the store
printf 'print(process.permissions.query{action = "env.read", resource = "LANG"}.state)\n' > "$T/deny.lua"
"$WARD" run --db "$SU" --audit "$T/au2.db" "$T/deny.lua" > /dev/null 2>&1
ok "ward audit suggest --policy-db with the password" "$WARD" audit suggest --db "$T/au2.db" --policy-db "$SU"
has "... names the store" '(--policy-db postgresql://ward@' "$T/out"
hasnt "... without the password" SECRET "$T/out"
finish
