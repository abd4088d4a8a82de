#!/bin/sh
# run-bench.sh -- ward's actor benchmarks beside Erlang/OTP doing the same
# work in the same run (DESIGN.md section 6). Builds nothing: it runs $WARD
# (default ./ward) and compiles tests/bench/wbench.erl with erlc into a
# temporary directory. Each measure runs REPS times (default 3), each time in
# a fresh process, and the median is shown. Always exits 0: the figures are
# information, not a test (`make check` does not run this).
#
# Environment: WARD, REPS, SPAWN_N (default 50000), SEQ_N (10000), IDLE_N (20000),
# MSG_M (1000000), WARD_BENCH_ARGS (extra `ward run` options, e.g.
# "--threads 2"), ERL_BENCH_ARGS (extra `erl` options, e.g. "+S 2").

# shellcheck disable=SC2317  # functions are called indirectly (med "$@")

: "${WARD:=./ward}"
: "${REPS:=3}"
: "${SPAWN_N:=50000}"
: "${SEQ_N:=10000}"
: "${IDLE_N:=20000}"
: "${MSG_M:=1000000}"
: "${WARD_BENCH_ARGS:=}"
: "${ERL_BENCH_ARGS:=}"

bench=bench
# shellcheck source=tests/bench/scratch.sh
. "$(dirname "$0")/scratch.sh"

to=
command -v timeout >/dev/null 2>&1 && to="timeout 300"

if [ ! -x "$WARD" ]; then
  echo "run-bench: $WARD is not an executable (build ward first, or set WARD)" >&2
  exit 0
fi

have_erl=0
if command -v erl >/dev/null 2>&1 && command -v erlc >/dev/null 2>&1; then
  if erlc -o "$tmp" "$here/wbench.erl" >"$tmp/erlc.log" 2>&1; then
    have_erl=1
  else
    echo "run-bench: erlc failed, Erlang columns left empty:" >&2
    cat "$tmp/erlc.log" >&2
  fi
else
  echo "run-bench: erl/erlc not found, Erlang columns left empty" >&2
fi

# ---- helpers ----
# "median min max" of the numbers on stdin (one per line); "-" when none
median () {
  sort -g | awk '{ v[NR] = $1 } END {
    if (NR == 0) { print "-"; exit }
    m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
    print m, v[1], v[NR] }'
}

# `ward run` one script; prints the value(s) after RESULT, or nothing
ward_result () {
  # shellcheck disable=SC2086
  $to "$WARD" run $WARD_BENCH_ARGS --root "$here" "$@" >"$tmp/out" 2>"$tmp/err"
  rc=$?
  if [ "$rc" -ne 0 ] || ! grep -q '^RESULT ' "$tmp/out"; then
    echo "run-bench: ward run $* failed (status $rc):" >&2
    sed 's/^/  /' "$tmp/err" "$tmp/out" | tail -n 5 >&2
    return
  fi
  sed -n 's/^RESULT //p' "$tmp/out"
}

erl_result () {
  [ $have_erl = 1 ] || return
  # shellcheck disable=SC2086
  $to erl $ERL_BENCH_ARGS -noshell -pa "$tmp" -run wbench main "$@" >"$tmp/eout" 2>&1
  rc=$?
  if [ "$rc" -ne 0 ] || ! grep -q '^RESULT ' "$tmp/eout"; then
    echo "run-bench: erl wbench $* failed (status $rc):" >&2
    tail -n 5 "$tmp/eout" | sed 's/^/  /' >&2
    return
  fi
  sed -n 's/^RESULT //p' "$tmp/eout"
}

# idle memory of ward: prints "<KB per process> <mean Lua heap KB>"
ward_idle () {
  : >"$tmp/iout"
  # shellcheck disable=SC2086
  "$WARD" run $WARD_BENCH_ARGS --root "$here" "$here/idle.lua" "$IDLE_N" >"$tmp/iout" 2>"$tmp/ierr" &
  bg_pid=$!
  if wait_line "$tmp/iout" BASE; then
    base=$(vmrss "$bg_pid")
    if wait_line "$tmp/iout" READY; then
      ready=$(vmrss "$bg_pid")
      heap=$(sed -n 's/^READY //p' "$tmp/iout")
      if [ -n "$base" ] && [ -n "$ready" ]; then
        awk -v b="$base" -v r="$ready" -v n="$IDLE_N" -v h="$heap" \
          'BEGIN { printf "%.2f %.2f\n", (r - b) / n, h / 1024 }'
      fi
    fi
  fi
  if ! kill -0 "$bg_pid" 2>/dev/null; then
    echo "run-bench: ward run idle.lua ended early:" >&2
    tail -n 5 "$tmp/ierr" >&2
  fi
  kill "$bg_pid" 2>/dev/null
  wait "$bg_pid" 2>/dev/null
  bg_pid=
}

# REPS times "$@"; field $1 of each result line; median
med () {
  field=$1
  shift
  r=0
  while [ $r -lt "$REPS" ]; do
    "$@"
    r=$((r + 1))
  done | awk -v f="$field" 'NF >= f { print $f }' | median
}

# ---- measure ----
echo "ward benchmarks: $("$WARD" --version 2>/dev/null | head -n 1), $(nproc 2>/dev/null || echo ?) cores," \
  "median of $REPS runs"
