#!/bin/sh
# limits.sh -- every call refused for a limit of the run leaves an audit
# record (action limit.*, rule "ward", the caller's actor), and a flood of
# them folds like denials (--audit-fold); spawn_vm's subprocess actors
# count against --sandbox-children per caller and --sandbox-processes in
# all, like a sandboxed host's; the sandbox supervisor raises its soft
# RLIMIT_NOFILE as the runtime does (so it runs out no sooner), and gives
# each child back the one ward was started with.
. "${WARD_SRCDIR:-.}/tests/lua/sandbox/lib.sh"

# audited DB ACTION ACTOR RESOURCE: the JSON records of ACTION in DB, one
# with that actor and resource
audited () {
  "$WARD" audit --db "$1" --json --action "$2" > "$T/audit.json" 2>&1
  grep -F "\"actor\":\"$3\"" "$T/audit.json" | grep -F "\"action\":\"$2\",\"resource\":\"$4\"" \
    | grep -qF '"rule":{"policy":"ward","file":"ward","line":0,"text":"deny what is past a limit of the run;"}'
}
# counted DB ACTION: the denials of ACTION the records of DB account for
# (each row's count summed), then its rows
counted () {
  "$WARD" audit --db "$1" --json --action "$2" 2>/dev/null \
    | sed -n 's/.*"count":\([0-9]*\),.*/\1/p' | awk '{ s += $1; n++ } END { print s + 0, n + 0 }'
}

# ---- the live-children limit, and a flood of refusals ----
cat > "$T/flood.lua" <<'L'
local n = tonumber((...))
local ok, refused, msg = 0, 0, nil
for _ = 1, 16 + n do
  local p, e = process.spawn("tools.helpers:idle", "ward:sandbox")
  if p then ok = ok + 1 else refused = refused + 1 msg = e:message() end
end
print("spawned", ok, "refused", refused, msg)
L
timeout "$(scaled_s 300)" "$WARD" run --untrusted --root "$src" --audit "$T/flood.db" \
  --audit-fold 50 "$T/flood.lua" 10000 > "$T/flood" 2>&1
skip_unless_sandbox "$T/flood"
has "an untrusted script's 10000 spawns past its live children are refused" \
  '^spawned	16	refused	10000	process {ward:sandbox|0x00001} already has 16 live children (the limit of host ward:sandbox)$' "$T/flood"
ok "each refusal is audited as limit.children on the caller's PID, as actor untrusted" \
  audited "$T/flood.db" limit.children untrusted '{ward:sandbox|0x00001}'
set -- $(counted "$T/flood.db" limit.children)
echo "# 10000 refused spawns: $1 counted in $2 rows"
ok "the records account for every one of the 10000 refusals" test "$1" -eq 10000
ok "past --audit-fold 50 they fold: at most 51 rows" test "$2" -ge 1 -a "$2" -le 51
ok "... one of which is the folded count" \
  grep -q '"kind":"folded".*"actor":"untrusted","action":"limit.children"' "$T/audit.json"
"$WARD" audit suggest --db "$T/flood.db" > "$T/suggest" 2>&1
has "ward audit suggest proposes no rule for them, and says why" \
  'not suggested ([0-9]*): limit.children: refused by ward itself, not by a policy; no rule allows it (a limit of the run' "$T/suggest"

# ---- a sandboxed host's processes ----
timeout "$(scaled_s 120)" "$WARD" run --untrusted --root "$src" --audit "$T/procs.db" \
  --sandbox-children 1000 --sandbox-processes 24 "$src/helper-loop.lua" > "$T/procs" 2>&1
has "--sandbox-processes refuses the 24th process of the host" \
  '^spawned	23	UNAVAILABLE	host ward:sandbox: 24 processes already live' "$T/procs"
ok "that is audited as limit.processes on the host" \
  audited "$T/procs.db" limit.processes untrusted ward:sandbox

# ---- the run's --children and --processes, and the mailbox limits ----
cat > "$T/run.lua" <<'L'
local fd = require "fd"
local what = ...
local function try(f, ...)
  local ok, a, b = pcall(f, ...)
  if not ok then return "raised", tostring(a) end
  if a then return "ok" end
  return b and b:kind() or "?", b and b:message() or tostring(a)
end
if what == "children" or what == "processes" then
  local n, k, m = 0, nil, nil
  for _ = 1, 5 do
    k, m = try(process.spawn, "actors:nap", "ward:main")
    if k ~= "ok" then break end
    n = n + 1
  end
  print(what, n, k, m)
  return
