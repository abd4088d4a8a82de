#!/bin/sh
# scripts-contained.sh -- make check runs one round of the user-level bench
# (scripts.sh, one script of each kind) so that it cannot rot, and so that
# the hostile scripts it times are proven contained in all three ways it
# runs them (ward run --untrusted, actors on ward:sandbox of one ward run,
# and bubblewrap when usable): none prints the host's secret or a host
# process's command line, none creates its marker file, and each prints
# its result, the same in every way. No time is asserted.
: "${WARD_SRCDIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
# the timer is a check program, built beside ward
: "${WARD:=./ward}"
: "${WTIME:=$(dirname "$WARD")/tests/bench/wtime}"
export WARD WTIME
n=$(ls "$WARD_SRCDIR"/tests/bench/hostile/h*.lua | wc -l)
out=$(REPS=1 N=$n sh "$WARD_SRCDIR/tests/bench/scripts.sh" 2>&1)
rc=$?
if [ "$rc" -eq 77 ]; then
  echo "1..0 # SKIP $(printf '%s\n' "$out" | sed 's/^scripts: //; s/^ *//' | tr '\n' ' ' | cut -c1-200)"
  exit 0
fi
echo "1..2"
if [ "$rc" -eq 0 ]; then echo "ok 1 - scripts.sh ends with status 0"
else
  echo "not ok 1 - scripts.sh ends with status 0 (status $rc)"
fi
if printf '%s\n' "$out" | grep -q "every script was contained in every way"; then
  echo "ok 2 - every hostile script was contained, in every way, and printed its result"
else
  echo "not ok 2 - every hostile script was contained, in every way, and printed its result"
  printf '%s\n' "$out" | sed 's/^/# /'
fi
