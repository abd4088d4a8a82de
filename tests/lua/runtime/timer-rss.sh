#!/bin/sh
# timer-rss.sh -- a process that ends leaves nothing in its timers: 20000
# processes that each start a timer of an hour (time.after) and end at
# once hold no memory for that hour. (A subprocess actor's wall-clock
# deadline is such a timer too.) Measured by reading the VmRSS of ward in
# /proc once the script says they have all ended, against a run that
# spawns none; no timing is asserted. TAP.
: "${WARD:=./ward}"
T=$(mktemp -d "${TMPDIR:-/tmp}/ward-timer.XXXXXX") || exit 99
trap 'rm -rf "$T"' EXIT INT TERM
XDG_STATE_HOME=$T/state; export XDG_STATE_HOME
. "${WARD_SRCDIR:-.}/tests/lua/session.sh"

echo "1..4"
mkdir -p "$T/actors"
cat > "$T/actors/later.lua" <<'EOF2'
-- actors:later -- starts a timer of an hour, and ends
local _ = time.after(3600000)
return 1
EOF2
cat > "$T/many.lua" <<'EOF2'
local n = tonumber((...))
local ev = process.events()
local ended = 0
for i = 1, n do
  process.spawn_monitored("actors:later", "ward:main")
  if i % 100 == 0 or i == n then
    while ended < i do ev:receive() ended = ended + 1 end
  end
end
print(("ended %d"):format(ended))
process.inbox():receive()
EOF2

many () {
  start_run "many$1" --threads 2 --root "$T" "$T/many.lua" "$1"
  rss=; line=
  if wait_line '^ended'; then
    rss=$(rss_kb "$(ward_pid)")
    line=$(grep '^ended' "$T/many$1.out")
  fi
  stop_run TERM
  wait_run
}
many 0
base=$rss
many 20000
echo "# VmRSS: $base kB with none, $rss kB after 20000 ($line)"
n=1
[ "$line" = "ended 20000" ] && echo "ok $n - 20000 processes started a timer and ended" \
  || echo "not ok $n - 20000 processes started a timer and ended (got '$line')"
n=2
if [ -n "$base" ] && [ -n "$rss" ]; then echo "ok $n - VmRSS read both times"
else echo "not ok $n - VmRSS read both times (got '$base', '$rss')"; fi
# each ended process held about 1.7 KB while its timer waited: 34 MB
rss_grew_less 3 "$base" "$rss" $((12 * 1024)) "20000 ended processes' timers wait"
n=4
[ -z "$(leftovers)" ] && echo "ok $n - nothing of the run is left" || echo "not ok $n - nothing of the run is left"
