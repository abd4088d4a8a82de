#!/bin/sh
# faults.sh -- a subprocess actor that breaks the wire protocol (a frame
# type it may not send, a bad datagram, half a frame, a frame past the
# limit, one descriptor too many: WARD_TEST_WIRE_FAULT makes the child code
# of tests/ward-faults do it) is ended, its monitor told why, the breach
# audited, and the runtime goes on. A channel the child makes up gets the
# answer any channel gets: no oracle. The installed ward has no such hook:
# it ignores the variable.
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
finish
