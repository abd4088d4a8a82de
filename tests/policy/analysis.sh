#!/bin/sh
# analysis.sh -- what `ward policy check` finds that does not depend on the
# order of rules and policies: allows shadowed by a deny anywhere in their
# policy or in a policy every actor has beside it, allows and denies that
# add nothing, constant conditions, PID actions on names, metadata keys no
# declaration sets; warnings capped at 20; and target.names end to end
# through `ward run` (a script sending to a registered name, allowed, then
# denied after the name is dropped).
. "$(dirname "$0")/lib.sh"
plan 33

check () {   # check FILE...: the warnings, without the summary and notes
  "$WARD" policy check "$@" 2>&1 | grep -v ': note: \|checked: '
}

# ---- each finding at its position ----
cat > "$T/w.policy" <<'EOF'
policy "p" {
  allow process.spawn on "app.a";
  allow process.spawn on "app.*";
  allow process.host on "h" when attr.pid == "x" and attr.host == "y";
  deny process.host on "**" when attr.host == "y";
  allow process.terminate on "*" when 1 == 2;
  allow lua.require on "m" when "a" != "b";
  allow lua.require on "n" when attr.pid == "x" or not true;
  allow process.send on "logger";
  allow process.monitor on "svc.*";
  allow env.read on "HOME" when actor.meta.teir == "low";
  deny io.stdout on "stdout";
  deny io.stdout on "stdout";
}
actor "main" { tier = "low"; scope = ["p"]; }
EOF
check "$T/w.policy" > "$T/w.out"
F=$T/w.policy
has "a narrower allow beside a wider one adds nothing" "^$F:2:3: warning: this allow adds nothing: the allow at line 3 already covers it" "$T/w.out"
has "a later deny shadows an allow whose condition implies the deny's" "^$F:4:3: warning: this allow never takes effect: the deny at line 5 denies everything it matches" "$T/w.out"
has "a condition always false" "^$F:6:39: warning: this condition is always false (\`1 == 2\`): the allow never matches" "$T/w.out"
has "a condition always true" "^$F:7:33: warning: this condition is always true (\`\"a\" != \"b\"\`): the allow matches as if it had no \`when\`" "$T/w.out"
has "a constant part of a condition" "^$F:8:52: warning: \`not true\` is always false, whatever the request" "$T/w.out"
has "process.send on a name: never a live process, with the target.names form" "^$F:9:25: warning: \"logger\" is not a PID: process.send is asked on the target's PID.*when target.names has \"logger\"" "$T/w.out"
has "a PID action on a pattern that is never a PID" "^$F:10:28: warning: \"svc.\*\" never matches a PID" "$T/w.out"
has "an unknown metadata key, with a suggestion" "^$F:11:33: warning: no actor declaration in these files sets metadata \`teir\`.*did you mean \`tier\`?" "$T/w.out"
has "the same deny twice: the later one is reported" "^$F:13:3: warning: this deny adds nothing: the deny at line 12 already covers it" "$T/w.out"
lines=$(wc -l < "$T/w.out")
[ "$lines" -eq 9 ] && pass "nothing else is reported (9 findings)" || fail "nothing else is reported ($lines findings)" "$T/w.out"

# ---- no false positives ----
cat > "$T/n.policy" <<'EOF'
policy "p" {
  # a deny with a condition the allow does not imply
  allow process.spawn on "a" when attr.pid == "x";
  deny process.spawn on "a" when attr.host == "y";
  # an allow with no condition beside a deny with one
  allow process.host on "h";
  deny process.host on "h" when attr.pid == "x";
  # a deny narrower than the allow
  allow lua.require on "m.*";
  deny lua.require on "m.x";
  # a deny on other actions
  allow env.read on "A";
  deny env.read, io.stdin on "B", "stdin";
  # a wider allow with a condition does not make a narrower one redundant
  allow io.stdout on "stdout";
  allow io.stdout on "**" when attr.pid == "x";
  # a deny whose condition is one item of the allow's `or` does not cover it
  allow io.stderr on "stderr" when attr.pid == "x" or attr.host == "y";
  deny io.stderr on "stderr" when attr.pid == "x";
  # PID actions on PIDs and patterns that may be PIDs
  allow process.send on "*", "{ward:main|0x1}", "{ward:*}";
  allow process.monitor on "**" when target.names has "logger";
  allow process.spawn on "b" when true;
}
actor "main" { scope = ["p"]; }
EOF
check "$T/n.policy" > "$T/n.out"
[ ! -s "$T/n.out" ] && pass "rules that only look alike give no warning" || fail "rules that only look alike give no warning" "$T/n.out"
check "$S/policies/default.policy" "$S/policies/untrusted.policy" > "$T/s.out"
[ ! -s "$T/s.out" ] && pass "the shipped policies check clean" || fail "the shipped policies check clean" "$T/s.out"

