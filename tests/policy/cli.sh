#!/bin/sh
# cli.sh -- `ward policy` end to end: check, fmt, load, list, export,
# explain, test and --help, through the stand-alone tests/policy/wpol-cli.
set -u
B=${WARD_BUILDDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
S=${WARD_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
CLI="$B/tests/policy/wpol-cli"
T=$(mktemp -d /tmp/wpol-cli.XXXXXX)
trap 'rm -rf "$T"' EXIT
n=0
fails=0
ok () {   # ok DESCRIPTION COMMAND...
  n=$((n + 1)); d=$1; shift
  if "$@" >"$T/out" 2>"$T/err"; then echo "ok $n - $d"
  else echo "not ok $n - $d"; sed 's/^/# /' "$T/out" "$T/err"; fails=$((fails + 1)); fi
}
notok () {  # the command must fail with status 1
  n=$((n + 1)); d=$1; shift
  "$@" >"$T/out" 2>"$T/err"; rc=$?
  if [ $rc -eq 1 ]; then echo "ok $n - $d"
  else echo "not ok $n - $d (status $rc)"; sed 's/^/# /' "$T/out" "$T/err"; fails=$((fails + 1)); fi
}
has () {  # has DESCRIPTION PATTERN out|err: the last command's output matches
  n=$((n + 1))
  if grep -q -- "$2" "$T/$3"; then echo "ok $n - $1"
  else echo "not ok $n - $1"; sed 's/^/# /' "$T/$3"; fails=$((fails + 1)); fi
}

echo 1..23
P="$S/policies/default.policy"; U="$S/policies/untrusted.policy"
ok "shipped policies pass check" "$CLI" check "$P" "$U"
has "check reports no warning for them" "0 errors, 0 warnings" err
printf 'policy "p" {\n  allow process.spwan on "x";\n}\n' > "$T/bad.policy"
notok "check exits 1 on an error" "$CLI" check "$T/bad.policy"
has "... printing file:line:col and a suggestion" "bad.policy:2:9: error: unknown action \`process.spwan\`; did you mean \`process.spawn\`?" err
"$CLI" fmt "$P" > "$T/f1.policy"; "$CLI" fmt "$T/f1.policy" > "$T/f2.policy"
ok "fmt of fmt is identity" cmp "$T/f1.policy" "$T/f2.policy"
ok "load two files" "$CLI" load --db "$T/s.db" "$P" "$U"
notok "load of a bad file fails" "$CLI" load --db "$T/s.db" "$T/bad.policy"
ok "list shows the policies" sh -c "'$CLI' list --db '$T/s.db' | grep -q '^untrusted .*untrusted.policy:4'"
ok "list shows version 1 (the failed load changed nothing)" sh -c "'$CLI' list --db '$T/s.db' | grep -q 'version 1'"
"$CLI" export --db "$T/s.db" > "$T/export.policy"
ok "export loads into a new store" "$CLI" load --db "$T/s2.db" "$T/export.policy"
"$CLI" export --db "$T/s2.db" | grep -v '^# file: ' > "$T/e2"; grep -v '^# file: ' "$T/export.policy" > "$T/e1"
ok "export round-trips" cmp "$T/e1" "$T/e2"
ok "explain an allowed send" "$CLI" explain --db "$T/s.db" --actor untrusted --action process.send --resource '{ward:main|0x1}' --attr 'parent={ward:main|0x1}'
has "... names the deciding rule" "by: .*untrusted.policy:6 (policy \"untrusted\")" out
ok "explain a default deny" "$CLI" explain --policy "$U" --actor untrusted --action process.exec --resource x
has "... says no rule matched" "by: no rule matched (default deny)" out
cat > "$T/t.tests" <<'X'
# expect actor action resource [key=value]...
allow main process.spawn app.workers:resize
deny  untrusted process.spawn app.workers:resize
allow untrusted process.send "{ward:main|0x1}" parent={ward:main|0x1}
deny  untrusted process.host ward:main
X
ok "test: all expectations hold" "$CLI" test --db "$T/s.db" "$T/t.tests"
ok "explain and test take --db=FILE too" sh -c "'$CLI' explain --db='$T/s.db' --actor main --action process.spawn --resource x >/dev/null && '$CLI' test --db='$T/s.db' '$T/t.tests' >/dev/null"
echo "allow untrusted process.security security" >> "$T/t.tests"
notok "test: a failing expectation exits 1" "$CLI" test --policy "$P" --policy "$U" "$T/t.tests"
has "... and is marked FAIL" "FAIL" out
ok "every command has --help" sh -c "for c in check fmt load remove list export explain test; do '$CLI' \$c --help | grep -q \"usage: ward policy \$c\" || exit 1; done"
printf 'sandbox "s" {\n  memory = "64m"; cpu = "1.5s"; wall = "2000";\n}\nsandbox "t" { memory = "1.5GiB"; cpu = 2m; }\n' > "$T/units.policy"
ok "sizes and durations as the command line and Lua write them" "$CLI" load --db "$T/u.db" "$T/units.policy"
printf 'sandbox "s" {\n  memory = "64x";\n}\n' > "$T/badunit.policy"
notok "an unknown unit is an error" "$CLI" check "$T/badunit.policy"
has "... naming the text and the unit" 'badunit.policy:2:12: error: `memory`: bad size "64x": unknown unit "x"' err
exit 0
