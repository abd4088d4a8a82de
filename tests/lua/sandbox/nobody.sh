#!/bin/sh
# nobody.sh -- the subprocess-actor tests run by an unprivileged user
# (nobody): actors.lua, emilua.lua, fd.lua, hostile.sh, untrusted.sh,
# stdio.sh and stdio-hostile.sh, whose TAP
# is merged into one stream. The sandbox then needs a user namespace for
# everything. ward, ward built with the fault hooks ($WARD_FAULTS) and
# the test files are copied where nobody can read them, whatever the
# permissions of the checkout and the build tree.
: "${WARD:=./ward}"
: "${WARD_FAULTS:=${WARD_BUILDDIR:-.}/tests/ward-faults}"
src=${WARD_SRCDIR:-.}/tests/lua
if ! command -v setpriv >/dev/null 2>&1 && [ "$(id -u)" -eq 0 ]; then
  echo "1..0 # SKIP setpriv(1) is not installed"
  exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
chmod 755 "$tmp"
cp "$WARD" "$tmp/ward"
cp "$WARD_FAULTS" "$tmp/ward-faults"
mkdir -p "$tmp/tests/lua/sandbox" "$tmp/state"
cp "$src/run-lua-test.sh" "$src/tap.lua" "$tmp/tests/lua/"
cp "$src/../scale.sh" "$tmp/tests/"
cp -RL "$src/sandbox/." "$tmp/tests/lua/sandbox/"
chmod -R a+rX "$tmp"
chown 65534:65534 "$tmp/state"
run () {
  if [ "$(id -u)" -eq 0 ]; then
    (cd "$tmp" && setpriv --reuid=65534 --regid=65534 --clear-groups env WARD="$tmp/ward" \
      WARD_FAULTS="$tmp/ward-faults" WARD_SRCDIR="$tmp" XDG_STATE_HOME="$tmp/state" HOME="$tmp/state" "$@")
  else
    (cd "$tmp" && env WARD="$tmp/ward" WARD_FAULTS="$tmp/ward-faults" WARD_SRCDIR="$tmp" XDG_STATE_HOME="$tmp/state" "$@")
  fi
}
n=0
fails=0
for t in actors.lua emilua.lua fd.lua hostile.sh untrusted.sh stdio.sh stdio-hostile.sh; do
  case $t in
    *.lua) run sh tests/lua/run-lua-test.sh "tests/lua/sandbox/$t" > "$tmp/out" 2>&1 ;;
    *) run sh "tests/lua/sandbox/$t" > "$tmp/out" 2>&1 ;;
  esac
  status=$?
  # renumber this stream's results into ours
  while IFS= read -r line; do
    case $line in
      "ok "*|"not ok "*)
        n=$((n + 1))
        verdict=${line%% [0-9]*}
        rest=$(printf '%s\n' "$line" | sed 's/^\(not \)\{0,1\}ok [0-9]* *//')
        [ "$verdict" = "not ok" ] && fails=$((fails + 1))
        echo "$verdict $n - $t: ${rest#- }" ;;
      "1..0 #"*)
        n=$((n + 1))
        echo "ok $n - $t # SKIP${line#*SKIP}" ;;
      "#"*) echo "$line" ;;
    esac
  done < "$tmp/out"
  if [ "$status" -ne 0 ]; then
    n=$((n + 1)); fails=$((fails + 1))
    echo "not ok $n - $t exits 0 as nobody (status $status)"
    tail -n 5 "$tmp/out" | sed 's/^/# /'
  fi
done
echo "1..$n"
[ "$fails" -eq 0 ]
