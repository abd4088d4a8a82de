# lib.sh -- shared by the policy shell tests: paths, a private temp dir and
# audit state, and TAP helpers. Source it; then `plan N`, checks, `finish`.
B=${WARD_BUILDDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
S=${WARD_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
: "${WARD:=$B/ward}"
# ward built with the fault hooks the tests drive (WARD_TEST_*_FAULT)
: "${WARD_FAULTS:=$B/tests/ward-faults}"
. "$S/tests/scale.sh"
T=$(mktemp -d /tmp/ward-policy.XXXXXX)
trap 'rm -rf "$T"' EXIT
# never write to the user's own audit database
XDG_STATE_HOME=$T/state; export XDG_STATE_HOME
# the audit command of the ward under test
AUDIT="$WARD audit"
n=0
fails=0
plan () { echo "1..$1"; }
pass () { n=$((n + 1)); echo "ok $n - $1"; }
fail () { n=$((n + 1)); echo "not ok $n - $1"; fails=$((fails + 1)); shift; for f in "$@"; do [ -f "$f" ] && sed 's/^/# /' "$f"; done; }
ok () {   # ok DESCRIPTION COMMAND... : the command succeeds
  d=$1; shift
  if "$@" >"$T/out" 2>"$T/err"; then pass "$d"; else fail "$d" "$T/out" "$T/err"; fi
}
notok () {  # notok STATUS DESCRIPTION COMMAND... : the command exits with STATUS
  want=$1; d=$2; shift 2
  "$@" >"$T/out" 2>"$T/err"; rc=$?
  if [ "$rc" -eq "$want" ]; then pass "$d"; else fail "$d (status $rc)" "$T/out" "$T/err"; fi
}
has () {  # has DESCRIPTION PATTERN FILE : FILE matches the grep pattern
  if grep -q -- "$2" "$3"; then pass "$1"; else fail "$1 (no \`$2\`)" "$3"; fi
}
hasnt () {
  if grep -q -- "$2" "$3"; then fail "$1 (found \`$2\`)" "$3"; else pass "$1"; fi
}
finish () { [ "$fails" -eq 0 ]; }