end
local B = assert(process.spawn("actors:nap", "ward:main"))
print("target", B)
local n, k, m = 0, nil, nil
for i = 1, 10 do
  if what == "messages" then k, m = try(process.send, B, "m", i)
  elseif what == "bytes" then k, m = try(process.send, B, "m", string.rep("x", 600))
  else
    local r, w = fd.pipe()
    k, m = try(process.send, B, "m", r)
    w:close()
  end
  if k ~= "ok" then break end
  n = n + 1
end
print(what, n, k, m)
L
run_limit () {  # NAME OPTIONS...: run.lua NAME under OPTIONS, audited in $T/NAME.db
  name=$1; shift
  timeout "$(scaled_s 60)" "$WARD" run --root "$src" --audit "$T/$name.db" "$@" \
    "$T/run.lua" "$name" > "$T/$name" 2>&1
}
run_limit children --children 2
has "--children 2 refuses a third live child" \
  '^children	2	UNAVAILABLE	process {ward:main|0x00001} already has 2 live children (the limit)$' "$T/children"
ok "... audited as limit.children on the caller, actor main" \
  audited "$T/children.db" limit.children main '{ward:main|0x00001}'
run_limit processes --processes 3
has "--processes 3 refuses a third child" \
  '^processes	2	UNAVAILABLE	the run already has 3 live processes (the limit)$' "$T/processes"
ok "... audited as limit.processes on the host" \
  audited "$T/processes.db" limit.processes main ward:main
run_limit messages --mailbox 3
has "--mailbox 3 refuses a fourth queued message" '^messages	3	UNAVAILABLE	mailbox of .* is full (3 messages)$' "$T/messages"
tgt=$(sed -n 's/^target	//p' "$T/messages")
ok "... audited as limit.mailbox_messages on the receiver, actor main (the sender)" \
  audited "$T/messages.db" limit.mailbox_messages main "$tgt"
run_limit bytes --mailbox-bytes 1K
has "--mailbox-bytes 1K refuses a second message of 600 bytes" \
  '^bytes	1	UNAVAILABLE	mailbox of .* is full (.* bytes queued, a message of .*; limit 1024 bytes)$' "$T/bytes"
tgt=$(sed -n 's/^target	//p' "$T/bytes")
ok "... audited as limit.mailbox_bytes on the receiver" \
  audited "$T/bytes.db" limit.mailbox_bytes main "$tgt"
run_limit fds --mailbox-fds 2
has "--mailbox-fds 2 refuses a third queued descriptor" \
  '^fds	2	UNAVAILABLE	mailbox of .* already holds 2 descriptors (the limit is 2)$' "$T/fds"
tgt=$(sed -n 's/^target	//p' "$T/fds")
ok "... audited as limit.mailbox_fds on the receiver" \
  audited "$T/fds.db" limit.mailbox_fds main "$tgt"

# ---- descriptors in flight: a sandboxed child floods a parent that reads nothing ----
cat > "$T/inflight.lua" <<'L'
local flooded = process.listen("flooded", { message = true })
local c = assert(process.spawn("actors:fdflood", "ward:sandbox", process.pid()))
print("flooded", flooded:receive():payload())
process.send(c, "stop")
L
timeout "$(scaled_s 120)" "$WARD" run --root "$src" --audit "$T/inflight.db" \
  "$T/inflight.lua" > "$T/inflight" 2>&1
has "a child's descriptors past --sandbox-fds are refused" \
  '^flooded	64	UNAVAILABLE	{ward:sandbox|0x00002} already has 64 descriptors in flight' "$T/inflight"
ok "... audited as limit.fds_in_flight on the child's PID, actor main (its actor)" \
  audited "$T/inflight.db" limit.fds_in_flight main '{ward:sandbox|0x00002}'

# ---- the descriptor reserve ----
hard=$(ulimit -Hn)
case $hard in unlimited) hard=1048576 ;; esac
lim=$((hard < 400 ? hard : 400))
if [ "$lim" -lt 160 ]; then
  for _ in 1 2 3 4; do
    n=$((n + 1)); echo "ok $n # SKIP the hard RLIMIT_NOFILE ($hard) leaves no room for the reserve case"
  done
