## tests/lua/lua.mk -- Lua end-to-end tests: each tests/lua/AREA/*.lua runs
## under run-lua-test.sh (ward run with the test's folder as --root) and
## prints TAP through tap.lua; helper actors live in AREA/actors (id
## actors:NAME). One .mk per area: process (the process module), runtime
## (channels, time, the Emilua face, limits, the CLI), sandbox (subprocess
## actors and untrusted scripts). An actor two areas use is defined once in
## tests/lua/actors and linked from each area's actors/ (as tap.lua is).
LUA_TESTS =
EXTRA_DIST += tests/lua/run-lua-test.sh tests/lua/tap.lua tests/lua/actors \
	tests/lua/pending.lua

## session: runs a command in a session of its own and reports what of it
## outlives it (signals.sh, lifetime.sh).
check_PROGRAMS += tests/lua/session
EXTRA_DIST += tests/lua/session.sh

include $(srcdir)/tests/lua/process/process.mk
include $(srcdir)/tests/lua/runtime/runtime.mk
include $(srcdir)/tests/lua/sandbox/sandbox.mk
TESTS += $(LUA_TESTS)
EXTRA_DIST += $(LUA_TESTS)
