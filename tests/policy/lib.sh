# lib.sh -- shared by the policy shell tests: paths, a private temp dir and
# audit state, and TAP helpers. Source it; then `plan N`, checks, `finish`.
WARD_POLICY_LIB=1
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
wait_for () {  # wait_for SECONDS PATTERN FILE [COUNT]: until FILE has COUNT (default 1)
  # lines matching the grep pattern, for at most SECONDS scaled; 1 when it gave up
  _w=0; _limit=$(($1 * 20 * ward_test_scale))
  until _c=$(grep -c -- "$2" "$3" 2>/dev/null); [ "${_c:-0}" -ge "${4:-1}" ]; do
    _w=$((_w + 1)); [ "$_w" -gt "$_limit" ] && return 1
    sleep 0.05
  done
  return 0
}
finish () { [ "$fails" -eq 0 ]; }

# The policy store a test uses: `store_db NAME` names it -- the file
# $T/NAME.db; or, with WARD_TEST_STORE=pg (tests/pg/store-*.sh run the
# store tests so), a PostgreSQL database of its own on the server started
# below, created on first use, by its connection string. `store_sql NAME
# SQL` runs SQL on it (sqlite3, or psql in the schema ward). A check that
# only means something for a file is skipped in the PostgreSQL variant,
# saying why (skip_pg N REASON).
STORE=${WARD_TEST_STORE:-file}
store_db () {
  if [ "$STORE" = pg ]; then
    _d=st_$(printf %s "$1" | tr -c 'a-zA-Z0-9_' _)
    [ -e "$T/.pgdb-$_d" ] || { pg_createdb "$_d" && : > "$T/.pgdb-$_d"; }
    pg_uri "$_d"
  else
    echo "$T/$1.db"
  fi
}
store_sql () {
  if [ "$STORE" = pg ]; then
    pg_psql "st_$(printf %s "$1" | tr -c 'a-zA-Z0-9_' _)" "SET search_path TO ward; $2"
  else
    sqlite3 "$T/$1.db" "$2"
  fi
}
skip_pg () {  # skip_pg N REASON: N checks that only apply to a file store
  for _k in $(seq "$1"); do n=$((n + 1)); echo "ok $n # SKIP $2 (a PostgreSQL store)"; done
}
if [ "$STORE" = pg ] && [ -z "${WARD_PG_LIB:-}" ]; then
  . "$S/tests/pg/lib.sh"
  pg_start
fi
