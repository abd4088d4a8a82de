## tests/unit/unit.mk -- unit tests in C of the runtime's core (codec,
## patterns, mailboxes, scheduler, wire, ending a run), the Lua release and
## common/ (test-grow, test-units). tap.h here is the TAP producer of every C test.
UNIT_LDADD = libwardrt.a libwardsandbox.a libwardinit.a libwardpolicy.a libwardcommon.a \
	$(LUA_LIBS) $(SQLITE_LIBS) $(SECCOMP_LIBS) $(CAPNG_LIBS) -lm
UNIT_CPPFLAGS = $(ALL_CPPFLAGS) $(LUA_CFLAGS) -I$(top_srcdir)/tests/unit

check_PROGRAMS += tests/unit/test-codec tests/unit/test-pattern tests/unit/test-mailbox \
	tests/unit/test-sched tests/unit/test-wire tests/unit/test-ending
TESTS += tests/unit/test-codec tests/unit/test-pattern tests/unit/test-mailbox \
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

## test-luarel: the Lua release check (the release of a library, the start-up check)
check_PROGRAMS += tests/unit/test-luarel
tests_unit_test_luarel_SOURCES = tests/unit/test-luarel.c tests/unit/tap.h
tests_unit_test_luarel_CPPFLAGS = $(UNIT_CPPFLAGS)
tests_unit_test_luarel_LDADD = $(UNIT_LDADD)
TESTS += tests/unit/test-luarel

## test-grow: WARD_GROW (common/wgrow.h) and its overflow check
check_PROGRAMS += tests/unit/test-grow
tests_unit_test_grow_SOURCES = tests/unit/test-grow.c tests/unit/tap.h
tests_unit_test_grow_CPPFLAGS = $(UNIT_CPPFLAGS)
tests_unit_test_grow_LDADD = libwardcommon.a
TESTS += tests/unit/test-grow

## test-units: the size and duration parsers (common/wunit.h) that the
## CLI, the policy language and Lua share
check_PROGRAMS += tests/unit/test-units
tests_unit_test_units_SOURCES = tests/unit/test-units.c tests/unit/tap.h
tests_unit_test_units_CPPFLAGS = $(UNIT_CPPFLAGS)
tests_unit_test_units_LDADD = libwardcommon.a
TESTS += tests/unit/test-units
