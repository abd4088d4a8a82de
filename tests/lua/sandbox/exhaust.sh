#!/bin/sh
# exhaust.sh -- an untrusted script cannot exhaust the runtime's own
# descriptors: its spawns stop at its host's live-children limit, then at
# the host's process limit, then at the runtime's descriptor reserve, and a
# trusted process still spawns and opens descriptors; a child flooding a
# parent that reads nothing with descriptors gets an error, and the
# runtime's descriptor count (/proc/PID/fd) stays bounded, with nothing left
# once they are received. The host's hard RLIMIT_NOFILE is read, never
# assumed: the reserve case lowers it to a size it can fill.
. "${WARD_SRCDIR:-.}/tests/lua/sandbox/lib.sh"

timeout "$(scaled_s 120)" "$WARD" run --untrusted --root "$src" "$src/helper-loop.lua" > "$T/out1" 2>&1
skip_unless_sandbox "$T/out1"
has "by default an untrusted script's spawns stop at 16 live children, with a clear error" \
  '^spawned	16	UNAVAILABLE	process {ward:sandbox|0x00001} already has 16 live children (the limit of host ward:sandbox)$' "$T/out1"
timeout "$(scaled_s 120)" "$WARD" run --untrusted --root "$src" --sandbox-children 1000 \
  --sandbox-processes 24 "$src/helper-loop.lua" > "$T/out2" 2>&1
has "--sandbox-processes bounds a sandboxed host's live processes" \
  '^spawned	23	UNAVAILABLE	host ward:sandbox: 24 processes already live (the limit of its sandbox profile `strict`)$' "$T/out2"

# the profile's fields win over the command line's defaults
cat > "$T/p.policy" <<'P'
policy "all" { allow process.** on "**"; }
actor "main" { scope = ["all"]; }
host "plugins" { threads = 1; sandbox = "p"; }
sandbox "p" { namespaces = [user]; live_children = 2; processes = 4; }
P
cat > "$T/p.lua" <<'L'
local me = process.pid()
local a = assert(process.spawn("actors:spawnloop", "plugins", me, 100, "plugins"))
local m = process.inbox():receive()
print("first", m:payload())
local b = assert(process.spawn("actors:spawnloop", "plugins", me, 100, "plugins"))
m = process.inbox():receive()
print("second", m:payload())
process.send(a, "stop") process.send(b, "stop")
L
timeout "$(scaled_s 120)" "$WARD" run --root "$src" --sandbox-children 100 --sandbox-processes 100 \
  --policy "$T/p.policy" "$T/p.lua" > "$T/out3" 2>&1
has "a profile's live_children bounds the children of each of its processes" \
  '^first	2	UNAVAILABLE	.*already has 2 live children (the limit of host plugins)$' "$T/out3"
has "a profile's processes bounds its host's live processes" \
  '^second	0	UNAVAILABLE	host plugins: 4 processes already live (the limit of its sandbox profile `p`)$' "$T/out3"
ok "a bad --sandbox-children is a usage error" sh -c \
  "'$WARD' run --sandbox-children x '$src/helper-loop.lua' 2>&1 | grep -q 'bad value .x. for --sandbox-children'"
ok "a reserve below 32 is a usage error" sh -c \
  "'$WARD' run --fd-reserve 8 '$src/helper-loop.lua' 2>&1 | grep -q 'bad value .8. for --fd-reserve'"

