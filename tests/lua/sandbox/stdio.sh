#!/bin/sh
# stdio.sh -- the granted resources every process has (DESIGN 3.3), through
# the real ward binary, in the runtime (actor main) and in a subprocess
# actor (--untrusted, or a child on ward:sandbox): the standard streams
# (io.read/io.lines/io.write/io.stderr with Lua's formats; the pipe of
# README), their denials (raised, audited, asked once per process), reads
# that stay killable and hold no worker thread, os.getenv and env.read,
# process.permissions.query (answers, audits nothing), and ward run's
# --allow-* flags with --print-policy.
. "${WARD_SRCDIR:-.}/tests/lua/sandbox/lib.sh"
tab=$(printf '\t')
wait_s=$(scaled_s 60)

# ---- the pipe of README ----
cat > "$T/upper.lua" <<'LUA'
for l in io.lines() do io.write(l:upper(), "\n") end
LUA
printf 'a\nb\n' | timeout "$wait_s" "$WARD" run --audit "$T/a.db" "$T/upper.lua" > "$T/out" 2> "$T/err"
ok "a trusted script reads its standard input line by line and writes its output" \
  sh -c "[ \"\$(cat '$T/out')\" = \"\$(printf 'A\nB')\" ]"
printf 'a\nb\n' | timeout "$wait_s" "$WARD" run --untrusted --audit "$T/a.db" "$T/upper.lua" \
  > "$T/out" 2> "$T/err"
rc=$?
skip_unless_sandbox "$T/err"
ok "printf 'a\\nb\\n' | ward run --untrusted t.lua > out works (exit 0)" test "$rc" -eq 0
ok "... and out holds A and B" sh -c "[ \"\$(cat '$T/out')\" = \"\$(printf 'A\nB')\" ]"

# ---- formats, in both faces ----
cat > "$T/formats.lua" <<'LUA'
local function show(...)
  local t = table.pack(...)
  for i = 1, t.n do t[i] = type(t[i]) == "string" and ("[" .. t[i] .. "]") or tostring(t[i]) end
  io.stderr:write(table.concat(t, " ", 1, t.n), "\n")
end
show(io.read("n", "n", "n"))
show(io.read("l"))
show(io.read("L"))
show(io.read(4))
show(io.stdin:read(0))
show(io.read("a"))
show(io.read("a"))
show(io.read("l"))
show(io.read(0))
show(io.read("n"))
show(io.type(io.stdin), io.type(42), tostring(io.stdout))
show(io.stdout:close())
show(io.write(1, " ", 2.5, "\n") == io.stdout)
show(pcall(io.lines, "/etc/passwd"))
show(io.open, io.popen)
LUA
cat > "$T/formats.want" <<'EOF'
12 3.5 16
[]
[line2
]
[rest]
[]
[ of it]
[]
nil
nil
nil
[file] nil [file (stdout)]
nil [cannot close standard file]
true
EOF
for mode in main untrusted; do
  flag=; [ $mode = untrusted ] && flag=--untrusted
  printf '12 3.5 0x10\nline2\nrest of it' | timeout "$wait_s" "$WARD" run $flag --audit "$T/a.db" \
    "$T/formats.lua" > "$T/fout" 2> "$T/ferr"
  head -n 14 "$T/ferr" > "$T/fgot"
  if cmp -s "$T/formats.want" "$T/fgot"; then
    ok "$mode: read's formats (n, l, L, a count, 0, a) as Lua's, io.type, close" true
  else
    ok "$mode: read's formats (n, l, L, a count, 0, a) as Lua's, io.type, close" false
    diff "$T/formats.want" "$T/fgot" | sed 's/^/# /'
  fi
  has "$mode: numbers are written as Lua writes them" '^1 2.5$' "$T/fout"
  has "$mode: io.lines of a file name is refused" 'false .*io.lines: ward opens no file by name' "$T/ferr"
  has "$mode: there is no io.open, no io.popen" '^nil nil$' "$T/ferr"
done

