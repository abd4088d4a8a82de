#!/bin/sh
# timeout-scale.sh -- WARD_TEST_TIMEOUT_SCALE reaches every kind of test:
# the shell helper scales by it, and a bad value stops a shell test, a C
# unit test (tap.h) and a Lua test (run-lua-test.sh, tap.lua) with an
# error naming the variable. TAP.
: "${WARD:=./ward}"
S=${WARD_SRCDIR:-.}
B=${WARD_BUILDDIR:-.}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ward-scale.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT INT TERM
n=0
failed=0
ok () {   # ok STATUS NAME
  n=$((n + 1))
  if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; failed=$((failed + 1)); fi
}
names_it () {   # names_it FILE: the output names the variable and the range
  grep -q 'WARD_TEST_TIMEOUT_SCALE.*want an integer from 1 to 1000' "$1"
}

# the shell helper
printf '. "%s/tests/scale.sh"\necho "$(scaled_s 20) $(scaled_ms 300)"\n' "$S" > "$tmp/use.sh"
out=$(env -u WARD_TEST_TIMEOUT_SCALE sh "$tmp/use.sh")
[ "$out" = "20 300" ]; ok $? "scale.sh: unset means 1 ($out)"
out=$(WARD_TEST_TIMEOUT_SCALE=7 sh "$tmp/use.sh")
[ "$out" = "140 2100" ]; ok $? "scale.sh: 7 multiplies both ($out)"
out=$(WARD_TEST_TIMEOUT_SCALE=1000 sh "$tmp/use.sh")
[ "$out" = "20000 300000" ]; ok $? "scale.sh: 1000 is the largest accepted ($out)"
for v in 0 1001 abc 2.5 -3 010 ' 4' "$(printf '3\nx')"; do
  WARD_TEST_TIMEOUT_SCALE=$v sh "$tmp/use.sh" > "$tmp/out" 2>&1
  rc=$?
  [ $rc -eq 99 ] && names_it "$tmp/out" && ! grep -q '^[0-9]* [0-9]*$' "$tmp/out"
  ok $? "scale.sh: \"$(printf %s "$v" | tr '\n' '?')\" stops the test (status 99) naming the variable"
done

# a C unit test
WARD_TEST_TIMEOUT_SCALE=x "$B/tests/unit/test-sched" > "$tmp/out" 2>&1
rc=$?
[ $rc -eq 99 ] && names_it "$tmp/out" && grep -q '^Bail out!' "$tmp/out"
ok $? "tap.h: a bad value bails out of a C test (status $rc)"

# a Lua test, through the runner and through t.setup itself
mkdir "$tmp/lua"
cp "$S/tests/lua/tap.lua" "$tmp/lua/"
cat > "$tmp/lua/probe.lua" <<'LUA'
local t = require("tap").setup(...)
print("scale " .. t.scale .. " " .. t.ms(250))
LUA
WARD="$WARD" WARD_TEST_TIMEOUT_SCALE=4 sh "$S/tests/lua/run-lua-test.sh" "$tmp/lua/probe.lua" > "$tmp/out" 2>&1
grep -q '^scale 4 1000$' "$tmp/out"; ok $? "run-lua-test.sh hands the scale to tap.lua (t.ms(250) is 1000 at 4)"
WARD="$WARD" WARD_TEST_TIMEOUT_SCALE=abc sh "$S/tests/lua/run-lua-test.sh" "$tmp/lua/probe.lua" > "$tmp/out" 2>&1
rc=$?
[ $rc -eq 99 ] && names_it "$tmp/out"; ok $? "run-lua-test.sh: a bad value stops the Lua test (status $rc)"
"$WARD" run "$tmp/lua/probe.lua" timeout-scale=0 > "$tmp/out" 2>&1
rc=$?
[ $rc -eq 1 ] && names_it "$tmp/out"; ok $? "tap.lua refuses a bad scale itself (exit $rc)"
"$WARD" run "$tmp/lua/probe.lua" > "$tmp/out" 2>&1
rc=$?
[ $rc -eq 1 ] && grep -q 'no timeout-scale=N argument' "$tmp/out"
ok $? "tap.lua refuses to guess when no scale was given (exit $rc)"

echo "1..$n"
[ $failed -eq 0 ]