# ---- across policies: only where every actor has both ----
cat > "$T/a.policy" <<'EOF'
policy "apps" {
  allow process.spawn on "tools:*";
}
policy "lockdown" {
  deny process.spawn on "**";
}
EOF
printf 'actor "main" { scope = ["apps", "lockdown"]; }\n' > "$T/both.policy"
printf 'actor "main" { scope = ["apps", "lockdown"]; }\nactor "dev" { scope = ["apps"]; }\n' > "$T/one.policy"
check "$T/a.policy" "$T/both.policy" > "$T/x.out"
has "a deny in another policy every actor with it has shadows an allow" "^$T/a.policy:2:3: warning: this allow never takes effect: the deny at line 5 (policy \"lockdown\") denies everything it matches, and every actor declared with policy \"apps\" in its scope has \"lockdown\" too" "$T/x.out"
check "$T/a.policy" "$T/one.policy" > "$T/x.out"
[ ! -s "$T/x.out" ] && pass "... not when an actor has the allow's policy without the deny's" || fail "... not when an actor has the allow's policy without the deny's" "$T/x.out"
check "$T/a.policy" > "$T/x.out"
[ ! -s "$T/x.out" ] && pass "... nor when no actor is declared (which policies go together is not known)" || fail "... nor when no actor is declared" "$T/x.out"
cp "$T/both.policy" "$T/c2.policy"
printf 'policy "x" {\n  deny lua.require on "m";\n}\n' >> "$T/c2.policy"
printf 'actor "svc" { }\npolicy "y" {\n  allow lua.require on "m";\n}\n' > "$T/c3.policy"
check "$T/c2.policy" "$T/c3.policy" > "$T/x.out"
has "an actor declared without a scope has every policy: a deny in another file shadows" "^$T/c3.policy:3:3: warning: this allow never takes effect: the deny at $T/c2.policy:3 (policy \"x\")" "$T/x.out"

# ---- order does not matter ----
# Up to 40 rules (fewer than 20 findings: all printed) over a few actions and patterns, in three orders: the same
# findings, each named by the rule it is about and what it says.
awk 'BEGIN {
  split("process.spawn lua.require env.read", acts, " ");
  split("\"a\" \"a.*\" \"**\" \"b\" \"a.b\"", res, " ");
  split(" | when attr.pid == \"x\"| when attr.host == \"y\"", conds, "|");
  srand(7);
  for (i = 0; i < 40; i++)
  {
    r = sprintf ("%s %s on %s%s", rand() < 0.3 ? "deny" : "allow", acts[int(rand() * 3) + 1],
                 res[int(rand() * 5) + 1], conds[int(rand() * 3) + 1]);
    if (!(r in seen))         # no rule twice: of two the later is reported
      printf "  %s; # r%d\n", r, i;
    seen[r] = 1;
  }
}' | sed 's/ ;/;/' > "$T/rules"
findings () {   # findings ORDER-COMMAND: the findings as "rule-tag kind"
  { echo 'policy "p" {'; $1 < "$T/rules"; echo '}'; echo 'actor "main" { scope = ["p"]; }'; } > "$T/o.policy"
  "$WARD" policy check "$T/o.policy" 2>&1 | grep ': warning: ' > "$T/o.w"
  while IFS=: read -r _ line _ _ msg; do
    tag=$(sed -n "${line}p" "$T/o.policy" | sed 's/.*# //')
    case $msg in
      *"never takes effect"*) echo "$tag shadowed" ;;
      *"adds nothing"*) echo "$tag redundant" ;;
      *) echo "$tag other" ;;
    esac
  done < "$T/o.w" | sort
}
findings cat > "$T/f1"
findings "tac" > "$T/f2"
findings "sort -t# -k2" > "$T/f3"
nf=$(wc -l < "$T/f1")
if [ "$nf" -gt 5 ] && cmp -s "$T/f1" "$T/f2" && cmp -s "$T/f1" "$T/f3"; then
  pass "the same $nf findings in file order, reversed and shuffled"
else
  fail "the same findings whatever the order ($nf)" "$T/f1" "$T/f2" "$T/f3"
fi
# policies in another order, and files in another order
check "$T/both.policy" "$T/a.policy" > "$T/x.out"
has "files in the other order: the same cross-policy finding" "^$T/a.policy:2:3: warning: this allow never takes effect: the deny at line 5 (policy \"lockdown\")" "$T/x.out"
printf 'policy "lockdown" {\n  deny process.spawn on "**";\n}\npolicy "apps" {\n  allow process.spawn on "tools:*";\n}\nactor "main" { scope = ["apps", "lockdown"]; }\n' > "$T/r.policy"
check "$T/r.policy" > "$T/x.out"
has "the deny's policy first: the allow is still shadowed" "^$T/r.policy:5:3: warning: this allow never takes effect: the deny at line 2 (policy \"lockdown\")" "$T/x.out"

