#!/bin/sh
# audit-learn.sh -- learning from the audit, end to end with ./ward:
# `ward audit suggest --policy FILE / --policy-db DB` leaves out what the
# current policy already allows (and says how many), `--split` gives one
# rule per action, and `ward audit` refuses a run that does not exist and
# a misspelt option (with a "did you mean").
set -u
. "${WARD_SRCDIR:-$(dirname "$0")/../..}/tests/policy/lib.sh"
plan 57

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

# a request scope (:with_scope) is the scope the denial is asked again with
mkdir -p "$A/actors"
cat > "$A/scoped.lua" <<'EOS'
local b = assert(process.with_context({}))
local ev = process.events()
local pid = assert(b:with_actor("worker"):with_scope({ "sc", "extra" }):spawn_monitored("actors:reg", "ward:main"))
repeat local e = ev:receive() until e.kind == process.event.EXIT and e.from == pid
EOS
echo 'process.registry.register("w.svc")' > "$A/actors/reg.lua"
printf 'policy "sc" {\n  allow process.spawn, process.spawn.monitored on "actors:*";\n  allow process.host on "ward:main";\n  allow process.context on "context";\n  allow process.security on "security";\n}\nactor "main" { scope = ["sc"]; }\n' > "$T/sc.policy"
"$WARD" run --permissive --policy "$T/sc.policy" --audit "$T/sc.db" "$A/scoped.lua" > /dev/null 2>&1
printf 'policy "extra" {\n  allow process.registry.register on "w.svc";\n}\nactor "nobody" { scope = ["extra"]; }\n' > "$T/extra.policy"
printf 'policy "other" {\n  allow process.registry.register on "w.svc";\n}\nactor "nobody" { scope = ["other"]; }\n' > "$T/other.policy"
$AUDIT suggest --db "$T/sc.db" --policy "$T/sc.policy" > "$T/sc0.policy" 2>&1
has "a denial under a request scope is suggested when nothing allows it" 'on "w.svc"' "$T/sc0.policy"
$AUDIT suggest --db "$T/sc.db" --policy "$T/sc.policy" --policy "$T/extra.policy" > "$T/sc1.policy" 2>&1
hasnt "... left out when a policy of that scope allows it" 'on "w.svc"' "$T/sc1.policy"
$AUDIT suggest --db "$T/sc.db" --policy "$T/sc.policy" --policy "$T/other.policy" > "$T/sc2.policy" 2>&1
has "... kept when only a policy outside it does" 'on "w.svc"' "$T/sc2.policy"

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

# 3. quiet denials: `deny quietly` denies, counted, not recorded one by one
cat > "$T/q.policy" <<'EOS'
policy "q" {
  allow process.host on "ward:main";
  deny quietly lua.require on "noisy*";
  deny lua.require on "loud";
}
EOS
cat > "$A/noisy.lua" <<'EOS'
for i = 1, 5 do print(pcall(require, "noisy" .. i)) end
print(pcall(require, "loud"))
EOS
ok "a policy with \`deny quietly\` checks" "$WARD" policy check "$T/q.policy"
"$WARD" policy fmt "$T/q.policy" > "$T/fmt" 2>&1
has "the formatter keeps the word" '^  deny quietly lua.require on "noisy\*";' "$T/fmt"
ok "a run under it" "$WARD" run --policy "$T/q.policy" --audit "$T/q.db" "$A/noisy.lua"
has "a quiet deny still denies" "permission denied (lua.require on noisy3)" "$T/out"
$AUDIT --db "$T/q.db" --json > "$T/q.json" 2>&1
hasnt "no record of its own for a quiet denial" '"resource":"noisy' "$T/q.json"
has "the loud deny is recorded" '"resource":"loud"' "$T/q.json"
has "the quiet ones are one counted row" \
  '"count":5,"kind":"folded","decision":"deny","mode":"enforcing","actor":"main","action":"lua.require"' "$T/q.json"
