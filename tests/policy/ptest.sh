#!/bin/sh
# ptest.sh -- `ward policy test` on real files: `by` clauses that pass and
# fail (a rule file:line, a policy, the default, an undeclared actor), every
# unknown name of a test file as an error at file:line:col with its "did you
# mean", --coverage as text and --json, --min-coverage, and the 36-rule
# plugin-host.policy whose test file reaches every rule.
. "$(dirname "$0")/lib.sh"
plan 60

cat > "$T/p.policy" <<'P'
policy "plugin" {
  allow process.send on "*" when resource == attr.parent;
  allow process.spawn on "tools.*";
  deny process.spawn on "tools.evil";
  allow lua.require on "util" when actor.meta.tier == "gold";
}
actor "plugin.*" { tier = "gold"; scope = ["plugin"]; }
P
ptest () { "$WARD" policy test --policy "$T/p.policy" "$@"; }
line () { printf '%s\n' "$1" > "$T/t.tests"; }

# ---- by: what decided ---------------------------------------------------
cat > "$T/t.tests" <<'X'
allow plugin.a process.spawn tools.zip by p.policy:3
deny  plugin.a process.spawn tools.evil by p.policy:4
deny  plugin.a process.spawn other by default
allow plugin.a process.spawn tools.zip by policy plugin
deny  plugin.a process.spawn tools.zip meta.tier=x by undeclared scope=plugin
deny  stranger process.spawn tools.zip by undeclared
X
notok 1 "by: an undeclared-actor expectation with a scope fails" ptest "$T/t.tests"
has "... because its scope decides it (no rule: the default)" '^5 .*FAIL' "$T/out"
sed -i '5d' "$T/t.tests"
ok "by: a rule's file:line, a policy, the default, undeclared all hold" ptest "$T/t.tests"
has "... 5 passed" '^5 passed, 0 failed$' "$T/out"
line 'deny plugin.a process.spawn tools.evil by default'
notok 1 "deny by default fails when an explicit deny decided" ptest "$T/t.tests"
has "... marked FAIL" '^1 .*deny   deny   FAIL' "$T/out"
has "... saying what decided" 'FAIL: expected deny by default (no rule matched); decided by: .*p.policy:4 (policy "plugin")' "$T/out"
line 'deny plugin.a process.spawn nothing by p.policy:4'
notok 1 "deny by a rule fails when no rule matched" ptest "$T/t.tests"
has "... saying the default decided" 'expected deny by p.policy:4; decided by: no rule matched (default deny)' "$T/out"
line 'allow plugin.a process.spawn tools.zip by p.policy:5'
notok 1 "allow by the wrong allow rule fails" ptest "$T/t.tests"
has "... naming the rule that did" 'decided by: .*p.policy:3' "$T/out"
line 'deny plugin.a process.spawn tools.evil by policy plugin'
ok "deny by policy holds" ptest "$T/t.tests"
line 'deny plugin.a process.spawn tools.evil by oops'
notok 1 "by with no FILE:LINE is an error" ptest "$T/t.tests"
has "... at its column" 't.tests:1:43: error: `by oops`: expected FILE:LINE' "$T/err"

# the attributes of fs and net requests
cat > "$T/fsnet.policy" <<'P'
policy "p" {
  allow fs.read on "/srv/**" when attr.path == "a";
  allow net.connect on "h:1" when attr.address == "127.0.0.1";
}
actor "a" { scope = ["p"]; }
P
cat > "$T/fsnet.tests" <<'X'
allow a fs.read /srv/x path=a by fsnet.policy:2
deny  a fs.read /srv/x path=b by default
allow a net.connect h:1 address=127.0.0.1 by policy p
deny  a net.connect h:1 address=10.0.0.1 by default
X
ok "path= and address= are attribute keys of a test line" \
  "$WARD" policy test --policy "$T/fsnet.policy" "$T/fsnet.tests"
has "... 4 passed" '^4 passed, 0 failed$' "$T/out"

# ---- unknown names: errors with a position and a suggestion -------------
err_case () {  # err_case DESCRIPTION LINE EXPECTED-MESSAGE
  line "$2"
  notok 1 "$1" ptest "$T/t.tests"
  has "... $3" "$3" "$T/err"
}
err_case "an unknown action is an error" 'deny plugin.a process.spwan x' \
  't.tests:1:15: error: unknown action `process.spwan`; did you mean `process.spawn`?'
err_case "an undeclared actor is an error" 'deny plugn process.spawn x' \
  't.tests:1:6: error: actor `plugn` is not declared .*; did you mean `plugin.\*`?'
err_case "an unknown attribute key is an error" 'deny plugin.a process.spawn x paren=1' \
  't.tests:1:31: error: unknown attribute key `paren` .*; did you mean `parent`?'
err_case "an unknown metadata key is an error" 'deny plugin.a process.spawn x meta.teir=gold' \
  't.tests:1:31: error: unknown attribute key `meta.teir`.*; did you mean `meta.tier`?'
err_case "a scope naming no loaded policy is an error" 'deny plugin.a process.spawn x scope=plugn' \
  't.tests:1:31: error: scope names `plugn`.*; did you mean `plugin`?'
err_case "by an unknown policy is an error" 'deny plugin.a process.spawn x by policy plugn' \
  't.tests:1:41: error: `by policy "plugn"`: no policy of that name is loaded; did you mean `plugin`?'
