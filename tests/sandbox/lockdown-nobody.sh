#!/bin/sh
# lockdown-nobody.sh -- test-lockdown as nobody: every child then makes a
# user namespace first, as ward does for an unprivileged caller.
bin="${WARD_BUILDDIR:-.}/tests/sandbox/test-lockdown"
if [ "$(id -u)" != 0 ]; then
  echo "1..0 # SKIP needs root to become nobody"
  exit 0
fi
if ! command -v setpriv >/dev/null 2>&1; then
  echo "1..0 # SKIP no setpriv (util-linux)"
  exit 0
fi
if ! setpriv --reuid=65534 --regid=65534 --clear-groups test -x "$bin"; then
  echo "1..0 # SKIP nobody cannot reach $bin"
  exit 0
fi
exec setpriv --reuid=65534 --regid=65534 --clear-groups "$bin"
