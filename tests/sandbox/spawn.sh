#!/bin/sh
# spawn.sh -- test-spawn as an unprivileged user (nobody), where the kernel
# allows less: every namespace then needs a user namespace.
bin="${WARD_BUILDDIR:-.}/tests/sandbox/test-spawn"
if [ "$(id -u)" -ne 0 ]; then
  exec "$bin"
fi
if ! command -v setpriv >/dev/null 2>&1; then
  echo "1..0 # SKIP setpriv(1) is not installed"
  exit 0
fi
exec setpriv --reuid=65534 --regid=65534 --clear-groups "$bin"
