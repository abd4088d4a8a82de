## tests/sandbox/sandbox.mk -- sandbox tests: the supervisor and spawn
## (test-spawn, as the caller and as nobody via spawn.sh) and the escape suite.
SPAWN_LDADD = libwardsandbox.a libwardinit.a libwardcommon.a $(SECCOMP_LIBS) \
	$(CAPNG_LIBS) $(LUA_LIBS) -lm
SPAWN_CPPFLAGS = $(ALL_CPPFLAGS) $(SECCOMP_CFLAGS) $(CAPNG_CFLAGS) $(LUA_CFLAGS) \
	-I$(top_srcdir)/tests/unit
check_PROGRAMS += tests/sandbox/test-spawn
tests_sandbox_test_spawn_CPPFLAGS = $(SPAWN_CPPFLAGS)
tests_sandbox_test_spawn_LDADD = $(SPAWN_LDADD)
TESTS += tests/sandbox/test-spawn tests/sandbox/spawn.sh
EXTRA_DIST += tests/sandbox/spawn.sh tests/sandbox/as-nobody.sh


## ---- escape suite (tests/sandbox/probe.c, test-escape.c, escape.sh) ----
check_PROGRAMS += tests/sandbox/test-escape
tests_sandbox_test_escape_SOURCES = tests/sandbox/test-escape.c \
	tests/sandbox/probe.c tests/sandbox/probe.h
tests_sandbox_test_escape_CPPFLAGS = $(SPAWN_CPPFLAGS) -DWARD_TOP_SRCDIR='"$(abs_top_srcdir)"'
tests_sandbox_test_escape_LDADD = $(SPAWN_LDADD)
TESTS += tests/sandbox/test-escape tests/sandbox/escape.sh
EXTRA_DIST += tests/sandbox/escape.sh
## ---- end of the escape suite ----

## ---- lockdown (tests/sandbox/test-lockdown.c, lockdown-nobody.sh) ----
check_PROGRAMS += tests/sandbox/test-lockdown
tests_sandbox_test_lockdown_CPPFLAGS = $(SPAWN_CPPFLAGS)
tests_sandbox_test_lockdown_LDADD = $(SPAWN_LDADD)
if SECCOMP_PREBUILT
tests_sandbox_test_lockdown_CPPFLAGS += -DWARD_SECCOMP_PREBUILT
endif
TESTS += tests/sandbox/test-lockdown tests/sandbox/lockdown-nobody.sh
EXTRA_DIST += tests/sandbox/lockdown-nobody.sh
## ---- end of lockdown ----

## ---- warm profiles: a child kept ready per profile ----
check_PROGRAMS += tests/sandbox/test-warm
tests_sandbox_test_warm_CPPFLAGS = $(SPAWN_CPPFLAGS)
tests_sandbox_test_warm_LDADD = $(SPAWN_LDADD)
TESTS += tests/sandbox/test-warm
