#!/bin/sh
# audit-follow.sh -- `ward audit --follow` on a local trail (SQLite): a
# follower started before any run waits for the database, prints the
# denials of a `ward run --audit FILE` in the background as they are
# committed (a table row or, with --json, one JSON object per line), keeps
# to its filters (--actor, --host), starts with the last --limit records,
# stops on SIGTERM or SIGINT with status 0, ends quietly when its
# reader goes away (`| head -1`), and follows a database moved away or
# removed and made again (rotated) from its first record.
set -u
. "${WARD_SRCDIR:-$(dirname "$0")/../..}/tests/policy/lib.sh"
plan 30
SCALE=$ward_test_scale

stop () {  # stop PID SIGNAL : send it and collect the status into $rc
  kill "-$2" "$1"; wait "$1"; rc=$?
}

printf 'policy "p" { allow process.send on "**"; }\nactor "main" { scope = ["p"]; }\n' > "$T/p.policy"
cat > "$T/deny.lua" <<'LUA'
-- denials named by the argument, then wait for the signal
local tag = ... or "a"
for i = 1, 3 do process.registry.register(tag .. i) end
print("denied")
process.events():receive()
LUA
DB=$T/f.db

# ---- a follower that starts first ----
$AUDIT --follow --json --db "$DB" > "$T/j" 2> "$T/je" &
fj=$!
$AUDIT --follow --db "$DB" > "$T/t" 2> "$T/te" &
ft=$!
$AUDIT --follow --json --db "$DB" --actor nobody > "$T/n" 2> "$T/ne" &
fn=$!
if wait_for 60 "waiting for" "$T/je"; then pass "a follower of a database not written yet waits for it"
else fail "a follower of a database not written yet waits for it" "$T/je"; fi
has "... naming it" "waiting for \`$DB\`" "$T/je"

"$WARD" run --policy "$T/p.policy" --audit "$DB" "$T/deny.lua" a > "$T/r1" 2>&1 &
r1=$!
if wait_for 60 '"resource":"a3"' "$T/j"; then pass "the run's denials are followed as they are committed"
else fail "the run's denials are followed as they are committed" "$T/j" "$T/je"; fi
ok "... one JSON object a line, in order" sh -c "grep -o '\"resource\":\"a[0-9]\"' '$T/j' | tr '\n' ' ' | grep -qx '\"resource\":\"a1\" \"resource\":\"a2\" \"resource\":\"a3\" '"
ok "... every line an object" sh -c "! grep -v '^{\"serial\":.*}$' '$T/j'"
if wait_for 60 ' a3 ' "$T/t"; then pass "without --json: rows of the listing's table"
else fail "without --json: rows of the listing's table" "$T/t" "$T/te"; fi
has "... under its header, once" "^SERIAL .*ACTOR.*RESOURCE" "$T/t"

"$WARD" run --policy "$T/p.policy" --audit "$DB" "$T/deny.lua" b > "$T/r2" 2>&1 &
r2=$!
if wait_for 60 '"resource":"b3"' "$T/j"; then pass "a second run's denials too"
else fail "a second run's denials too" "$T/j" "$T/je"; fi
wait_for 60 ' b3 ' "$T/t"
ok "... each record once" test "$(grep -c '"kind"' "$T/j")" -eq 6
ok "... in the table too" test "$(grep -c 'register' "$T/t")" -eq 6
ok "... the header not repeated" test "$(grep -c '^SERIAL' "$T/t")" -eq 1
hasnt "a filter applies to followed records" '"serial"' "$T/n"

stop "$fj" TERM
ok "SIGTERM stops a follower with status 0" test "$rc" -eq 0
stop "$ft" INT
ok "SIGINT too" test "$rc" -eq 0
stop "$fn" TERM
ok "... (that follower ran until stopped)" test "$rc" -eq 0

