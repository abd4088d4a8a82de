#!/bin/sh
# scale.sh -- ward at scale (make bench-scale; DESIGN.md section 6):
#  * SCALE_N idle processes (default 1000000, blocked in receive, all
#    monitored by the process that spawned them) in one run:
#    the run's RSS and the RSS per process, and the time of a spawn+exit
#    (spawn_monitored, until the EXIT) with SCALE_N live beside the same
#    with 1000 live in the same run (scale.lua); SCALE_N is lowered, with a
#    note, when the machine's available memory cannot hold it;
#  * the cost of ending a process that holds a timer (a receive with a
#    deadline of an hour) with TIMERS_N (default 100000) such processes
#    live, beside the same with 1000 live (timers.lua);
#  * the registry with SCALE_N names held by one process: a register, a
#    look-up and an unregister, beside the same with 1000 held (names.lua);
#  * the policy engine with generated policies (gen-policy.sh) of
#    POLICY_RULES rules (default "10000 100000"): load time, decisions
#    cached and uncached (policy-scale, built by `make check`), and the
#    wall time of `ward policy load --db` of the same file (median of REPS,
#    default 3).
# Environment: WARD, POLICY_SCALE (the policy-scale program), SCALE_N,
# SCALE_K (spawns per measure, default 20000), TIMERS_N, POLICY_RULES, REPS.
# Always exits 0: the figures are information, not a test.
: "${WARD:=./ward}"
: "${SCALE_N:=1000000}"
: "${SCALE_K:=20000}"
: "${TIMERS_N:=100000}"
: "${POLICY_RULES:=10000 100000}"
: "${POLICY_SCALE:=tests/bench/policy-scale}"
: "${REPS:=3}"
bench=scale
# shellcheck source=tests/bench/scratch.sh
. "$(dirname "$0")/scratch.sh"
XDG_STATE_HOME=$tmp/state; export XDG_STATE_HOME

# "measure ward peer ratio target met": run-bench.sh's table
# row NAME WARD PEER TARGET MET
row () { printf "%-32s %12s %12s %8s  %-21s %-4s\n" "$1" "$2" "$3" "$4" "$5" "$6"; }
wait_ticks=24000   # wait_line (scratch.sh): up to 20 min

# ---- processes ----
# 16 KB per process of the available memory at most (an idle one takes
# about 11.5): a smaller N than asked rather than a machine out of memory
avail=$(awk '/^MemAvailable:/ { print $2 }' /proc/meminfo 2>/dev/null)
n=$SCALE_N
if [ -n "$avail" ] && [ $((avail / 16)) -lt "$n" ]; then
  n=$((avail / 16 / 1000 * 1000))
  echo "scale: $((avail / 1024)) MB available: $n idle processes, not $SCALE_N" >&2
fi
echo "ward at scale: $("$WARD" --version 2>/dev/null | head -n 1), $(nproc 2>/dev/null || echo ?) cores"
echo "idle processes N=$n, spawn+exit K=$SCALE_K each (at 1k live: peer column); policies of $POLICY_RULES rules"
echo
row measure ward "peer" ratio target met
"$WARD" run --children $((n + 100000)) --processes $((n + 100000)) --root "$here" \
  "$here/scale.lua" "$n" "$SCALE_K" > "$tmp/out" 2> "$tmp/err" &
bg_pid=$!
t0=$(date +%s)
base="" ready="" res=""
if wait_line "$tmp/out" BASE; then
  base=$(vmrss "$bg_pid")
  if wait_line "$tmp/out" READY; then
    ready=$(vmrss "$bg_pid")
    wait_line "$tmp/out" RESULT && res=$(sed -n 's/^RESULT //p' "$tmp/out")
  fi
fi
t1=$(date +%s)
kill "$bg_pid" 2>/dev/null
wait "$bg_pid" 2>/dev/null
t2=$(date +%s)
bg_pid=
if [ -z "$res" ]; then
  echo "scale: ward run scale.lua $n failed:" >&2
  tail -n 5 "$tmp/err" >&2
