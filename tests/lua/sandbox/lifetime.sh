#!/bin/sh
# lifetime.sh -- nothing of a run outlives `ward run` but what it detached:
# once ward has exited, no process of its session is left and none was
# reparented (no zombie of the supervisor or of its children), whether the
# run ended normally or by SIGTERM, with a child built ahead (warm) waiting
# in the supervisor, and with a chain of sandboxed processes running. Only a
# detached subprocess actor may outlive ward, with the supervisor staying
# to reap it. TAP.
. "${WARD_SRCDIR:-.}/tests/lua/sandbox/lib.sh"
. "${WARD_SRCDIR:-.}/tests/lua/session.sh"


# The supervisor is ward's only child; wait until it has at least $1
# children (a child it built ahead counts), and set $sup to its pid.
wait_sandbox_children () {
  w=$(ward_pid)
  end=$(($(now_ms) + deadline_s * 1000))
  while :; do
    sup=$(children_of "$w" | awk 'NR == 1 { print $1 }')
    [ -n "$sup" ] && [ "$(children_of "$sup" | wc -l)" -ge "$1" ] && return 0
    ! run_over || return 1
    [ "$(now_ms)" -lt "$end" ] || return 1
    sleep 0.05
  done
}

mkdir -p "$T/actors"
cat > "$T/actors/block.lua" <<'EOF'
-- actors:block -- waits for a message that never comes.
process.inbox():receive()
EOF
cat > "$T/actors/slink.lua" <<'EOF'
-- actors:slink -- a link of a chain on ward:sandbox: starts its successor, then
-- ends; the fifth tells the first process that the chain runs.
local first, hop = ...
if hop == 5 then process.send(first, "running") end
process.spawn("actors:slink", "ward:sandbox", first, hop + 1)
EOF
cat > "$T/actors/stay.lua" <<'EOF'
-- actors:stay -- an Emilua-style actor that waits on a pipe it holds both ends
-- of: it needs nothing of the runtime to stay.
local fd = require "fd"
local r, w = fd.pipe()
r:read()
EOF
cat > "$T/untrusted.lua" <<'EOF'
print("ready")
process.inbox():receive()
EOF
cat > "$T/keeper.lua" <<'EOF'
-- a sandboxed process, watched; the run ends (normally) once it has ended
assert(process.spawn_monitored("actors:block", "ward:sandbox"))
print("ready")
local ev = process.events():receive()
print("ended", ev.kind)
return "done"
EOF
cat > "$T/chain.lua" <<'EOF'
process.spawn("actors:slink", "ward:sandbox", process.pid(), 1)
process.inbox():receive()
print("chain running")
process.inbox():receive()
EOF
cat > "$T/detach.lua" <<'EOF'
local ch = spawn_vm("actors:stay", { subprocess = { newns_user = true } })
ch:detach()
print("detached", ch.child_pid)
return "done"
EOF

# 1. --untrusted, ended by SIGTERM, with a warm child waiting
start_run untrusted-term --untrusted --root "$T" "$T/untrusted.lua"
wait_line '^ready'
skip_unless_sandbox "$T/untrusted-term.err"
check "--untrusted: the script and a child built ahead are up" wait_sandbox_children 2
stop_run TERM
wait_run
check "--untrusted, SIGTERM: ward exits 143 (got $rc)" [ "$rc" -eq 143 ]
check "--untrusted, SIGTERM: nothing of the run is left" none_left

# 2. a normal end (exit 0) with a warm child waiting: the test ends the
# sandboxed process the first process watches, by killing its sandbox (the
# supervisor's oldest child; the younger is the one built ahead)
start_run normal --root "$T" "$T/keeper.lua"
wait_line '^ready'
check "normal end: a sandboxed process and a child built ahead are up" wait_sandbox_children 2
oldest=$(children_of "$sup" | sort -k2,2n -k1,1n | awk 'NR == 1 { print $1 }')
kill -s KILL "$oldest"
wait_run
check "normal end: ward exits 0 (got $rc)" [ "$rc" -eq 0 ]
check "normal end: the first process saw its sandboxed process end" grep -q '^ended	EXIT' "$T/normal.out"
check "normal end: nothing of the run is left" none_left

# 3. a chain of sandboxed processes, each starting its successor, ended by
# SIGTERM
start_run chain --root "$T" "$T/chain.lua"
check "chain: the chain on ward:sandbox runs" wait_line '^chain running'
stop_run TERM
wait_run
check "chain: the first SIGTERM ends the run" on_time
check "chain: ward exits 143 (got $rc)" [ "$rc" -eq 143 ]
check "chain: nothing of the run is left" none_left
ms=$(sed -n 's/^signal SIGTERM ms //p' "$T/chain.rep")
echo "# ward exited ${ms:-?} ms after SIGTERM with a sandboxed chain running"

# 3b. the same where the kernel keeps no list of a process's children
# (CONFIG_PROC_CHILDREN): the supervisor finds the orphans by walking /proc
if [ -x "$WARD_FAULTS" ]; then
  plain=$WARD; WARD=$WARD_FAULTS
  WARD_TEST_SYSCALL_FAULT=supervisor.children; export WARD_TEST_SYSCALL_FAULT
  start_run chain-walk --root "$T" "$T/chain.lua"
  unset WARD_TEST_SYSCALL_FAULT; WARD=$plain
  check "chain, no children list: the chain on ward:sandbox runs" wait_line '^chain running'
  stop_run TERM
  wait_run
  check "chain, no children list: ward exits 143 (got $rc)" [ "$rc" -eq 143 ]
  check "chain, no children list: nothing of the run is left" none_left
else
  for i in 1 2 3; do
    n=$((n + 1)); echo "ok $n # SKIP chain, no children list: $WARD_FAULTS not built"
  done
fi

# 4. a detached subprocess actor is not killed at the run's end, and the
# supervisor stays to reap it; nothing else is left. (The actor goes on
# after ward exits -- detach.sh -- until session kills what is left.)
start_run detach --root "$T" "$T/detach.lua"
wait_run
kid=$(sed -n 's/^detached	//p' "$T/detach.out")
check "detach: ward exits 0 (got $rc)" [ "$rc" -eq 0 ]
# the supervisor, reparented to session once ward has gone, is the one
# ward-sandbox whose parent is not a leftover
others () { leftovers | awk -v kid="$kid" '
  { pid[NR] = $2; ppid[NR] = $3; name[NR] = $6; seen[$2] = 1 }
  END { sup = 0
        for (i = 1; i <= NR; i++) {
          if (pid[i] == kid) continue
          if (name[i] == "ward-sandbox" && !seen[ppid[i]] && !sup) { sup = 1; continue }
          print } }'; }
check "detach: nothing is left but the detached actor and its supervisor" [ -z "$(others)" ]

finish
