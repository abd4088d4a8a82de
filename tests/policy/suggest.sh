#!/bin/sh
# suggest.sh -- `ward audit suggest` end to end: a small application run by
# ./ward under a restrictive policy is denied (and audited); the suggested
# rules, loaded next to that policy, make the same run pass with no denial.
# Also: the suggestion's shape (narrowest first, grouped, commented), and
# what it refuses to suggest (denials by a deny rule or by --deny).
set -u
. "${WARD_SRCDIR:-$(dirname "$0")/../..}/tests/policy/lib.sh"
plan 65

A=$T/app
mkdir -p "$A/actors"
cat > "$A/app.lua" <<'EOF'
-- app.lua: a supervisor that uses a module, a worker that answers it, a
-- named service, a context builder and a cancelled sleeper
local H = "ward:main"
local util = require "util"
local w = assert(process.spawn_monitored("actors:worker", H))
assert(process.send(w, "job", 21))
local r = process.inbox():receive()
assert(r:payload() == 42, "the worker answered")
assert(process.registry.register("app.svc"))
local c = assert(process.with_context({ job = 7 }))
assert(c:spawn("actors:ctx", H))
local s = assert(process.spawn("actors:sleeper", H))
assert(process.monitor(s))
assert(process.cancel(s, "1s"))
print(util.greet("app"))
EOF
cat > "$A/util.lua" <<'EOF'
return { greet = function (n) return "hello " .. n end }
EOF
cat > "$A/actors/worker.lua" <<'EOF'
local m = process.inbox():receive()
assert(process.send(m:from(), "done", m:payload() * 2))
EOF
echo 'return process.context().job' > "$A/actors/ctx.lua"
echo 'while true do time.sleep(50) end' > "$A/actors/sleeper.lua"
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
has "it comes with the declaration of its actor: the scope it had, and the suggestion" \
  '^  scope = \["base", "suggested.main"\];' "$S"
has "... in an actor declaration for main" '^actor "main" {' "$S"
hasnt "... and for no other actor" '^actor "[^m]' "$S"
has "actions with the same resources share a rule" \
  'allow process.cancel, process.monitor, process.send on "{ward:main|\*}"' "$S"
has "several literal resources of an action in one rule" \
  'allow process.spawn on "actors:ctx", "actors:sleeper", "actors:worker";' "$S"
has "a wider pattern is offered, commented out" '# wider: allow process.spawn on "actors:\*";' "$S"
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
has "... and says the declaration adds the policy to it" 'adds "suggested.main" to that' "$T/s3.policy"

# loading a suggestion into a store grants to its actor and to nobody else
ok "the policy and the suggestion load into a store" \
  "$WARD" policy load --db "$T/st.db" "$T/base.policy" "$T/sugg.policy"
ok "the run from the store passes" "$WARD" run --db "$T/st.db" --audit "$T/st-a.db" "$A/app.lua"
"$WARD" policy explain --db "$T/st.db" --actor other --action lua.require --resource util > "$T/x1" 2>&1
has "another actor gets nothing from it: not declared" 'by: actor `other` is not declared' "$T/x1"
notok 1 "... and its run is denied" "$WARD" run --db "$T/st.db" --actor other --audit "$T/st-a.db" "$A/app.lua"

# an undeclared actor: every denial is `not declared`; the suggestion declares it
printf 'policy "only.main" {\n  allow process.host on "ward:main";\n}\nactor "main" { scope = ["only.main"]; }\n' > "$T/om.policy"
ok "a store that declares only main" "$WARD" policy load --db "$T/u.db" "$T/om.policy"
ok "an undeclared actor runs in permissive mode" \
  "$WARD" run --permissive --db "$T/u.db" --actor stranger --audit "$T/u-a.db" "$A/app.lua"
$AUDIT --db "$T/u-a.db" --json --denied > "$T/u.json" 2>&1
has "... every denial says it is not declared" '"reason":"actor `stranger` is not declared"' "$T/u.json"
hasnt "... and nothing else" '"reason":"no rule matched"' "$T/u.json"
$AUDIT suggest --db "$T/u-a.db" > "$T/us.policy" 2> "$T/us.err"
has "the suggestion declares the actor with only its own policy" \
  '^  scope = \["suggested.stranger"\];' "$T/us.policy"
