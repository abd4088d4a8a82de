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
command -v lua5.4 >/dev/null 2>&1 || { echo "fs-read: lua5.4 is not installed" >&2; exit 77; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ward-fsread.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
XDG_STATE_HOME=$tmp/state; export XDG_STATE_HOME
chmod 755 "$tmp"
head -c 4096 /dev/urandom > "$tmp/data.bin"
chmod 644 "$tmp/data.bin"
cat > "$tmp/p.policy" <<EOF
policy "fsbench" {
  allow lua.require on "fs";
  allow fs.read on "$tmp/data.bin";
}
actor "main" { scope = ["fsbench"]; }
actor "untrusted" { scope = ["fsbench"]; }
host "ward:sandbox" { threads = 1; sandbox = "strict"; }
sandbox "strict" {
  namespaces = [user, pid, net, mount, ipc, uts];
  seccomp = "default"; capabilities = []; memory = "64M"; cpu = "60s"; nofile = 32;
  children = 16; init = "init/empty-root.lua";
}
EOF
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
median () { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
: > "$tmp/sbx"; : > "$tmp/in"; : > "$tmp/lua"
for _ in $(seq "$REPS"); do
  if ! "$WARD" run --untrusted --policy "$tmp/p.policy" "$tmp/w.lua" "$tmp/data.bin" "$N" \
       >> "$tmp/sbx" 2> "$tmp/err"; then
    echo "fs-read: the subprocess actor did not run: $(head -c 300 "$tmp/err")" >&2
    exit 77
  fi
  "$WARD" run --policy "$tmp/p.policy" "$tmp/w.lua" "$tmp/data.bin" "$N" >> "$tmp/in"
  lua_us >> "$tmp/lua"
done
s=$(median < "$tmp/sbx"); i=$(median < "$tmp/in"); l=$(median < "$tmp/lua")
echo "fs.read_file of a 4 KB file, $N reads x $REPS rounds (medians, us per read)"
printf '  %-40s %10s %10s\n' "" "us/read" "ratio"
printf '  %-40s %10s %10s\n' "lua5.4 io.open/read/close" "$l" "1.0"
printf '  %-40s %10s %10s\n' "ward, in-process actor" "$i" "$(awk -v a="$i" -v b="$l" 'BEGIN { printf "%.1f", a / b }')"
printf '  %-40s %10s %10s\n' "ward, subprocess actor (--untrusted)" "$s" "$(awk -v a="$s" -v b="$l" 'BEGIN { printf "%.1f", a / b }')"
