## policy/local.mk -- the permission engine (libwardpolicy.a): the policy
## language, checker, formatter, decision index and cache, SQLite store, CLI,
## the gate wired to them, the audit writer and `ward audit`.
noinst_LIBRARIES += libwardpolicy.a
libwardpolicy_a_SOURCES = policy/include/policy.h policy/gate.h policy/gate.c policy/run.c \
	policy/engine.h policy/wpol.h policy/index.h policy/lex.h policy/audit.h policy/auditdb.h \
	policy/arena.c policy/buf.c policy/diag.c policy/actions.c policy/spell.c \
	policy/htab.c policy/readfile.c \
	policy/glob.c policy/lexer.c policy/parser.c policy/check.c \
	policy/format.c policy/eval.c policy/compile.c policy/cache.c \
	policy/engine.c policy/store.c policy/cli.c policy/audit.c policy/auditdb.c policy/audit_cli.c \
	policy/suggest.c policy/sha256.c
## the store, the audit writer and `ward audit`, split by concern
libwardpolicy_a_SOURCES += policy/store.h policy/store_load.c policy/store_remove.c \
	policy/store_export.c policy/auditw.h policy/audit_queue.c policy/audit_row.c \
	policy/audit_ckpt.c policy/audit_cli.h policy/audit_show.c \
	policy/suggest.h policy/suggest_print.c policy/cli.h policy/cli_request.c
nodist_libwardpolicy_a_SOURCES = policy/builtin.c
libwardpolicy_a_CPPFLAGS = $(POLICY_CPPFLAGS) $(SQLITE_CFLAGS)

## The policies `ward run` uses without --db or --policy, compiled in.
WPOL_BUILTIN = $(srcdir)/policies/default.policy $(srcdir)/policies/untrusted.policy
BUILT_SOURCES = policy/builtin.c
CLEANFILES += policy/builtin.c
policy/builtin.c: $(WPOL_BUILTIN) $(srcdir)/policy/embed.sh
	$(AM_V_GEN)$(MKDIR_P) policy && \
	$(SHELL) $(srcdir)/policy/embed.sh wpol_builtin engine.h $(WPOL_BUILTIN) > $@-t \
	&& mv -f $@-t $@

WPOL_TEST_LIBS = libwardpolicy.a libwardcommon.a $(SQLITE_LIBS)
WPOL_TEST_CPPFLAGS = $(ALL_CPPFLAGS) -I$(top_srcdir)/tests/unit $(SQLITE_CFLAGS)

check_PROGRAMS += tests/policy/test-lang tests/policy/test-eval \
	tests/policy/test-store tests/policy/wpol-cli tests/policy/bench-decide \
	tests/policy/test-audit tests/policy/bench-audit
TESTS += tests/policy/test-lang tests/policy/test-eval tests/policy/test-store \
	tests/policy/cli.sh tests/policy/test-audit tests/policy/wiring.sh \
	tests/policy/audit.sh tests/policy/suggest.sh tests/policy/store.sh \
	tests/policy/undeclared.sh

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
## with the fault hook of the audit writer (WARD_TEST_AUDIT_FAULT), which
## only a build with -DWARD_TEST_HOOKS has: audit.c is compiled again here
tests_policy_test_audit_SOURCES = tests/policy/test-audit.c policy/audit.c
tests_policy_test_audit_CPPFLAGS = $(WPOL_TEST_CPPFLAGS) -DWARD_TEST_HOOKS
tests_policy_test_audit_LDADD = $(WPOL_TEST_LIBS)
tests_policy_bench_audit_SOURCES = tests/policy/bench-audit.c
tests_policy_bench_audit_CPPFLAGS = $(WPOL_TEST_CPPFLAGS)
tests_policy_bench_audit_LDADD = $(WPOL_TEST_LIBS)

## make bench-policy: decision latency, audit throughput, cost of a denial
.PHONY: bench-policy
bench-policy: tests/policy/bench-decide tests/policy/bench-audit
	$(builddir)/tests/policy/bench-decide
	$(builddir)/tests/policy/bench-audit

dist_man_MANS += doc/ward-policy.5
dist_doc_DATA += doc/writing-policies.md
pkgdata_DATA += policies/default.policy policies/untrusted.policy
EXTRA_DIST += policies policy/include/actions.def policy/embed.sh tests/policy/cli.sh tests/policy/wiring.sh \
	tests/policy/audit.sh tests/policy/suggest.sh tests/policy/lib.sh tests/policy/store.sh \
	tests/policy/undeclared.sh

## one list of actions: the checker, the man pages and the call sites agree
TESTS += tests/policy/actions.sh
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
