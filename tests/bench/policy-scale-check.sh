#!/bin/sh
# policy-scale-check.sh -- make check's round of the policy scale bench: a
# generated policy of 4200 rules (gen-policy.sh), every request of
# policy-scale decided as the policy says (its figures are not judged).
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ward-pscale.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT
sh "$here/gen-policy.sh" 4200 > "$tmp/p.policy" || exit 99
echo "1..1"
if tests/bench/policy-scale -n 20000 "$tmp/p.policy" > "$tmp/out" 2>&1; then
  echo "ok 1 - policy-scale: every decision as the generated policy says"
else
  echo "not ok 1 - policy-scale: every decision as the generated policy says"
fi
sed 's/^/# /' "$tmp/out"
