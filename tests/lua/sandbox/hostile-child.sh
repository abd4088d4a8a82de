#!/bin/sh
# hostile-child.sh -- a sandboxed child whose Lua VM has been subverted
# cannot bend the runtime. The child actors:raw (tests/lua/sandbox/actors/raw.lua)
# runs in tests/ward-faults with WARD_TEST_RAW_WIRE=1, which gives it the
# global `wire` of tests/harness/rawwire.c: raw frames and datagrams of any
# type, body and descriptors, at any pace. For each attack:
#  - a frame that breaks the protocol -- in its datagrams, its type, its
#    body, its descriptors, or a handle the child was never given -- ends
#    the child with a reason naming it, audited as sandbox.malformed_frame,
#    and the runtime goes on;
#  - calls in an order the child side never makes (two EXITs, a call after
#    EXIT, calls before any reply is read) get no more than their due, in
#    order whether the runtime's reader or the stand-in performs each;
#  - the CPU time the runtime spends on a child's calls, the reader's
#    plain sends included, is charged to the child's limit;
#  - forged PIDs are judged by the permission engine as the child's actor,
#    refused and audited;
#  - a child that reads one frame every 1.9 s, or none, or closes its
#    channel and runs on, or floods plain sends without end, holds up no
#    other sandboxed actor; the one that stops is ended (sandbox.stalled).
# The installed ward has no `wire`, and ignores the variable.
. "${WARD_SRCDIR:-.}/tests/lua/sandbox/lib.sh"

WARD_TEST_RAW_WIRE=1 "$WARD" run --root "$src" "$src/raw-parent.lua" type-boot "$ward_test_scale" > "$T/shipped" 2>&1
skip_unless_sandbox "$T/shipped"
has "the installed ward ignores WARD_TEST_RAW_WIRE: a child has no wire" "^ended: .*attempt to index a nil value (local 'W')" \
  "$T/shipped"

# attack [ENV=VALUE...]: run it; output in $T/attack, audit in $T/attack.audit
attack () {
  a=$1; shift
  env WARD_TEST_RAW_WIRE=1 "$@" timeout "$(scaled_s 300)" "$WARD_FAULTS" run --root "$src" \
    --audit "$T/$a.db" "$src/raw-parent.lua" "$a" "$ward_test_scale" > "$T/$a" 2>&1
  echo "$?" > "$T/$a.rc"
  "$WARD" audit --db "$T/$a.db" --json > "$T/$a.audit" 2>&1
}
goes_on () {
  ok "$1: ward itself exits 0" test "$(cat "$T/$1.rc")" -eq 0
  has "$1: the runtime goes on" '^after: 50$' "$T/$1"
}

# breaches: attack, then what the end says after "malformed frame: "
while IFS='|' read -r a why; do
  [ -n "$a" ] || continue
  attack "$a"
  goes_on "$a"
  has "$a: the child is ended: $why" "^ended: subprocess actor ended: malformed frame: $why" "$T/$a"
  has "$a: ... and that is audited" \
    '"action":"sandbox.malformed_frame","resource":"{ward:sandbox|' "$T/$a.audit"
