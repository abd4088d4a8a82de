## tests/bench/bench.mk -- benchmarks (make bench), not part of make check.
