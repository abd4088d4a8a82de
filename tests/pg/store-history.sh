#!/bin/sh
# store-history.sh -- tests/policy/history.sh with its policy stores in PostgreSQL
# (a server of its own: tests/policy/lib.sh starts it for WARD_TEST_STORE=pg)
WARD_TEST_STORE=pg exec sh "${WARD_SRCDIR:-$(dirname "$0")/../..}/tests/policy/history.sh"
