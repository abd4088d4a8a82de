## policy/local.mk -- the permission engine (libwardpolicy.a):
## lang/    the policy language: lexer, parser, checker, formatter, diagnostics;
## decide/  the decision index, the combining algorithm, the cache, the engine,
##          the gate wired to it (run.c) and the policies compiled in;
## store/   the policy store (SQLite; PostgreSQL through pg/pgstore.c);
## audit/   the audit writer, its database and `ward audit` (stats, suggest);
## cli/     `ward policy`.
noinst_LIBRARIES += libwardpolicy.a
libwardpolicy_a_SOURCES = policy/include/policy.h policy/include/actions.def \
	policy/lang/wpol.h policy/lang/lex.h policy/lang/arena.c policy/lang/buf.c \
	policy/lang/diag.c policy/lang/actions.c policy/lang/spell.c policy/lang/htab.c \
	policy/lang/readfile.c policy/lang/glob.c policy/lang/lexer.c policy/lang/parser.c \
	policy/lang/check.c policy/lang/format.c \
	policy/decide/engine.h policy/decide/index.h policy/decide/gate.h \
	policy/decide/compile.c policy/decide/eval.c policy/decide/cache.c \
	policy/decide/engine.c policy/decide/gate.c policy/decide/run.c policy/decide/decide.h \
	policy/store/store.h policy/store/store.c policy/store/store_load.c \
	policy/store/store_remove.c policy/store/store_export.c policy/store/store_history.c \
	policy/audit/audit.h policy/audit/auditw.h policy/audit/audit.c \
	policy/audit/audit_queue.c policy/audit/audit_row.c policy/audit/audit_ckpt.c \
	policy/audit/auditdb.h policy/audit/auditdb.c \
	policy/audit/audit_cli.h policy/audit/audit_cli.c policy/audit/audit_show.c \
	policy/audit/audit_pg.c policy/audit/audit_follow.c \
	policy/audit/sha256.c policy/audit/suggest.h policy/audit/suggest.c policy/audit/suggest_print.c \
	policy/audit/suggest_ask.c \
	policy/cli/cli.h policy/cli/cli.c policy/cli/cli_request.c \
	policy/pg/wpg.h policy/pg/wpg.c policy/pg/wpg_schema.c \
	policy/pg/pgstore.h policy/pg/pgstore.c \
	policy/pg/pgship.h policy/pg/pgship.c policy/pg/pgshipw.h \
	policy/pg/pgship_batch.c
nodist_libwardpolicy_a_SOURCES = policy/decide/builtin.c
libwardpolicy_a_CPPFLAGS = $(POLICY_CPPFLAGS) $(SQLITE_CFLAGS) $(PQ_CFLAGS)

## The policies `ward run` uses without --db or --policy, compiled in.
WPOL_BUILTIN = $(srcdir)/policies/default.policy $(srcdir)/policies/untrusted.policy
BUILT_SOURCES += policy/decide/builtin.c
CLEANFILES += policy/decide/builtin.c
policy/decide/builtin.c: $(WPOL_BUILTIN) $(srcdir)/build-aux/embed.sh
	$(AM_V_GEN)$(MKDIR_P) policy/decide && \
	$(SHELL) $(srcdir)/build-aux/embed.sh wpol_builtin engine.h $(WPOL_BUILTIN) > $@-t \
	&& mv -f $@-t $@

pkgdata_DATA += policies/default.policy policies/untrusted.policy
EXTRA_DIST += policies policy/include/actions.def build-aux/embed.sh
