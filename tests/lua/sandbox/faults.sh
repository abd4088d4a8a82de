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
# naming itself (a live process an untrusted actor may not send to), one
# naming no process; the runtime asks before it looks: the same denial
printf 'return 1\n' > "$T/u.lua"
WARD_TEST_WIRE_FAULT=forged-handle timeout "$(scaled_s 60)" "$WARD_FAULTS" run --untrusted --audit "$T/forged.db" \
  "$T/u.lua" > "$T/forged" 2>&1
sed -n 's/.*\(FORGED .*\)/\1/p' "$T/forged" | sed 's/{[^}]*}/PID/g' > "$T/forged.lines"
has "a forged channel to a live process is refused" \
  'FORGED 2 .*send: permission denied: process.send on {ward:sandbox|' "$T/forged"
has "a forged channel to no process is refused the same way" \
  'FORGED 2 .*send: permission denied: process.send on {ward:main|0xfffff}' "$T/forged"
ok "... word for word but the PID" test "$(sort -u "$T/forged.lines" | wc -l)" -eq 1
"$WARD" audit --db "$T/forged.db" --json > "$T/forged.audit" 2>&1
has "both attempts are audited (the live one)" '"action":"process.send","resource":"{ward:sandbox|' "$T/forged.audit"
has "both attempts are audited (no process)" '"action":"process.send","resource":"{ward:main|0xfffff}"' "$T/forged.audit"
finish
