#!/bin/sh
# lockdown-nobody.sh -- test-lockdown as nobody: every child then makes a
# user namespace first, as ward does for an unprivileged caller.
. "$(dirname "$0")/as-nobody.sh"
nobody_test "$WARD_BUILDDIR/tests/sandbox/test-lockdown"
