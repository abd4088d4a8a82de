#!/bin/sh
# detach.sh -- a subprocess actor that spawn_vm's caller detached outlives
# the whole run, as Emilua's spawn_vm reference has it ("the process/actor
# represented by self is allowed to outlive the calling process"): ward
# exits without waiting for it; the actor goes on with what it has (its
# Lua state, timers, descriptors, standard streams), its inbox says
# "channel closed" once what was queued is read, and every call to the
# runtime fails ("the runtime has ended"). The supervisor stays only to
# reap it, holding none of ward's standard streams, and exits once the
# actor has ended. The test kills the survivor. TAP.
. "${WARD_SRCDIR:-.}/tests/lua/sandbox/lib.sh"

kid=
trap 'if [ -n "$kid" ]; then kill -s KILL "$kid" 2>/dev/null; fi; rm -rf "$T"' EXIT INT TERM

mkdir -p "$T/actors"
cat > "$T/actors/outlive.lua" <<'LUA'
-- actors:outlive -- reads its parent's PID from its inbox, then waits on the
-- inbox until no channel names it; then sends to its parent until the
-- runtime is gone, and stays (until killed).
local inbox = require "inbox"
local parent = inbox:receive()
local ok, err = pcall(inbox.receive, inbox)
print("inbox: " .. tostring(ok) .. " " .. tostring(err))
while true do
  -- (while the run ends a call may also raise, or fail otherwise)
  local okc, v, e = pcall(process.send, parent, "still", "here")
  local why = not okc and tostring(v) or v == nil and tostring(e) or ""
  if why:find("the runtime has ended", 1, true) then
    print("gone: " .. why)
    break
  end
  time.sleep(50)
end
print("outlived the run")
while true do time.sleep(60000) end
LUA
cat > "$T/detach.lua" <<'LUA'
local ch = spawn_vm("actors:outlive", { subprocess = { newns_user = true, stdout = "share" } })
ch:send(process.pid())     -- (a value for its inbox: read before it is closed)
ch:detach()
print("detached", ch.child_pid)
return "done"
LUA

timeout "$(scaled_s 120)" "$WARD" run --root "$T" "$T/detach.lua" > "$T/out" 2> "$T/err"
rc=$?
skip_unless_sandbox "$T/err"
kid=$(sed -n 's/^detached	//p' "$T/out")
ok "ward exits 0 without waiting for the detached actor (got $rc)" [ "$rc" -eq 0 ]
ok "spawn_vm gave the child's pid" [ -n "$kid" ]
[ -n "$kid" ] || { cat "$T/out" "$T/err" | sed 's/^/# /'; finish; exit 1; }
sup=$(awk '{ sub(/^.*\) /, ""); print $2 }' "/proc/$kid/stat" 2>/dev/null)

# the actor's lines come on the file that was ward's standard output
end=$(($(date +%s) + $(scaled_s 60)))
until grep -q '^outlived the run' "$T/out" || [ "$(date +%s)" -ge "$end" ]; do sleep 0.05; done
has "the detached actor goes on after ward has exited" '^outlived the run' "$T/out"
has "its inbox said channel closed (after the value queued before)" \
  '^inbox: false inbox: channel closed' "$T/out"
has "its calls to the runtime then fail: the runtime has ended" \
  '^gone: UNAVAILABLE: send: the runtime has ended' "$T/out"
alive () { [ -e "/proc/$1" ] && [ "$(awk '{ sub(/^.*\) /, ""); print $1 }' "/proc/$1/stat" 2>/dev/null)" != Z ]; }
ok "it is alive" alive "$kid"
ok "its supervisor stays to reap it" alive "$sup"
if [ -r "/proc/$sup/fd/1" ] || [ -L "/proc/$sup/fd/1" ]; then
  ok "the supervisor holds none of ward's standard streams" \
    [ "$(readlink "/proc/$sup/fd/0")$(readlink "/proc/$sup/fd/1")$(readlink "/proc/$sup/fd/2")" = \
      "/dev/null/dev/null/dev/null" ]
else
  echo "ok $((n = n + 1)) # SKIP /proc/$sup/fd is not readable here"
fi

# the test ends the survivor: then its supervisor exits too
kill -s KILL "$kid"
end=$(($(date +%s) + $(scaled_s 60)))
while { alive "$kid" || alive "$sup"; } && [ "$(date +%s)" -lt "$end" ]; do sleep 0.05; done
ok "once it is killed, its supervisor exits: nothing of the run is left" \
  eval '! alive "$kid" && ! alive "$sup"'
kid=
finish
