## tests/pg/pg.mk -- the fleet backend against a real PostgreSQL server
## that each test starts itself (tests/pg/lib.sh): the policy store, the
## audit trail and its spool, `ward audit` across hosts, several hosts on
## one store. They never skip: Debian's postgresql is a build dependency
## of the test suite (README's first command).
EXTRA_DIST += tests/pg/lib.sh

## test-wpg: connection strings, display names, argv scrubbing (no server)
check_PROGRAMS += tests/pg/test-wpg
TESTS += tests/pg/test-wpg
tests_pg_test_wpg_CPPFLAGS = $(WPOL_TEST_CPPFLAGS)
tests_pg_test_wpg_LDADD = $(WPOL_TEST_LIBS)

## The policy store in PostgreSQL: the store tests of tests/policy run on
## it (store-*.sh); its schema and migrations, reload across running
## wards, losing the server, and credentials kept out of sight.
TESTS += tests/pg/store-store.sh tests/pg/store-history.sh tests/pg/store-explain.sh \
	tests/pg/store-export.sh tests/pg/store-schema.sh tests/pg/store-reload.sh \
	tests/pg/store-loss.sh tests/pg/store-mask.sh tests/pg/store-roles.sh
EXTRA_DIST += tests/pg/store-store.sh tests/pg/store-history.sh tests/pg/store-explain.sh \
	tests/pg/store-export.sh tests/pg/store-schema.sh tests/pg/store-reload.sh \
	tests/pg/store-loss.sh tests/pg/store-mask.sh tests/pg/store-roles.sh

## Decision time and reload latency across hosts, PostgreSQL beside SQLite
## (tests/bench/bench-fleet-store.sh): `make bench-fleet-store`.
EXTRA_DIST += tests/bench/bench-fleet-store.sh
.PHONY: bench-fleet-store
bench-fleet-store: ward
	WARD="$${WARD:-$(abs_top_builddir)/ward}" WARD_SRCDIR='$(abs_top_srcdir)' \
	WARD_BUILDDIR='$(abs_top_builddir)' $(SHELL) $(srcdir)/tests/bench/bench-fleet-store.sh

## audit-ship.sh: `ward run --audit postgresql://...` through its spool:
## exactly once across a server stopped mid-flood, spools kept and shipped
## by the next run, two runs at once, failing closed without a spool.
TESTS += tests/pg/audit-ship.sh
EXTRA_DIST += tests/pg/audit-ship.sh

## make bench-fleet-audit: the audit insert rate into PostgreSQL beside
## SQLite's (target >= 50k denials/s), against a server it starts
check_PROGRAMS += tests/pg/bench-fleet-audit
tests_pg_bench_fleet_audit_CPPFLAGS = $(ALL_CPPFLAGS) $(SQLITE_CFLAGS) $(PQ_CFLAGS)
tests_pg_bench_fleet_audit_LDADD = libwardpolicy.a libwardcommon.a $(SQLITE_LIBS) $(PQ_LIBS)
EXTRA_DIST += tests/pg/bench-fleet-audit.sh
.PHONY: bench-fleet-audit
bench-fleet-audit: tests/pg/bench-fleet-audit
	WARD_SRCDIR=$(abs_top_srcdir) WARD_BUILDDIR=$(abs_top_builddir) \
	  $(SHELL) $(srcdir)/tests/pg/bench-fleet-audit.sh $(BENCH_ARGS)

## multihost.sh: three hosts on one store and one trail; a load anywhere
## is in force everywhere; every denial of each host is in the trail
TESTS += tests/pg/multihost.sh
EXTRA_DIST += tests/pg/multihost.sh

## roles.sh: the roles and grants of ward-fleet(7) suffice, and no more
TESTS += tests/pg/roles.sh
EXTRA_DIST += tests/pg/roles.sh

## readme-fleet.sh: the README's fleet section works as shown
TESTS += tests/pg/readme-fleet.sh
EXTRA_DIST += tests/pg/readme-fleet.sh

## `ward audit` on the fleet trail: reading across hosts (--host, --run,
## stats by host, suggest), errors that name the server without its
## password, --follow with notifications and across a server restart.
check_PROGRAMS += tests/pg/query-schema
tests_pg_query_schema_CPPFLAGS = $(WPOL_TEST_CPPFLAGS)
tests_pg_query_schema_LDADD = $(WPOL_TEST_LIBS)
TESTS += tests/pg/audit-query.sh
EXTRA_DIST += tests/pg/audit-query.sh

## make bench-fleet: both fleet benchmarks (store: decision time and reload
## latency; audit: records/s into PostgreSQL), each beside SQLite
.PHONY: bench-fleet
bench-fleet: bench-fleet-store bench-fleet-audit

## adv-store.sh: the store under hostile strings and a hostile server:
## no password quoted by a parse error or shown by ps however spelt, a
## run ends when its script does whatever its server does
TESTS += tests/pg/adv-store.sh
EXTRA_DIST += tests/pg/adv-store.sh

## adv-audit.sh: the fleet trail against hostile users, careless
## operators and scripts: spool directories others may write refused,
## spool files of other users never shipped
TESTS += tests/pg/adv-audit.sh
EXTRA_DIST += tests/pg/adv-audit.sh

## scripts the store and audit tests run
EXTRA_DIST += tests/pg/flood.lua tests/pg/loop.lua tests/pg/until-granted.lua

## conninfo.sh: every spelling of a store, PG* variables, a password file
TESTS += tests/pg/conninfo.sh
EXTRA_DIST += tests/pg/conninfo.sh
