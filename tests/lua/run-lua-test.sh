#!/bin/sh
# run-lua-test.sh -- run one Lua end-to-end test under ward with 2 workers.
# A line "-- ward-args: ..." in the test adds options to `ward run`; the
# test prints TAP on stdout.
test_file=$1
args=$(sed -n 's/^-- ward-args: //p' "$test_file" | head -n 1)
: "${WARD:=./ward}"
root=$(dirname "$test_file")
# shellcheck disable=SC2086
exec timeout 120 "$WARD" run --threads 2 --root "$root" $args "$test_file"
