#!/bin/sh
# net-nolookup.sh -- a host name is looked up only where a grant could
# follow (DESIGN 3.3): net.connect, net.listen and
# process.permissions.query on a HOST:PORT that no rule could allow are
# refused, the calls audited, without the runtime's resolver reading
# /etc/hosts or asking a name server, so that a script granted nothing
# cannot carry data out in the names it makes up. Watched with strace
# (skipped without it): looking "localhost" up reads /etc/hosts, which
# nothing else of a run opens; the same run with --allow-net and
# --allow-listen is the control that sees it read.
. "${WARD_SRCDIR:-.}/tests/lua/sandbox/lib.sh"
if ! command -v strace > /dev/null 2>&1 || ! strace -f -qq -o /dev/null true 2> /dev/null; then
  echo "1..0 # SKIP strace is missing or cannot trace here"
  exit 0
fi
cat > "$T/c.lua" <<'LUA'
local net = require "net"
local s, err = net.connect("localhost", 9)
print("connect:", s and "made" or tostring(err))
local q = process.permissions.query{action = "net.connect", resource = "localhost:9"}
print("query:", q.state, q.reason)
local l, lerr = net.listen("localhost", 0)
print("listen:", l and "made" or tostring(lerr))
LUA
trace () {  # trace OUT WARD-ARGS...: the run, its opens and connects in OUT
  out=$1; shift
  strace -f -qq -e trace=openat,open,connect -o "$out" "$WARD" run "$@" > "$T/out" 2>&1
}
trace "$T/trace" --audit "$T/a.db" "$T/c.lua"
has "connect with no grant: refused" '^connect:.PERMISSION_DENIED: net.connect' "$T/out"
has "a query with no grant: denied, the name not looked up" \
  '^query:.denied.no rule could allow it (the name is not looked up)$' "$T/out"
has "listen with no grant: refused" '^listen:.PERMISSION_DENIED: net.listen' "$T/out"
ok "... and /etc/hosts was never read (no lookup)" sh -c "! grep -q /etc/hosts '$T/trace'"
ok "... nor a name server asked (port 53)" sh -c "! grep -q 'htons(53)' '$T/trace'"
"$WARD" audit --db "$T/a.db" --denied > "$T/audit" 2>&1
has "the refused connect is audited, on its resource as asked" 'net\.connect  *localhost:9 ' "$T/audit"
has "... and the refused listen" 'net\.listen  *localhost:0 ' "$T/audit"
ok "... and the query is not" sh -c "[ \$(grep -c 'net\\.connect' '$T/audit') -eq 1 ]"
trace "$T/trace2" --allow-net localhost:9 --allow-listen localhost:0 "$T/c.lua"
has "the control: granted, connect is tried (port 9 refuses it)" \
  '^connect:.UNAVAILABLE: .*Connection refused' "$T/out"
has "... the query answers granted" '^query:.granted' "$T/out"
has "... the listen is made" '^listen:.made$' "$T/out"
has "... and /etc/hosts was read: the trace sees a lookup" /etc/hosts "$T/trace2"
finish
