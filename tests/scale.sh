# scale.sh -- sourced by the shell tests: every timeout a test sets is
# multiplied by WARD_TEST_TIMEOUT_SCALE, an integer from 1 to 1000
# (default 1), so that a slow or loaded machine can give the suite more time.
#   scaled_s N    prints N seconds scaled (for timeout(1), sleep loops)
#   scaled_ms N   prints N milliseconds scaled
# A bad value stops the test with a TAP "Bail out!" naming the variable.
ward_test_scale=${WARD_TEST_TIMEOUT_SCALE:-1}
case $ward_test_scale in
  '' | *[!0-9]* | 0*) ward_test_scale_ok=0 ;;
  *) if [ "${#ward_test_scale}" -le 4 ] && [ "$ward_test_scale" -le 1000 ]; then
       ward_test_scale_ok=1
     else
       ward_test_scale_ok=0
     fi ;;
esac
if [ "$ward_test_scale_ok" -ne 1 ]; then
  printf 'Bail out! WARD_TEST_TIMEOUT_SCALE=%s: want an integer from 1 to 1000\n' \
    "$(printf %s "$ward_test_scale" | tr -c '[:alnum:]._-' '?')"
  exit 99
fi
scaled_s () { echo $(($1 * ward_test_scale)); }
scaled_ms () { echo $(($1 * ward_test_scale)); }
