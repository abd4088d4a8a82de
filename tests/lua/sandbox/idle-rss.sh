#!/bin/sh
# idle-rss.sh -- subprocess actors that each sent one large message and
# then idle hold nothing of it in the runtime: not the channel's receive
# buffer (released past 64 KiB between frames), not the stand-in's copy of
# the call's arguments (collected after a large call), not the allocator's
# arenas (buffers past 1 MiB are unmapped when freed). 24 helpers send 8 MB
# each to the first process, which receives them all, then pings each one
# and waits for every answer (so each stand-in has finished the large
# call); ward's VmRSS is then read from /proc and compared with a run whose
# helpers send one byte. No timing is asserted. TAP; reports both sizes.
. "${WARD_SRCDIR:-.}/tests/lua/sandbox/lib.sh"
. "${WARD_SRCDIR:-.}/tests/lua/session.sh"

mkdir -p "$T/actors"
cat > "$T/actors/big.lua" <<'EOF2'
-- actors:big -- one message of `size` bytes to parent (again while its mailbox
-- is full), then a pong for every message it gets
local parent, size = ...
local big = string.rep("b", size)
while not process.send(parent, "big", big) do time.sleep("5ms") end
big = nil
local inbox = process.inbox()
while true do
  inbox:receive()
  process.send(parent, "pong")
end
EOF2
cat > "$T/idle.lua" <<'EOF2'
local n, size = tonumber((...)), tonumber((select(2, ...)))
local me = process.pid()
local kids = {}
for i = 1, n do
  local pid, err = process.spawn("actors:big", "ward:sandbox", me, size)
  if not pid then print("spawn failed: " .. tostring(err)); return end
  kids[i] = pid
end
local inbox = process.inbox()
local bytes = 0
for _ = 1, n do bytes = bytes + #inbox:receive():payload() end
for i = 1, n do process.send(kids[i], "ping") end
for _ = 1, n do inbox:receive() end
collectgarbage("collect")
print("idle " .. bytes)
inbox:receive()
EOF2

# run SIZE: ward's VmRSS (kB) once every helper idles, in $rss
run () {
  rss=
  start_run "idle$1" --threads 2 --root "$T" "$T/idle.lua" 24 "$1"
  if wait_line '^idle '; then
    rss=$(rss_kb "$(ward_pid)")
  fi
  stop_run TERM
  wait_run
}

run 1
skip_unless_sandbox "$T/idle1.out"
base=$rss
has "24 helpers of one byte: all received" "^idle 24$" "$T/idle1.out"
run 8000000
has "24 helpers of 8 MB: all received" "^idle 192000000$" "$T/idle8000000.out"
echo "# VmRSS with 24 idle helpers: ${base:-?} kB after 1-byte messages, ${rss:-?} kB after 8 MB ones"
grow=$(( ${rss:-999999999} - ${base:-0} ))
small () { [ -n "$base" ] && [ "$grow" -lt $((64 * 1024)) ]; }
if grep -qa __asan_init "$WARD"; then
  n=$((n + 1))
  echo "ok $n # SKIP a sanitizer build: its allocator keeps freed memory in quarantine"
else
  ok "the runtime holds less than 64 MiB more ($grow kB; 192 MB were sent)" small
fi
ok "nothing of the run is left" [ -z "$(leftovers)" ]
finish