else
  (ulimit -n "$lim" && exec timeout "$(scaled_s 120)" "$WARD" run --untrusted --root "$src" \
     --audit "$T/reserve.db" --sandbox-children 100000 --sandbox-processes 100000 \
     "$src/helper-loop.lua") > "$T/reserve" 2>&1
  has "an untrusted script's spawns stop at the descriptor reserve" \
    "^spawned	[0-9]*	UNAVAILABLE	host ward:sandbox: no subprocess actor can start: the runtime's descriptors are running out" "$T/reserve"
  ok "... audited as limit.fd_reserve on the host" \
    audited "$T/reserve.db" limit.fd_reserve untrusted ward:sandbox
  # descriptors a child sends that would land in the reserve
  cat > "$T/rf.lua" <<'L'
local flooded = process.listen("flooded", { message = true })
local c = assert(process.spawn("actors:fdflood", "ward:sandbox", process.pid()))
print("flood", flooded:receive():payload())
process.send(c, "stop")
L
  (ulimit -n "$lim" && exec timeout "$(scaled_s 120)" "$WARD" run --root "$src" \
     --audit "$T/rf.db" --sandbox-fds 100000 --mailbox-fds 100000 "$T/rf.lua") > "$T/rf" 2>&1
  has "a child's descriptor flood stops before the reserve" \
    "^flood	[0-9]*	UNAVAILABLE	.*the runtime's descriptors are running out" "$T/rf"
  ok "... audited as limit.fd_reserve on the child's PID" \
    audited "$T/rf.db" limit.fd_reserve main '{ward:sandbox|0x00002}'
fi

# ---- spawn_vm's subprocess actors, from a host that is not sandboxed ----
cat > "$T/vm.lua" <<'L'
local what = ...
local sub = { subprocess = { newns_user = true } }
local function spawn(opts)
  local ok, r = pcall(spawn_vm, "actors:vmecho", opts)
  return ok, ok and r or tostring(r)
end
if what == "inprocess" then
  local n = 0
  for _ = 1, 5 do if spawn({}) then n = n + 1 end end
  print("inprocess", n)
  return
end
local holder
if what == "total" then
  -- another caller holds two first
  holder = process.spawn("actors:vmholder", "ward:main", process.pid(), 2)
  print("other", process.inbox():receive():payload())
