#!/bin/sh
# run-lua-test.sh -- run one Lua end-to-end test under ward with 2 workers.
# A line "-- ward-args: ..." in the test adds options to `ward run`; the
# test prints TAP on stdout. The test gets WARD_TEST_TIMEOUT_SCALE as its
# argument "timeout-scale=N" (see tap.lua), and the whole run a 120 s cap
# scaled by it.
test_file=$1
args=$(sed -n 's/^-- ward-args: //p' "$test_file" | head -n 1)
: "${WARD:=./ward}"
root=$(dirname "$test_file")
here=$(dirname "$0")
. "$here/../scale.sh"
# shellcheck disable=SC2086
exec timeout "$(scaled_s 120)" "$WARD" run --threads 2 --root "$root" $args "$test_file" \
  "timeout-scale=$ward_test_scale"
