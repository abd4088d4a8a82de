# scratch.sh -- sourced by the bench scripts (run-bench.sh, scale.sh) with
# $bench set: $here (their directory), a scratch directory $tmp removed at
# exit, and $bg_pid (a ward run in the background, when set) killed then;
# vmrss PID (its resident KB) and wait_line FILE PREFIX (until FILE has a
# line starting with PREFIX, while $bg_pid lives; up to $wait_ticks
# twentieths of a second, default 2400: 120 s).
# A bench always exits 0, also when interrupted.
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ward-$bench.XXXXXX") || exit 0
bg_pid=
# shellcheck disable=SC2317  # called by the trap
cleanup () {
  if [ -n "$bg_pid" ]; then kill "$bg_pid" 2>/dev/null; wait "$bg_pid" 2>/dev/null; fi
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 0' INT TERM

vmrss () { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null; }
wait_line () {
  i=0
  while ! grep -q "^$2" "$1" 2>/dev/null; do
    kill -0 "$bg_pid" 2>/dev/null || return 1
    i=$((i + 1))
    [ $i -gt "${wait_ticks:-2400}" ] && return 1
    sleep 0.05
  done
}