if [ $have_erl = 1 ]; then
  echo "peer: Erlang/OTP $(erl -noshell -eval 'io:format("~s (~p schedulers)", [erlang:system_info(otp_release), erlang:system_info(schedulers_online)]), halt().' 2>/dev/null)"
fi
echo "spawn N=$SPAWN_N, one at a time N=$SEQ_N (each + N/10 warm-up), idle N=$IDLE_N, messages M=$MSG_M"
echo

# Run one measure at a time, ward and Erlang alternately.
w_spawn=$(med 1 ward_result "$here/spawn.lua" "$SPAWN_N")
e_spawn=$(med 1 erl_result spawn "$SPAWN_N")
w_spawnmon=$(med 1 ward_result "$here/spawn.lua" "$SPAWN_N" monitored)
e_spawnmon=$(med 1 erl_result spawnmon "$SPAWN_N")
w_spawnseq=$(med 1 ward_result "$here/spawn.lua" "$SEQ_N" serial)
e_spawnseq=$(med 1 erl_result spawnseq "$SEQ_N")
idle_runs=$(r=0; while [ $r -lt "$REPS" ]; do ward_idle; r=$((r + 1)); done)
w_idle=$(echo "$idle_runs" | awk 'NF >= 1 { print $1 }' | median)
w_heap=$(echo "$idle_runs" | awk 'NF >= 2 { print $2 }' | median | cut -d' ' -f1)
e_idle_runs=$(r=0; while [ $r -lt "$REPS" ]; do erl_result idle "$IDLE_N"; r=$((r + 1)); done)
e_idle=$(echo "$e_idle_runs" | awk 'NF >= 1 { print $1 }' | median)
e_pmem=$(echo "$e_idle_runs" | awk 'NF >= 2 { print $2 }' | median | cut -d' ' -f1)
w_msg=$(med 1 ward_result "$here/msg.lua" "$MSG_M" inbox)
w_msgt=$(med 1 ward_result "$here/msg.lua" "$MSG_M" topic)
e_msg=$(med 1 erl_result msg "$MSG_M")

# ---- report ----
# row NAME WARD ERLANG TARGET-TEXT KIND LIMIT RLIMIT
#   WARD, ERLANG: "median min max" or "-"
#   KIND low: ward <= LIMIT (absolute) and, if RLIMIT is set, ratio <= RLIMIT;
#   high: ratio >= RLIMIT; none: no target
row () {
  awk -v name="$1" -v ws="$2" -v es="$3" -v target="$4" -v kind="$5" -v lim="$6" -v rlim="$7" '
  function f(x) { return (x + 0 >= 10000) ? sprintf("%.0f", x) : sprintf("%.2f", x) }
  BEGIN {
    nw = split(ws, W, " "); ne = split(es, E, " ")
    w = (nw >= 1) ? W[1] : "-"; e = (ne >= 1) ? E[1] : "-"
    ratio = "-"
    if (w != "-" && e != "-" && e + 0 > 0) ratio = sprintf("%.2fx", w / e)
    met = (kind == "none") ? "-" : "?"
    if (w != "-") {
      if (kind == "low") {
        met = (w + 0 <= lim + 0) ? "yes" : "no"
        if (rlim != "" && ratio != "-" && w / e > rlim + 0) met = "no"
      } else if (kind == "high") {
        met = (ratio != "-") ? ((w / e >= rlim + 0) ? "yes" : "no") : "?"
      }
    }
    fw = (w == "-") ? "-" : f(w)
    fe = (e == "-") ? "-" : f(e)
    spread = "-"
    if (nw >= 3 && w != "-") spread = f(W[2]) ".." f(W[3])
    if (ne >= 3 && e != "-") spread = spread " / " f(E[2]) ".." f(E[3])
    printf "%-32s %12s %12s %8s  %-21s %-4s %s\n", name, fw, fe, ratio, target, met, spread
  }'
}

printf "%-32s %12s %12s %8s  %-21s %-4s %s\n" measure ward erlang ratio target met \
  "range ward / erlang"
row "spawn+exit (us)" "$w_spawn" "$e_spawn" "<= 10 us, <= 3x" low 10 3
row "spawn+exit, monitored (us)" "$w_spawnmon" "$e_spawnmon" "<= 10 us, <= 3x" low 10 3
row "spawn+exit, one at a time (us)" "$w_spawnseq" "$e_spawnseq" "(latency, no target)" none "" ""
row "idle process (KB, RSS)" "$w_idle" "$e_idle" "<= 12 KB" low 12 ""
row "1->1 msg/s, inbox" "$w_msg" "$e_msg" ">= 0.5x" high "" 0.5
row "1->1 msg/s, raw topic" "$w_msgt" "$e_msg" ">= 0.5x" high "" 0.5
echo
echo "notes: ward idle process Lua heap (collectgarbage count) $w_heap KB;" \
  "Erlang erlang:memory(processes) growth $e_pmem KB per process."
echo "       spawn+exit = the parent's spawn loop; monitored = until every EXIT/'DOWN'"
echo "       has reached the parent; one at a time = spawn_monitored, wait for the EXIT, repeat."
echo "       1->1: receiver acks every 1000, 20000 in flight at most; the Erlang figure is"
echo "       the same protocol with plain ! and receive."
exit 0