has "... and allows what it was denied" 'allow lua.require on "util";' "$T/us.policy"
ok "it loads next to the store's files" "$WARD" policy load --db "$T/u.db" "$T/us.policy"
ok "then the actor's run passes" "$WARD" run --db "$T/u.db" --actor stranger --audit "$T/u-b.db" "$A/app.lua"
$AUDIT --db "$T/u-b.db" --json --denied > "$T/u2.json" 2>&1
ok "... with no denial recorded" test ! -s "$T/u2.json"
notok 1 "main gained nothing from it" "$WARD" run --db "$T/u.db" --audit "$T/u-b.db" "$A/app.lua"

# a call on a PID whose target had exited: never an unconditional allow
cat > "$A/late.lua" <<'EOF'
local p = assert(process.spawn_monitored("actors:ctx", "ward:main"))
local ev = process.events()
repeat local e = ev:receive() until e.kind == process.event.EXIT and e.from == p
process.send(p, "late", 1)
EOF
printf 'policy "l" {\n  allow process.spawn, process.spawn.monitored on "actors:*";\n  allow process.host on "ward:main";\n}\n' > "$T/l.policy"
"$WARD" run --permissive --policy "$T/l.policy" --audit "$T/l.db" "$A/late.lua" > /dev/null 2>&1
$AUDIT --db "$T/l.db" --json --denied --action process.send > "$T/l.json" 2>&1
has "a send to an exited process is recorded without target.* attributes" '"attrs":{"pid":[^}]*}' "$T/l.json"
hasnt "... (none at all)" '"target\.' "$T/l.json"
$AUDIT suggest --db "$T/l.db" > "$T/ls.policy" 2>&1
hasnt "suggest does not allow it on every process of the host" '^ *allow process.send on "{ward:main|\*}"' "$T/ls.policy"
has "... it lists it as not suggested, with the reason" \
  '# not suggested (1): process.send on a PID of host "ward:main": the target had already exited' "$T/ls.policy"
ok "... and what it prints still checks" "$WARD" policy check "$T/l.policy" "$T/ls.policy"

# a scope given at a spawn is not made the actor's declared scope
cat > "$A/scoped.lua" <<'EOF'
local b = assert(process.with_context({}))
local ev = process.events()
local pid = assert(b:with_actor("worker"):with_scope({ "base", "extra" }):spawn_monitored("actors:reg", "ward:main"))
repeat local e = ev:receive() until e.kind == process.event.EXIT and e.from == pid
EOF
echo 'process.registry.register("w.svc")' > "$A/actors/reg.lua"
printf 'policy "sc" {\n  allow process.spawn, process.spawn.monitored on "actors:*";\n  allow process.host on "ward:main";\n  allow process.context on "context";\n  allow process.security on "security";\n}\nactor "main" { scope = ["sc"]; }\n' > "$T/sc.policy"
"$WARD" run --permissive --policy "$T/sc.policy" --audit "$T/sc.db" "$A/scoped.lua" > /dev/null 2>&1
$AUDIT suggest --db "$T/sc.db" > "$T/ssc.policy" 2>&1
has "a request scope: the suggestion says to add the policy to the builder's list" \
  'add "suggested.worker" to the builder' "$T/ssc.policy"
has "... and its declaration holds the suggested policy only" '^  scope = \["suggested.worker"\];' "$T/ssc.policy"

# an actor id with a newline cannot forge a line of the suggestion
cat > "$A/forge.lua" <<'EOF'
local b = assert(process.with_context({}))
local ev = process.events()
local pid = assert(b:with_actor('x\n}\npolicy "forged" { allow lua.require on "*"; }\n#'):spawn_monitored("actors:reg", "ward:main"))
repeat local e = ev:receive() until e.kind == process.event.EXIT and e.from == pid
EOF
"$WARD" run --permissive --policy "$T/sc.policy" --audit "$T/fg.db" "$A/forge.lua" > /dev/null 2>&1
$AUDIT suggest --db "$T/fg.db" > "$T/sfg.policy" 2> "$T/sfg.err"
hasnt "an actor id with newlines forges no policy in the suggestion" '^policy "forged"' "$T/sfg.policy"
has "... it is written escaped" 'actor "x\\n}\\npolicy' "$T/sfg.policy"
ok "... and the suggestion still checks" "$WARD" policy check "$T/sfg.policy"