# ---- the tail first ----
$AUDIT --follow --json --db "$DB" --limit 2 > "$T/l" 2> "$T/le" &
fl=$!
wait_for 60 '"resource":"b3"' "$T/l"
stop "$fl" TERM
ok "--limit 2: the last two records, then new ones" test "$(grep -c '"serial"' "$T/l")" -eq 2
has "... the newest" '"resource":"b2"' "$T/l"
$AUDIT --follow --db "$DB" --host no-such-host > "$T/h" 2> "$T/he" &
fh=$!
$AUDIT --follow --db "$DB" --host "$(uname -n)" --json --limit 1 > "$T/h2" 2> "$T/he2" &
fh2=$!
wait_for 60 '"resource":"b3"' "$T/h2"
stop "$fh" TERM
stop "$fh2" TERM
ok "--host: the records of the runs of that host" grep -q '"resource":"b3"' "$T/h2"
hasnt "... none of another host" 'register' "$T/h"

notok 2 "--follow goes with the listing only" $AUDIT stats --follow --db "$DB"
has "... saying so" "goes with the listing" "$T/err"

# ---- --host without --follow ----
ok "--host on a local trail: the runs of that host" $AUDIT --db "$DB" --host "$(uname -n)" --json
ok "... all six records" test "$(grep -c '"serial"' "$T/out")" -eq 6
notok 1 "... another host's: none" sh -c "$AUDIT --db '$DB' --host 'no-such-*' | grep -q register"

# ---- a reader that goes away ----
( $AUDIT --follow --db "$DB" --json; echo "$?" > "$T/prc" ) 2> "$T/pe" | head -n 1 > "$T/p1" &
pp=$!
i=0; until [ -s "$T/prc" ] || [ "$i" -gt $((1200 * SCALE)) ]; do i=$((i + 1)); sleep 0.05; done
ok "a follower whose reader went away (| head -1) ends" test -s "$T/prc"
ok "... with status 0, saying nothing" sh -c "test \"\$(cat '$T/prc')\" = 0 && ! test -s '$T/pe'"
wait "$pp" 2>/dev/null

# ---- the database rotated under a follower ----
printf 'for i = 1, 3 do process.registry.register(((...) or "r") .. i) end\n' > "$T/once.lua"
G=$T/g.db
"$WARD" run --policy "$T/p.policy" --audit "$G" "$T/once.lua" old > /dev/null 2>&1
$AUDIT --follow --json --db "$G" > "$T/g" 2> "$T/ge" &
fg=$!
wait_for 60 '"resource":"old3"' "$T/g"
mv "$G" "$T/g.old"; rm -f "$G-wal" "$G-shm"
"$WARD" run --policy "$T/p.policy" --audit "$G" "$T/once.lua" new > /dev/null 2>&1
if wait_for 60 '"resource":"new3"' "$T/g"; then pass "a database moved away and made again: the follower follows the new one"
else fail "a database moved away and made again: the follower follows the new one" "$T/g" "$T/ge"; fi
has "... saying so" "\`$G\` was replaced or removed; following the new one" "$T/ge"
rm -f "$G" "$G-wal" "$G-shm"
"$WARD" run --policy "$T/p.policy" --audit "$G" "$T/once.lua" third > /dev/null 2>&1
if wait_for 60 '"resource":"third3"' "$T/g"; then pass "... removed and made again: the same"
else fail "... removed and made again: the same" "$T/g" "$T/ge"; fi
stop "$fg" TERM
ok "... nothing twice, nothing missed: $(grep -c '"serial"' "$T/g") records" \
  test "$(grep -o '"resource":"[a-z0-9]*"' "$T/g" | tr '\n' ' ')" = '"resource":"old1" "resource":"old2" "resource":"old3" "resource":"new1" "resource":"new2" "resource":"new3" "resource":"third1" "resource":"third2" "resource":"third3" '

kill -TERM "$r1" "$r2" 2>/dev/null; wait "$r1" "$r2" 2>/dev/null
finish