# the end of both scripts: a trusted process opens 20 pipes (or as many as
# it can) and prints how many descriptors it holds
pipes_lua='local kept, err = {}, nil
for i = 1, 20 do
  local r, w = fd.pipe()
  if not r then err = w break end
  kept[#kept + 1] = r kept[#kept + 1] = w
end
print("pipes", #kept, tostring(err))'
# The reserve: with the process limits out of the way, an untrusted child
# spawns until its helpers' descriptors would reach the reserve; then a
# trusted process spawns and opens descriptors as before.
{ cat <<'L'
local fd = require "fd"
local me = process.pid()
local sp = assert(process.with_context({}):with_actor("untrusted")
                  :spawn("actors:spawnloop", "ward:sandbox", me, 100000))
local m = process.inbox():receive()
local n, kind, msg = m:payload()
print("untrusted", n > 0, kind, msg)
print("exec", process.exec("actors:ret", "ward:main", 20, 22))
L
printf '%s\n' "$pipes_lua" 'process.send(sp, "stop")'
} > "$T/r.lua"
hard=$(ulimit -Hn)
case $hard in unlimited) hard=1048576 ;; esac
lim=$((hard < 400 ? hard : 400))
if [ "$lim" -lt 160 ]; then
  n=$((n + 1)); echo "ok $n # SKIP the hard RLIMIT_NOFILE ($hard) leaves no room for the reserve case"
else
  (ulimit -n "$lim" && exec timeout "$(scaled_s 120)" "$WARD" run --root "$src" \
     --sandbox-children 100000 --sandbox-processes 100000 "$T/r.lua") > "$T/out4" 2>&1
  ok "a run whose untrusted child fills the sandbox up to the reserve ends well" test $? -eq 0
  has "an untrusted child's spawns stop before the runtime's descriptor reserve" \
    "^untrusted	true	UNAVAILABLE	host ward:sandbox: no subprocess actor can start: the runtime's descriptors are running out (the last 64 of its $lim are kept for trusted work)$" "$T/out4"
  has "then a trusted process still spawns (and reads a definition)" '^exec	42$' "$T/out4"
  has "and opens descriptors" '^pipes	40	nil$' "$T/out4"
fi

# The reserve holds against descriptors too: with the quotas out of the
# way, a flood stops where it would reach the reserve.
{ cat <<'L'
local fd = require "fd"
local flooded = process.listen("flooded", { message = true })
local c = assert(process.spawn("actors:fdflood", "ward:sandbox", process.pid()))
local n, kind, msg = flooded:receive():payload()
print("flood", n > 0, kind, msg)
L
printf '%s\n' "$pipes_lua" 'print("exec", process.exec("actors:ret", "ward:main", 20, 22))' \
  'process.send(c, "stop")'
} > "$T/rf.lua"
if [ "$lim" -lt 160 ]; then
  n=$((n + 1)); echo "ok $n # SKIP the hard RLIMIT_NOFILE ($hard) leaves no room for the reserve case"
else
  (ulimit -n "$lim" && exec timeout "$(scaled_s 120)" "$WARD" run --root "$src" \
     --sandbox-fds 100000 --mailbox-fds 100000 "$T/rf.lua") > "$T/out5" 2>&1
  has "a descriptor flood stops before the runtime's reserve" \
    "^flood	true	UNAVAILABLE	.*the runtime's descriptors are running out (the last 64 of its $lim are kept for trusted work)$" "$T/out5"
  has "then a trusted process still opens descriptors" '^pipes	40	nil$' "$T/out5"
  has "and spawns" '^exec	42$' "$T/out5"
fi

# Descriptors in flight: a parent that reads nothing, a child that floods
# it. The runtime's descriptors are counted in three runs that differ only
# in what the flood left: none sent (base), sent and held, sent and then
# received.
cat > "$T/f.lua" <<'L'
local mode = ...
local me = process.pid()
local flooded = process.listen("flooded", { message = true })
local c = assert(process.spawn("actors:fdflood", "ward:sandbox", me, mode == "base" and 0 or nil))
local n, kind, msg = flooded:receive():payload()
print("flooded", n, kind, msg)
if mode == "drained" then
  for _ = 1, n do process.inbox():receive():payload():close() end
end
print("ready")
process.listen("never"):receive()   -- until ward is stopped
L
count_fds () {  # mode: prints the runtime's descriptor count once ready
  "$WARD" run --root "$src" "$T/f.lua" "$1" > "$T/f.$1" 2>&1 &
  pid=$!
  i=0
  while ! grep -q '^ready' "$T/f.$1" && [ "$i" -lt "$(scaled_s 600)" ] && kill -0 "$pid" 2>/dev/null; do
    sleep 0.1; i=$((i + 1))
  done
  ls "/proc/$pid/fd" 2>/dev/null | wc -l
  kill -TERM "$pid" 2>/dev/null
  wait "$pid"
}
base=$(count_fds base)
held=$(count_fds held)
drained=$(count_fds drained)
echo "# descriptors of the runtime: base $base, flood held $held, flood received $drained"
has "a flooding child's send fails at its limit of descriptors in flight" \
  '^flooded	64	UNAVAILABLE	{ward:sandbox|0x00002} already has 64 descriptors in flight, not yet received (the limit is 64)$' "$T/f.held"
ok "the runtime holds the queued descriptors, and not many more" \
  test "$held" -ge $((base + 64)) -a "$held" -le $((base + 64 + 16))
ok "once the parent received and closed them, none is left" test "$drained" -le $((base + 2))
finish
