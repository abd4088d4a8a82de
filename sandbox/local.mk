## sandbox/local.mk -- subprocess actors (libwardsandbox.a): the supervisor,
## clone and namespaces, PID 1, and the lockdown (rlimits, caps, seccomp).
noinst_LIBRARIES += libwardsandbox.a
libwardsandbox_a_CPPFLAGS = $(SANDBOX_CPPFLAGS) $(SECCOMP_CFLAGS) $(CAPNG_CFLAGS)
libwardsandbox_a_SOURCES = sandbox/include/sandbox.h sandbox/proto.h sandbox/client.c \
	sandbox/supervisor.h sandbox/supervisor.c sandbox/build.c sandbox/spawn.c sandbox/pid1.c \
	sandbox/lockdown.c sandbox/lockdown.h sandbox/seccomp.c
