## sandbox/local.mk -- subprocess actors (libwardsandbox.a): the supervisor,
## clone and namespaces, PID 1, and the lockdown (rlimits, caps, seccomp).
noinst_LIBRARIES += libwardsandbox.a
libwardsandbox_a_CPPFLAGS = $(SANDBOX_CPPFLAGS) $(SECCOMP_CFLAGS) $(CAPNG_CFLAGS)
libwardsandbox_a_SOURCES = sandbox/include/sandbox.h sandbox/proto.h sandbox/client.c \
	sandbox/supervisor.h sandbox/supervisor.c sandbox/build.c sandbox/spawn.c sandbox/pid1.c \
	sandbox/lockdown.c sandbox/lockdown.h sandbox/seccomp.c

## The default seccomp profile as BPF, compiled while ward is built: a run
## loads it without libseccomp (sandbox/seccomp-gen writes seccomp-prog.c).
if SECCOMP_PREBUILT
noinst_PROGRAMS += sandbox/seccomp-gen
sandbox_seccomp_gen_SOURCES = sandbox/seccomp-gen.c sandbox/seccomp.c
sandbox_seccomp_gen_CPPFLAGS = $(SANDBOX_CPPFLAGS) $(SECCOMP_CFLAGS) -DWARD_SECCOMP_GEN
sandbox_seccomp_gen_LDADD = libwardcommon.a $(SECCOMP_LIBS)
nodist_libwardsandbox_a_SOURCES = sandbox/seccomp-prog.c
libwardsandbox_a_CPPFLAGS += -DWARD_SECCOMP_PREBUILT
BUILT_SOURCES += sandbox/seccomp-prog.c
CLEANFILES += sandbox/seccomp-prog.c
sandbox/seccomp-prog.c: sandbox/seccomp-gen$(EXEEXT)
	$(AM_V_GEN)./sandbox/seccomp-gen$(EXEEXT) > $@.tmp && mv $@.tmp $@
endif