# ---- the cap ----
awk 'BEGIN { print "policy \"p\" {"; for (i = 0; i < 50000; i++) printf "  allow process.spawn on \"a%d\" when 1 == 1;\n", i; print "}"; print "actor \"main\" { scope = [\"p\"]; }" }' > "$T/big.policy"
"$WARD" policy check "$T/big.policy" > "$T/big.out" 2>&1
nw=$(grep -c ': warning: ' "$T/big.out")
[ "$nw" -eq 20 ] && pass "50,000 warnings: the first 20 printed" || fail "50,000 warnings: the first 20 printed ($nw)" "$T/big.out"
has "... then a count of the rest" "^note: 49980 more warnings not shown (the first 20 are)" "$T/big.out"
has "... and the total in the summary" "1 file checked: 0 errors, 50000 warnings" "$T/big.out"
[ "$(wc -l < "$T/big.out")" -le 23 ] && pass "... 22 lines in all" || fail "... 22 lines in all" "$T/big.out"

# ---- target.names ----
printf 'policy "p" {\n  allow lua.require on "x" when target.names has 3;\n  allow lua.require on "y" when target.names == "a";\n}\n' > "$T/t.policy"
"$WARD" policy check "$T/t.policy" > "$T/t.out" 2>&1
has "target.names is a list: compared with == it always errors" "^$T/t.policy:3:46: warning: this comparison always errors (it compares a list with \`==\`" "$T/t.out"
printf 'policy "p" {\n  allow process.send on "*" when target.name has "logger";\n}\n' > "$T/t.policy"
"$WARD" policy check "$T/t.policy" > "$T/t.out" 2>&1
has "target.name: an error with a suggestion" "did you mean \`target.names\`?" "$T/t.out"

printf 'policy "p" {\n  allow process.send on "*" when target.names has "logger";\n}\nactor "main" { scope = ["p"]; }\n' > "$T/t.policy"
ok "explain: target.names=logger,db allows" sh -c "'$WARD' policy explain --policy '$T/t.policy' --actor main --action process.send --resource '{ward:main|0x2}' --attr target.names=logger,db | grep -q 'decision: allow'"
ok "explain: target.names=db denies" sh -c "'$WARD' policy explain --policy '$T/t.policy' --actor main --action process.send --resource '{ward:main|0x2}' --attr target.names=db | grep -q 'decision: deny'"

W=$T/run; mkdir -p "$W"
cat > "$W/p.policy" <<'EOF'
policy "p" {
  allow process.registry.register, process.registry.unregister, process.registry.lookup on "**";
  allow process.spawn on "svc:logger";
  allow process.host on "ward:main";
  # may send to the logger, and to nobody else
  allow process.send on "*" when target.names has "logger";
  allow io.stdout on "stdout";
}
actor "main" { scope = ["p"]; }
EOF
mkdir -p "$W/svc"
cat > "$W/svc/logger.lua" <<'EOF'
assert(process.registry.register("logger"))
process.inbox():receive()
-- (it cannot tell main: main holds no name, so it may not send to it)
process.registry.unregister("logger")
process.inbox():receive()
EOF
cat > "$W/main.lua" <<'EOF'
local function try(dest)
  local ok, e = process.send(dest, "log", "hello")
  return ok and "allowed" or ("denied " .. e:kind())
end
local me = process.pid()
print("self", try(me))
local lg = assert(process.spawn("svc:logger", "ward:main"))
while not process.registry.lookup("logger") do time.sleep(0.01) end
print("by-name", try("logger"))
while process.registry.lookup("logger") do time.sleep(0.01) end
-- the logger has dropped its name: the same PID, asked again
print("after-unregister", try(lg))
print("again", try(lg))
assert(process.registry.register("logger"))
print("self-registered", try(me))
print("self-again", try(me))
process.registry.unregister("logger")
print("self-unregistered", try(me))
process.terminate(lg)
EOF
(cd "$W" && timeout "$(scaled_s 60)" "$WARD" run --policy p.policy main.lua) > "$T/r.out" 2>"$T/r.err"
has "ward run: sending to itself, which holds no name, is denied" "^self	denied PERMISSION_DENIED" "$T/r.out"
has "... sending to the process registered as logger, by name, is allowed" "^by-name	allowed" "$T/r.out"
has "... once it has unregistered, its PID is denied" "^after-unregister	denied PERMISSION_DENIED" "$T/r.out"
has "... and again (no stale answer)" "^again	denied PERMISSION_DENIED" "$T/r.out"
has "... a process that registers the name may be sent to, twice" "^self-again	allowed" "$T/r.out"
has "... and not after it drops it (the repeated-send shortcut is not stale)" "^self-unregistered	denied PERMISSION_DENIED" "$T/r.out"
finish
