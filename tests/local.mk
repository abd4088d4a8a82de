## tests/local.mk -- unit tests (C, TAP) and Lua end-to-end tests.
UNIT_LDADD = libwardrt.a libwardsandbox.a libwardinit.a libwardpolicy.a libwardcommon.a \
	$(LUA_LIBS) $(SQLITE_LIBS) $(SECCOMP_LIBS) $(CAPNG_LIBS) -lm
UNIT_CPPFLAGS = $(ALL_CPPFLAGS) $(LUA_CFLAGS) -I$(top_srcdir)/tests/unit

check_PROGRAMS += tests/unit/test-codec tests/unit/test-pattern tests/unit/test-mailbox \
	tests/unit/test-sched tests/unit/test-wire tests/unit/test-ending
tests_unit_test_codec_SOURCES = tests/unit/test-codec.c tests/unit/tap.h
tests_unit_test_codec_CPPFLAGS = $(UNIT_CPPFLAGS)
tests_unit_test_codec_LDADD = $(UNIT_LDADD)
tests_unit_test_pattern_SOURCES = tests/unit/test-pattern.c tests/unit/tap.h
tests_unit_test_pattern_CPPFLAGS = $(UNIT_CPPFLAGS)
tests_unit_test_pattern_LDADD = $(UNIT_LDADD)

tests_unit_test_mailbox_SOURCES = tests/unit/test-mailbox.c tests/unit/tap.h
tests_unit_test_mailbox_CPPFLAGS = $(UNIT_CPPFLAGS)
tests_unit_test_mailbox_LDADD = $(UNIT_LDADD)
tests_unit_test_sched_SOURCES = tests/unit/test-sched.c tests/unit/tap.h
tests_unit_test_sched_CPPFLAGS = $(UNIT_CPPFLAGS)
tests_unit_test_sched_LDADD = $(UNIT_LDADD)

tests_unit_test_wire_SOURCES = tests/unit/test-wire.c tests/unit/tap.h
tests_unit_test_wire_CPPFLAGS = $(UNIT_CPPFLAGS)
tests_unit_test_wire_LDADD = $(UNIT_LDADD)
tests_unit_test_ending_SOURCES = tests/unit/test-ending.c tests/unit/tap.h
tests_unit_test_ending_CPPFLAGS = $(UNIT_CPPFLAGS)
tests_unit_test_ending_LDADD = $(UNIT_LDADD)
check_PROGRAMS += tests/unit/test-luarel
tests_unit_test_luarel_SOURCES = tests/unit/test-luarel.c tests/unit/tap.h
tests_unit_test_luarel_CPPFLAGS = $(UNIT_CPPFLAGS)
tests_unit_test_luarel_LDADD = $(UNIT_LDADD)
TESTS += tests/unit/test-luarel
check_PROGRAMS += tests/unit/test-grow
tests_unit_test_grow_SOURCES = tests/unit/test-grow.c tests/unit/tap.h
tests_unit_test_grow_CPPFLAGS = $(UNIT_CPPFLAGS)
tests_unit_test_grow_LDADD = libwardcommon.a
TESTS += tests/unit/test-grow
check_PROGRAMS += tests/unit/test-units
tests_unit_test_units_SOURCES = tests/unit/test-units.c tests/unit/tap.h
tests_unit_test_units_CPPFLAGS = $(UNIT_CPPFLAGS)
tests_unit_test_units_LDADD = libwardcommon.a
TESTS += tests/unit/test-units

TESTS += tests/unit/test-codec tests/unit/test-pattern tests/unit/test-mailbox \
	tests/unit/test-sched tests/unit/test-wire tests/unit/test-ending

## session: runs a command in a session of its own and reports what of it
## outlives it (signals.sh, lifetime.sh).
check_PROGRAMS += tests/lua/session
tests_lua_session_SOURCES = tests/lua/session.c
EXTRA_DIST += tests/lua/session.sh
TESTS += tests/timeout-scale.sh

LUA_TESTS =
EXTRA_DIST += tests/lua tests/bench tests/scale.sh tests/timeout-scale.sh
include $(srcdir)/tests/lua/process.mk
include $(srcdir)/tests/lua/runtime.mk
include $(srcdir)/tests/lua/sandbox.mk
include $(srcdir)/tests/bench/bench.mk
TESTS += $(LUA_TESTS)
