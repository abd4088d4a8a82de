#!/bin/sh
# actions.sh -- one list of actions (policy/include/actions.def): the policy
# checker knows exactly its actions (`ward policy check` accepts each and
# refuses a near miss), ward-policy(5)'s Actions list names exactly them,
# ward-lua(7)'s PERMISSIONS names each, and no C file of the runtime or the
# sandbox spells an action as a string literal (call sites use
# WARD_ACTION (ID), which does not compile for an action not in the list).
# TAP on stdout. Env: WARD, WARD_SRCDIR.
: "${WARD:=./ward}"
: "${WARD_SRCDIR:=.}"
src=$WARD_SRCDIR
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ward-actions.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM
n=0
failed=0
res () {
  n=$((n + 1))
  if [ "$1" = ok ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; failed=$((failed + 1)); fi
}
same () {   # NAME FILE-A FILE-B: equal, else the difference as diagnostics
  if cmp -s "$2" "$3"; then res ok "$1"
  else res fail "$1"; diff "$2" "$3" | sed 's/^/#   /'; fi
}

# the list: X lines (actions a policy names); E lines are events
sed -n 's/^X ([A-Z_]*, *"\([^"]*\)".*/\1/p' "$src/policy/include/actions.def" | sort > "$tmp/def"
[ -s "$tmp/def" ] && res ok "policy/include/actions.def lists $(wc -l < "$tmp/def") actions" \
  || res fail "policy/include/actions.def lists actions"
grep -qx 'process.registry.lookup' "$tmp/def" && res ok "process.registry.lookup is one" \
  || res fail "process.registry.lookup is one"

# the checker: every action of the list is known (no error, no warning)
{
  echo 'policy "every" {'
  sed 's/.*/  allow & on "*";/' "$tmp/def"
  echo '}'
} > "$tmp/every.policy"
"$WARD" policy check "$tmp/every.policy" > "$tmp/out" 2>&1
rc=$?
if [ $rc -eq 0 ] && ! grep -q 'unknown action' "$tmp/out"; then
  res ok "ward policy check knows every action of the list"
else
  res fail "ward policy check knows every action of the list"; sed 's/^/#   /' "$tmp/out"
fi
# ... and nothing else under process., lua., sandbox.: a near miss of each
# is an error with the right suggestion
bad=0
while read -r a; do
  printf 'policy "x" { allow %sx on "*"; }\n' "$a" > "$tmp/x.policy"
  if "$WARD" policy check "$tmp/x.policy" > "$tmp/out" 2>&1 \
     || ! grep -q "unknown action \`${a}x\`; did you mean \`$a\`?" "$tmp/out"; then
    bad=1; echo "#   ${a}x:"; sed 's/^/#     /' "$tmp/out"
  fi
done < "$tmp/def"
[ $bad = 0 ] && res ok "a near miss of each action is an error naming it" \
  || res fail "a near miss of each action is an error naming it"
# the events ward records are not actions a policy may name
sed -n 's/^E ([A-Z_]*, *"\([^"]*\)".*/\1/p' "$src/policy/include/actions.def" > "$tmp/events"
while read -r e; do
  printf 'policy "x" { allow %s on "*"; }\n' "$e" > "$tmp/x.policy"
  if "$WARD" policy check "$tmp/x.policy" > "$tmp/out" 2>&1; then
    res fail "the event $e is no action a policy names"
  else
    res ok "the event $e is no action a policy names"
  fi
done < "$tmp/events"

# ward-policy(5): the Actions list (.TP then .B ACTION) names exactly them
awk '/^\.SS Actions/ { on = 1; next } /^\.S[SH] / { on = 0 }
     on && prev == ".TP" && $1 == ".B" { print $2 } { prev = $0 }' \
  "$src/doc/ward-policy.5" | sort > "$tmp/man5"
same "ward-policy(5) lists exactly the actions of policy/include/actions.def" "$tmp/def" "$tmp/man5"

# ward-lua(7): the PERMISSIONS section names each
awk '/^\.SH PERMISSIONS/ { on = 1; next } /^\.SH / { on = 0 } on' \
  "$src/doc/ward-lua.7" > "$tmp/perm7"
missing=
while read -r a; do
  grep -q "^\.BR\{0,1\} $a\( \|$\)" "$tmp/perm7" || missing="$missing $a"
done < "$tmp/def"
[ -z "$missing" ] && res ok "ward-lua(7) PERMISSIONS names every action" \
  || { res fail "ward-lua(7) PERMISSIONS names every action"; echo "#   missing:$missing"; }

# call sites: no action spelled as a literal
grep -nE '"(process|lua|sandbox)\.[a-z_.]+"' "$src"/runtime/*.c "$src"/sandbox/*.c \
  "$src"/init/*.c 2>/dev/null | grep -v '#include' > "$tmp/lit"
[ -s "$tmp/lit" ] && { res fail "no call site spells an action as a literal"; sed 's/^/#   /' "$tmp/lit"; } \
  || res ok "no call site spells an action as a literal (they use WARD_ACTION)"

echo "1..$n"
[ "$failed" -eq 0 ]
