## tests/pg/pg.mk -- the fleet backend against a real PostgreSQL server
## that each test starts itself (tests/pg/lib.sh): the policy store, the
## audit trail and its spool, `ward audit` across hosts, several hosts on
## one store. They never skip: Debian's postgresql is a build dependency
## of the test suite (README's first command).
EXTRA_DIST += tests/pg/lib.sh

## audit-ship.sh: `ward run --audit postgresql://...` through its spool:
## exactly once across a server stopped mid-flood, spools kept and shipped
## by the next run, two runs at once, failing closed without a spool.
TESTS += tests/pg/audit-ship.sh
EXTRA_DIST += tests/pg/audit-ship.sh
