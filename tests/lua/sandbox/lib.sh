# lib.sh -- sourced by the shell tests of tests/lua/sandbox: $WARD, $src
# (this directory), a scratch directory $T removed at exit (which also
# holds the audit state), $WARD_FAULTS (ward built with the fault hooks
# the tests drive, WARD_TEST_*_FAULT), and TAP helpers.
#   ok NAME CMD...            CMD succeeds
#   has NAME PATTERN FILE     FILE has a line matching PATTERN (shown if not)
#   skip_unless_sandbox FILE  TAP skip of the whole file when FILE shows that
#                             the kernel refuses the sandbox's namespaces
#   finish                    the plan, and the exit status
# and scaled_s / scaled_ms of tests/scale.sh for every timeout.
: "${WARD:=./ward}"
: "${WARD_FAULTS:=${WARD_BUILDDIR:-.}/tests/ward-faults}"
src=${WARD_SRCDIR:-.}/tests/lua/sandbox
. "${WARD_SRCDIR:-.}/tests/scale.sh"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT INT TERM
XDG_STATE_HOME=$T/state; export XDG_STATE_HOME
n=0
fails=0
ok () {
  n=$((n + 1)); name=$1; shift
  if "$@"; then echo "ok $n - $name"; else echo "not ok $n - $name"; fails=$((fails + 1)); fi
}
has () {
  n=$((n + 1))
  if grep -q -- "$2" "$3"; then echo "ok $n - $1"
  else echo "not ok $n - $1"; sed 's/^/# /' "$3"; fails=$((fails + 1)); fi
}
skip_unless_sandbox () {
  if grep -q 'not permitted' "$1"; then
    echo "1..0 # SKIP this machine does not allow the sandbox's namespaces: $(head -c 200 "$1")"
    exit 0
  fi
}
finish () {
  echo "1..$n"
  [ "$fails" -eq 0 ]
}