# ---- denials: raised, audited, asked once per process ----
cat > "$T/deny.lua" <<'LUA'
local ok, e = pcall(io.read)
io.stderr:write("first\t", tostring(ok), "\t", tostring(e), "\n")
ok, e = pcall(io.lines)
if ok then ok, e = pcall(e) end
io.stderr:write("again\t", tostring(ok), "\t", tostring(e), "\n")
print("printed")
LUA
for mode in main untrusted; do
  flag=; [ $mode = untrusted ] && flag=--untrusted
  rm -f "$T/trace"
  printf 'x\n' | timeout "$wait_s" "$WARD" run $flag --deny io.stdin --trace-gate "$T/trace" \
    --audit "$T/d-$mode.db" "$T/deny.lua" > "$T/dout" 2> "$T/derr"
  has "$mode: a denied io.stdin raises a clear error" \
    "^first${tab}false${tab}.*io.stdin: PERMISSION_DENIED: permission denied: io.stdin on stdin (actor $mode)" "$T/derr"
  has "$mode: and again at each use" "^again${tab}false${tab}.*io.stdin: PERMISSION_DENIED" "$T/derr"
  ok "$mode: the gate was asked once for the process" \
    test "$(grep -c "^io.stdin${tab}stdin" "$T/trace")" -eq 1
  "$WARD" audit --db "$T/d-$mode.db" --json > "$T/daudit" 2>&1
  has "$mode: the denial is audited (io.stdin on stdin)" \
    "\"decision\":\"deny\".*\"actor\":\"$mode\".*\"action\":\"io.stdin\",\"resource\":\"stdin\"" "$T/daudit"
  has "$mode: print goes on, asking nothing" '^printed$' "$T/dout"
done

# a policy that grants no stream: each one is denied
cat > "$T/none.policy" <<'EOF'
policy "p" { allow lua.require on "string"; }
EOF
printf 'x\n' | timeout "$wait_s" "$WARD" run --policy "$T/none.policy" --audit "$T/n.db" \
  "$T/upper.lua" > "$T/nout" 2> "$T/nerr"
ok "a policy granting no stream: the script fails (exit 1)" test $? -eq 1
has "... naming io.stdin" 'io.stdin: PERMISSION_DENIED: permission denied: io.stdin on stdin (actor main)' "$T/nerr"
cat > "$T/out.lua" <<'LUA'
local ok, e = pcall(io.write, "x")
local ok2, e2 = pcall(function() return io.stderr:write("y") end)
print(ok, e, ok2, e2)
LUA
timeout "$wait_s" "$WARD" run --policy "$T/none.policy" --audit "$T/n.db" "$T/out.lua" > "$T/nout" 2>&1
has "... io.stdout and io.stderr are denied too" \
  'false.*io.stdout: PERMISSION_DENIED.*false.*io.stderr: PERMISSION_DENIED' "$T/nout"
"$WARD" audit --db "$T/n.db" --json > "$T/naudit" 2>&1
has "... each audited (io.stdout)" '"action":"io.stdout","resource":"stdout"' "$T/naudit"
has "... (io.stderr)" '"action":"io.stderr","resource":"stderr"' "$T/naudit"

# a profile that gives its children no stream: print goes nowhere, io only
# what was granted (a copy of ward's descriptor, sent by the runtime)
cat > "$T/quiet.policy" <<'P'
policy "q" {
  allow process.spawn, process.spawn.monitored, process.exec, process.host on "**";
  allow io.stdout on "stdout";
}
actor "main" { scope = ["q"]; }
host "quiet" { threads = 1; sandbox = "quiet"; }
sandbox "quiet" { namespaces = [user]; stdout = "null"; stderr = "null"; }
P
mkdir -p "$T/qr/t"
cat > "$T/qr/t/child.lua" <<'LUA'
print("printed-by-the-child")
io.write("written-by-the-child\n")
local ok, e = pcall(function() return io.stderr:write("x") end)
io.write("stderr\t", tostring(ok), "\t", tostring(e), "\n")
return true
LUA
printf 'print("exec", process.exec("t:child", "quiet"))\n' > "$T/qr/q.lua"
timeout "$wait_s" "$WARD" run --policy "$T/quiet.policy" --audit "$T/qq.db" "$T/qr/q.lua" \
  > "$T/qout" 2> "$T/qerr"
has "stdout = \"null\": the child's io.write still reaches ward's stdout (granted)" \
  '^written-by-the-child$' "$T/qout"
ok "... while its print goes nowhere" sh -c "! grep -q printed-by-the-child '$T/qout' '$T/qerr'"
has "... and io.stderr, not granted, is denied" "^stderr${tab}false${tab}.*io.stderr: PERMISSION_DENIED" "$T/qout"
has "... the exec completes" "^exec${tab}true" "$T/qout"

# ---- a read that waits stays killable and holds no worker thread ----
mkfifo "$T/fifo"
mkdir -p "$T/r/t"
cat > "$T/r/t/reader.lua" <<'LUA'
return io.read("l")
LUA
cat > "$T/r/wait.lua" <<'LUA'
local host = ...
local w = assert(process.spawn_monitored("t:reader", host))
local events = process.events()
-- with one worker thread, this sleep ends only if the reader yields it
time.sleep("100ms")
print("slept while it waits")
assert(process.terminate(w))
local r = channel.select{ events:case_receive(), time.after("20s"):case_receive() }
print("ended", r.channel == events and r.value.kind == process.event.EXIT and r.value.result.error ~= nil)
return "done"
LUA
for host in ward:main ward:sandbox; do
  exec 3<> "$T/fifo"      # a writer that never writes: reads wait
  timeout "$wait_s" "$WARD" run --threads 1 "$T/r/wait.lua" "$host" < "$T/fifo" > "$T/kout" 2>&1
  rc=$?
  exec 3>&-
  ok "$host: a process waiting on its standard input lets another run on the one thread (exit $rc)" \
    grep -q '^slept while it waits$' "$T/kout"
  has "$host: and is terminated while it waits" '^ended	true$' "$T/kout"
