#!/bin/sh
# fs-read.sh -- what fs.read_file of a 4 KB file costs, beside plain lua5.4
# reading the same file (io.open, read "a", close) measured in the same
# run: ward as a subprocess actor (--untrusted: each read is a call to the
# runtime, which resolves, checks and reads) and as a trusted in-process
# actor. N reads per run (default 5000), REPS alternating rounds (default
# 5); medians of microseconds per read, and the ratios to lua5.4. ward
# times its reads inside the script (time.now); lua5.4 is timed as a whole
# process, less the same process doing no read. Not part of make check.
# Exits 77 when lua5.4 is missing or the sandbox cannot run.
: "${WARD:=./ward}"
: "${N:=5000}"
: "${REPS:=5}"
bench=fs-read
# shellcheck source=tests/bench/peer.sh
. "$(dirname "$0")/peer.sh"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ward-fsread.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
XDG_STATE_HOME=$tmp/state; export XDG_STATE_HOME
chmod 755 "$tmp"
head -c 4096 /dev/urandom > "$tmp/data.bin"
chmod 644 "$tmp/data.bin"
write_policy fsbench '  allow lua.require on "fs";
  allow fs.read on "'"$tmp"'/data.bin";'
cat > "$tmp/w.lua" <<'EOF'
local path, n = ...
n = tonumber(n)
local fs = require "fs"
assert(#fs.read_file(path) == 4096)
local t0 = time.now()
for _ = 1, n do fs.read_file(path) end
print(string.format("%.3f", (time.now() - t0) * 1000 / n))
return 0
EOF
cat > "$tmp/l.lua" <<'EOF'
local path, n = ...
for _ = 1, tonumber(n) do local f = io.open(path, "rb"); f:read("a"); f:close() end
EOF
now_ns () { date +%s%N; }
lua_us () {
  a=$(now_ns); lua5.4 "$tmp/l.lua" "$tmp/data.bin" "$N"; b=$(now_ns)
  lua5.4 "$tmp/l.lua" "$tmp/data.bin" 0; c=$(now_ns)
  echo "$(( (b - a) - (c - b) ))" | awk -v n="$N" '{ printf "%.3f\n", $1 / 1000 / n }'
}
peer () { lua_us; }
rounds "$tmp/data.bin" "$N"
report "fs.read_file of a 4 KB file, $N reads x $REPS rounds (medians, us per read)" us/read \
  "lua5.4 io.open/read/close"
