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

dist_man_MANS += doc/ward-policy.5
dist_doc_DATA += doc/writing-policies.md
pkgdata_DATA += policies/default.policy policies/untrusted.policy
EXTRA_DIST += policies policy/include/actions.def policy/embed.sh
