#!/bin/sh
# flood-rss.sh -- messages queued for a process that does not read are
# bounded in bytes with the default limits: a flood of 24 messages of
# 15 MiB at a process of 64 MiB leaves 4 queued (64 MiB, --mailbox-bytes's
# default), refuses the rest, and the runtime's resident memory grows by
# about that much, not by the 360 MiB sent. Measured by reading the
# VmRSS of ward in /proc, once the script says the flood is over, against a
# run that sends nothing; no timing is asserted. TAP.
: "${WARD:=./ward}"
. "${WARD_SRCDIR:-.}/tests/lua/session.sh"
session_tmp flood

echo "1..5"
mkdir -p "$T/actors"
cat > "$T/actors/deaf.lua" <<'EOF2'
-- actors:deaf -- never reads its inbox
process.events():receive()
EOF2
cat > "$T/flood.lua" <<'EOF2'
local n = tonumber((...))
local deaf = process.spawn("actors:deaf", "ward:main")
local big = string.rep("f", 15 * 1024 * 1024)
local sent, refused, why = 0, 0, ""
for i = 1, n do
  local ok, err = process.send(deaf, "big", big)
  if ok then sent = sent + 1 else refused = refused + 1; why = err:kind() end
end
print(("flooded sent=%d refused=%d kind=%s"):format(sent, refused, why))
process.inbox():receive()
EOF2

# flood N: the run's VmRSS (kB) once the flood is over, in $rss; its line in $line
flood () { rss_at '^flooded' "flood$1" --threads 2 --memory 64M --root "$T" "$T/flood.lua" "$1"; }

flood 0
base=$rss
flood 24
echo "# VmRSS: $base kB with no message sent, $rss kB after 24 x 15 MiB sent ($line)"
queued4 () { case $line in *"sent=4 refused=20 kind=UNAVAILABLE"*) ;; *) return 1 ;; esac; }
check "4 of 24 queued, 20 refused (UNAVAILABLE): got '$line'" queued4
check "VmRSS read both times" both_read "$base" "$rss"
# 4 queued messages are 60 MiB; allow as much again for the allocator
n=$((n + 1)); rss_grew_less $n "$base" "$rss" $((120 * 1024)) "360 MiB were sent"
check "the run ends by SIGTERM (rc $rc)" [ "$rc" -eq 143 ]
check "nothing of the run is left" none_left
