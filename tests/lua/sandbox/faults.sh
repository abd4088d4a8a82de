#!/bin/sh
# faults.sh -- a subprocess actor that breaks the wire protocol (a frame
# type it may not send, a bad datagram, half a frame, a frame past the
# limit, one descriptor too many: WARD_TEST_WIRE_FAULT makes the child code
# of tests/ward-faults do it) is ended, its monitor told why, the breach
# audited, and the runtime goes on. A channel the child makes up ends it
# the same way, before anything is asked about the process it names. A
# child that reads nothing holds up no other sandboxed actor, and is ended
# after 2 s. The installed ward has no such hook: it ignores the variable.
. "${WARD_SRCDIR:-.}/tests/lua/sandbox/lib.sh"

"$WARD" run --root "$src" "$src/w/faulty.lua" "$ward_test_scale" > "$T/plain" 2>&1
skip_unless_sandbox "$T/plain"
has "without a fault the child returns its value" '^ended: 3$' "$T/plain"
for f in type forged-handle; do
  WARD_TEST_WIRE_FAULT=$f timeout "$(scaled_s 60)" "$WARD" run --root "$src" \
    "$src/w/faulty.lua" "$ward_test_scale" > "$T/shipped-$f" 2>&1
  ok "the installed ward ignores WARD_TEST_WIRE_FAULT=$f: status 0" test $? -eq 0
  has "... the child returns its value" '^ended: 3$' "$T/shipped-$f"
done
for f in type magic truncated oversized fds; do
  WARD_TEST_WIRE_FAULT=$f timeout "$(scaled_s 60)" "$WARD_FAULTS" run --root "$src" --audit "$T/$f.db" \
    "$src/w/faulty.lua" "$ward_test_scale" > "$T/$f" 2>&1
  ok "$f: ward itself exits 0" test $? -eq 0
  has "$f: the child is ended, its monitor told of the malformed frame" '^ended: subprocess actor ended: malformed frame' "$T/$f"
  has "$f: the runtime goes on" '^after: 50$' "$T/$f"
  "$WARD" audit --db "$T/$f.db" --json > "$T/$f.audit" 2>&1
  has "$f: the breach is audited" '"action":"sandbox.malformed_frame","resource":"{ward:sandbox|' "$T/$f.audit"
done
# a channel the child makes up (WARD_TEST_WIRE_FAULT=forged-handle): one
# naming itself (a live process), one naming no process
# (forged-handle-none). A child names only the handles the runtime gave
# it: either is a malformed frame, and the runtime looks at neither
# process -- the same end, word for word but the PID, and nothing asked.
printf 'return 1\n' > "$T/u.lua"
for f in forged-handle forged-handle-none; do
  WARD_TEST_WIRE_FAULT=$f timeout "$(scaled_s 60)" "$WARD_FAULTS" run --untrusted --audit "$T/$f.db" \
    "$T/u.lua" > "$T/$f" 2>&1
  has "$f: the child is ended for a malformed frame" \
    'subprocess actor ended: malformed frame: a handle the runtime did not give it' "$T/$f"
  ok "$f: ... before anything answers its call" eval '! grep -q "^FORGED [0-9]" "$T/$f"'
  "$WARD" audit --db "$T/$f.db" --json > "$T/$f.audit" 2>&1
  has "$f: the breach is audited" '"action":"sandbox.malformed_frame"' "$T/$f.audit"
  ok "$f: ... and no send to the process it names is asked" \
    eval '! grep -q "\"action\":\"process.send\"" "$T/$f.audit"'
  grep -v '^FORGED' "$T/$f" | sed 's/{[^}]*}/PID/g' > "$T/$f.lines"
done
ok "both forged channels end the child the same way" \
  cmp -s "$T/forged-handle.lines" "$T/forged-handle-none.lines"
# a result naming a channel the child was never given
# (WARD_TEST_WIRE_FAULT=forged-exit-handle): w:victim, a trusted worker,
# spawns the child, which ends with a result naming the worker. The
# forged channel is refused; the worker's inbox stays open while its
# spawner holds its channel.
cat > "$T/victim.lua" <<'EOF'
local scale = tonumber((...)) or 1
local ch = spawn_vm("w:victim")
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
WARD_TEST_WIRE_FAULT=forged-exit-handle timeout "$(scaled_s 60)" "$WARD_FAULTS" run --root "$src" \
  --audit "$T/exit.db" "$T/victim.lua" "$ward_test_scale" > "$T/exit" 2>&1