done

# ---- os.getenv and env.read ----
cat > "$T/env.lua" <<'LUA'
local v, e = os.getenv("WARD_T_VAR")
print("var", v, e and e:kind(), e and e:message())
print("unset", os.getenv("WARD_T_UNSET_VAR"))
print("nul", pcall(os.getenv, "A\0B"))
LUA
WARD_T_VAR=hello timeout "$wait_s" "$WARD" run --audit "$T/e.db" "$T/env.lua" > "$T/eout" 2>&1
has "main reads a variable" "^var${tab}hello${tab}nil" "$T/eout"
has "an unset variable is nil" "^unset${tab}nil$" "$T/eout"
has "a name with a NUL byte raises" "^nul${tab}false${tab}.*NUL" "$T/eout"
WARD_T_VAR=hello timeout "$wait_s" "$WARD" run --untrusted --audit "$T/e.db" "$T/env.lua" \
  > "$T/eout" 2>&1
has "untrusted: a variable it was not granted is nil and PERMISSION_DENIED" \
  "^var${tab}nil${tab}PERMISSION_DENIED${tab}permission denied: env.read on WARD_T_VAR (actor untrusted)" "$T/eout"
"$WARD" audit --db "$T/e.db" --json > "$T/eaudit" 2>&1
has "... and the denial is audited" \
  '"actor":"untrusted".*"action":"env.read","resource":"WARD_T_VAR"' "$T/eaudit"
WARD_T_VAR=hello timeout "$wait_s" "$WARD" run --untrusted --allow-env WARD_T_VAR \
  --audit "$T/e.db" "$T/env.lua" > "$T/eout" 2>&1
has "untrusted with --allow-env WARD_T_VAR reads it (answered by the runtime)" \
  "^var${tab}hello${tab}nil" "$T/eout"
cat > "$T/envall.lua" <<'LUA'
-- the child's own environment is empty: the runtime answers from its own
print("home", os.getenv("HOME") ~= nil)
LUA
HOME=/root timeout "$wait_s" "$WARD" run --untrusted --allow-env HOME --allow-env PATH \
  "$T/envall.lua" > "$T/eout" 2>&1
has "--allow-env repeats" "^home${tab}true$" "$T/eout"

# ---- process.permissions.query ----
cat > "$T/query.lua" <<'LUA'
local q = process.permissions.query
local function show(name, a, r)
  local ok, v = pcall(q, { action = a, resource = r })
  if ok then print(name, v.state, v.reason) else print(name, "error", v) end
end
show("stdin", "io.stdin", "stdin")
show("env", "env.read", "WARD_T_QUERY_ONLY")
show("context", "process.context", "context")
show("unknown", "io.open", "x")
show("nores", "env.read", nil)
print("event", pcall(q, { action = "sandbox.stalled", resource = "x" }))
LUA
timeout "$wait_s" "$WARD" run --audit "$T/q.db" "$T/query.lua" > "$T/qout" 2>&1
has "main: io.stdin is granted" "^stdin${tab}granted${tab}a rule allows it$" "$T/qout"
has "main: env.read granted" "^env${tab}granted" "$T/qout"
timeout "$wait_s" "$WARD" run --untrusted --audit "$T/q.db" "$T/query.lua" > "$T/qout" 2>&1
has "untrusted: io.stdin is granted (answered by the runtime)" "^stdin${tab}granted" "$T/qout"
has "untrusted: env.read is denied, by default deny" "^env${tab}denied${tab}no rule matched$" "$T/qout"
has "untrusted: process.context is denied by a rule" "^context${tab}denied${tab}a rule denies it$" "$T/qout"
has "an unknown action is a clear error" "^unknown${tab}error${tab}.*unknown action .io.open." "$T/qout"
has "a missing resource is a clear error" "^nores${tab}error${tab}.*resource. must be a string" "$T/qout"
has "an event ward records is no action to ask" "^event${tab}false${tab}.*unknown action" "$T/qout"
"$WARD" audit --db "$T/q.db" --json > "$T/qaudit" 2>&1
ok "a denied query is not audited" sh -c "! grep -q 'WARD_T_QUERY_ONLY' '$T/qaudit'"
ok "... nor the query a rule denies" sh -c "! grep -q '\"action\":\"process.context\"' '$T/qaudit'"
timeout "$wait_s" "$WARD" run --untrusted --permissive --audit "$T/q.db" "$T/query.lua" > "$T/qout" 2>&1
has "permissive: the query answers what the call would do" \
  "^env${tab}granted${tab}permissive run" "$T/qout"

