#!/bin/sh
# audit-learn.sh -- learning from the audit, end to end with ./ward:
# `ward audit suggest --policy FILE / --policy-db DB` leaves out what the
# current policy already allows (and says how many), `--split` gives one
# rule per action, and `ward audit` refuses a run that does not exist and
# a misspelt option (with a "did you mean").
set -u
. "${WARD_SRCDIR:-$(dirname "$0")/../..}/tests/policy/lib.sh"
plan 22

A=$T/app
mkdir -p "$A"
cat > "$A/app.lua" <<'EOS'
-- three modules (lua.require) and a name (process.registry.register)
require "m1"
require "m2"
require "m3"
assert(process.registry.register("app.svc"))
EOS
for m in m1 m2 m3; do echo 'return {}' > "$A/$m.lua"; done
printf 'policy "base" {\n  allow process.host on "ward:main";\n}\n' > "$T/base.policy"
ok "a permissive run records its would-be denials" \
  "$WARD" run --permissive --policy "$T/base.policy" --audit "$T/a.db" "$A/app.lua"

# 1. suggest against the current policy
$AUDIT suggest --db "$T/a.db" > "$T/all.policy" 2> "$T/all.err"
has "without --policy: every denial is suggested (m1)" '"m1"' "$T/all.policy"
has "... and the name" 'allow process.registry.register on "app.svc";' "$T/all.policy"
cat > "$T/now.policy" <<'EOS'
# what was granted since the run
policy "now" {
  allow lua.require on "m1", "m2";
}
actor "main" { scope = ["base", "now"]; }
EOS
ok "suggest --policy exits 0" $AUDIT suggest --db "$T/a.db" --policy "$T/base.policy" \
  --policy "$T/now.policy"
cp "$T/out" "$T/left.policy"; cp "$T/err" "$T/left.err"
hasnt "what the current policy allows is left out (m1)" '"m1"' "$T/left.policy"
hasnt "... (m2)" '"m2"' "$T/left.policy"
has "what it does not allow is still suggested" 'allow lua.require on "m3";' "$T/left.policy"
has "... with the name" 'allow process.registry.register on "app.svc";' "$T/left.policy"
has "it says how many were left out, in the text" '# 2 denials left out: the current policy' "$T/left.policy"
has "... and on stderr" '2 denials left out' "$T/left.err"
ok "the rest passes \`ward policy check\`" \
  "$WARD" policy check "$T/base.policy" "$T/left.policy"

ok "the same from a policy store: load it" \
  "$WARD" policy load --db "$T/st.db" "$T/base.policy" "$T/now.policy"
$AUDIT suggest --db "$T/a.db" --policy-db "$T/st.db" > "$T/left2.policy" 2>&1
has "suggest --policy-db leaves out the same" '# 2 denials left out: the current policy (--policy-db' "$T/left2.policy"
hasnt "... (m1)" '"m1"' "$T/left2.policy"
printf 'policy "x" {\n  allow lua.requir on "m1";\n}\n' > "$T/bad.policy"
notok 1 "a current policy that does not check is an error (fail closed)" \
  $AUDIT suggest --db "$T/a.db" --policy "$T/bad.policy"
has "... with its diagnostics" 'bad.policy:2' "$T/err"
notok 2 "--policy and --policy-db together: usage error" \
  $AUDIT suggest --db "$T/a.db" --policy "$T/base.policy" --policy-db "$T/st.db"
notok 2 "--policy outside suggest: usage error" $AUDIT --db "$T/a.db" --policy "$T/base.policy"

# 2. --split: one rule per action
cat > "$A/two.lua" <<'EOS'
local p = assert(process.spawn("two:child", "ward:main"))
process.monitor(p)
process.send(p, "x")
EOS
mkdir -p "$A/two"; echo 'process.inbox():receive()' > "$A/two/child.lua"
"$WARD" run --permissive --policy "$T/base.policy" --audit "$T/b.db" "$A/two.lua" > /dev/null 2>&1
$AUDIT suggest --db "$T/b.db" > "$T/joined.policy" 2>&1
has "without --split, actions on the same resources share a rule" \
  'allow process.monitor, process.send on' "$T/joined.policy"
$AUDIT suggest --db "$T/b.db" --split > "$T/split.policy" 2>&1
has "with --split, one rule per action (monitor)" '^  allow process.monitor on ' "$T/split.policy"
has "... (send)" '^  allow process.send on ' "$T/split.policy"
ok "the split suggestion checks" "$WARD" policy check "$T/base.policy" "$T/split.policy"
finish