ok "forged-exit-handle: ward itself exits 0" test $? -eq 0
has "forged-exit-handle: the child is ended for a malformed frame" \
  '^ready: subprocess actor ended: malformed frame: a handle the runtime did not give it' "$T/exit"
has "forged-exit-handle: the worker's inbox is still open" '^got: still open$' "$T/exit"
"$WARD" audit --db "$T/exit.db" --json > "$T/exit.audit" 2>&1
has "forged-exit-handle: the breach is audited" \
  '"action":"sandbox.malformed_frame","resource":"{ward:sandbox|' "$T/exit.audit"
# a child that reads nothing (WARD_TEST_WIRE_FAULT=stall: an actor whose
# first argument is "stall"), flooded with more than its channel and its
# queue take, holds up no other sandboxed actor: another's round trip
# completes while it is stalled (it then ends by the terminate, not by a
# write that gave up). With the stall time the runtime gives it (2 s) it
# is ended, and that is audited.
cat > "$T/stall.lua" <<'EOF'
local scale, terminate = tonumber((...)) or 1, select(2, ...) == "terminate"
local ev, inb = process.events(), process.inbox()
local function wait(ch, ms)
  local r = channel.select { ch:case_receive(), time.after(ms * scale):case_receive() }
  if r.channel == ch then return r.value end
end
local S = process.spawn_monitored("w:ret", "ward:sandbox", "stall", 0)
local function report(e)
  if not e then print("no EXIT"); return end
  print((e.from == S and "stalled" or "other") .. " ended: " .. tostring(e.result.error or e.result.value))
end
local big, sent = string.rep("x", 60000), 0
for _ = 1, 64 do
  if pcall(process.send, S, "flood", big) then sent = sent + 1 end
end
print("flooded: " .. sent)
if not terminate then
  report(wait(ev, 60000))
  return
end
local E = process.spawn_monitored("w:echo", "ward:sandbox", process.pid())
local m = wait(inb, 60000)
print("other: " .. (m and m:topic() or "nothing"))
process.send(E, "ping")
m = wait(inb, 60000)
print("round trip: " .. (m and m:topic() .. " " .. tostring((m:payload())) or "nothing"))
-- only the stalled one could end now: it does not on its own
local e = wait(ev, 5000)
if not e then
  pcall(process.terminate, S)
  e = wait(ev, 60000)
end
report(e)
process.send(E, "stop")
report(wait(ev, 60000))
EOF
WARD_TEST_WIRE_FAULT=stall WARD_TEST_STALL_MS=$(scaled_ms 600000) timeout "$(scaled_s 120)" \
  "$WARD_FAULTS" run --root "$src" "$T/stall.lua" "$ward_test_scale" terminate > "$T/stall" 2>&1
ok "stall: ward itself exits 0" test $? -eq 0
has "stall: the stalled child got more than it takes" '^flooded: 64$' "$T/stall"
has "stall: another sandboxed actor's round trip completes meanwhile" '^round trip: echo ping$' "$T/stall"
has "stall: ... while the stalled child still lives (it ends by the terminate)" \
  '^stalled ended: terminated by ' "$T/stall"
has "stall: the other ends as it should" '^other ended: stopped$' "$T/stall"
WARD_TEST_WIRE_FAULT=stall timeout "$(scaled_s 120)" "$WARD_FAULTS" run --root "$src" \
  --audit "$T/stall.db" "$T/stall.lua" "$ward_test_scale" > "$T/stall2" 2>&1
ok "stall 2 s: ward itself exits 0" test $? -eq 0
has "stall 2 s: the child that reads nothing is ended" \
  '^stalled ended: subprocess actor ended: writing to the channel: it read nothing for 2000 ms$' "$T/stall2"
"$WARD" audit --db "$T/stall.db" --json > "$T/stall.audit" 2>&1
has "stall 2 s: that is audited" '"action":"sandbox.stalled","resource":"{ward:sandbox|' "$T/stall.audit"
finish
