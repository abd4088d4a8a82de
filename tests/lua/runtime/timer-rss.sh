#!/bin/sh
# timer-rss.sh -- a process that ends leaves nothing in its timers: 20000
# processes that each start a timer of an hour (time.after) and end at
# once hold no memory for that hour. (A subprocess actor's wall-clock
# deadline is such a timer too.) Measured by reading the VmRSS of ward in
# /proc once the script says they have all ended, against a run that
# spawns none; no timing is asserted. TAP.
: "${WARD:=./ward}"
. "${WARD_SRCDIR:-.}/tests/lua/session.sh"
session_tmp timer

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

many () { rss_at '^ended' "many$1" --threads 2 --root "$T" "$T/many.lua" "$1"; }
many 0
base=$rss
many 20000
echo "# VmRSS: $base kB with none, $rss kB after 20000 ($line)"
check "20000 processes started a timer and ended (got '$line')" [ "$line" = "ended 20000" ]
check "VmRSS read both times" both_read "$base" "$rss"
# each ended process held about 1.7 KB while its timer waited: 34 MB
n=$((n + 1)); rss_grew_less $n "$base" "$rss" $((12 * 1024)) "20000 ended processes' timers wait"
check "nothing of the run is left" none_left
