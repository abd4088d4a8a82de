## tests/unit/unit.mk -- unit tests in C of the runtime's core (codec,
## patterns, mailboxes, scheduler, wire, ending a run), the Lua release and
## common/ (test-grow, test-units). tap.h here is the TAP producer of every C test;
## testutil.h holds what several C tests share, rttest.h what test-sched and
## test-ending share.
## A C test of one file, tests/AREA/test-NAME.c, leaves out _SOURCES (it is
## automake's default); automake still wants each program's flags by name.
UNIT_LDADD = libwardrt.a libwardsandbox.a libwardinit.a libwardpolicy.a libwardcommon.a \
	$(LUA_LIBS) $(SQLITE_LIBS) $(PQ_LIBS) $(SECCOMP_LIBS) $(CAPNG_LIBS) -lm
UNIT_CPPFLAGS = $(ALL_CPPFLAGS) $(LUA_CFLAGS) -I$(top_srcdir)/tests/unit
EXTRA_DIST += tests/unit/tap.h tests/unit/testutil.h tests/unit/rttest.h

## test-luarel: the Lua release check (the release of a library, the start-up check);
## test-grow: WARD_GROW (common/wgrow.h) and its overflow check; test-units:
## the size and duration parsers (common/wunit.h) that the CLI, the policy
## language and Lua share
UNIT_TESTS = tests/unit/test-codec tests/unit/test-pattern tests/unit/test-mailbox \
	tests/unit/test-sched tests/unit/test-wire tests/unit/test-ending \
	tests/unit/test-luarel tests/unit/test-grow tests/unit/test-units
check_PROGRAMS += $(UNIT_TESTS)
TESTS += $(UNIT_TESTS)
tests_unit_test_codec_CPPFLAGS = $(UNIT_CPPFLAGS)
tests_unit_test_codec_LDADD = $(UNIT_LDADD)
tests_unit_test_pattern_CPPFLAGS = $(UNIT_CPPFLAGS)
tests_unit_test_pattern_LDADD = $(UNIT_LDADD)
tests_unit_test_mailbox_CPPFLAGS = $(UNIT_CPPFLAGS)
tests_unit_test_mailbox_LDADD = $(UNIT_LDADD)
tests_unit_test_sched_CPPFLAGS = $(UNIT_CPPFLAGS)
tests_unit_test_sched_LDADD = $(UNIT_LDADD)
tests_unit_test_wire_CPPFLAGS = $(UNIT_CPPFLAGS)
tests_unit_test_wire_LDADD = $(UNIT_LDADD)
tests_unit_test_ending_CPPFLAGS = $(UNIT_CPPFLAGS)
tests_unit_test_ending_LDADD = $(UNIT_LDADD)
tests_unit_test_luarel_CPPFLAGS = $(UNIT_CPPFLAGS)
tests_unit_test_luarel_LDADD = $(UNIT_LDADD)
tests_unit_test_grow_CPPFLAGS = $(UNIT_CPPFLAGS)
tests_unit_test_grow_LDADD = libwardcommon.a
tests_unit_test_units_CPPFLAGS = $(UNIT_CPPFLAGS)
tests_unit_test_units_LDADD = libwardcommon.a

## test-lockorder: the lock order of rt.h aborts a lock taken out of order.
## The check is built into --enable-sanitizers builds; this test compiles
## it in (lock.c with WARD_LOCK_DEBUG) whatever the build.
check_PROGRAMS += tests/unit/test-lockorder
tests_unit_test_lockorder_SOURCES = tests/unit/test-lockorder.c runtime/core/lock.c
tests_unit_test_lockorder_CPPFLAGS = $(UNIT_CPPFLAGS) -DWARD_LOCK_DEBUG
TESTS += tests/unit/test-lockorder