$AUDIT stats --db "$T/q.db" > "$T/qs" 2>&1
has "ward audit stats counts them" '^5 of those denials quiet' "$T/qs"
$AUDIT stats --db "$T/q.db" --json > "$T/qsj" 2>&1
has "... also in --json" '"quiet":5' "$T/qsj"
$AUDIT suggest --db "$T/q.db" > "$T/qsug" 2>&1
hasnt "suggest offers no rule for them" 'noisy' "$T/qsug"
"$WARD" policy explain --policy "$T/q.policy" --actor main --action lua.require \
  --resource noisy1 > "$T/qx" 2>&1
has "explain says the deny is quiet" 'quiet: the denial is counted, not recorded' "$T/qx"
printf 'deny main lua.require noisy1\n' > "$T/q.tests"
ok "ward policy test: a quiet deny denies" "$WARD" policy test --policy "$T/q.policy" "$T/q.tests"
has "... and the test's output says it is quiet" 'q.policy:3 (policy "q"), quiet' "$T/out"
ok "--audit-all records quiet denials one by one too" \
  "$WARD" run --audit-all --policy "$T/q.policy" --audit "$T/qa.db" "$A/noisy.lua"
$AUDIT --db "$T/qa.db" --json > "$T/qa.json" 2>&1
has "... (there: noisy3)" '"resource":"noisy3"' "$T/qa.json"
printf 'policy "x" {\n  allow quietly lua.require on "a";\n}\n' > "$T/aq.policy"
notok 1 "\`allow quietly\` is an error" "$WARD" policy check "$T/aq.policy"
has "... at its position, saying why" 'aq.policy:2:9: error: only a deny can be quiet' "$T/err"
ok "a quiet deny loads into a store" "$WARD" policy load --db "$T/qst.db" "$T/q.policy"
"$WARD" policy export --db "$T/qst.db" > "$T/qexp" 2>&1
has "... and comes back quiet" 'deny quietly lua.require on "noisy\*";' "$T/qexp"

# a quiet deny keeps only its own denials quiet: a plain deny that also
# matches is recorded, whichever stands first (deny overrides allow
# whatever the order, and so does a recorded deny over a quiet one)
for order in quiet-first loud-first; do
  if [ $order = quiet-first ]; then r1='deny quietly lua.require on "noisy*";'; r2='deny lua.require on "noisy9";'
  else r1='deny lua.require on "noisy9";'; r2='deny quietly lua.require on "noisy*";'; fi
  printf 'policy "q" {\n  allow process.host on "ward:main";\n  %s\n  %s\n}\n' "$r1" "$r2" > "$T/q9.policy"
  echo 'print(pcall(require, "noisy9"))' > "$A/n9.lua"
  rm -f "$T/q9.db"
  "$WARD" run --policy "$T/q9.policy" --audit "$T/q9.db" "$A/n9.lua" > /dev/null 2>&1
  $AUDIT --db "$T/q9.db" --json > "$T/q9.json" 2>&1
  has "$order: a plain deny matching with a quiet one is recorded" '"resource":"noisy9"' "$T/q9.json"
  printf 'deny main lua.require noisy9 by q9.policy:%s\n' "$([ $order = quiet-first ] && echo 4 || echo 3)" > "$T/q9.tests"
  ok "$order: ... and ward policy test names it as what decided" \
    "$WARD" policy test --policy "$T/q9.policy" "$T/q9.tests"
done

# 4. a run that does not exist, a misspelt option
notok 1 "--run N for a run that does not exist is an error" $AUDIT --db "$T/q.db" --run 9
has "... that says which runs there are" 'there is no run 9 in .*q.db.* (its runs are numbered 1 to 1' "$T/err"
notok 1 "... in stats too" $AUDIT stats --db "$T/q.db" --run 9
notok 1 "... and in suggest" $AUDIT suggest --db "$T/q.db" --run 9
ok "--run 1 (it exists) still lists" $AUDIT --db "$T/q.db" --run 1
notok 2 "a misspelt option is a usage error" $AUDIT --db "$T/q.db" --acter main
has "... with a did-you-mean" 'unknown option `--acter`; did you mean `--actor`?' "$T/err"
notok 2 "... also for a flag at the end" $AUDIT suggest --db "$T/q.db" --splt
has "... (--split)" 'did you mean `--split`?' "$T/err"
finish
