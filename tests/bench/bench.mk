## tests/bench/bench.mk -- benchmarks (make bench), not part of make check.
## run-bench.sh prints ward's figures beside Erlang/OTP's (measured in the
## same run) with the ratio and the DESIGN.md section 6 target.
EXTRA_DIST += tests/bench/run-bench.sh tests/bench/wbench.erl \
	tests/bench/spawn.lua tests/bench/idle.lua tests/bench/msg.lua \
	tests/bench/b/noop.lua tests/bench/b/idle.lua tests/bench/b/recv.lua

.PHONY: bench
bench: ward
	WARD="$${WARD:-$(abs_top_builddir)/ward}" $(SHELL) $(srcdir)/tests/bench/run-bench.sh
