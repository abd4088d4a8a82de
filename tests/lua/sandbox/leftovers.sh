#!/bin/sh
# leftovers.sh -- what a failed set-up or a hostile child could leave in
# the runtime. A spawn whose subprocess reader cannot start (its epoll set,
# wake pipe, watches or thread refused: WARD_TEST_SYSCALL_FAULT in
# tests/ward-faults) fails, and leaves no descriptor behind: the runtime's
# count after six such spawns is its count after one.
. "${WARD_SRCDIR:-.}/tests/lua/sandbox/lib.sh"

cat > "$T/spawns.lua" <<'LUA'
local n = tonumber((...))
for i = 1, n do
  local c, e = process.spawn("w:nap", "ward:sandbox")
  if i == 1 then print("spawn: " .. tostring(c and "made" or e)) end
end
print("ready")
process.listen("never"):receive()   -- until ward is stopped
LUA
count_fds () {  # SITE N: the runtime's descriptor count after N spawns
  WARD_TEST_SYSCALL_FAULT=$1 "$WARD_FAULTS" run --root "$src" "$T/spawns.lua" "$2" \
    > "$T/fd.$1.$2" 2>&1 &
  pid=$!
  i=0
  while ! grep -q '^ready' "$T/fd.$1.$2" && [ "$i" -lt "$(scaled_s 600)" ] \
        && kill -0 "$pid" 2>/dev/null; do
    sleep 0.1; i=$((i + 1))
  done
  ls "/proc/$pid/fd" 2>/dev/null | wc -l
  kill -TERM "$pid" 2>/dev/null
  wait "$pid"
}
count_fds none 1 > /dev/null
skip_unless_sandbox "$T/fd.none.1"
has "without a fault the spawn is made" '^spawn: made$' "$T/fd.none.1"
for site in broker.epoll broker.wake-pipe broker.reader-watch broker.reader-thread; do
  one=$(count_fds "$site" 1)
  six=$(count_fds "$site" 6)
  echo "# $site: the runtime's descriptors after 1 failed spawn: $one, after 6: $six"
  has "$site: the spawn fails, saying why" \
    "^spawn: .*starting the subprocess reader.*Invalid argument\|^spawn: .*starting the subprocess reader: Resource temporarily unavailable" \
    "$T/fd.$site.6"
  ok "$site: ... and leaves no descriptor behind" test "$one" -gt 0 -a "$six" -eq "$one"
done
finish
