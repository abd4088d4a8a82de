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
