## tests/pg/pg.mk -- the fleet backend against a real PostgreSQL server
## that each test starts itself (tests/pg/lib.sh): the policy store, the
## audit trail and its spool, `ward audit` across hosts, several hosts on
## one store. They never skip: Debian's postgresql is a build dependency
## of the test suite (README's first command).
EXTRA_DIST += tests/pg/lib.sh

## `ward audit` on the fleet trail: reading across hosts (--host, --run,
## stats by host, suggest), errors that name the server without its
## password, --follow with notifications and across a server restart.
check_PROGRAMS += tests/pg/query-schema
tests_pg_query_schema_CPPFLAGS = $(WPOL_TEST_CPPFLAGS)
tests_pg_query_schema_LDADD = $(WPOL_TEST_LIBS)
TESTS += tests/pg/audit-query.sh
EXTRA_DIST += tests/pg/audit-query.sh
