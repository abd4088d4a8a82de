#!/bin/sh
# bench-fleet-audit.sh -- make bench-fleet-audit: starts a PostgreSQL
# server of its own (lib.sh), then tests/pg/bench-fleet-audit: the audit
# trail's insert rate into PostgreSQL (through the run's spool) beside
# SQLite's, same run, rounds alternating; target >= 50k denials/s.
# Arguments go to the program: [N [ROUNDS]].
set -u
. "${WARD_SRCDIR:-$(dirname "$0")/../..}/tests/pg/lib.sh"
pg_start
pg_createdb bench
mkdir -p "$T/b"
"$B/tests/pg/bench-fleet-audit" "$(pg_kv bench)" "$T/b" "$@"
