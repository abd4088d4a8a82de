#!/bin/sh
# syscalls.sh -- the system calls that set up the sandbox supervisor, a
# child and its channel are checked, and a refusal fails closed: no child
# half built, no runtime that hangs. WARD_TEST_SYSCALL_FAULT=SITE makes
# the call at SITE fail (EINVAL) in tests/ward-faults; the installed ward
# has no such hook and ignores the variable.
. "${WARD_SRCDIR:-.}/tests/lua/sandbox/lib.sh"

# two calls the runtime answers (PERMISSION_DENIED: --untrusted)
cat > "$T/u.lua" <<'LUA'
print(process.registry.register("x"))
print(process.registry.register("y"))
print("after")
return 1
LUA
run () {   # run NAME SITE: ward-faults --untrusted u.lua, status in $T/NAME.rc
  WARD_TEST_SYSCALL_FAULT=$2 timeout "$(scaled_s 60)" "$WARD_FAULTS" run --untrusted \
    --audit "$T/$1.db" "$T/u.lua" > "$T/$1" 2>&1
  echo $? > "$T/$1.rc"
}
run plain ""
skip_unless_sandbox "$T/plain"
has "without a fault the script runs to its end" '^after$' "$T/plain"
has "... its second call answered" 'register on y' "$T/plain"
WARD_TEST_SYSCALL_FAULT=supervisor.pdeathsig timeout "$(scaled_s 60)" "$WARD" run --untrusted \
  --audit "$T/s.db" "$T/u.lua" > "$T/shipped" 2>&1
ok "the installed ward ignores WARD_TEST_SYSCALL_FAULT: status 0" test $? -eq 0
has "... the script runs to its end" '^after$' "$T/shipped"

# SITE | what the run says (a grep pattern). A supervisor that fails its
# own set-up exits at once; a spawn finds it not running, or (when it is
# asked before its end is seen) gone: either refuses.
while IFS='|' read -r site says; do
  run "$site" "$site"
  ok "$site refused: ward run fails (status 1)" test "$(cat "$T/$site.rc")" -eq 1
  has "... saying why" "$says" "$T/$site"
  n=$((n + 1))
  if grep -q 'register on y' "$T/$site"; then
    echo "not ok $n - ... and the child is not served on"; sed 's/^/# /' "$T/$site"
    fails=$((fails + 1))
  else
    echo "ok $n - ... and the child is not served on"
  fi
done <<'EOF_SITES'
supervisor.pdeathsig|supervisor is not running\|the supervisor is gone
supervisor.subreaper|supervisor is not running\|the supervisor is gone
supervisor.sigaction|supervisor is not running\|the supervisor is gone
supervisor.sigprocmask|supervisor is not running\|the supervisor is gone
supervisor.nonblock|sandbox: cannot make the status pipe non-blocking: Invalid argument
client.nonblock|sandbox: cannot make the events socket non-blocking: Invalid argument
spawn.sigaction|sandbox: reset SIGINT: Invalid argument
spawn.unshare|sandbox: unshare: Invalid argument
broker.sndtimeo|no send timeout on its channel: Invalid argument
broker.watch|subprocess actor: watching the channel: Invalid argument
broker.rearm|subprocess actor ended: cannot watch its channel: Invalid argument
main.sigpipe|ward run: cannot ignore SIGPIPE: Invalid argument
EOF_SITES

# The supervisor ends under a running child: the child's monitor is told,
# and the run goes on to its end -- also when the runtime cannot take the
# supervisor's socket out of its set (the reader then ends).
if command -v pgrep > /dev/null 2>&1; then
  mkdir -p "$T/root/actors"
  cp "$src/actors/nap.lua" "$T/root/actors/nap.lua"
  cat > "$T/root/gone.lua" <<'LUA'
local ev = process.events()
local c, e = process.spawn_monitored("actors:nap", "ward:sandbox")
if not c then print("spawn failed: " .. tostring(e)); return end
print("spawned")
local r = ev:receive()
print("ended: " .. tostring(r.result.error or r.result.value))
LUA
  for site in none broker.unwatch-events; do
    WARD_TEST_SYSCALL_FAULT=$site timeout "$(scaled_s 60)" "$WARD_FAULTS" run --root "$T/root" \
      --audit "$T/g.db" "$T/root/gone.lua" > "$T/gone-$site" 2>&1 &
    tpid=$!
    i=0
    while ! grep -qs '^spawned$' "$T/gone-$site" && [ "$i" -lt "$(scaled_s 600)" ]; do
      sleep 0.1; i=$((i + 1))
    done
    wpid=$(pgrep -P "$tpid")
    sup=$(pgrep -P "${wpid:-0}" ward-sandbox)
    [ -n "$sup" ] && kill -KILL "$sup"
    wait "$tpid"
    ok "$site: the supervisor killed under a child, ward run ends (status 0)" test $? -eq 0
    has "... the child's monitor told" '^ended: subprocess actor sandbox: the supervisor is gone' \
      "$T/gone-$site"
  done
else
  for k in 1 2 3 4; do n=$((n + 1)); echo "ok $n # SKIP no pgrep to find the supervisor"; done
fi
finish