else
  # shellcheck disable=SC2086
  set -- $res
  gb=$(awk -v r="$ready" 'BEGIN { printf "%.2f", r / 1048576 }')
  lim=$(awk -v n="$n" 'BEGIN { printf "%.2f", 12 * n / 1000000 }')
  row "RSS with $n idle (GB)" "$gb" - - "<= $lim GB" \
    "$(awk -v g="$gb" -v l="$lim" 'BEGIN { print (g <= l) ? "yes" : "no" }')"
  per=$(awk -v b="$base" -v r="$ready" -v n="$n" 'BEGIN { printf "%.2f", (r - b) / (n - 1000) }')
  row "idle process at N (KB, RSS)" "$per" - - "<= 12 KB" \
    "$(awk -v p="$per" 'BEGIN { print (p <= 12) ? "yes" : "no" }')"
  row "spawn+exit at N live (us)" "$2" "$1" "$(awk -v a="$2" -v b="$1" 'BEGIN { printf "%.2fx", a / b }')" \
    "<= 2x at 1k live" "$(awk -v a="$2" -v b="$1" 'BEGIN { print (a <= 2 * b) ? "yes" : "no" }')"
  row "bringing up N idle (s)" "$3" - - "(reported)" -
  echo "  (the whole run: $((t1 - t0)) s; ending its $n processes: $((t2 - t1)) s;" \
    "Lua heap of an idle process $(awk -v h="$4" 'BEGIN { printf "%.2f", h / 1024 }') KB)"
fi

# at_scale NAME TARGET WARD-RUN-ARGS...: `ward run ARGS` prints "RESULT
# AT_1K AT_N"; the row NAME of AT_N beside AT_1K, within 2x of it
at_scale () {
  name=$1 target=$2; shift 2
  res=$("$WARD" run "$@" 2> "$tmp/err" | sed -n 's/^RESULT //p')
  if [ -z "$res" ]; then
    echo "scale: ward run $* failed:" >&2
    tail -n 5 "$tmp/err" >&2
    return
  fi
  # shellcheck disable=SC2086
  set -- $res
  row "$name" "$2" "$1" "$(awk -v a="$2" -v b="$1" 'BEGIN { printf "%.2fx", a / b }')" \
    "$target" "$(awk -v a="$2" -v b="$1" 'BEGIN { print (a <= 2 * b) ? "yes" : "no" }')"
}

# ---- timers: ending a process that holds one, with TIMERS_N live ----
at_scale "ending one of $TIMERS_N timed (us)" "<= 2x at 1k live" \
  --children $((TIMERS_N + 100000)) --processes $((TIMERS_N + 100000)) \
  --root "$here" "$here/timers.lua" "$TIMERS_N" 5000

# ---- names: register+lookup+unregister with SCALE_N names held ----
at_scale "name cycle, $n held (us)" "<= 2x at 1k held" --root "$here" "$here/names.lua" "$n" 20000

# ---- policies ----
for r in $POLICY_RULES; do
  sh "$here/gen-policy.sh" "$r" > "$tmp/p$r.policy"
  "$POLICY_SCALE" "$tmp/p$r.policy" || echo "scale: policy-scale failed on $r rules" >&2
  i=0
  while [ $i -lt "$REPS" ]; do
    rm -f "$tmp/p.db"
    a=$(date +%s%N)
    "$WARD" policy load --db "$tmp/p.db" "$tmp/p$r.policy" > "$tmp/lout" 2>&1 \
      || { echo "scale: ward policy load failed:" >&2; tail -n 3 "$tmp/lout" >&2; }
    b=$(date +%s%N)
    echo $(((b - a) / 1000000))
    i=$((i + 1))
  done | sort -n | awk -v name="ward policy load --db, $((r / 1000))k (ms)" '
    { v[NR] = $1 } END { if (NR) printf "%-32s %12s %12s %8s  %-21s %-4s\n", name, v[int((NR + 1) / 2)], "-", "-", "(reported)", "-" }'
done
exit 0
