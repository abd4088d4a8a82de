#!/bin/sh
# signals.sh -- the first SIGTERM, SIGINT or SIGHUP ends a run, spawn chains
# included (each process starts its successor, then ends), with exit status
# 143, 130 or 129; the master's end ends a chain as well; a signal ignored
# when ward starts stays ignored; and nothing of the run is left once ward
# has exited. TAP; reports how long ward took to
# exit after SIGTERM (measured, not asserted).
: "${WARD:=./ward}"
. "${WARD_SRCDIR:-.}/tests/lua/session.sh"
session_tmp signals
said () { grep -q -- "$1" "$T/$run_name.err"; }
not_said () { ! grep -q -- "$1" "$T/$run_name.err"; }

# A link passes a 1 MiB argument on: each spawn then takes a while, so that
# the first signal comes while a link is between the start of its spawn
# and the successor's start -- the window in which a chain used to escape
# the end of the run.
mkdir -p "$T/actors"
cat > "$T/actors/link.lua" <<'EOF'
-- actors:link -- one link of a chain: starts its successor, then ends; the
-- twentieth tells the first process that the chain runs.
local first, hop, big = ...
if hop == 20 then process.send(first, "running") end
process.spawn("actors:link", "ward:main", first, hop + 1, big)
EOF
cat > "$T/chain.lua" <<'EOF'
-- four chains; "running" once they run, then wait to be stopped, or end
-- (the master's end) when given "end"
local mode = ...
local big = string.rep("x", 1 << 20)
for _ = 1, 4 do process.spawn("actors:link", "ward:main", process.pid(), 1, big) end
process.inbox():receive()
print("chain running")
if mode == "end" then return "done" end
while true do process.inbox():receive() end
EOF

for sig in TERM INT HUP; do
  case $sig in TERM) want=143 ;; INT) want=130 ;; HUP) want=129 ;; esac
  start_run "$sig" --threads 2 --root "$T" "$T/chain.lua"
  check "SIG$sig: the chain runs" wait_line '^chain running'
  stop_run "$sig"
  wait_run
  check "SIG$sig: the first signal ends the run, chain included" on_time
  check "SIG$sig: ward exits $want (got $rc)" [ "$rc" -eq "$want" ]
  check "SIG$sig: it says it ends every process" said 'ward: stopped by .*: ending every process'
  check "SIG$sig: with no second signal" not_said 'a second signal'
  check "SIG$sig: nothing of the run is left" none_left
  ms=$(sed -n "s/^signal SIG$sig ms //p" "$T/$run_name.rep")
  echo "# ward exited ${ms:-?} ms after SIG$sig with four chains running"
done

# A signal ignored when ward starts (nohup) stays ignored: SIGHUP, then
# SIGTERM, ends the run by SIGTERM. ward is started through sh, which
# ignores SIGHUP and then becomes ward (exec).
cat > "$T/idle.lua" <<'EOF'
print("up")
process.inbox():receive()
EOF
run_name=nohup
rm -f "$T/nohup.rep" "$T/nohup.rep.pid"; : > "$T/nohup.out"
"$WARD_SESSION" "$T/nohup.rep" sh -c 'trap "" HUP; exec "$0" run "$1"' "$WARD" "$T/idle.lua" \
  > "$T/nohup.out" 2> "$T/nohup.err" &
run_pid=$!
check "ignored SIGHUP: the run is up" wait_line '^up'
stop_run HUP
stop_run TERM
wait_run
check "ignored SIGHUP: the SIGTERM after it ends the run (exit 143, got $rc)" [ "$rc" -eq 143 ]
check "ignored SIGHUP: stopped by SIGTERM" said 'stopped by Terminated'
check "ignored SIGHUP: the SIGHUP was not taken" not_said 'Hangup'
check "ignored SIGHUP: with no second signal" not_said 'a second signal'

start_run end --threads 2 --root "$T" "$T/chain.lua" end
wait_run
check "the master's end ends a running chain too" on_time
check "and ward exits 0 (got $rc)" [ "$rc" -eq 0 ]
check "having printed that the chain ran" grep -q '^chain running' "$T/end.out"
check "nothing of that run is left" none_left

echo "1..$n"
[ "$fails" -eq 0 ]