end
local kept, n, err = {}, 0, nil
for _ = 1, 5 do
  local ok, r = spawn(sub)
  if not ok then err = r break end
  kept[#kept + 1] = r
  n = n + 1
end
print("mine", n, err)
if holder then process.send(holder, "stop") end
for _, c in ipairs(kept) do c:send("quit") end
L
timeout "$(scaled_s 120)" "$WARD" run --root "$src" --audit "$T/vm.db" --sandbox-children 2 \
  "$T/vm.lua" children > "$T/vm" 2>&1
skip_vm=
grep -q 'not permitted' "$T/vm" && skip_vm=1
if [ -n "$skip_vm" ]; then
  for _ in 1 2 3 4 5 6; do
    n=$((n + 1)); echo "ok $n # SKIP this machine does not allow the user namespace spawn_vm asks for"
  done
else
  has "spawn_vm's subprocess actors stop at --sandbox-children live ones per caller" \
    'mine	2	.*spawn_vm: subprocess: process {ward:main|0x00001} already has 2 live subprocess actors of spawn_vm (the limit, --sandbox-children)$' "$T/vm"
  ok "... audited as limit.children on the caller" \
    audited "$T/vm.db" limit.children main '{ward:main|0x00001}'
  timeout "$(scaled_s 120)" "$WARD" run --root "$src" --sandbox-children 2 \
    "$T/vm.lua" inprocess > "$T/vm2" 2>&1
  has "... spawn_vm without a subprocess table is not bound by it" '^inprocess	5$' "$T/vm2"
  timeout "$(scaled_s 120)" "$WARD" run --root "$src" --audit "$T/vmt.db" --sandbox-children 2 \
    --sandbox-processes 3 "$T/vm.lua" total > "$T/vmt" 2>&1
  has "another caller's two count in the total" '^other	2	$' "$T/vmt"
  has "spawn_vm's subprocess actors stop at --sandbox-processes live in all" \
    'mine	1	.*spawn_vm: subprocess: 3 subprocess actors of spawn_vm already live (the limit, --sandbox-processes)$' "$T/vmt"
  ok "... audited as limit.processes on spawn_vm" \
    audited "$T/vmt.db" limit.processes main spawn_vm
fi

# ---- the supervisor's descriptors ----
# With a low soft limit and a high hard one, the runtime raises its own
# and counts on its reserve; the supervisor holds descriptors for each
# child too, and must not run out first.
soft=400
want=450            # helpers: more than the supervisor could hold at 400
if [ "$(ulimit -Hn)" = unlimited ] || [ "$hard" -le $soft ]; then
  # (an unlimited hard limit is more than the kernel's nr_open: neither the
  # runtime nor the supervisor raises its soft one then)
  for _ in 1 2 3 4 5 6; do
    n=$((n + 1)); echo "ok $n # SKIP the hard RLIMIT_NOFILE ($(ulimit -Hn)) is unlimited or not above a soft one of $soft"
  done
else
  if [ "$hard" -lt $((want * 3 + 200)) ]; then
    n=$((n + 1)); echo "ok $n # SKIP the hard RLIMIT_NOFILE ($hard) leaves the runtime no room for $want helpers"
  else
    (ulimit -Sn $soft && exec timeout "$(scaled_s 300)" "$WARD" run --untrusted --root "$src" \
       --sandbox-children 100000 --sandbox-processes "$want" "$src/helper-loop.lua") > "$T/sup" 2>&1
    has "under ulimit -Sn $soft, $want sandboxed processes start: the supervisor raised its limit too" \
      "^spawned	$((want - 1))	UNAVAILABLE	host ward:sandbox: $want processes already live" "$T/sup"
  fi
  # with no other limit in the way, what stops the spawns is the runtime's
  # reserve (clear, audited), never the supervisor's descriptors
  if [ "$hard" -lt 1500 ]; then
    n=$((n + 1)); echo "ok $n # SKIP the hard RLIMIT_NOFILE ($hard) is below 1500"
  else
    (ulimit -n 1500 && ulimit -Sn $soft && exec timeout "$(scaled_s 300)" "$WARD" run \
       --untrusted --root "$src" --sandbox-children 100000 --sandbox-processes 100000 \
       "$src/helper-loop.lua") > "$T/sup2" 2>&1
    has "under ulimit -Sn $soft -Hn 1500, the runtime's reserve stops the spawns, not the supervisor" \
      "^spawned	[0-9]*	UNAVAILABLE	host ward:sandbox: no subprocess actor can start: the runtime's descriptors are running out (the last 64 of its 1500 are kept for trusted work)$" "$T/sup2"
  fi
  # a child is given back the limit ward was started with
  cat > "$T/lim.lua" <<'L'
local ch = spawn_vm("actors:vmecho", { subprocess = { newns_user = true } })
print("child", ch.child_pid)
process.listen("never"):receive()   -- until ward is stopped
L
  : > "$T/lim"
  (ulimit -Sn $soft && exec "$WARD" run --root "$src" "$T/lim.lua") > "$T/lim" 2>&1 &
  pid=$!
  i=0
  while ! grep -q '^child' "$T/lim" && [ "$i" -lt "$(scaled_s 600)" ] && kill -0 "$pid" 2>/dev/null; do
    sleep 0.1; i=$((i + 1))
  done
  cpid=$(sed -n 's/^child	//p' "$T/lim")
  grep '^Max open files' "/proc/$cpid/limits" > "$T/lim.child" 2>&1
  grep '^Max open files' "/proc/$pid/limits" > "$T/lim.rt" 2>&1
  kill -TERM "$pid" 2>/dev/null
  wait "$pid"
  has "a subprocess actor keeps the soft limit ward was started with" \
    "^Max open files  *$soft  *$hard " "$T/lim.child"
  has "... while the runtime raised its own" "^Max open files  *$hard  *$hard " "$T/lim.rt"
  # failing closed
  (ulimit -Sn $soft && WARD_TEST_SYSCALL_FAULT=spawn.nofile exec timeout "$(scaled_s 60)" \
     "$WARD_FAULTS" run --untrusted --root "$src" "$src/helper-loop.lua") > "$T/f1" 2>&1
  ok "a child that cannot take back the limit is not started" sh -c \
    "grep -q 'restoring RLIMIT_NOFILE' '$T/f1' && ! grep -q '^spawned' '$T/f1'"
  (ulimit -Sn $soft && WARD_TEST_SYSCALL_FAULT=supervisor.nofile exec timeout "$(scaled_s 60)" \
     "$WARD_FAULTS" run --untrusted --root "$src" "$src/helper-loop.lua") > "$T/f2" 2>&1
  ok "a supervisor that cannot raise its limit does not start: nothing is spawned" \
    grep -q 'supervisor is not running\|the supervisor is gone' "$T/f2"
fi
finish
