## policy/local.mk -- the permission engine (libwardpolicy.a): the policy
## language, checker, formatter, decision index and cache, SQLite store, CLI.
noinst_LIBRARIES += libwardpolicy.a
libwardpolicy_a_SOURCES = policy/policy.h policy/gate.c \
	policy/engine.h policy/wpol.h policy/lex.h \
	policy/util.c policy/glob.c policy/lexer.c policy/parser.c policy/check.c \
	policy/format.c policy/eval.c policy/compile.c policy/cache.c \
	policy/engine.c policy/store.c policy/cli.c
libwardpolicy_a_CPPFLAGS = $(AM_CPPFLAGS) $(SQLITE_CFLAGS)

WPOL_TEST_LIBS = libwardpolicy.a libwardcommon.a $(SQLITE_LIBS)
WPOL_TEST_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests/unit $(SQLITE_CFLAGS)

check_PROGRAMS += tests/policy/test-lang tests/policy/test-eval \
	tests/policy/test-store tests/policy/wpol-cli tests/policy/bench-decide
TESTS += tests/policy/test-lang tests/policy/test-eval tests/policy/test-store \
	tests/policy/cli.sh

tests_policy_test_lang_SOURCES = tests/policy/test-lang.c
tests_policy_test_lang_CPPFLAGS = $(WPOL_TEST_CPPFLAGS)
tests_policy_test_lang_LDADD = $(WPOL_TEST_LIBS)
tests_policy_test_eval_SOURCES = tests/policy/test-eval.c
tests_policy_test_eval_CPPFLAGS = $(WPOL_TEST_CPPFLAGS)
tests_policy_test_eval_LDADD = $(WPOL_TEST_LIBS)
tests_policy_test_store_SOURCES = tests/policy/test-store.c
tests_policy_test_store_CPPFLAGS = $(WPOL_TEST_CPPFLAGS)
tests_policy_test_store_LDADD = $(WPOL_TEST_LIBS)
tests_policy_wpol_cli_SOURCES = tests/policy/wpol-cli.c
tests_policy_wpol_cli_CPPFLAGS = $(WPOL_TEST_CPPFLAGS)
tests_policy_wpol_cli_LDADD = $(WPOL_TEST_LIBS)
tests_policy_bench_decide_SOURCES = tests/policy/bench-decide.c
tests_policy_bench_decide_CPPFLAGS = $(WPOL_TEST_CPPFLAGS)
tests_policy_bench_decide_LDADD = $(WPOL_TEST_LIBS)

dist_man_MANS += doc/ward-policy.5
pkgdata_DATA += policies/default.policy policies/untrusted.policy
EXTRA_DIST += policies tests/policy/cli.sh
