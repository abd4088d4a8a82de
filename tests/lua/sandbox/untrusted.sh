#!/bin/sh
# untrusted.sh -- `ward run --untrusted`: the script itself is actor
# `untrusted` on ward:sandbox; its denials are audited; its end is ward's
# exit status.
. "${WARD_SRCDIR:-.}/tests/lua/sandbox/lib.sh"

cat > "$T/probe.lua" <<'LUA'
print("pid", process.pid())
print("context", _CONTEXT)
print("spawn", select(2, process.spawn("actors:x", "ward:main")))
print("register", select(2, process.registry.register("evil")))
print("io", io.open, io.popen, "debug", debug)
return "done"
LUA
"$WARD" run --untrusted --audit "$T/a.db" "$T/probe.lua" > "$T/out" 2> "$T/err"
rc=$?
skip_unless_sandbox "$T/err"
ok "a script nobody vouches for runs to its end (exit 0)" test "$rc" -eq 0
has "it runs on ward:sandbox" '^pid	{ward:sandbox|0x' "$T/out"
has "_CONTEXT is main: it is the first process" '^context	main' "$T/out"
has "spawning on ward:main is denied" 'spawn	PERMISSION_DENIED: permission denied: process.spawn on actors:x (actor untrusted)' "$T/out"
has "registering a name is denied" 'register	PERMISSION_DENIED: permission denied: process.registry.register on evil' "$T/out"
has "io.open, io.popen and debug are absent" '^io	nil	nil	debug	nil' "$T/out"
"$WARD" audit --db "$T/a.db" --json > "$T/audit" 2>&1
has "ward audit shows the denied spawn" '"actor":"untrusted".*"action":"process.spawn","resource":"actors:x"' "$T/audit"
has "and the denied registration" '"action":"process.registry.register","resource":"evil"' "$T/audit"

printf 'error("given up")\n' > "$T/fail.lua"
"$WARD" run --untrusted --audit "$T/a.db" "$T/fail.lua" > /dev/null 2> "$T/err2"
ok "a script that raises makes ward exit 1" test $? -eq 1
has "with its error on stderr" 'fail.lua:1: given up' "$T/err2"

printf 'while true do end\n' > "$T/spin.lua"
"$WARD" run --untrusted --audit "$T/a.db" "$T/spin.lua" > /dev/null 2> "$T/err4"
ok "a script spinning past the profile's 2 s of CPU is ended (exit 1)" test $? -eq 1
has "by SIGXCPU, which the error names" 'subprocess actor killed by SIGXCPU' "$T/err4"

printf 'error("x")\n' > "$T/x.lua"
"$WARD" run --untrusted --actor main "$T/x.lua" > /dev/null 2> "$T/err3"
ok "--untrusted with --actor main is a usage error (exit 2)" test $? -eq 2
has "which says why" 'does not go with --actor' "$T/err3"

finish
