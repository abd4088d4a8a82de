#!/bin/sh
# startup.sh -- what one run of ward costs a script, beside its peers in
# the same run: `ward --version` (the process alone), `ward run` of a
# script that does nothing, `ward run --untrusted` of a small hostile
# script, and bubblewrap running the same script with lua5.4 behind
# --unshare-all (when bwrap and lua5.4 are installed). Runs alternate,
# REPS rounds (default 15); medians of the wall time (and CPU time) of each
# whole process, timed by tests/bench/wtime (fork, exec, wait: $WTIME), are
# printed with the ratios. Beside them, measured in the same rounds, the
# floor any cold-started sandbox pays on the machine: tests/bench/nsfloor
# ($NSFLOOR) times the exec of a trivial process and one clone of the six
# namespaces of the strict profile, each alone; their sum is what neither
# ward nor bubblewrap can go below, so that a ratio to bubblewrap is read
# beside the most it could be. After every hostile run the host checks that
# the script neither printed the secret file nor created the marker file.
# Exits 0 (figures are information), 1 when a script escaped, 2 when a
# hostile run failed to run, 77 when ward cannot sandbox here (or the
# timer is not built).
: "${WARD:=./ward}"
: "${WTIME:=./tests/bench/wtime}"
: "${NSFLOOR:=$(dirname "$WTIME")/nsfloor}"
: "${REPS:=15}"
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ward-startup.XXXXXX") || exit 0
trap 'rm -rf "$tmp"' EXIT
XDG_STATE_HOME=$tmp/state; export XDG_STATE_HOME
cp "$here/startup/hostile.lua" "$here/startup/nop.lua" "$tmp/"
chmod 755 "$tmp"; chmod 644 "$tmp"/*.lua
token=secret-$$-$(date +%s%N)
echo "$token" > "$tmp/secret"; chmod 644 "$tmp/secret"
marker=$tmp/escaped
if ! [ -x "$WTIME" ]; then
  echo "startup: no timer at $WTIME (make tests/bench/wtime)" >&2
  exit 77
fi
# bubblewrap as the peer runs it: everything unshared, /usr read-only.
# bw [--time OUT] CMD...: CMD in it, timed by wtime into OUT with --time
bw () {
  t=
  if [ "$1" = --time ]; then t=$2; shift 2; fi
  set -- --unshare-all --die-with-parent --new-session --cap-drop ALL --ro-bind /usr /usr \
    --symlink usr/lib /lib --symlink usr/lib64 /lib64 --symlink usr/bin /bin --proc /proc \
    --dev /dev --tmpfs /tmp --ro-bind "$tmp/hostile.lua" /s.lua "$@"
  if [ -n "$t" ]; then "$WTIME" "$t" bwrap "$@"; else bwrap "$@"; fi
}
# each side is timed only where it runs at all: probed as it is run
bwrap_ok=
if command -v bwrap >/dev/null 2>&1 && command -v lua5.4 >/dev/null 2>&1 \
   && [ "$(bw lua5.4 -e 'print("probe")' 2>/dev/null)" = probe ]; then
  bwrap_ok=1
fi
if ! "$WARD" run --untrusted "$tmp/nop.lua" > "$tmp/out" 2>&1; then
  echo "startup: ward run --untrusted cannot run here (no sandbox?):" >&2
  sed 's/^/  /' "$tmp/out" >&2
  exit 77
fi
# the floor is measured where nsfloor runs and can make the namespaces
floor_ok=
[ -x "$NSFLOOR" ] && "$NSFLOOR" 1 > /dev/null 2>&1 && floor_ok=1
escaped=0 failed=0
# one timed run: NAME TIMED-COMMAND..., which prints wtime's line (its
# output in $tmp/out); appends the wall microseconds to $tmp/NAME and the
# CPU ones to $tmp/NAME.cpu. A hostile run escaped when the host's secret
# is in its output or its marker file exists; it failed when it did not
# print its "read:" line.
timed () {
  name=$1; shift
  set -- $("$@")
  if [ $# -ne 3 ]; then
    failed=1; echo "$name: the timer failed" >&2; return
  fi
  echo "$1" >> "$tmp/$name"
  echo "$2" >> "$tmp/$name.cpu"
  case $name in
    untrusted|bwrap)
      if grep -q "$token" "$tmp/out" || [ -e "$marker" ]; then
        escaped=1; rm -f "$marker"; sed "s/^/$name escaped: /" "$tmp/out" >&2
      elif ! grep -q '^read: ' "$tmp/out"; then
        failed=1; sed "s/^/$name failed: /" "$tmp/out" >&2
      fi ;;
  esac
}
i=0
while [ "$i" -lt "$REPS" ]; do
  timed version "$WTIME" "$tmp/out" "$WARD" --version
  timed nop "$WTIME" "$tmp/out" "$WARD" run "$tmp/nop.lua"
  timed untrusted "$WTIME" "$tmp/out" "$WARD" run --untrusted "$tmp/hostile.lua" "$tmp/secret" \
    "$marker"
  [ -n "$bwrap_ok" ] && timed bwrap bw --time "$tmp/out" lua5.4 /s.lua "$tmp/secret" "$marker"
  if [ -n "$floor_ok" ]; then
    set -- $("$NSFLOOR" 3)
    if [ $# -eq 2 ]; then
      echo "$1" >> "$tmp/fexec"; echo "$2" >> "$tmp/fclone"; echo $(($1 + $2)) >> "$tmp/floor"
    fi
  fi
  i=$((i + 1))
done
med () { sort -n "$tmp/$1" | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
ms () { awk -v u="$1" 'BEGIN { printf "%.2f ms", u / 1000 }'; }
v=$(med version); n=$(med nop); u=$(med untrusted)
# NAME: "W ms wall, C ms CPU"
both () { echo "$(ms "$(med "$1")") wall, $(ms "$(med "$1.cpu")") CPU"; }
echo "start-up (medians of $REPS alternating runs, whole process, timed by wtime)"
printf '  %-44s %s\n' "ward --version" "$(both version)"
printf '  %-44s %s   (+%s over --version; target <= +3 ms)\n' "ward run nop.lua (trusted)" \
  "$(both nop)" "$(ms $((n - v)))"
printf '  %-44s %s\n' "ward run --untrusted hostile.lua" "$(both untrusted)"
if [ -n "$bwrap_ok" ]; then
  b=$(med bwrap)
  printf '  %-44s %s   (bwrap / ward = %s; target >= 4)\n' "bwrap --unshare-all lua5.4 hostile.lua" \
    "$(both bwrap)" "$(awk -v b="$b" -v u="$u" 'BEGIN { printf "%.2f", b / u }')"
else
  echo "  bwrap or lua5.4 not usable here: no peer figure"
fi
if [ -n "$floor_ok" ] && [ -s "$tmp/floor" ]; then
  f=$(med floor)
  printf '  %-44s %s wall   (exec of /bin/true %s + clone of six namespaces %s)\n' \
    "floor: what any cold-started sandbox pays" "$(ms "$f")" "$(ms "$(med fexec)")" \
    "$(ms "$(med fclone)")"
  printf '  %-44s ward %s, bwrap %s over the floor\n' "" "$(ms $((u - f)))" \
    "$(if [ -n "$bwrap_ok" ]; then ms $((b - f)); else echo "-"; fi)"
  if [ -n "$bwrap_ok" ]; then
    printf '  %-44s bwrap / floor = %s (the most a sandbox paying the floor could beat\n' "" \
      "$(awk -v b="$b" -v f="$f" 'BEGIN { printf "%.2f", b / f }')"
    printf '  %-44s bwrap by; the 4x target needs ward <= %s)\n' "" \
      "$(awk -v b="$b" 'BEGIN { printf "%.2f ms", b / 4000 }')"
  fi
else
  echo "  nsfloor not built or no namespaces here: no floor figure"
fi
if [ "$escaped" -ne 0 ]; then echo "startup: a hostile script was not contained" >&2; exit 1; fi
if [ "$failed" -ne 0 ]; then echo "startup: a hostile run failed to run (see above)" >&2; exit 2; fi
echo "  every hostile run was contained (no secret read, no file written)"
