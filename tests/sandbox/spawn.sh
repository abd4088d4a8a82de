#!/bin/sh
# spawn.sh -- test-spawn as an unprivileged user (nobody), where the kernel
# allows less: every namespace then needs a user namespace, and a profile
# without one locks down a process that holds no capability.
. "$(dirname "$0")/as-nobody.sh"
nobody_test "$WARD_BUILDDIR/tests/sandbox/test-spawn"
