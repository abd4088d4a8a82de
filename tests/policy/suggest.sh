#!/bin/sh
# suggest.sh -- `ward audit suggest` end to end: a small application run by
# ./ward under a restrictive policy is denied (and audited); the suggested
# rules, loaded next to that policy, make the same run pass with no denial.
# Also: the suggestion's shape (narrowest first, grouped, commented), and
# what it refuses to suggest (denials by a deny rule or by --deny).
set -u
. "${WARD_SRCDIR:-$(dirname "$0")/../..}/tests/policy/lib.sh"
plan 27

A=$T/app
mkdir -p "$A/w"
cat > "$A/app.lua" <<'EOF'
-- app.lua: a supervisor that uses a module, a worker that answers it, a
-- named service, a context builder and a cancelled sleeper
local H = "ward:main"
local util = require "util"
local w = assert(process.spawn_monitored("w:worker", H))
assert(process.send(w, "job", 21))
local r = process.inbox():receive()
assert(r:payload() == 42, "the worker answered")
assert(process.registry.register("app.svc"))
local c = assert(process.with_context({ job = 7 }))
assert(c:spawn("w:ctx", H))
local s = assert(process.spawn("w:sleeper", H))
assert(process.monitor(s))
assert(process.cancel(s, "1s"))
print(util.greet("app"))
EOF
cat > "$A/util.lua" <<'EOF'
return { greet = function (n) return "hello " .. n end }
EOF
cat > "$A/w/worker.lua" <<'EOF'
local m = process.inbox():receive()
assert(process.send(m:from(), "done", m:payload() * 2))
EOF
echo 'return process.context().job' > "$A/w/ctx.lua"
echo 'while true do time.sleep(50) end' > "$A/w/sleeper.lua"
cat > "$T/base.policy" <<'EOF'
# what the application is trusted with before anyone looked
policy "base" {
  allow process.host on "ward:main";
}
EOF

# 1. enforcing: the first denial ends the run, and is audited
notok 1 "under the restrictive policy the application is denied" \
  "$WARD" run --policy "$T/base.policy" --audit "$T/a.db" "$A/app.lua"
has "... with PERMISSION_DENIED-style errors" "permission denied (lua.require on util)" "$T/err"
$AUDIT suggest --db "$T/a.db" > "$T/s1.policy" 2> "$T/s1.err"
has "suggest from that run allows the first denial" 'allow lua.require on "util";' "$T/s1.policy"

# 2. permissive: the whole run, every would-be denial audited
ok "with --permissive it runs to the end" \
  "$WARD" run --permissive --policy "$T/base.policy" --audit "$T/a.db" "$A/app.lua"
has "... and works" "hello app" "$T/out"
$AUDIT suggest --db "$T/a.db" > "$T/sugg.policy" 2> "$T/s2.err"
ok "suggest exits 0" test ! -s "$T/s2.err"
ok "the suggestion passes \`ward policy check\` with the policy" \
  "$WARD" policy check "$T/base.policy" "$T/sugg.policy"
has "... with no warning" "0 errors, 0 warnings" "$T/err"

# 3. the same run with the policy and the suggestion: passes, nothing denied
ok "the run passes with the policy and the suggested rules" \
  "$WARD" run --policy "$T/base.policy" --policy "$T/sugg.policy" --audit "$T/b.db" "$A/app.lua"
has "... and works" "hello app" "$T/out"
$AUDIT --db "$T/b.db" --json --denied > "$T/d.json" 2>&1
ok "... with no denial recorded" test ! -s "$T/d.json"

# the shape of the suggestion
S=$T/sugg.policy
echo "# ---- the suggestion:"; sed 's/^/#   /' "$S"
has "one policy per actor" '^policy "suggested.main" {' "$S"
has "it says the actor has no scope, so it applies when loaded" "every loaded policy applies" "$S"
has "actions with the same resources share a rule" \
  'allow process.cancel, process.monitor, process.send on "{ward:main|\*}"' "$S"
has "several literal resources of an action in one rule" \
  'allow process.spawn on "w:ctx", "w:sleeper", "w:worker";' "$S"
has "a wider pattern is offered, commented out" '# wider: allow process.spawn on "w:\*";' "$S"
has "PIDs of the caller's own children: by condition, not by PID" \
  'when target has "parent" and target.parent == attr.pid;' "$S"
has "the parent's PID: by condition" 'when attr has "parent" and resource == attr.parent;' "$S"
hasnt "no PID is written literally" '"{ward:main|0x' "$S"
first_lit=$(grep -n 'allow .* on "util"' "$S" | cut -d: -f1)
first_pid=$(grep -n 'when target has' "$S" | head -n 1 | cut -d: -f1)
if [ -n "$first_lit" ] && [ -n "$first_pid" ] && [ "$first_lit" -lt "$first_pid" ]; then
  pass "literal (narrowest) rules come before PID rules"
else fail "literal (narrowest) rules come before PID rules" "$S"; fi
has "each rule is commented with its denials" "# [0-9]* denials*, the last at .* by {ward:main|0x" "$S"

# what it does not suggest
cat > "$T/strict.policy" <<'EOF'
policy "strict" {
  allow process.host on "ward:main";
  deny lua.require on "util";
}
actor "main" { scope = ["strict"]; }
EOF
"$WARD" run --permissive --policy "$T/strict.policy" --deny process.registry.register \
  --audit "$T/c.db" "$A/app.lua" > /dev/null 2>&1
$AUDIT suggest --db "$T/c.db" > "$T/s3.policy" 2>&1
has "a denial by a deny rule is explained, not allowed" \
  'lua.require on "util": denied by .*strict.policy:3 (policy "strict")' "$T/s3.policy"
has "... an allow cannot override a deny" "an allow cannot override a deny" "$T/s3.policy"
has "a --deny denial: nothing to suggest" "process.registry.register: denied by the test rule" "$T/s3.policy"
has "a declared scope: the suggestion names it" 'scope was \["strict"\]' "$T/s3.policy"
has "... and says to add the policy to it" 'add "suggested.main" to that scope' "$T/s3.policy"
$AUDIT suggest --db "$T/empty.db" > /dev/null 2>&1
"$WARD" run --policy "$T/base.policy" --policy "$T/sugg.policy" --audit "$T/empty.db" "$A/app.lua" > /dev/null 2>&1
$AUDIT suggest --db "$T/empty.db" --name review > "$T/s4.policy" 2>&1
has "no denials: nothing to suggest" "No denials were recorded" "$T/s4.policy"
finish
