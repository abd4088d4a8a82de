#!/bin/sh
# startup-contained.sh -- make check runs one round of the start-up bench
# (startup.sh) so that it cannot rot, and so that the hostile script it
# times is proven contained: run by ward --untrusted (and by bubblewrap,
# when usable), it neither prints the host's secret file nor creates the
# host's marker file.
: "${WARD_SRCDIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
# the timer is a check program, built beside ward
: "${WARD:=./ward}"
: "${WTIME:=$(dirname "$WARD")/tests/bench/wtime}"
export WARD WTIME
out=$(REPS=1 sh "$WARD_SRCDIR/tests/bench/startup.sh" 2>&1)
rc=$?
if [ "$rc" -eq 77 ]; then
  echo "1..0 # SKIP $(printf '%s\n' "$out" | sed 's/^startup: //; s/^ *//' | tr '\n' ' ' | cut -c1-200)"
  exit 0
fi
echo "1..2"
if [ "$rc" -eq 0 ]; then echo "ok 1 - startup.sh ends with status 0"
else echo "not ok 1 - startup.sh ends with status 0 (status $rc)"; fi
if printf '%s\n' "$out" | grep -q "every hostile run was contained"; then
  echo "ok 2 - every hostile run was contained"
else
  echo "not ok 2 - every hostile run was contained"
  printf '%s\n' "$out" | sed 's/^/# /'
fi
