## runtime/local.mk -- the actor runtime (libwardrt.a) and the ward command.
noinst_LIBRARIES += libwardrt.a
libwardrt_a_CPPFLAGS = $(AM_CPPFLAGS) $(LUA_CFLAGS) $(SECCOMP_CFLAGS)
libwardrt_a_SOURCES = runtime/rt.h runtime/vm.h runtime/codec.h runtime/pattern.h \
	runtime/arena.h runtime/arena.c runtime/codec.c runtime/pattern.c runtime/sched.c runtime/proc.c runtime/mailbox.c \
	runtime/topo.c runtime/timer.c runtime/vm.c runtime/defs.c runtime/lerr.c runtime/lchan.c \
	runtime/lproc.c runtime/lemilua.c runtime/wire.h runtime/wire.c runtime/remote.h \
	runtime/remote.c runtime/broker.h runtime/broker.c runtime/bhandle.c runtime/bproxy.c runtime/lfd.h runtime/lfd.c

bin_PROGRAMS += ward
ward_SOURCES = runtime/main.c
ward_CPPFLAGS = $(AM_CPPFLAGS) $(LUA_CFLAGS) $(SQLITE_CFLAGS)
ward_LDADD = libwardrt.a libwardsandbox.a libwardinit.a libwardpolicy.a libwardcommon.a \
	$(LUA_LIBS) $(SQLITE_LIBS) \
	$(SECCOMP_LIBS) $(CAPNG_LIBS) -lm


## tests/ward-faults: ward with the fault hooks the tests drive
## (WARD_TEST_AUDIT_FAULT, WARD_TEST_SYSCALL_FAULT) and the
## compromised-child harness (WARD_TEST_RAW_WIRE, tests/harness/rawwire.c).
## The sources that hold a hook are compiled again with -DWARD_TEST_HOOKS
## and linked ahead of the libraries, whose hook-free objects are then not
## pulled in; the installed ward has no hook at all.
check_PROGRAMS += tests/ward-faults
tests_ward_faults_SOURCES = runtime/main.c runtime/remote.c runtime/broker.c runtime/bhandle.c runtime/bproxy.c policy/audit.c \
	tests/harness/rawwire.c \
	sandbox/client.c sandbox/supervisor.c sandbox/spawn.c
tests_ward_faults_CPPFLAGS = $(ward_CPPFLAGS) $(SECCOMP_CFLAGS) $(CAPNG_CFLAGS) -DWARD_TEST_HOOKS
tests_ward_faults_LDADD = $(ward_LDADD)