done <<'EOF'
type-boot|a child may not send frame type 1
type-msg|a child may not send frame type 2
type-reply|a child may not send frame type 3
type-senders|a child may not send frame type 6
type-detached|a child may not send frame type 8
type-zero|unexpected type 0
type-unknown|unexpected type 200
type-change|unexpected type 5
magic|bad datagram (5 bytes)
short|bad datagram (1 bytes)
long|bad datagram (32773 bytes)
flags|bad datagram (5 bytes)
pad|bad datagram (5 bytes)
oversized|over 17825792 bytes
truncated|truncated (the channel closed inside a frame)
fds-many|descriptors cut off (more than 16
fds-later|descriptors past its first datagram
fds-exit|descriptors with an EXIT
call-short|a CALL that is not an operation and its arguments
call-length|a CALL that is not an operation and its arguments
call-trailing|a CALL that is not an operation and its arguments
call-op|a CALL of no operation the child side makes
call-args|a CALL's arguments: malformed message
call-args-empty|a CALL's arguments: malformed message: truncated
exit-short|an EXIT that is not a status and a result
exit-status|an EXIT that is not a status and a result
exit-result|its result: malformed message
drop-self|it dropped a channel it does not hold
drop-pid-only|a DROP that is not a channel's PID and a count
drop-zero|a DROP that is not a channel's PID and a count
handle-call-parent|a handle the runtime did not give it
handle-call-none|a handle the runtime did not give it
handle-exit|a handle the runtime did not give it
grant-by-error|a handle the runtime did not give it
EOF
# its own address is the one channel a child may name without being given
# it (its inbox sent as a message): the send is performed
attack handle-call-self
goes_on handle-call-self
has "handle-call-self: a channel naming the child itself is not forged: the send is performed" \
  '^report: self 0$' "$T/handle-call-self"
# a forged channel is refused before anything is asked of the process it names
ok "handle-call-parent: nothing reaches the process it names" \
  eval '! grep -q "^message: x" "$T/handle-call-parent"'
ok "handle-call-parent: ... and no send is asked" \
  eval '! grep -q "\"action\":\"process.send\"" "$T/handle-call-parent.audit"'

# a result naming a channel the child was never given: actors:victim, a trusted
# worker, spawns the child, which ends with a result naming the worker.
# The forged channel is refused; the worker's inbox stays open while its
# spawner holds its channel.
cat > "$T/victim.lua" <<'EOF'
local scale = tonumber((...)) or 1
local ch = spawn_vm("actors:victim")
ch:send({ process.pid(), scale })
local inb = process.inbox()
local function msg()
  local r = channel.select { inb:case_receive(), time.after(60000 * scale):case_receive() }
  if r.channel ~= inb then return "no message" end
  return r.value:topic() .. ": " .. tostring((r.value:payload()))
end
print(msg())
pcall(ch.send, ch, "still open")
print(msg())
EOF
WARD_TEST_RAW_WIRE=1 timeout "$(scaled_s 60)" "$WARD_FAULTS" run --root "$src" \
  --audit "$T/victim.db" "$T/victim.lua" "$ward_test_scale" > "$T/victim" 2>&1
ok "victim: ward itself exits 0" test $? -eq 0
has "victim: the child is ended for a malformed frame" \
  '^ready: subprocess actor ended: malformed frame: a handle the runtime did not give it' "$T/victim"
has "victim: the worker's inbox is still open" '^got: still open$' "$T/victim"
"$WARD" audit --db "$T/victim.db" --json > "$T/victim.audit" 2>&1
has "victim: the breach is audited" \
  '"action":"sandbox.malformed_frame","resource":"{ward:sandbox|' "$T/victim.audit"

attack exec-quit
goes_on exec-quit
has "exec-quit: a child that ends while its stand-in waits in its call is reported ended" \
  '^ended: subprocess actor exited with status 3$' "$T/exec-quit"

# a spawn_vm subprocess actor that unmonitors its spawner still ends with it
cat > "$T/unmon.lua" <<'EOF'
local scale = tonumber((...)) or 1
local inb, ev = process.inbox(), process.events()
local function wait(ch)
  local r = channel.select { ch:case_receive(), time.after(30000 * scale):case_receive() }
  if r.channel == ch then return r.value end
end
local O = process.spawn("actors:owner", "ward:main", process.pid())
local m = wait(inb)
if not m then print("no report") return end
local ok, child = m:payload()
print("unmonitored: " .. tostring(ok))
process.monitor(child)
process.send(O, "end")
local e = wait(ev)
print("child: " .. (e and "ended: " .. tostring(e.result.error or e.result.value) or "lives on"))
EOF
timeout "$(scaled_s 120)" "$WARD" run --root "$src" "$T/unmon.lua" "$ward_test_scale" > "$T/unmon" 2>&1
ok "unmon: ward itself exits 0" test $? -eq 0
has "unmon: the child's unmonitor of its spawner answers true" '^unmonitored: true$' "$T/unmon"
has "unmon: ... and it still ends with its spawner" '^child: ended: .*ended with its spawner' "$T/unmon"

# a call whose arguments decode to millions of values: the stand-in that
# decodes them is held to the child's memory (its profile's, and 1 MiB),
# not the run's --memory (256 MiB)
attack bomb
goes_on bomb
has "bomb: the stand-in ends at its memory limit" '^ended: memory limit of [0-9]* bytes exceeded' "$T/bomb"
lim=$(sed -n 's/^ended: memory limit of \([0-9]*\) bytes exceeded.*/\1/p' "$T/bomb")
ok "bomb: ... the child's, not the run's (${lim:-none} < 268435456)" test "${lim:-268435456}" -lt 268435456

attack cpu-bombs
goes_on cpu-bombs
has "cpu-bombs: the runtime's work for a child is charged to the child's CPU limit" \
  '^ended: subprocess actor ended: the runtime spent its CPU limit (2000 ms) on its calls$' "$T/cpu-bombs"
has "cpu-bombs: ... and that is audited" '"action":"limit.cpu","resource":"{ward:sandbox|' "$T/cpu-bombs.audit"
attack cpu-sends
goes_on cpu-sends
has "cpu-sends: the reader's work on a child's plain sends is charged to its CPU limit too" \
  '^ended: subprocess actor ended: the runtime spent its CPU limit (2000 ms) on its calls$' "$T/cpu-sends"
has "cpu-sends: ... and that is audited" '"action":"limit.cpu","resource":"{ward:sandbox|' "$T/cpu-sends.audit"

# descriptors parked in frames never finished: 60 children bring 16 each
# with a CALL's first datagram, under a table of 1024; those that would
# reach the reserve are refused as they come, and trusted work goes on
# opening descriptors until the stall time ends the children
if [ "$(ulimit -Hn)" = unlimited ] || [ "$(ulimit -Hn)" -ge 1024 ]; then
  (ulimit -n 1024 && attack fds-park WARD_TEST_STALL_MS="$(scaled_ms 3000)")
  goes_on fds-park
  has "fds-park: 60 children are spawned" '^children: 60$' "$T/fds-park"
  has "fds-park: trusted work opens descriptors throughout" \
    '^trusted descriptors: [1-9][0-9]* opened, 0 failed' "$T/fds-park"
  has "fds-park: the descriptors past the reserve are refused, and that is audited" \
    '"action":"limit.fd_reserve"' "$T/fds-park.audit"
else
  for i in 1 2 3 4 5; do echo "ok $((n + i)) # SKIP fds-park: the hard RLIMIT_NOFILE is under 1024"; done
  n=$((n + 5))
fi

# order
attack exit-twice
goes_on exit-twice
has "exit-twice: the first EXIT is the child's end" '^ended: first$' "$T/exit-twice"
attack call-after-exit
goes_on call-after-exit
has "call-after-exit: the EXIT is the child's end" '^ended: exited$' "$T/call-after-exit"
ok "call-after-exit: a call after it is not performed" \
  eval '! grep -q "^message: late" "$T/call-after-exit"'
attack calls-unanswered
goes_on calls-unanswered
ok "calls-unanswered: three calls sent before a reply is read are each performed, in order" \
  test "$(grep '^message: ' "$T/calls-unanswered" | tr '\n' ' ')" = \
  "message: one message: two message: three "
has "calls-unanswered: ... and the last is answered" '^report: calls 0 ' "$T/calls-unanswered"
attack send-edge
goes_on send-edge
has "send-edge: sends of exactly 64 KiB of arguments (the reader's) and one byte more (the stand-in's) both answer true" \
  '^report: edge 0 0$' "$T/send-edge"
ok "send-edge: ... and both are delivered" test "$(grep -c '^message: edge$' "$T/send-edge")" -eq 2
attack calls-mixed
goes_on calls-mixed
ok "calls-mixed: large calls (the stand-in's) and small ones (the reader's) sent before a reply is read are performed in order" \
  test "$(grep '^message: ' "$T/calls-mixed" | tr '\n' ' ')" = \
  "message: one message: two message: three message: four message: five "
has "calls-mixed: ... and the last is answered" '^report: calls 0 ' "$T/calls-mixed"
attack fds-call
goes_on fds-call
has "fds-call: descriptors with a call that takes none: it is performed" '^report: fds-call 0 ' \
  "$T/fds-call"
# calls that never stop, none of whose replies is read: past 1 MiB of
# replies waiting, the runtime reads no more calls, so what it performs
# is bounded by that (replies of about 20 bytes), not by the stall time
attack call-flood WARD_TEST_STALL_MS="$(scaled_ms 6000)"
goes_on call-flood
has "call-flood: a child that sends calls and takes no reply is ended" \
  '^ended: subprocess actor ended: writing to the channel: it read nothing for ' "$T/call-flood"
has "call-flood: ... and that is audited" '"action":"sandbox.stalled"' "$T/call-flood.audit"
flood=$(grep -c '^message: flood' "$T/call-flood")
ok "call-flood: the calls performed are bounded by the reply queue ($flood < 100000)" \
  test "$flood" -lt 100000

# forged PIDs, from the untrusted actor: each is asked and refused
env WARD_TEST_RAW_WIRE=1 timeout "$(scaled_s 120)" "$WARD_FAULTS" run --untrusted \
  --audit "$T/pids.db" "$src/actors/raw.lua" pids > "$T/pids" 2>&1
ok "pids: ward itself exits 0" test $? -eq 0
"$WARD" audit --db "$T/pids.db" --json > "$T/pids.audit" 2>&1
tab=$(printf '\t')
for c in "send|{ward:main|0x00001}" "send|{evil:main|0x00001}" "terminate|{ward:main|0x00001}" \
         "link|{ward:main|0x00001}" "monitor|{ward:main|0x00001}" "cancel|{ward:main|0x00001}"; do
  op=${c%%|*}; pid=${c#*|}
  has "pids: $op to $pid is refused" \
    "^pid${tab}$op${tab}1${tab}PERMISSION_DENIED${tab}permission denied: process.$op on $pid (actor untrusted)" \
    "$T/pids"
  has "pids: ... and the denial is audited with the child's actor" \
    "\"actor\":\"untrusted\",.*\"action\":\"process.$op\",\"resource\":\"$pid\"" "$T/pids.audit"
done
has "pids: a PID of 4000 bytes is refused too" \
  "^pid${tab}send${tab}1${tab}PERMISSION_DENIED${tab}permission denied: process.send on {ward:main|ffff" "$T/pids"
has "pids: a builder naming another actor is asked of this one, and refused" \
  "^pid${tab}builder.spawn${tab}1${tab}PERMISSION_DENIED${tab}permission denied: .*(actor untrusted)" "$T/pids"

# pace: the stall time is 2 s, or 4 s against a reader that keeps a 1.9 s
# pace (both scaled): a reader late for a busy machine is not ended
attack deaf WARD_TEST_STALL_MS="$(scaled_ms 2000)"
goes_on deaf
has "deaf: the child floods in more than its channel and queue take" '^flooded: 64$' "$T/deaf"
has "deaf: another sandboxed actor's round trip completes meanwhile" '^round trip: echo ping$' "$T/deaf"
has "deaf: the child that reads nothing is ended" \
  '^ended: subprocess actor ended: writing to the channel: it read nothing for ' "$T/deaf"
has "deaf: ... and that is audited" '"action":"sandbox.stalled","resource":"{ward:sandbox|' "$T/deaf.audit"
attack slow WARD_TEST_STALL_MS="$(scaled_ms 4000)"
goes_on slow
has "slow: a child reading one frame per 1.9 s is flooded" '^flooded: 64$' "$T/slow"
has "slow: another sandboxed actor's round trip completes meanwhile" '^round trip: echo ping$' "$T/slow"
has "slow: ... while the slow child runs on, not ended for its pace" '^still running: true$' "$T/slow"
has "slow: it ends by the terminate" '^ended: terminated by ' "$T/slow"
# a child whose plain sends (performed by the runtime's reader, one frame
# of a child at a time) never stop holds up no other sandboxed actor
attack send-flood
goes_on send-flood
has "send-flood: the child floods the reader with plain sends" '^ready: report$' "$T/send-flood"
has "send-flood: another sandboxed actor's round trip completes meanwhile" '^round trip: echo ping$' \
  "$T/send-flood"
has "send-flood: ... and it ends by the terminate" '^ended: terminated by ' "$T/send-flood"
attack empty WARD_TEST_STALL_MS="$(scaled_ms 2000)"
goes_on empty
has "empty: a child whose channel reads as closed while it runs is ended" \
  '^ended: subprocess actor ended: its channel closed, yet it ran on for ' "$T/empty"
has "empty: ... and that is audited" '"action":"sandbox.stalled"' "$T/empty.audit"

ok "no attack outlived what it tried" eval '! grep -l "^ended: survived" "$T"/* 2>/dev/null | grep -q .'
finish
