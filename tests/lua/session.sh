# session.sh -- sourced by the tests that watch a whole run (runtime/signals.sh,
# sandbox/lifetime.sh, the RSS and thread counts): `ward run` under
# tests/lua/session, in a session of its own, and what of it is left once it
# has exited. Every wait is for an
# event, bounded by a deadline (60 s) scaled by WARD_TEST_TIMEOUT_SCALE
# (an integer).
#   start_run NAME ARGS...  run `$WARD run ARGS...` in the background; its
#                           stdout is $T/NAME.out, stderr $T/NAME.err, the
#                           report $T/NAME.rep (see session.c)
#   wait_line PATTERN       until the run's stdout has a line matching
#                           PATTERN; 1 if the run ended or time ran out first
#   run_over                whether the run has ended (the report exists)
#   stop_run SIG            send SIG to ward (forwarded by session)
#   wait_run                until the run has exited; sets $rc. Past the
#                           deadline it sends SIGTERM twice (ward's "exit at
#                           once") and sets $late=1; past a second one it
#                           kills session
#   leftovers               the report's leftover lines (empty when none)
#   ward_pid                the pid of the run's ward (waits for it)
#   children_of PID         "PID STARTTIME" of each child of PID, from /proc
#   rss_kb PID              the VmRSS of PID in kB (empty when it is gone)
#   rss_grew_less N BASE RSS KB WHAT
#                           TAP line N: VmRSS grew from BASE to RSS (kB) by
#                           less than KB (WHAT says what was done); skipped
#                           in a sanitizer build, whose allocator keeps freed
#                           memory in quarantine
#   session_tmp NAME        $T: a temporary directory removed at exit, with
#                           the runs' XDG_STATE_HOME in it
#   check NAME CMD...       the next TAP line (counted in $n): ok when CMD
#                           succeeds, else not ok with the run's output
#                           shown (counted in $fails)
#   none_left, on_time      nothing of the run is left; wait_run did not
#                           have to stop it
#   both_read A B           neither A nor B is empty
#   rss_at PATTERN NAME ARGS...
#                           start_run NAME ARGS...; once its stdout has a
#                           line matching PATTERN, ward's VmRSS in $rss and
#                           that line in $line (both empty if none came);
#                           then the run is ended by SIGTERM (wait_run)
: "${WARD_SESSION:=${WARD_BUILDDIR:-.}/tests/lua/session}"
. "${WARD_SRCDIR:-.}/tests/scale.sh"
deadline_s=$(scaled_s 60)

start_run () {
  run_name=$1; shift
  rm -f "$T/$run_name.rep" "$T/$run_name.rep.pid"
  : > "$T/$run_name.out"    # there before wait_line looks
  "$WARD_SESSION" "$T/$run_name.rep" "$WARD" run "$@" > "$T/$run_name.out" 2> "$T/$run_name.err" &
  run_pid=$!
}

# now in ms (coarse, for deadlines only)
now_ms () { echo $(($(date +%s%N) / 1000000)); }

wait_line () {
  end=$(($(now_ms) + deadline_s * 1000))
  until grep -q -- "$1" "$T/$run_name.out"; do
    ! run_over || return 1
    [ "$(now_ms)" -lt "$end" ] || return 1
    sleep 0.05
  done
}

run_over () { [ -e "$T/$run_name.rep" ]; }

stop_run () { kill -s "$1" "$run_pid"; }

wait_run () {
  late=0
  end=$(($(now_ms) + deadline_s * 1000))
  until run_over; do
    if [ "$(now_ms)" -ge "$end" ]; then
      [ "$late" -eq 0 ] || { kill -s KILL "$run_pid" 2>/dev/null; break; }
      late=1
      end=$((end + deadline_s * 1000))
      kill -s TERM "$run_pid" 2>/dev/null; sleep 1; kill -s TERM "$run_pid" 2>/dev/null
    fi
    sleep 0.05
  done
  wait "$run_pid"
  rc=$?
}

leftovers () { grep '^leftover ' "$T/$run_name.rep" 2>/dev/null; }

ward_pid () {
  end=$(($(now_ms) + deadline_s * 1000))
  until [ -s "$T/$run_name.rep.pid" ] || [ "$(now_ms)" -ge "$end" ]; do sleep 0.05; done
  cat "$T/$run_name.rep.pid" 2>/dev/null
}

# /proc/PID/stat: the name (field 2) may hold spaces; what follows its
# closing parenthesis is state, ppid, ..., starttime (field 22).
children_of () {
  cat /proc/[0-9]*/stat 2>/dev/null | awk -v p="$1" '{
    pid = $1; rest = $0; sub(/^.*\) /, "", rest); split(rest, f, " ")
    if (f[2] == p) print pid, f[20] }'
}

rss_kb () { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null; }

rss_grew_less () {
  _grow=$(( ${3:-0} - ${2:-0} ))
  if grep -qa __asan_init "$WARD"; then
    echo "ok $1 # SKIP a sanitizer build: its allocator keeps freed memory in quarantine"
  elif [ -n "$2" ] && [ -n "$3" ] && [ "$_grow" -lt "$4" ]; then
    echo "ok $1 - the runtime grew by $_grow kB (less than $(( $4 / 1024 )) MiB; $5)"
  else
    echo "not ok $1 - the runtime grew by $_grow kB (less than $(( $4 / 1024 )) MiB; $5)"
  fi
}

session_tmp () {
  T=$(mktemp -d "${TMPDIR:-/tmp}/ward-$1.XXXXXX") || exit 99
  trap 'rm -rf "$T"' EXIT INT TERM
  XDG_STATE_HOME=$T/state; export XDG_STATE_HOME
}

n=0
fails=0
show_run () {
  for f in "$T/$run_name.out" "$T/$run_name.err" "$T/$run_name.rep"; do
    [ -e "$f" ] && sed 's/^/# /' "$f"
  done
}
check () {
  n=$((n + 1)); name=$1; shift
  if "$@"; then echo "ok $n - $name"
  else echo "not ok $n - $name"; fails=$((fails + 1)); show_run; fi
}
none_left () { [ -z "$(leftovers)" ]; }
on_time () { [ "$late" -eq 0 ]; }
both_read () { [ -n "$1" ] && [ -n "$2" ]; }

rss_at () {
  _pat=$1; shift
  start_run "$@"
  rss=; line=
  if wait_line "$_pat"; then
    rss=$(rss_kb "$(ward_pid)")
    line=$(grep -- "$_pat" "$T/$run_name.out")
  fi
  stop_run TERM
  wait_run
}
