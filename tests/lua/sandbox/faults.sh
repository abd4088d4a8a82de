#!/bin/sh
# faults.sh -- a subprocess actor that breaks the wire protocol (a frame
# type it may not send, a bad datagram, half a frame, a frame past the
# limit, one descriptor too many: WARD_TEST_WIRE_FAULT makes ward's child
# code do it) is ended, its
# monitor told why, the breach audited, and the runtime goes on.
. "${WARD_SRCDIR:-.}/tests/lua/sandbox/lib.sh"

"$WARD" run --root "$src" "$src/w/faulty.lua" > "$T/plain" 2>&1
skip_unless_sandbox "$T/plain"
has "without a fault the child returns its value" '^ended: 3$' "$T/plain"
for f in type magic truncated oversized fds; do
  WARD_TEST_WIRE_FAULT=$f timeout 60 "$WARD" run --root "$src" --audit "$T/$f.db" \
    "$src/w/faulty.lua" > "$T/$f" 2>&1
  ok "$f: ward itself exits 0" test $? -eq 0
  has "$f: the child is ended, its monitor told of the malformed frame" '^ended: subprocess actor ended: malformed frame' "$T/$f"
  has "$f: the runtime goes on" '^after: 50$' "$T/$f"
  "$WARD" audit --db "$T/$f.db" --json > "$T/$f.audit" 2>&1
  has "$f: the breach is audited" '"action":"sandbox.malformed_frame","resource":"{ward:sandbox|' "$T/$f.audit"
done
finish
