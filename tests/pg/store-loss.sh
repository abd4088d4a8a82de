#!/bin/sh
# store-loss.sh -- a running `ward run --db postgresql://...` whose server
# goes away keeps deciding with the policies it loaded (never allowing
# more), says so once on stderr and once in its audit (a row of kind
# notice), connects again when the server is back (saying so once) and
# then takes up a load made meanwhile or later. A server that stops
# answering (its process stopped, as behind a network gone) is taken as
# lost when the periodic version check goes unanswered, and does not keep
# the run from ending when its script does.
set -u
. "${WARD_SRCDIR:-$(dirname "$0")/../..}/tests/pg/lib.sh"
plan 24
pg_start
pg_createdb s
U=$(pg_uri s)
printf 'policy "app" {\n  allow env.read on "HOME";\n}\nactor "main" { scope = ["app"]; }\n' > "$T/app.policy"
ok "load a version that allows HOME, not USER" "$WARD" policy load --db "$U" "$T/app.policy"
cat > "$T/tick.lua" <<'LUA'
-- both decisions, every 20 ms, until USER is granted (or time runs out)
local limit = tonumber((...))
local t0, i = time.now(), 0
while time.now() - t0 < limit do
  local h = process.permissions.query{action = "env.read", resource = "HOME"}.state
  local u = process.permissions.query{action = "env.read", resource = "USER"}.state
  i = i + 1
  print("TICK " .. i .. " HOME=" .. h .. " USER=" .. u)
  if u == "granted" then print("GRANTED") return end
  time.sleep(20)
end
print("TIMEOUT")
LUA
ticks () { grep -c '^TICK' "$T/o"; }
wait_ticks () {  # wait_ticks N: until N more decisions were printed
  want=$(($(ticks) + $1)); i=0
  until [ "$(ticks)" -ge $want ] || [ $i -gt $((600 * ward_test_scale)) ]; do
    i=$((i + 1)); sleep 0.05
  done
}
"$WARD" run --db "$U" --audit "$T/au.db" "$T/tick.lua" "$(scaled_ms 60000)" > "$T/o" 2> "$T/e" &
wpid=$!
wait_for 30 '^TICK' "$T/o"
has "the running ward decides: HOME granted, USER denied" '^TICK 1 HOME=granted USER=denied$' "$T/o"

pg_stop > /dev/null 2>&1
wait_for 30 'policy store is lost' "$T/e"
has "the server stopped: ward says the store is lost" \
  '^ward: the policy store is lost (.*); the policies loaded (version 1) stay in force until it is back$' "$T/e"
has "... naming the server" 'postgresql://ward@' "$T/e"
wait_ticks 50                     # a second or so: reconnections fail meanwhile
if [ "$(grep -c '^TICK' "$T/o")" -gt 50 ]; then pass "it goes on deciding"
else fail "it goes on deciding" "$T/o"; fi
hasnt "... never allowing more than the policy loaded" 'USER=granted\|HOME=denied' "$T/o"
if [ "$(grep -c 'lost' "$T/e")" = 1 ]; then pass "... and said it once"
else fail "... and said it once" "$T/e"; fi

notok 1 "a load while the server is away fails" "$WARD" policy load --db "$U" "$T/app.policy"
has "... naming the server" 'cannot connect to postgresql://ward@' "$T/err"
pg_restart
wait_for 30 ' is back (version' "$T/e"
has "the server back: ward says so" '^ward: the policy store postgresql://ward@.* is back (version 1)$' "$T/e"
server=$(sed -n 's/^ward: the policy store \(.*\) is back (version 1)$/\1/p' "$T/e")
if [ -n "$server" ] && grep -qF "is lost ($server: " "$T/e"; then pass "... naming the server as it did when it was lost"
else fail "... naming the server as it did when it was lost ($server)" "$T/e"; fi
printf 'policy "app" {\n  allow env.read on "HOME";\n  allow env.read on "USER";\n}\nactor "main" { scope = ["app"]; }\n' > "$T/app.policy"
ok "a load that allows USER" "$WARD" policy load --db "$U" "$T/app.policy"
wait $wpid
has "... is taken up by the running ward" '^GRANTED$' "$T/o"
if [ "$(grep -c 'lost\|back' "$T/e")" = 2 ]; then pass "two lines on stderr in all"
else fail "two lines on stderr in all" "$T/e"; fi
"$WARD" audit --db "$T/au.db" --json > "$T/aj" 2>&1
has "the audit holds a notice of the loss" '"kind":"notice",.*"note":"the policy store is lost' "$T/aj"
has "... and one of its return" '"kind":"notice",.*is back (version 1)' "$T/aj"
"$WARD" audit --db "$T/au.db" > "$T/at" 2>&1
has "ward audit lists them as NOTE rows" ' NOTE  *the policy store is lost' "$T/at"
"$WARD" audit stats --db "$T/au.db" > "$T/as" 2>&1
has "... which stats counts neither as records nor as lost" '0 lost' "$T/as"

# a server that does not answer (its process stopped, as a network gone
# would leave it): taken as lost when the version check goes unanswered
pg_psql s "SELECT 1" > /dev/null
printf 'policy "app" {\n  allow env.read on "HOME";\n}\nactor "main" { scope = ["app"]; }\n' > "$T/app.policy"
"$WARD" policy load --db "$U" "$T/app.policy" > /dev/null 2>&1
: > "$T/o"
"$WARD" run --db "$U" --audit "$T/au2.db" "$T/tick.lua" "$(scaled_ms 60000)" > "$T/o" 2> "$T/e2" &
wpid=$!
wait_for 30 '^TICK' "$T/o"
bpids=$(pg_psql s "SELECT pid FROM pg_stat_activity WHERE application_name = 'ward'")
if [ -n "$bpids" ] && kill -STOP $bpids; then pass "the server process of the running ward is stopped"
else fail "the server process of the running ward is stopped"; fi
wait_for 30 'policy store is lost' "$T/e2"
has "an unanswered version check: ward says the store is lost" 'lost (.*no answer in [0-9]* ms)' "$T/e2"
wait_ticks 20
hasnt "... deciding as before meanwhile" 'USER=granted\|HOME=denied' "$T/o"
kill -CONT $bpids
wait_for 30 ' is back (version' "$T/e2"
has "... and back on a new connection" ' is back (version' "$T/e2"
printf 'policy "app" {\n  allow env.read on "HOME";\n  allow env.read on "USER";\n}\nactor "main" { scope = ["app"]; }\n' > "$T/app.policy"
"$WARD" policy load --db "$U" "$T/app.policy" > /dev/null 2>&1
wait $wpid
has "... taking up a later load" '^GRANTED$' "$T/o"

# a run ends when its script does, whatever its server does meanwhile
printf 'print("READY")\ntime.sleep(tonumber((...)))\nprint("DONE")\n' > "$T/nap.lua"
"$WARD" run --db "$U" --audit "$T/au3.db" "$T/nap.lua" "$(scaled_ms 2000)" > "$T/o3" 2> "$T/e3" &
wpid=$!
wait_for 30 READY "$T/o3"
bpids=$(pg_psql s "SELECT pid FROM pg_stat_activity WHERE application_name = 'ward'")
[ -n "$bpids" ] && kill -STOP $bpids
if ends_within 30 $wpid && [ $rc = 0 ] && grep -q DONE "$T/o3"; then
  pass "a run whose server stopped answering still ends when its script does"
else fail "a run whose server stopped answering still ends when its script does (status $rc)" "$T/o3" "$T/e3"; fi
[ -n "$bpids" ] && kill -CONT $bpids
finish