# ---- ward audit suggest drafts the narrow grants ----
printf 'x\n' | WARD_T_VAR=1 timeout "$wait_s" "$WARD" run --policy "$T/none.policy" --permissive \
  --audit "$T/s.db" "$T/deny.lua" > /dev/null 2>&1
WARD_T_VAR=1 timeout "$wait_s" "$WARD" run --untrusted --permissive --audit "$T/s.db" "$T/env.lua" \
  > /dev/null 2>&1
"$WARD" audit suggest --db "$T/s.db" > "$T/sugg" 2>&1
has "suggest: allow io.stdin on \"stdin\" (the stream's word)" '^  allow io.stdin on "stdin";$' "$T/sugg"
has "suggest: allow io.stderr on \"stderr\" (print asked nothing)" \
  '^  allow io.stderr on "stderr";$' "$T/sugg"
has "suggest: allow env.read on the one variable" '^  allow env.read on .*"WARD_T_VAR"[,;]' "$T/sugg"
ok "suggest: never a bare \"**\" for them" sh -c "! grep -E '^  allow (io|env)\\..* on \"\\*\\*?\";' '$T/sugg'"

# ---- ward run --allow-* and --print-policy ----
"$WARD" run --allow-env HOME --allow-env LANG --print-policy > "$T/g.policy" 2> "$T/gerr"
ok "--print-policy prints the grants and exits 0, with no script" test $? -eq 0
has "... one rule a flag" '^  allow env.read on "HOME";$' "$T/g.policy"
has "... (the second)" '^  allow env.read on "LANG";$' "$T/g.policy"
"$WARD" policy check "$T/g.policy" > "$T/gcheck" 2>&1
ok "... valid policy text: ward policy check accepts it" test $? -eq 0
cat > "$T/envq.lua" <<'LUA'
for _, n in ipairs{ "WARD_T_A", "WARD_T_AB", "WARD_T_Q" } do
  print(n, process.permissions.query{ action = "env.read", resource = n }.state)
end
LUA
# the printed policy, moved into a file, gives the same grants
"$WARD" run --allow-env WARD_T_A --print-policy > "$T/ga.policy"
timeout "$wait_s" "$WARD" run --policy "$T/ga.policy" "$T/envq.lua" > "$T/gout" 2>&1
has "moved into a file (--policy), it grants what the flag did" "^WARD_T_A${tab}granted$" "$T/gout"
has "... and nothing more" "^WARD_T_AB${tab}denied$" "$T/gout"
timeout "$wait_s" "$WARD" run --policy "$T/none.policy" --allow-env WARD_T_A "$T/envq.lua" \
  > "$T/gout" 2>&1
has "--allow-* adds to --policy files" "^WARD_T_A${tab}granted$" "$T/gout"
"$WARD" run --db "$T/nostore.db" --allow-env WARD_T_A "$T/envq.lua" > "$T/gout" 2>&1
ok "--allow-* with --db is refused (a run does not change the store)" test $? -ne 0
has "... saying so" 'allow-\* and --db do not go together' "$T/gout"

# hostile values: quotes and globs stay literal, newlines and empties are refused
"$WARD" run --allow-env 'X"; allow process.spawn on "**' --allow-env 'WARD_T_*' --print-policy \
  > "$T/h.policy" 2> "$T/herr"
ok "a value with quotes and globs is accepted (escaped)" test $? -eq 0
ok "... and makes exactly two rules" test "$(grep -c '^  allow' "$T/h.policy")" -eq 2
has "... the quotes escaped inside one string" \
  '^  allow env.read on "X\\"; allow process.spawn on \\"\\\\\*\\\\\*";$' "$T/h.policy"
"$WARD" policy check "$T/h.policy" > "$T/hcheck" 2>&1
ok "... which ward policy check accepts" test $? -eq 0
timeout "$wait_s" "$WARD" run --policy "$T/none.policy" --allow-env 'WARD_T_*' "$T/envq.lua" \
  > "$T/gout" 2>&1
has "a glob in a value is the literal name, not a pattern" "^WARD_T_A${tab}denied$" "$T/gout"
for bad in '' "$(printf 'A\nB')" "$(printf 'A\tB')" 'A=B'; do
  "$WARD" run --allow-env "$bad" --print-policy > "$T/bout" 2> "$T/berr"
  rc=$?
  ok "--allow-env '$(printf %s "$bad" | tr '\n\t' 'NT')' is a usage error (exit 2)" test "$rc" -eq 2
  ok "... printing no policy" test ! -s "$T/bout"
done
has "... and says why" 'bad value .* for --allow-env: ' "$T/berr"

finish
