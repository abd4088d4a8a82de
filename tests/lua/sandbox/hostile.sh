#!/bin/sh
# hostile.sh -- an untrusted script (`ward run --untrusted`) tries every
# call its policy does not grant and the dangerous standard library: each
# attempt is refused, and each permission denial has its audit record.
. "${WARD_SRCDIR:-.}/tests/lua/sandbox/lib.sh"
timeout "$(scaled_s 60)" "$WARD" run --untrusted --audit "$T/a.db" "$src/hostile-suite.lua" > "$T/out" 2> "$T/err"
rc=$?
skip_unless_sandbox "$T/err"
"$WARD" audit --db "$T/a.db" --json > "$T/audit" 2>&1
res () { n=$((n + 1)); if [ "$1" = ok ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fails=$((fails + 1)); fi; }
[ "$rc" -eq 0 ] && res ok "the script runs to its end" || { res fail "the script runs to its end (exit $rc)"; sed 's/^/# /' "$T/err"; }
grep -q '^END$' "$T/out" && res ok "every attempt was made" || res fail "every attempt was made"
grep -q '^CHILD	{ward:sandbox|' "$T/out" && res ok "it may spawn a helper of tools.helpers on ward:sandbox" \
  || res fail "it may spawn a helper of tools.helpers on ward:sandbox"
tab=$(printf '\t')
while IFS="$tab" read -r verdict name action resource; do
  case $verdict in
    REFUSED) ;;
    ALLOWED) res fail "$name is refused (it was allowed)"; continue ;;
    SAME) [ "$name" = yes ] && res ok "$action" || { res fail "$action"; echo "#   $name"; }; continue ;;
    *) continue ;;
  esac
  res ok "$name is refused"
  [ "$action" = - ] && continue
  if grep -F "\"decision\":\"deny\"" "$T/audit" | grep -F "\"actor\":\"untrusted\"" \
       | grep -F "\"action\":\"$action\",\"resource\":\"$resource\"" > /dev/null; then
    res ok "... and its denial ($action on $resource) is audited"
  else
    res fail "... and its denial ($action on $resource) is audited"
  fi
done < "$T/out"
finish