# a resource longer than a policy string may be: a note, never a bad policy
cat > "$A/long.lua" <<'EOF'
process.registry.lookup(string.rep("L", 5000))
process.registry.lookup("x.short")
process.registry.lookup(string.rep("\27", 1000))  -- 1000 bytes, 4000 once escaped
EOF
printf 'policy "g" {\n  allow process.host on "ward:main";\n}\n' > "$T/g.policy"
"$WARD" run --permissive --policy "$T/g.policy" --audit "$T/lg.db" "$A/long.lua" > /dev/null 2>&1
$AUDIT suggest --db "$T/lg.db" > "$T/slg.policy" 2> "$T/slg.err"
ok "a 5000-byte resource: what suggest prints still checks" "$WARD" policy check "$T/g.policy" "$T/slg.policy"
has "... it is listed as not suggested, with the reason (stored cut)" \
  '^# not suggested (1): process.registry.lookup: denials on resources too long to be stored whole (over 1024 bytes)' "$T/slg.policy"
hasnt "... it is not in a rule" '^ *allow.*LLLLLLLL' "$T/slg.policy"
has "... the short one is" '^ *allow process.registry.lookup on .*"x.short";' "$T/slg.policy"
has "a resource of 1000 control bytes is suggested (4000 bytes of text, 1000 read back)" \
  '"\\x1b\\x1b' "$T/slg.policy"

cat > "$A/longactor.lua" <<'EOF'
local b = assert(process.with_context({}))
local ev = process.events()
local pid = assert(b:with_actor(string.rep("A", 5000)):spawn_monitored("actors:reg", "ward:main"))
repeat local e = ev:receive() until e.kind == process.event.EXIT and e.from == pid
EOF
"$WARD" run --permissive --policy "$T/sc.policy" --audit "$T/la.db" "$A/longactor.lua" > /dev/null 2>&1
$AUDIT suggest --db "$T/la.db" > "$T/sla.policy" 2> "$T/sla.err"
ok "a 5000-byte actor id: what suggest prints still checks" "$WARD" policy check "$T/sc.policy" "$T/sla.policy"
has "... its rules are listed as not suggested, with the reason" \
  '^# not suggested: 1 rule, for the policy name suggested.ACTOR would be longer than the 4096 bytes' "$T/sla.policy"

# fs denials: the file itself, and its directory's tree only as a comment
mkdir -p "$T/files/in"
printf data > "$T/files/in/a.txt"
cat > "$A/files.lua" <<EOF
local fs = require "fs"
assert(fs.read_file("$T/files/in/a.txt") == "data")
assert(fs.list("$T/files/in"))
assert(fs.write_file("$T/files/out.txt", "x"))
EOF
ok "an application that reads, lists and writes files runs permissive" \
  "$WARD" run --permissive --policy "$T/base.policy" --audit "$T/fs.db" "$A/files.lua"
$AUDIT suggest --db "$T/fs.db" > "$T/sfs.policy" 2> "$T/sfs.err"
has "fs: the narrowest rule names the file" "allow fs.read on \"$T/files/in/a.txt\";" "$T/sfs.policy"
has "fs: its directory's tree is offered only in a comment" "# wider: allow fs.read on \"$T/files/in/\*\*\";" "$T/sfs.policy"
ok "fs: never a bare \"**\"" sh -c "! grep -q 'on \"\*\*\"' '$T/sfs.policy'"
rm -f "$T/files/out.txt"
ok "fs: with the suggested rules the run passes" \
  "$WARD" run --policy "$T/base.policy" --policy "$T/sfs.policy" --audit "$T/fs2.db" "$A/files.lua"

$AUDIT suggest --db "$T/empty.db" > /dev/null 2>&1
"$WARD" run --policy "$T/base.policy" --policy "$T/sugg.policy" --audit "$T/empty.db" "$A/app.lua" > /dev/null 2>&1
$AUDIT suggest --db "$T/empty.db" --name review > "$T/s4.policy" 2>&1
has "no denials: nothing to suggest" "No denials were recorded" "$T/s4.policy"
finish
