#!/bin/sh
# nobody.sh -- run test-init as nobody (uid/gid 65534, no groups), so the
# unprivileged path is tested too: user namespaces made by a plain user, and
# the calls the kernel refuses outside them.
bin="$WARD_BUILDDIR/tests/init/test-init"
if [ "$(id -u)" != 0 ]; then
  exec "$bin"                   # already unprivileged
fi
if ! command -v setpriv >/dev/null 2>&1; then
  echo "1..0 # SKIP setpriv (util-linux) is not installed"
  exit 0
fi
# nobody may not reach the build tree: run copies from a private directory
dir=$(mktemp -d) || exit 1
trap 'rm -rf "$dir"' EXIT
mkdir "$dir/init"
cp "$bin" "$dir/test-init" && cp "$WARD_SRCDIR/init/empty-root.lua" "$dir/init/" || exit 1
chmod 755 "$dir" "$dir/init" "$dir/test-init" && chmod 644 "$dir/init/empty-root.lua"
cd "$dir" && WARD_SRCDIR="$dir" setpriv --reuid=65534 --regid=65534 --clear-groups \
  "$dir/test-init"
