#!/bin/sh
# demos.sh -- the two demos README's first command runs: each ends with
# status 0, the hostile one reports every attempt contained, and its
# denials are in the audit database README then shows.
. "${WARD_SRCDIR:-.}/tests/lua/sandbox/lib.sh"
ex=${WARD_SRCDIR:-.}/examples

(cd "${WARD_SRCDIR:-.}" && "$WARD" run examples/demo.lua) > "$T/demo" 2> "$T/demo.err"
rc=$?
ok "examples/demo.lua ends with status 0" test "$rc" -eq 0
has "and prints its result" '^demo: sum of squares = 30$' "$T/demo"

(cd "${WARD_SRCDIR:-.}" && "$WARD" run --untrusted --audit "$T/a.db" examples/untrusted-demo.lua) \
  > "$T/out" 2> "$T/err"
rc=$?
skip_unless_sandbox "$T/err"
ok "examples/untrusted-demo.lua ends with status 0" test "$rc" -eq 0
[ "$rc" -eq 0 ] || sed 's/^/# /' "$T/err"
has "it says every attempt was contained" '^every attempt was contained' "$T/out"
n=$((n + 1))
if grep -q '^ESCAPED' "$T/out"; then
  echo "not ok $n - no attempt escaped"; grep '^ESCAPED' "$T/out" | sed 's/^/# /'; fails=$((fails + 1))
else echo "ok $n - no attempt escaped"; fi
contained=$(grep -c '^contained' "$T/out")
ok "at least 15 attempts were made and contained ($contained)" test "$contained" -ge 15
"$WARD" audit --db "$T/a.db" > "$T/audit" 2>&1
ok "ward audit reads the demo's database" test $? -eq 0
has "the audit lists a denied process.context" 'process.context' "$T/audit"
has "and the denied registration of logger" 'process.registry.register.*logger' "$T/audit"
finish
