#!/bin/sh
# net-connect.sh -- what net.connect to a loopback listener costs (connect,
# then close), beside plain lua5.4 with LuaSocket (socket.connect, close)
# measured in the same run: ward as a subprocess actor (--untrusted: each
# connect is a call to the runtime, which resolves, checks every address,
# connects and hands the socket back) and as a trusted in-process actor.
# One listener for all (lua5.4 and LuaSocket, accepting and closing in a
# loop on 127.0.0.1). N connects per run (default 2000), REPS alternating
# rounds (default 3); each client times its own loop (ward: time.now,
# lua5.4: socket.gettime); medians of microseconds per connect, and the
# ratios to lua5.4. Every connect leaves a socket in TIME_WAIT: N x REPS x
# 3 must stay well under the ephemeral port range. Not part of make check.
# Exits 77 when lua5.4 or LuaSocket (Debian: lua-socket) is missing or the
# sandbox cannot run. Nothing leaves the machine.
: "${WARD:=./ward}"
: "${N:=2000}"
: "${REPS:=3}"
bench=net-connect
# shellcheck source=tests/bench/peer.sh
. "$(dirname "$0")/peer.sh"
lua5.4 -e 'require "socket"' 2>/dev/null \
  || { echo "net-connect: LuaSocket is not installed (apt-get install lua-socket)" >&2; exit 77; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ward-netconn.XXXXXX") || exit 1
lpid=
trap '[ -n "$lpid" ] && kill "$lpid" 2>/dev/null; rm -rf "$tmp"' EXIT
XDG_STATE_HOME=$tmp/state; export XDG_STATE_HOME
chmod 755 "$tmp"
cat > "$tmp/listen.lua" <<'EOF'
local socket = require "socket"
local s = assert(socket.bind("127.0.0.1", 0, 1024))
local _, port = s:getsockname()
io.write(port, "\n"); io.stdout:flush()
while true do local c = s:accept(); if c then c:close() end end
EOF
lua5.4 "$tmp/listen.lua" > "$tmp/port" &
lpid=$!
i=0
while [ ! -s "$tmp/port" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
port=$(head -1 "$tmp/port")
[ -n "$port" ] || { echo "net-connect: the listener did not start" >&2; exit 1; }
write_policy netbench '  allow lua.require on "net";
  allow net.connect on "127.0.0.1:'"$port"'";'
cat > "$tmp/w.lua" <<'EOF'
local port, n = ...
port, n = tonumber(port), tonumber(n)
local net = require "net"
assert(net.connect("127.0.0.1", port)):close()
local t0 = time.now()
for _ = 1, n do assert(net.connect("127.0.0.1", port)):close() end
print(string.format("%.3f", (time.now() - t0) * 1000 / n))
return 0
EOF
cat > "$tmp/l.lua" <<'EOF'
local socket = require "socket"
local port, n = ...
port, n = tonumber(port), tonumber(n)
assert(socket.connect("127.0.0.1", port)):close()
local t0 = socket.gettime()
for _ = 1, n do assert(socket.connect("127.0.0.1", port)):close() end
print(string.format("%.3f", (socket.gettime() - t0) * 1e6 / n))
EOF
peer () { lua5.4 "$tmp/l.lua" "$port" "$N"; }
rounds "$port" "$N"
report "net.connect + close to a loopback listener, $N connects x $REPS rounds (medians, us per connect)" \
  us/conn "lua5.4 + LuaSocket connect/close"
echo "  (no target in DESIGN 6 for this figure)"
