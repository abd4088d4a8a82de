## tests/policy/policy.mk -- tests of the permission engine (policy/): the
## language, evaluation, the store, the audit writer and the CLI; benchmarks
## of decisions and of the audit (make bench-policy).
WPOL_TEST_LIBS = libwardpolicy.a libwardcommon.a $(SQLITE_LIBS) $(PQ_LIBS)
WPOL_TEST_CPPFLAGS = $(ALL_CPPFLAGS) -I$(top_srcdir)/tests/unit $(SQLITE_CFLAGS) $(PQ_CFLAGS)

check_PROGRAMS += tests/policy/test-lang tests/policy/test-eval \
	tests/policy/test-store tests/policy/wpol-cli tests/policy/bench-decide \
	tests/policy/test-audit tests/policy/bench-audit
TESTS += tests/policy/test-lang tests/policy/test-eval tests/policy/test-store \
	tests/policy/cli.sh tests/policy/test-audit tests/policy/wiring.sh \
	tests/policy/audit.sh tests/policy/suggest.sh tests/policy/store.sh \
	tests/policy/undeclared.sh tests/policy/history.sh tests/policy/explain.sh

tests_policy_test_lang_CPPFLAGS = $(WPOL_TEST_CPPFLAGS)
tests_policy_test_lang_LDADD = $(WPOL_TEST_LIBS)
tests_policy_test_eval_CPPFLAGS = $(WPOL_TEST_CPPFLAGS)
tests_policy_test_eval_LDADD = $(WPOL_TEST_LIBS)
tests_policy_test_store_CPPFLAGS = $(WPOL_TEST_CPPFLAGS)
tests_policy_test_store_LDADD = $(WPOL_TEST_LIBS)
tests_policy_wpol_cli_CPPFLAGS = $(WPOL_TEST_CPPFLAGS)
tests_policy_wpol_cli_LDADD = $(WPOL_TEST_LIBS)
tests_policy_bench_decide_CPPFLAGS = $(WPOL_TEST_CPPFLAGS)
tests_policy_bench_decide_LDADD = $(WPOL_TEST_LIBS)
## with the fault hook of the audit writer (WARD_TEST_AUDIT_FAULT), which
## only a build with -DWARD_TEST_HOOKS has: audit.c is compiled again here
tests_policy_test_audit_SOURCES = tests/policy/test-audit.c tests/unit/tap.h policy/audit/audit.c
tests_policy_test_audit_CPPFLAGS = $(WPOL_TEST_CPPFLAGS) -DWARD_TEST_HOOKS
tests_policy_test_audit_LDADD = $(WPOL_TEST_LIBS)
tests_policy_bench_audit_CPPFLAGS = $(WPOL_TEST_CPPFLAGS)
tests_policy_bench_audit_LDADD = $(WPOL_TEST_LIBS)

## make bench-policy: decision latency, audit throughput, cost of a denial
.PHONY: bench-policy
bench-policy: tests/policy/bench-decide tests/policy/bench-audit
	$(builddir)/tests/policy/bench-decide
	$(builddir)/tests/policy/bench-audit

EXTRA_DIST += tests/policy/cli.sh tests/policy/wiring.sh tests/policy/audit.sh \
	tests/policy/suggest.sh tests/policy/lib.sh tests/policy/store.sh \
	tests/policy/undeclared.sh tests/policy/history.sh tests/policy/explain.sh

## one list of actions: the checker, the man pages and the call sites agree
TESTS += tests/policy/actions.sh
## analysis that does not depend on order; target.names through ward run
TESTS += tests/policy/analysis.sh
EXTRA_DIST += tests/policy/analysis.sh
EXTRA_DIST += tests/policy/actions.sh
## no writable home: the default audit database is refused with a hint
TESTS += tests/policy/audit-home.sh
EXTRA_DIST += tests/policy/audit-home.sh
## no file name or comment forges a section of an export or a row of a list
TESTS += tests/policy/export.sh
EXTRA_DIST += tests/policy/export.sh
## audit-volume.sh: long resources cut, denials folded, the database bounded.
TESTS += tests/policy/audit-volume.sh
EXTRA_DIST += tests/policy/audit-volume.sh
## ptest.sh: `ward policy test`: by clauses, unknown names, --coverage.
TESTS += tests/policy/ptest.sh
EXTRA_DIST += tests/policy/ptest.sh tests/policy/plugin-host.policy \
	tests/policy/plugin-host.tests
## learning from the audit: suggest against the current policy, --split,
## quiet denials, refused runs and options, --interactive through tmux
TESTS += tests/policy/audit-learn.sh
EXTRA_DIST += tests/policy/audit-learn.sh
TESTS += tests/policy/audit-interactive.sh
EXTRA_DIST += tests/policy/audit-interactive.sh
## audit-follow.sh: `ward audit --follow` on a local trail.
TESTS += tests/policy/audit-follow.sh
EXTRA_DIST += tests/policy/audit-follow.sh
