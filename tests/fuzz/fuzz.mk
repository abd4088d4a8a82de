## tests/fuzz/fuzz.mk -- fuzz harnesses. Each tests/fuzz/fuzz-NAME.c defines
## LLVMFuzzerTestOneInput; tests/fuzz/NAME/ holds its seed corpus.
## make check: tests/fuzz/replay-NAME replays the corpus (any compiler).
## ./configure --enable-fuzz && make fuzz: tests/fuzz/fuzz-NAME, the
## libFuzzer target, runs for FUZZ_TIME seconds (or FUZZ_RUNS inputs) each.
FUZZ_HARNESSES = codec wire policy policytest init
FUZZ_LIBS = libwardrt.a libwardsandbox.a libwardinit.a libwardpolicy.a libwardcommon.a \
	$(LUA_LIBS) $(SQLITE_LIBS) $(PQ_LIBS) $(SECCOMP_LIBS) $(CAPNG_LIBS) -lm
FUZZ_CPPFLAGS = $(ALL_CPPFLAGS) $(LUA_CFLAGS) $(SQLITE_CFLAGS) $(PQ_CFLAGS) $(SECCOMP_CFLAGS) \
	-I$(top_srcdir)/tests/fuzz
FUZZ_COMMON = tests/fuzz/fuzz.h tests/fuzz/fuzz-util.c
REPLAY_COMMON = tests/fuzz/replay.c $(FUZZ_COMMON)
FUZZ_CORPORA = -DFUZZ_CORPORA='"$(abs_top_srcdir)/tests/fuzz"'

check_PROGRAMS += tests/fuzz/replay-codec tests/fuzz/replay-wire tests/fuzz/replay-policy \
	tests/fuzz/replay-policytest tests/fuzz/replay-init
TESTS += tests/fuzz/replay-codec tests/fuzz/replay-wire tests/fuzz/replay-policy \
	tests/fuzz/replay-policytest tests/fuzz/replay-init
EXTRA_DIST += tests/fuzz/codec tests/fuzz/wire tests/fuzz/policy tests/fuzz/policytest \
	tests/fuzz/init

tests_fuzz_replay_codec_SOURCES = $(REPLAY_COMMON) tests/fuzz/fuzz-codec.c
tests_fuzz_replay_codec_CPPFLAGS = $(FUZZ_CPPFLAGS) $(FUZZ_CORPORA) -DFUZZ_NAME='"codec"'
tests_fuzz_replay_codec_LDADD = $(FUZZ_LIBS)
tests_fuzz_replay_wire_SOURCES = $(REPLAY_COMMON) tests/fuzz/fuzz-wire.c
tests_fuzz_replay_wire_CPPFLAGS = $(FUZZ_CPPFLAGS) $(FUZZ_CORPORA) -DFUZZ_NAME='"wire"'
tests_fuzz_replay_wire_LDADD = $(FUZZ_LIBS)
tests_fuzz_replay_policy_SOURCES = $(REPLAY_COMMON) tests/fuzz/fuzz-policy.c
tests_fuzz_replay_policy_CPPFLAGS = $(FUZZ_CPPFLAGS) $(FUZZ_CORPORA) -DFUZZ_NAME='"policy"'
tests_fuzz_replay_policy_LDADD = $(FUZZ_LIBS)
tests_fuzz_replay_policytest_SOURCES = $(REPLAY_COMMON) tests/fuzz/fuzz-policytest.c
tests_fuzz_replay_policytest_CPPFLAGS = $(FUZZ_CPPFLAGS) $(FUZZ_CORPORA) -DFUZZ_NAME='"policytest"'
tests_fuzz_replay_policytest_LDADD = $(FUZZ_LIBS)
tests_fuzz_replay_init_SOURCES = $(REPLAY_COMMON) tests/fuzz/fuzz-init.c
tests_fuzz_replay_init_CPPFLAGS = $(FUZZ_CPPFLAGS) $(FUZZ_CORPORA) -DFUZZ_NAME='"init"'
tests_fuzz_replay_init_LDADD = $(FUZZ_LIBS)

