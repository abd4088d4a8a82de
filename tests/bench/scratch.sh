# scratch.sh -- sourced by the bench scripts (run-bench.sh, scale.sh) with
# $bench set: $here (their directory), a scratch directory $tmp removed at
# exit, and $bg_pid (a ward run in the background, when set) killed then.
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
