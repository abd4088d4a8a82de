#!/bin/sh
# contexts-threads.sh -- the thread of a context spawn_vm made
# (inherit_context = false) ends with the context's last process: after 40
# contexts that each ran one process to its end, ward has about as many
# threads as a run that made none. Read from /proc/PID/status once the
# script says its processes are done, waiting (scaled deadline) for the
# count to settle; no timing is asserted. TAP.
: "${WARD:=./ward}"
. "${WARD_SRCDIR:-.}/tests/lua/session.sh"
session_tmp ctxthr

echo "1..4"
mkdir -p "$T/actors"
cat > "$T/actors/once.lua" <<'EOF2'
-- actors:once -- answers the PID it is sent, then ends
local inbox = require "inbox"
process.send(inbox.receive(), "once")
EOF2
cat > "$T/ctx.lua" <<'EOF2'
local n = tonumber((...))
local me, inbox = process.pid(), process.inbox()
for i = 1, n do
  local ch = spawn_vm("actors:once", { inherit_context = false })
  ch:send(me)
  ch:close()
  inbox:receive()
end
print("done " .. n)
inbox:receive()
EOF2

threads () { awk '/^Threads:/ { print $2 }' "/proc/$1/status" 2>/dev/null; }

# run N: ward's thread count once N contexts have run their process, in $thr
run () {
  start_run "ctx$1" --threads 2 --root "$T" "$T/ctx.lua" "$1"
  thr=
  if wait_line "^done $1\$"; then
    pid=$(ward_pid)
    thr=$(threads "$pid")
    # a context's thread ends just after its process: wait until the
    # count is no more than $2 or the deadline passes
    end=$(( $(now_ms) + deadline_s * 1000 ))
    while [ -n "$2" ] && [ -n "$thr" ] && [ "$thr" -gt "$2" ] && [ "$(now_ms)" -lt "$end" ]; do
      sleep 0.05
      thr=$(threads "$pid")
    done
  fi
  stop_run TERM
  wait_run
}

run 0 ""
base=$thr
run 40 $(( ${base:-0} + 2 ))
echo "# threads: $base after no context, $thr after 40 contexts ended"
gone () { [ -n "$thr" ] && [ "$thr" -le $(( ${base:-0} + 2 )) ]; }
check "Threads read both times" both_read "$base" "$thr"
check "the threads of ended contexts are gone ($thr, at most ${base:-?} + 2)" gone
check "the run ends by SIGTERM (rc $rc)" [ "$rc" -eq 143 ]
check "nothing of the run is left" none_left
