#!/bin/sh
# nobody.sh -- run test-init as nobody (uid/gid 65534, no groups), so the
# unprivileged path is tested too: user namespaces made by a plain user, and
# the calls the kernel refuses outside them.
. "$(dirname "$0")/../sandbox/as-nobody.sh"
nobody_test "$WARD_BUILDDIR/tests/init/test-init" init/empty-root.lua
