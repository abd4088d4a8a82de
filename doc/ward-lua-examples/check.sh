#!/bin/sh
# check.sh -- run every example of ward-lua(7) and compare its output with
# the .expected file beside it, and check that the page shows every file
# here (script, definition, output) as it is; TAP on stdout. make check runs it (doc/local.mk)
# with WARD and WARD_SRCDIR set; by hand: doc/ward-lua-examples/check.sh [WARD]
dir=$(cd "$(dirname "$0")" && pwd)
ward=${1:-${WARD:-$dir/../../ward}}
. "${WARD_SRCDIR:-$dir/../..}/tests/scale.sh"
examples="supervisor messages builder links emilua upgrade limits"
shown=$(cd "$dir" && find . -name '*.lua' -o -name '*.expected' | sort)
echo "1..$(($(echo $examples | wc -w) + $(echo $shown | wc -w)))"
fail=0
# the page as text: groff's escapes for -, \, ' and " undone
page=$(sed -e 's/\\-/-/g' -e 's/\\e/\\/g' -e "s/\\\\(aq/'/g" -e 's/\\&//g' \
  -e 's/\\(dq/"/g' "$dir/../ward-lua.7")
for f in $shown; do
  text=$(cat "$dir/$f")
  case "$page" in
    *"$text"*) echo "ok - ward-lua(7) shows ${f#./} as it is" ;;
    *) echo "not ok - ward-lua(7) does not show ${f#./} as it is"; fail=1 ;;
  esac
done
for ex in $examples; do
  opts=
  [ "$ex" = limits ] && opts="--memory 16M --instructions 100000000"
  # shellcheck disable=SC2086
  out=$(timeout "$(scaled_s 60)" "$ward" run $opts "$dir/$ex.lua" 2>&1)
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
