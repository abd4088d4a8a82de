## tests/bench/bench.mk -- benchmarks (make bench), not part of make check.
## run-bench.sh prints ward's figures beside Erlang/OTP's (measured in the
## same run) with the ratio and the DESIGN.md section 6 target.
EXTRA_DIST += tests/bench/run-bench.sh tests/bench/scratch.sh tests/bench/wbench.erl \
	tests/bench/spawn.lua tests/bench/idle.lua tests/bench/msg.lua \
	tests/bench/actors/noop.lua tests/bench/actors/idle.lua tests/bench/actors/recv.lua \
	tests/bench/sbx.lua tests/bench/actors/pong.lua

.PHONY: bench
bench: ward
	WARD="$${WARD:-$(abs_top_builddir)/ward}" $(SHELL) $(srcdir)/tests/bench/run-bench.sh

## ---- sandbox start-up bench (tests/bench/sandbox-bench.c) ----
## Built with the check programs so that it cannot rot; run by `make bench`
## (or `make bench-sandbox` alone), never by `make check`.
check_PROGRAMS += tests/bench/sandbox-bench
tests_bench_sandbox_bench_SOURCES = tests/bench/sandbox-bench.c tests/bench/bstat.h
tests_bench_sandbox_bench_CPPFLAGS = $(ALL_CPPFLAGS) $(SECCOMP_CFLAGS) $(CAPNG_CFLAGS) \
	$(LUA_CFLAGS) -DWARD_TOP_SRCDIR='"$(abs_top_srcdir)"'
tests_bench_sandbox_bench_LDADD = libwardsandbox.a libwardinit.a libwardcommon.a \
	$(SECCOMP_LIBS) $(CAPNG_LIBS) $(LUA_LIBS) -lm

.PHONY: bench-sandbox
bench-sandbox: tests/bench/sandbox-bench$(EXEEXT)
	WARD_SRCDIR='$(abs_top_srcdir)' tests/bench/sandbox-bench $(SANDBOX_BENCH_ARGS)
	raw=`tests/bench/sandbox-bench --raw-rt 20000` && \
	"$${WARD:-$(abs_top_builddir)/ward}" run --root $(srcdir)/tests/bench $(srcdir)/tests/bench/sbx.lua 100 5000 "$$raw"
bench: bench-sandbox
## ---- end of the sandbox start-up bench ----

## ---- start-up bench (tests/bench/startup.sh) ----
## ward --version, ward run of a script that does nothing, ward run
## --untrusted of a small hostile script, and bubblewrap running it with
## lua5.4, in alternating runs: medians and ratios (REPS=N rounds).
EXTRA_DIST += tests/bench/startup.sh tests/bench/startup/hostile.lua tests/bench/startup/nop.lua \
	tests/bench/startup-contained.sh
## make check runs one round of it: it cannot rot, and the script is contained
TESTS += tests/bench/startup-contained.sh
.PHONY: bench-startup
bench-startup: ward tests/bench/wtime$(EXEEXT) tests/bench/nsfloor$(EXEEXT)
	WARD="$${WARD:-$(abs_top_builddir)/ward}" WTIME='$(abs_top_builddir)/tests/bench/wtime' \
	  NSFLOOR='$(abs_top_builddir)/tests/bench/nsfloor' $(SHELL) $(srcdir)/tests/bench/startup.sh
bench: bench-startup
## wtime times one whole process (fork, exec, wait); a check program so that
## it cannot rot, and so that make check's rounds have it
check_PROGRAMS += tests/bench/wtime
tests_bench_wtime_SOURCES = tests/bench/wtime.c
## nsfloor times what any cold-started sandbox pays here (an exec, a clone
## of six namespaces): startup.sh prints it as the floor beside the others
check_PROGRAMS += tests/bench/nsfloor
tests_bench_nsfloor_SOURCES = tests/bench/nsfloor.c tests/bench/bstat.h

## ---- the user-level bench (tests/bench/scripts.sh) ----
## N small hostile scripts run as ward run --untrusted each, as N actors
## on ward:sandbox of one ward run, and by bubblewrap with lua5.4, in
## alternating rounds: time per script, ratios, and each one checked
## contained on the host (REPS=N rounds, N=N scripts a round).
EXTRA_DIST += tests/bench/scripts.sh tests/bench/scripts-contained.sh \
	tests/bench/hostile-many.lua tests/bench/hostile/attack.lua tests/bench/hostile/h1.lua tests/bench/hostile/h2.lua \
	tests/bench/hostile/h3.lua tests/bench/hostile/h4.lua tests/bench/hostile/h5.lua \
	tests/bench/hostile/h6.lua tests/bench/hostile/h7.lua tests/bench/hostile/h8.lua
## make check runs one round of it: it cannot rot, and every script is contained
TESTS += tests/bench/scripts-contained.sh
.PHONY: bench-scripts
bench-scripts: ward tests/bench/wtime$(EXEEXT)
	WARD="$${WARD:-$(abs_top_builddir)/ward}" WTIME='$(abs_top_builddir)/tests/bench/wtime' \
	  $(SHELL) $(srcdir)/tests/bench/scripts.sh
bench: bench-scripts

## ---- scale bench (tests/bench/scale.sh) ----
## N idle processes in one run (RSS, spawn time at 1k and at N live), and
## the policy engine with 10k and 100k generated rules (load, decisions);
## policy-scale is built with the check programs so that it cannot rot.
EXTRA_DIST += tests/bench/scale.sh tests/bench/scale.lua tests/bench/gen-policy.sh \
	tests/bench/policy-scale-check.sh tests/bench/timers.lua tests/bench/actors/sleeper.lua \
	tests/bench/names.lua
## make check runs it on a small policy: every decision as the policy says
TESTS += tests/bench/policy-scale-check.sh
check_PROGRAMS += tests/bench/policy-scale
tests_bench_policy_scale_SOURCES = tests/bench/policy-scale.c
tests_bench_policy_scale_CPPFLAGS = $(ALL_CPPFLAGS) $(SQLITE_CFLAGS) $(PQ_CFLAGS)
tests_bench_policy_scale_LDADD = libwardpolicy.a libwardcommon.a $(SQLITE_LIBS) $(PQ_LIBS)
.PHONY: bench-scale
bench-scale: ward tests/bench/policy-scale$(EXEEXT)
	WARD="$${WARD:-$(abs_top_builddir)/ward}" POLICY_SCALE=tests/bench/policy-scale \
	  $(SHELL) $(srcdir)/tests/bench/scale.sh
bench: bench-scale

## ---- fs bench (tests/bench/fs-read.sh) ----
## fs.read_file of a 4 KB file from a subprocess actor and an in-process
## actor, beside lua5.4 reading it in the same run (N=, REPS=).
EXTRA_DIST += tests/bench/fs-read.sh
EXTRA_DIST += tests/bench/peer.sh
.PHONY: bench-fs
bench-fs: ward
	WARD="$${WARD:-$(abs_top_builddir)/ward}" $(SHELL) $(srcdir)/tests/bench/fs-read.sh

## ---- net bench (tests/bench/net-connect.sh) ----
## net.connect + close to a loopback listener from a subprocess actor and
## an in-process actor, beside lua5.4 with LuaSocket in the same run (N=,
## REPS=).
EXTRA_DIST += tests/bench/net-connect.sh
.PHONY: bench-net
bench-net: ward
	WARD="$${WARD:-$(abs_top_builddir)/ward}" $(SHELL) $(srcdir)/tests/bench/net-connect.sh
