#!/bin/sh
# check.sh -- run every example of ward-lua(7) and compare its output with
# the .expected file beside it. Usage: doc/ward-lua-examples/check.sh [WARD]
dir=$(cd "$(dirname "$0")" && pwd)
ward=${1:-$dir/../../ward}
fail=0
for ex in supervisor messages builder links emilua upgrade limits; do
  opts=
  [ "$ex" = limits ] && opts="--memory 16M --instructions 100000000"
  out=$(timeout 60 "$ward" run $opts "$dir/$ex.lua" 2>&1)
  rc=$?
  if [ $rc -eq 0 ] && [ "$out" = "$(cat "$dir/$ex.expected")" ]; then
    echo "ok - $ex"
  else
    echo "not ok - $ex (exit $rc)"
    printf '%s\n' "$out" | diff "$dir/$ex.expected" - | sed 's/^/# /'
    fail=1
  fi
done
exit $fail
