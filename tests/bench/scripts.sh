#!/bin/sh
# scripts.sh -- the user-level benchmark (make bench-scripts): N small
# hostile scripts (tests/bench/hostile/attack.lua put before each h*.lua,
# taken in turn), each of which
# tries to read a host secret, to create a file outside its root and to
# read a host process's command line, then does a little honest work
# (0.05-0.2 ms of lua5.4's CPU each: the bench is about start-up, and a
# heavier task would hide it) and prints its result. Each round runs them three ways, one after the other:
#   (a) `ward run --untrusted` once per script;
#   (b) one `ward run` of tests/bench/hostile-many.lua, which spawns the N
#       as actors on ward:sandbox back to back (main may, by the shipped
#       default policy) and waits for their ends;
#   (c) bubblewrap once per script: `bwrap --unshare-all --die-with-parent
#       --new-session --cap-drop ALL --ro-bind /usr /usr ... lua5.4`, when
#       bwrap and lua5.4 are installed.
# Every whole process is timed by tests/bench/wtime (fork, exec, wait:
# $WTIME). Prints, over REPS rounds (default 5), the median time and CPU
# time per script of each way and the ratios to bubblewrap, with the
# targets; for (b) also the time per actor beyond what the run itself
# costs (a `ward run` of a script that does nothing, timed in each round).
# What the scripts' own work costs is measured in the same rounds, so that
# ward's cost is seen apart from it: lua5.4 runs each script outside any
# sandbox (its attacks pointed at nothing: a missing file, a missing
# directory, pid 0), less lua5.4's own start (`lua5.4 -e ''`); (b) is then
# also printed less that work, ward's own cost per actor. After every run
# the host checks each script: its output holds neither the secret nor the
# host process's marker, no marker file was created, and it printed its
# result, the same result in all three ways (and in lua5.4's).
# Exits 0 (figures are information), 1 when a script escaped, 2 when a run
# failed, 77 when ward cannot sandbox here (or the timer is not built).
: "${WARD:=./ward}"
: "${WTIME:=./tests/bench/wtime}"
: "${REPS:=5}"
: "${N:=40}"
here=$(cd "$(dirname "$0")" && pwd)
if ! [ -x "$WTIME" ]; then
  echo "scripts: no timer at $WTIME (make tests/bench/wtime)" >&2
  exit 77
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ward-scripts.XXXXXX") || exit 0
hostpid=
trap '[ -n "$hostpid" ] && kill "$hostpid" 2>/dev/null; rm -rf "$tmp"' EXIT
XDG_STATE_HOME=$tmp/state; export XDG_STATE_HOME
# the scripts as (a) and (c) run them, and as (b)'s actors under its root
mkdir -p "$tmp/s" "$tmp/b/actors" "$tmp/m"
names=
for f in "$here"/hostile/h*.lua; do
  h=$(basename "$f" .lua); names="$names $h"
  cat "$here/hostile/attack.lua" "$f" > "$tmp/s/$h.lua"; cp "$tmp/s/$h.lua" "$tmp/b/actors/"
done
cp "$here/hostile-many.lua" "$tmp/b/"
chmod -R a+rX "$tmp"
# what must not get out: a secret file anyone on the host may read, and a
# host process whose command line holds a marker
token=secret-$$-$(date +%s%N)
echo "$token" > "$tmp/secret"; chmod 644 "$tmp/secret"
# (a shell blocked opening a FIFO: killed, it leaves nothing behind)
ptoken=hostproc-$$-$(date +%s%N)
mkfifo "$tmp/hold"
sh -c ': < "$1"' "$ptoken" "$tmp/hold" < /dev/null > /dev/null 2>&1 &
hostpid=$!
# bubblewrap as the peer runs it: everything unshared, /usr read-only.
# bw [--time OUT] SCRIPT CMD...: CMD in it with SCRIPT at /s.lua, timed by
# wtime into OUT with --time
bw () {
  t=
  if [ "$1" = --time ]; then t=$2; shift 2; fi
  s=$1; shift
  set -- --unshare-all --die-with-parent --new-session --cap-drop ALL --ro-bind /usr /usr \
    --symlink usr/lib /lib --symlink usr/lib64 /lib64 --symlink usr/bin /bin --proc /proc \
    --dev /dev --tmpfs /tmp --ro-bind "$s" /s.lua "$@"
  if [ -n "$t" ]; then "$WTIME" "$t" bwrap "$@"; else bwrap "$@"; fi
}
bwrap_ok= lua_ok=
if command -v lua5.4 >/dev/null 2>&1 && [ "$(lua5.4 -e 'print("probe")' 2>/dev/null)" = probe ]; then
  lua_ok=1