err_case "by an unknown file is an error" 'deny plugin.a process.spawn x by q.policy:4' \
  't.tests:1:34: error: `by q.policy:4`: no rule of a loaded file named `q.policy`; did you mean `p.policy`?'
err_case "by a line where no rule starts is an error" 'deny plugin.a process.spawn x by p.policy:6' \
  't.tests:1:34: error: `by p.policy:6`: no rule starts at line 6 .*; did you mean `p.policy:5`?'
err_case "allow by a deny rule is an error" 'allow plugin.a process.spawn x by p.policy:4' \
  'error: `by p.policy:4`: that rule is a deny rule: it cannot decide `allow`'
err_case "allow by default is an error" 'allow plugin.a process.spawn x by default' \
  'error: `allow ... by default` can never hold'
hasnt "... an error line decides nothing" '^1 ' "$T/out"

# ---- coverage -----------------------------------------------------------
printf '%s\n' 'allow plugin.a process.spawn tools.zip' 'deny plugin.a process.spawn tools.evil' \
  > "$T/t.tests"
ok "--coverage with every expectation passing" ptest --coverage "$T/t.tests"
has "... the total" '^coverage: 2 of 4 rules reached (50.0%)$' "$T/out"
has "... per policy" '^  policy "plugin": 2 of 4 rules (50.0%)$' "$T/out"
has "... each rule no test reached, at file:line" "not reached: $T/p.policy:2: allow process.send" "$T/out"
hasnt "... not the rules a test reached" 'not reached: .*:3:' "$T/out"
ok "--coverage --json" ptest --coverage --json "$T/t.tests"
if python3 -m json.tool "$T/out" > /dev/null 2>&1; then pass "... is valid JSON"
else fail "... is valid JSON" "$T/out"; fi
python3 - "$T/out" > "$T/j" 2>&1 <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
c = d["coverage"]
print(d["passed"], d["failed"], d["errors"], c["rules"], c["reached"], c["percent"],
      [u["line"] for u in c["policies"][0]["unreached"]], d["results"][1]["decided_by"]["line"])
PY
has "... with the counts, unreached lines and deciding rules" '^2 0 0 4 2 50.0 \[2, 5\] 4$' "$T/j"
notok 1 "--min-coverage 60 fails at 50%" ptest --min-coverage 60 "$T/t.tests"
has "... saying so" 'coverage 50.0% is below --min-coverage 60%' "$T/err"
ok "--min-coverage 50 passes at 50%" ptest --min-coverage=50 "$T/t.tests"
notok 2 "--min-coverage 101 is a usage error" ptest --min-coverage 101 "$T/t.tests"

# ---- from a store: files stored under canonical paths -------------------
"$WARD" policy load --db "$T/s.db" "$T/p.policy" > /dev/null 2>&1
printf '%s\n' 'allow plugin.a process.spawn tools.zip by p.policy:3' \
  'deny plugin.a process.spawn tools.evil by policy plugin' > "$T/t.tests"
ok "--db: by names a stored file by its last component" \
  "$WARD" policy test --db "$T/s.db" --coverage "$T/t.tests"
has "... and coverage names the stored file" "not reached: .*/p.policy:5:" "$T/out"

# ---- a policy of 36 rules, every one reached -----------------------------
cd "$S/tests/policy" || exit 1
ok "plugin-host.tests passes against plugin-host.policy with --min-coverage 100" \
  "$WARD" policy test --policy plugin-host.policy --min-coverage 100 plugin-host.tests
has "... 36 of 36 rules" '^coverage: 36 of 36 rules reached (100.0%)$' "$T/out"
# a test file that holds no expectation (empty, or only comments) tests
# nothing: it fails, so that a truncated file does not pass a CI gate
printf '# nothing here yet\n\n' > "$T/none.tests"
notok 1 "a test file with no expectation fails" "$WARD" policy test --policy "$S/tests/policy/plugin-host.policy" "$T/none.tests"
has "... saying so" 'holds no expectation' "$T/err"
notok 1 "... also with --json" "$WARD" policy test --json --policy "$S/tests/policy/plugin-host.policy" "$T/none.tests"
# target.names or scope longer than a request holds is an error, not a
# list cut short (a deny on a name left out would not apply)
printf 'policy "p" {\n  allow process.send on "*";\n  deny process.send on "*" when target.names has "n70";\n}\nactor "main" { scope = ["p"]; }\n' > "$T/n70.policy"
names=n1; i=2; while [ $i -le 70 ]; do names="$names,n$i"; i=$((i + 1)); done
printf 'deny main process.send "{ward:main|0x1}" target.names=%s\n' "$names" > "$T/n70.tests"
notok 1 "70 target.names: an error, not an allow on the first 64" "$WARD" policy test --policy "$T/n70.policy" "$T/n70.tests"
has "... saying why" 'too many names in target.names' "$T/err"
notok 2 "... in explain too" "$WARD" policy explain --policy "$T/n70.policy" --actor main \
  --action process.send --resource '{ward:main|0x1}' --attr "target.names=$names"
printf 'deny main process.send "{ward:main|0x1}" scope=%s\n' "$names" > "$T/s70.tests"
notok 1 "a scope of 70 policies: an error too" "$WARD" policy test --policy "$T/n70.policy" "$T/s70.tests"
finish
