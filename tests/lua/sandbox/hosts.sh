#!/bin/sh
# hosts.sh -- every host the loaded policies declare exists in the run: an
# in-process pool, or a sandboxed host whose processes are subprocess
# actors under its profile; an undeclared host is NOT_FOUND; a profile the
# sandbox cannot honour stops the run with a clear error.
. "${WARD_SRCDIR:-.}/tests/lua/sandbox/lib.sh"

cat > "$T/h.policy" <<'P'
policy "all" { allow process.** on "**"; }
actor "main" { scope = ["all"]; }
host "plugins" { threads = 1; sandbox = "loose"; }
host "workers" { threads = 2; }
sandbox "loose" { namespaces = [user, pid]; memory = "32M"; }
P
cat > "$T/h.lua" <<'L'
print("workers", process.exec("actors:where", "workers"))
local ok, v = pcall(process.exec, "actors:where", "plugins")
print("plugins", ok and v or tostring(v))
print("nohost", select(2, process.spawn("actors:where", "nohost")))
L
"$WARD" run --root "$src" --policy "$T/h.policy" "$T/h.lua" > "$T/out" 2>&1
skip_unless_sandbox "$T/out"
ok "a run with declared hosts ends well" test $? -eq 0
has "an in-process host declared by a policy runs processes" '^workers	workers$' "$T/out"
has "a sandboxed host declared by a policy runs subprocess actors" '^plugins	plugins$' "$T/out"
has "a host nobody declared is NOT_FOUND" '^nohost	NOT_FOUND: no host `nohost`' "$T/out"
# a call an init script's seccomp_kill traps: the EXIT names it
printf 'init.seccomp_kill("sendmsg")\n' > "$T/kill.lua"
cat > "$T/k.policy" <<P
policy "all" { allow process.** on "**"; }
actor "main" { scope = ["all"]; }
host "trapped" { threads = 1; sandbox = "k"; }
sandbox "k" { namespaces = [user, pid]; seccomp = "default"; init = "$T/kill.lua"; }
P
cat > "$T/k2.lua" <<'L'
local c = assert(process.spawn_monitored("actors:sender", "trapped", process.pid()))
local ev = process.events():receive()
print("exit", ev.result.error)
L
"$WARD" run --root "$src" --policy "$T/k.policy" "$T/k2.lua" > "$T/out3" 2>&1
has "a system call trapped by seccomp ends the actor with SIGSYS naming the call" \
  '^exit	killed by SIGSYS (seccomp: sendmsg)$' "$T/out3"

# the profile's wall-clock limit ends a subprocess actor that outlives it
cat > "$T/w.policy" <<'P'
policy "all" { allow process.** on "**"; }
actor "main" { scope = ["all"]; }
host "slow" { threads = 1; sandbox = "w"; }
sandbox "w" { namespaces = [user]; wall = "300ms"; }
P
cat > "$T/w.lua" <<'L'
local t0 = time.now()
local c = assert(process.spawn_monitored("actors:block", "slow"))
local ev = process.events():receive()
print("exit", ev.result.error, time.now() - t0 < 3000)
L
"$WARD" run --root "$src" --policy "$T/w.policy" "$T/w.lua" > "$T/out4" 2>&1
has "the profile's wall-clock limit ends the actor, and says so" \
  '^exit	ran past the wall-clock limit of 300 ms of its sandbox profile `w`	true$' "$T/out4"

# the profile's stdio: "null" silences the child, "inherit" (and the
# default for stdout) shares ward's
for mode in null inherit; do
  cat > "$T/io.policy" <<P
policy "all" { allow process.** on "**"; }
actor "main" { scope = ["all"]; }
host "io" { threads = 1; sandbox = "io"; }
sandbox "io" { namespaces = [user]; stdout = "$mode"; environment = ["LANG=C", "TZ=UTC"]; }
P
  printf 'print("exec", process.exec("actors:printer", "io"))\n' > "$T/io.lua"
  "$WARD" run --root "$src" --policy "$T/io.policy" "$T/io.lua" > "$T/io.$mode" 2>&1
done
has "stdout = \"inherit\": the child's output reaches ward's stdout" '^hello-from-the-child$' "$T/io.inherit"
ok "stdout = \"null\": it goes nowhere" sh -c "! grep -q hello-from-the-child '$T/io.null' && grep -q '^exec	true' '$T/io.null'"

cat > "$T/bad.policy" <<'P'
policy "all" { allow process.** on "**"; }
host "odd" { threads = 1; sandbox = "weird"; }
sandbox "weird" { seccomp = "custom"; }
P
"$WARD" run --root "$src" --policy "$T/bad.policy" "$T/h.lua" > "$T/out2" 2>&1
ok "a profile naming an unknown seccomp profile stops the run (exit 1)" test $? -eq 1
has "... saying which host, profile and seccomp name" 'host odd: sandbox profile `weird`: unknown seccomp profile `custom`' "$T/out2"
finish