FUZZ_TIME = 60
FUZZ_RUNS = -1
FUZZ_FLAGS = -timeout=20 -rss_limit_mb=2048 -print_final_stats=1
## the new inputs a run finds go here (the seeds stay as they are)
FUZZ_WORK = fuzz-work

if WARD_FUZZ
FUZZ_LINK_FLAGS = $(AM_LDFLAGS) -fsanitize=fuzzer
noinst_PROGRAMS += tests/fuzz/fuzz-codec tests/fuzz/fuzz-wire tests/fuzz/fuzz-policy \
	tests/fuzz/fuzz-policytest tests/fuzz/fuzz-init
tests_fuzz_fuzz_codec_SOURCES = $(FUZZ_COMMON) tests/fuzz/fuzz-codec.c
tests_fuzz_fuzz_codec_CPPFLAGS = $(FUZZ_CPPFLAGS)
tests_fuzz_fuzz_codec_LDFLAGS = $(FUZZ_LINK_FLAGS)
tests_fuzz_fuzz_codec_LDADD = $(FUZZ_LIBS)
tests_fuzz_fuzz_wire_SOURCES = $(FUZZ_COMMON) tests/fuzz/fuzz-wire.c
tests_fuzz_fuzz_wire_CPPFLAGS = $(FUZZ_CPPFLAGS)
tests_fuzz_fuzz_wire_LDFLAGS = $(FUZZ_LINK_FLAGS)
tests_fuzz_fuzz_wire_LDADD = $(FUZZ_LIBS)
tests_fuzz_fuzz_policy_SOURCES = $(FUZZ_COMMON) tests/fuzz/fuzz-policy.c
tests_fuzz_fuzz_policy_CPPFLAGS = $(FUZZ_CPPFLAGS)
tests_fuzz_fuzz_policy_LDFLAGS = $(FUZZ_LINK_FLAGS)
tests_fuzz_fuzz_policy_LDADD = $(FUZZ_LIBS)
tests_fuzz_fuzz_policytest_SOURCES = $(FUZZ_COMMON) tests/fuzz/fuzz-policytest.c
tests_fuzz_fuzz_policytest_CPPFLAGS = $(FUZZ_CPPFLAGS)
tests_fuzz_fuzz_policytest_LDFLAGS = $(FUZZ_LINK_FLAGS)
tests_fuzz_fuzz_policytest_LDADD = $(FUZZ_LIBS)
tests_fuzz_fuzz_init_SOURCES = $(FUZZ_COMMON) tests/fuzz/fuzz-init.c
tests_fuzz_fuzz_init_CPPFLAGS = $(FUZZ_CPPFLAGS)
tests_fuzz_fuzz_init_LDFLAGS = $(FUZZ_LINK_FLAGS)
tests_fuzz_fuzz_init_LDADD = $(FUZZ_LIBS)

## make fuzz [FUZZ=NAME...] [FUZZ_TIME=SECONDS] [FUZZ_RUNS=N]: one
## harness after the other; stops at the first that finds a crash (its
## input is left as crash-* in the build directory).
FUZZ = $(FUZZ_HARNESSES)
fuzz: tests/fuzz/fuzz-codec tests/fuzz/fuzz-wire tests/fuzz/fuzz-policy \
	tests/fuzz/fuzz-policytest tests/fuzz/fuzz-init
	@for h in $(FUZZ); do \
	  $(MKDIR_P) $(FUZZ_WORK)/$$h || exit 1; \
	  echo "fuzz: $$h ($(FUZZ_TIME) s or $(FUZZ_RUNS) runs)"; \
	  ./tests/fuzz/fuzz-$$h $(FUZZ_FLAGS) -max_total_time=$(FUZZ_TIME) -runs=$(FUZZ_RUNS) \
	    $(FUZZ_WORK)/$$h $(srcdir)/tests/fuzz/$$h || exit 1; \
	done
else
fuzz:
	@echo "make fuzz: the fuzz targets need clang's libFuzzer: ./configure --enable-fuzz" >&2; exit 1
endif
.PHONY: fuzz
