## tests/local.mk -- the test suite (make check): what every area shares,
## then the .mk of each area, in the folder of its tests (tests/README.md).
## tests/build/build.mk is included by Makefile.am after
## AM_TESTS_ENVIRONMENT, which it extends.

## scale.sh: every timeout a shell test sets, scaled by
## WARD_TEST_TIMEOUT_SCALE; timeout-scale.sh proves every kind of test
## honours it.
TESTS += tests/timeout-scale.sh
EXTRA_DIST += tests/README.md tests/scale.sh tests/timeout-scale.sh

include $(srcdir)/tests/unit/unit.mk
include $(srcdir)/tests/policy/policy.mk
include $(srcdir)/tests/pg/pg.mk
include $(srcdir)/tests/init/init.mk
include $(srcdir)/tests/sandbox/sandbox.mk
include $(srcdir)/tests/lua/lua.mk
include $(srcdir)/tests/fuzz/fuzz.mk
include $(srcdir)/tests/bench/bench.mk
