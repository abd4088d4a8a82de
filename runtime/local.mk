## runtime/local.mk -- the actor runtime (libwardrt.a) and the ward command.
## core/: scheduler, processes, mailboxes, timers, topology, arena, codec;
## vm/: one Lua VM per process (limits, coroutines, the safe base library,
##   definitions, the face a VM is given, errors, patterns);
## lua/: the Lua faces (process, channel, time, fd, Emilua);
## remote/: the subprocess bridge (wire, the child's end, the broker).
noinst_LIBRARIES += libwardrt.a
libwardrt_a_CPPFLAGS = $(RUNTIME_CPPFLAGS) $(LUA_CFLAGS) $(SECCOMP_CFLAGS)
libwardrt_a_SOURCES = \
	runtime/core/rt.h runtime/core/arena.h runtime/core/arena.c \
	runtime/core/codec.h runtime/core/codecint.h runtime/core/codec.c \
	runtime/core/codecenc.c runtime/core/codecdec.c runtime/core/sched.c \
	runtime/core/proc.c runtime/core/mailbox.c runtime/core/topo.c \
	runtime/core/timer.c runtime/core/lock.c runtime/core/msgpool.c \
	runtime/core/fdvec.h runtime/core/fdvec.c \
	runtime/core/fsgate.h runtime/core/fsgate.c \
	runtime/vm/vm.h runtime/vm/vmint.h runtime/vm/vm.c runtime/vm/vmlimit.c \
	runtime/vm/vmco.c runtime/vm/vmbase.c runtime/vm/vmlibs.c runtime/vm/defs.c \
	runtime/vm/face.h runtime/vm/face.c runtime/vm/lerr.c \
	runtime/vm/pattern.h runtime/vm/pattern.c \
	runtime/lua/lchan.c \
	runtime/lua/lproc.h runtime/lua/lproc.c runtime/lua/lspawn.c runtime/lua/llink.c \
	runtime/lua/lemilua.h runtime/lua/lemilua.c runtime/lua/lspawnvm.c \
	runtime/lua/lfd.h runtime/lua/lfd.c runtime/lua/lio.h runtime/lua/lio.c \
	runtime/lua/lfs.h runtime/lua/lfs.c runtime/lua/lnet.h runtime/lua/lnet.c \
	runtime/remote/wire.h runtime/remote/wire.c runtime/remote/remote.h \
	runtime/remote/rchild.h runtime/remote/remote.c runtime/remote/rhandle.c \
	runtime/remote/broker.h runtime/remote/broker.c runtime/remote/breader.c \
	runtime/remote/bhandle.c runtime/remote/bproxy.c

bin_PROGRAMS += ward
ward_SOURCES = runtime/main.c
ward_CPPFLAGS = $(RUNTIME_CPPFLAGS) $(LUA_CFLAGS)
ward_LDADD = libwardrt.a libwardsandbox.a libwardinit.a libwardpolicy.a libwardcommon.a \
	$(LUA_LIBS) $(SQLITE_LIBS) $(PQ_LIBS) \
	$(SECCOMP_LIBS) $(CAPNG_LIBS) -lm


## tests/ward-faults: ward with the fault hooks the tests drive
## (WARD_TEST_AUDIT_FAULT, WARD_TEST_SYSCALL_FAULT) and the
## compromised-child harness (WARD_TEST_RAW_WIRE, tests/harness/rawwire.c).
## The sources that hold a hook are compiled again with -DWARD_TEST_HOOKS
## and linked ahead of the libraries, whose hook-free objects are then not
## pulled in; the installed ward has no hook at all.
check_PROGRAMS += tests/ward-faults
tests_ward_faults_SOURCES = runtime/main.c runtime/remote/remote.c runtime/remote/broker.c \
	runtime/remote/breader.c \
	runtime/remote/bhandle.c runtime/remote/bproxy.c policy/audit/audit.c \
	tests/harness/rawwire.c \
	sandbox/client.c sandbox/supervisor.c sandbox/build.c sandbox/spawn.c
tests_ward_faults_CPPFLAGS = $(ALL_CPPFLAGS) $(LUA_CFLAGS) $(SQLITE_CFLAGS) $(PQ_CFLAGS) $(SECCOMP_CFLAGS) \
	$(CAPNG_CFLAGS) -DWARD_TEST_HOOKS
tests_ward_faults_LDADD = $(ward_LDADD)
