#!/bin/sh
# nobody.sh -- actors.lua run by an unprivileged user (nobody): the sandbox
# then needs a user namespace for everything. ward and the test files are
# copied where nobody can read them, whatever the checkout's permissions.
: "${WARD:=./ward}"
src=${WARD_SRCDIR:-.}/tests/lua
if [ "$(id -u)" -ne 0 ]; then
  exec sh "$src/run-lua-test.sh" "$src/sandbox/actors.lua"
fi
if ! command -v setpriv >/dev/null 2>&1; then
  echo "1..0 # SKIP setpriv(1) is not installed"
  exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
chmod 755 "$tmp"
cp "$WARD" "$tmp/ward"
mkdir -p "$tmp/lua/sandbox" "$tmp/state"
cp "$src/run-lua-test.sh" "$src/tap.lua" "$tmp/lua/"
cp -RL "$src/sandbox/." "$tmp/lua/sandbox/"
cp "$src/process/util.lua" "$tmp/lua/sandbox/util.lua"
chmod -R a+rX "$tmp"
chown 65534:65534 "$tmp/state"
cd "$tmp" && setpriv --reuid=65534 --regid=65534 --clear-groups \
  env WARD="$tmp/ward" XDG_STATE_HOME="$tmp/state" sh lua/run-lua-test.sh lua/sandbox/actors.lua