fi
if [ -n "$lua_ok" ] && command -v bwrap >/dev/null 2>&1 \
   && [ "$(bw "$tmp/s/h1.lua" lua5.4 -e 'print("probe")' 2>/dev/null)" = probe ]; then
  bwrap_ok=1
fi
echo 'return 1' > "$tmp/nop.lua"
if ! "$WARD" run --untrusted "$tmp/nop.lua" > "$tmp/out" 2>&1; then
  echo "scripts: ward run --untrusted cannot run here (no sandbox?):" >&2
  sed 's/^/  /' "$tmp/out" >&2
  exit 77
fi
set -- $names
nscripts=$#
escaped=0 failed=0
# check WAY OUT COUNT: the output OUT of COUNT scripts of way WAY. Escaped:
# the secret or the host process's marker is in it, or a marker file
# exists (removed). Failed: fewer than COUNT results, or a result other
# than the first seen for the same script (kept in $tmp/work.NAME).
check () {
  if grep -q -e "$token" -e "$ptoken" "$2" || [ -n "$(ls "$tmp/m")" ]; then
    escaped=1; rm -f "$tmp/m"/*; sed "s/^/$1 escaped: /" "$2" >&2
    return
  fi
  got=$(grep -c '^h[0-9]* read: .*work: ' "$2")
  if [ "$got" -ne "$3" ]; then
    failed=1; echo "$1: $got results of $3:" >&2; sed "s/^/$1: /" "$2" >&2
    return
  fi
  sed -n 's/^\(h[0-9]*\) read: .*work: \(.*\)$/\1 \2/p' "$2" | while read -r h w; do
    [ -f "$tmp/work.$h" ] || echo "$w" > "$tmp/work.$h"
    if [ "$(cat "$tmp/work.$h")" != "$w" ]; then
      echo "$1: $h printed $w, not $(cat "$tmp/work.$h")" >&2
      touch "$tmp/differs"
    fi
  done
  if [ -e "$tmp/differs" ]; then failed=1; rm -f "$tmp/differs"; fi
}
# one timed run: WAY TIMED-COMMAND... (which prints wtime's line, the
# output in $tmp/out); adds its wall and CPU microseconds to the round's
# sums w_WAY and c_WAY
timed () {
  way=$1; shift
  set -- $("$@")
  if [ $# -ne 3 ]; then failed=1; echo "$way: the timer failed" >&2; return; fi
  eval "w_$way=\$((w_$way + $1)) c_$way=\$((c_$way + $2))"
}
r=0
while [ "$r" -lt "$REPS" ]; do
  w_a=0 c_a=0 w_b=0 c_b=0 w_c=0 c_c=0 w_n=0 c_n=0 w_w=0 c_w=0 w_l=0 c_l=0
  # (a) and (c) alternate script by script, (b) runs once between them
  i=1
  while [ "$i" -le "$N" ]; do
    set -- $names; k=$(( (i - 1) % nscripts + 1 )); eval "h=\${$k}"
    timed a "$WTIME" "$tmp/out" "$WARD" run --untrusted "$tmp/s/$h.lua" "$tmp/secret" \
      "$tmp/m/escaped-$i" "$hostpid"
    check "ward run --untrusted $h" "$tmp/out" 1
    if [ -n "$bwrap_ok" ]; then
      timed c bw --time "$tmp/out" "$tmp/s/$h.lua" lua5.4 /s.lua "$tmp/secret" \
        "$tmp/m/escaped-$i" "$hostpid"
      check "bwrap $h" "$tmp/out" 1
    fi
    if [ -n "$lua_ok" ]; then
      # the script's own cost: no sandbox, nothing for its attacks to find
      timed w "$WTIME" "$tmp/out" lua5.4 "$tmp/s/$h.lua" "$tmp/none" "$tmp/none/escaped" 0
      check "lua5.4 $h" "$tmp/out" 1
      timed l "$WTIME" "$tmp/out" lua5.4 -e ''
    fi
    if [ "$i" -eq $(( (N + 1) / 2 )) ]; then
      timed b "$WTIME" "$tmp/out" "$WARD" run --root "$tmp/b" "$tmp/b/hostile-many.lua" "$N" \
        "$tmp/secret" "$tmp/m" "$hostpid" $names
      check "one ward run, $N actors" "$tmp/out" "$N"
      timed n "$WTIME" "$tmp/out" "$WARD" run "$tmp/nop.lua"
    fi
    i=$((i + 1))
  done
  for way in a b c w l; do
    eval "echo \$((w_$way / N)) >> \"\$tmp/w_$way\"; echo \$((c_$way / N)) >> \"\$tmp/c_$way\""
  done
  echo $(( (w_b - w_n) / N )) >> "$tmp/w_bn"; echo $(( (c_b - c_n) / N )) >> "$tmp/c_bn"
  r=$((r + 1))
done
med () { sort -n "$tmp/$1" | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
ms () { awk -v u="$1" 'BEGIN { printf "%.2f ms", u / 1000 }'; }
ratio () { awk -v b="$1" -v u="$2" 'BEGIN { printf "%.1f", (u > 0 ? b / u : 0) }'; }
a=$(med w_a); b=$(med w_b); c=$(med w_c)
echo "$N hostile scripts a round, $nscripts kinds (medians of $REPS alternating rounds;"
echo "whole processes timed by wtime; per script: a round's sum / $N)"
printf '  %-46s %10s %10s\n' "" "per script" "CPU"
printf '  %-46s %10s %10s\n' "(a) ward run --untrusted, one per script" "$(ms "$a")" \
  "$(ms "$(med c_a)")"
printf '  %-46s %10s %10s\n' "(b) one ward run, $N actors on ward:sandbox" "$(ms "$b")" \
  "$(ms "$(med c_b)")"
printf '  %-46s %10s %10s\n' "    ... beyond the run's own (ward run nop.lua)" "$(ms "$(med w_bn)")" \
  "$(ms "$(med c_bn)")"
if [ -n "$lua_ok" ]; then
  # the work: lua5.4 running the script, less lua5.4 doing nothing
  work () { awk -v s="$1" -v l="$2" 'BEGIN { print (s > l ? s - l : 0) }'; }
  ww=$(work "$(med w_w)" "$(med w_l)"); wc=$(work "$(med c_w)" "$(med c_l)")
  printf '  %-46s %10s %10s\n' "    ... ward's own (less the script itself)" \
    "$(ms "$(work "$(med w_bn)" "$ww")")" "$(ms "$(work "$(med c_bn)" "$wc")")"
fi
if [ -n "$bwrap_ok" ]; then
  printf '  %-46s %10s %10s\n' "(c) bwrap --unshare-all lua5.4, one per script" "$(ms "$c")" \
    "$(ms "$(med c_c)")"
  ra=$(ratio "$c" "$a"); rb=$(ratio "$c" "$b")
  # met RATIO MIN [US MAX]: yes when RATIO >= MIN (and US <= MAX)
  met () { awk -v r="$1" -v m="$2" -v u="${3:-0}" -v x="${4:-0}" \
             'BEGIN { print (r >= m && u <= x ? "yes" : "no") }'; }
  printf '  (a) bwrap / ward = %sx   target >= 4x: %s\n' "$ra" "$(met "$ra" 4)"
  printf '  (b) bwrap / ward = %sx   target <= 1 ms per actor and >= 10x: %s\n' "$rb" \
    "$(met "$rb" 10 "$b" 1000)"
else
  echo "  bwrap or lua5.4 not usable here: no peer figure"
fi
if [ -n "$lua_ok" ]; then
  echo "  the scripts' own cost, in the same rounds (lua5.4, no sandbox, one per script):"
  printf '  %-46s %10s %10s\n' "    lua5.4 script" "$(ms "$(med w_w)")" "$(ms "$(med c_w)")"
  printf '  %-46s %10s %10s\n' "    lua5.4 -e '' (lua5.4's own start)" "$(ms "$(med w_l)")" \
    "$(ms "$(med c_l)")"
  printf '  %-46s %10s %10s\n' "    the script itself (the difference)" "$(ms "$ww")" "$(ms "$wc")"
fi
if [ "$escaped" -ne 0 ]; then echo "scripts: a hostile script was not contained" >&2; exit 1; fi
if [ "$failed" -ne 0 ]; then echo "scripts: a run failed (see above)" >&2; exit 2; fi
echo "  every script was contained in every way (no secret read, no file written,"
echo "  no host process seen) and printed its result, the same in all three"
[ -z "$lua_ok" ] || echo "  (and the same as lua5.4's with no sandbox)"
