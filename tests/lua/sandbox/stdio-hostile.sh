#!/bin/sh
# stdio-hostile.sh -- attacks on the standard streams, os.getenv and
# ward run's --allow-* (DESIGN 3.3), through the real ward binary: a run
# started with a standard stream closed (never another of ward's
# descriptors); input that never ends (/dev/zero, endless blanks, a line
# without end) holds no worker thread and no unbounded buffer; a wait
# where the process cannot yield is ended; --allow-* values a policy
# string cannot hold; a terminal handed to a sandboxed child in one
# direction; a compromised child asking for a stream 2000 times.
# nobody.sh runs it as nobody.
. "${WARD_SRCDIR:-.}/tests/lua/sandbox/lib.sh"
tab=$(printf '\t')
wait_s=$(scaled_s 60)

# ---- a run started with a standard stream closed ----
# The first descriptor ward opens would take the closed number (the sandbox
# supervisor's socket, the audit database): io must never hand that out.
cat > "$T/closed-in.lua" <<'LUA'
local v, e = io.read("a")
io.stderr:write("read\t", tostring(v), "\t", tostring(e), "\n")
LUA
mkdir -p "$T/cr/t"
printf 'return 42\n' > "$T/cr/t/c.lua"
cat > "$T/cr/closed-out.lua" <<'LUA'
local ok, e = pcall(io.write, string.rep("written\n", 64))
io.stderr:write("write\t", tostring(ok), "\n")
if process.pid():find("ward:main", 1, true) then
  -- the sandbox supervisor still understands the runtime
  io.stderr:write("exec\t", tostring(process.exec("t:c", "ward:sandbox")), "\n")
end
LUA
for mode in main untrusted; do
  flag=; [ $mode = untrusted ] && flag=--untrusted
  timeout "$wait_s" "$WARD" run $flag --audit "$T/c.db" "$T/closed-in.lua" <&- > "$T/cout" 2> "$T/cerr"
  rc=$?
  [ $mode = untrusted ] && skip_unless_sandbox "$T/cerr"
  ok "$mode: started with stdin closed, io.read(\"a\") ends (exit $rc)" test "$rc" -eq 0
  has "$mode: ... reading an empty stream, not one of ward's descriptors" "^read${tab}${tab}nil$" "$T/cerr"
  timeout "$wait_s" "$WARD" run $flag --audit "$T/c.db" "$T/cr/closed-out.lua" >&- 2> "$T/cerr"
  rc=$?
  ok "$mode: started with stdout closed, io.write ends (exit $rc)" test "$rc" -eq 0
  has "$mode: ... writing to an empty stream" "^write${tab}true$" "$T/cerr"
  [ $mode = main ] && has "main: ... not into the sandbox supervisor's socket (a spawn works)" \
    "^exec${tab}42$" "$T/cerr"
  ok "$mode: ... and wrote nothing into the audit database" \
    sh -c "! grep -q written '$T/c.db' '$T/c.db-wal' 2>/dev/null"
done

mkfifo "$T/fifo"

# ---- input that never stops coming holds no worker thread ----
# /dev/zero is always ready: a read that wants more (all of it, a line
# that never ends) must still let the one thread run others, and be
# terminated while it reads (before, the reader kept the thread until its
# memory cap ended it, and the terminate found no process).
mkdir -p "$T/z/t"
printf 'return io.read(...)\n' > "$T/z/t/reader.lua"
cat > "$T/z/main.lua" <<'LUA'
local fmt = ...
local w = assert(process.spawn_monitored("t:reader", "ward:main", fmt))
local events = process.events()
time.sleep("100ms")
print("slept while it reads")
print("terminate", process.terminate(w))
local r = channel.select{ events:case_receive(), time.after("20s"):case_receive() }
print("ended", r.channel == events and r.value.kind == process.event.EXIT
  and r.value.result.error ~= nil)
LUA
for fmt in a l; do
  timeout "$wait_s" "$WARD" run --threads 1 --memory 1G --audit "$T/z.db" "$T/z/main.lua" "$fmt" \
    < /dev/zero > "$T/zout" 2>&1
  has "io.read(\"$fmt\") of endless input lets another process run on the one thread" \
    '^slept while it reads$' "$T/zout"
  has "... and is terminated while it reads" "^terminate${tab}true$" "$T/zout"
  has "... (its exit seen)" "^ended${tab}true$" "$T/zout"
done

# a read that must wait where the process cannot yield (a sort comparator,
# a C call) holds its thread: it is ended as the instruction hook ends a
# script that runs too long there (before, it held the one thread for ever)
mkdir -p "$T/u/t"
cat > "$T/u/t/reader.lua" <<'LUA'
table.sort({ 1, 2 }, function(a, b) io.read("l") return a < b end)
LUA
cat > "$T/u/main.lua" <<'LUA'
local w = assert(process.spawn_monitored("t:reader", "ward:main"))
local events = process.events()
local r = channel.select{ events:case_receive(), time.after("60s"):case_receive() }
print("ended", r.channel == events and tostring(r.value.result.error))
LUA
exec 3<> "$T/fifo"      # a writer that never writes: reads wait
timeout "$wait_s" "$WARD" run --threads 1 --audit "$T/z.db" "$T/u/main.lua" < "$T/fifo" \
  > "$T/zout" 2>&1
exec 3>&-
has "a read waiting inside a sort comparator is ended, and says why" \
  "^ended${tab}.*waited .* on io.stdin where it cannot yield" "$T/zout"

# "n" skips blanks as Lua does, consuming them: 200 MB of them cost no
# buffer (before, they were kept until the memory cap ended the read)
cat > "$T/blank.lua" <<'LUA'
print("n", io.read("n"))
LUA
(head -c 200000000 /dev/zero | tr '\0' ' '; printf '42\n') \
  | timeout "$wait_s" "$WARD" run --memory 32M --audit "$T/z.db" "$T/blank.lua" > "$T/zout" 2>&1
has "io.read(\"n\") after 200 MB of blanks under --memory 32M reads the number" "^n${tab}42$" "$T/zout"
# a long line read in many chunks is whole
(head -c 3000000 /dev/zero | tr '\0' 'x'; printf '\nnext\n') > "$T/long"
printf 'local l = io.read("l"); print(#l, l:match("^x*$") ~= nil, io.read("l"))\n' > "$T/long.lua"
timeout "$wait_s" "$WARD" run --audit "$T/z.db" "$T/long.lua" < "$T/long" > "$T/zout" 2>&1
has "a 3 MB line is read whole, the next one after it" "^3000000${tab}true${tab}next$" "$T/zout"

# ---- --allow-* values a policy string cannot hold ----
# --print-policy must print only what ward policy check accepts: a value
# longer than a policy string (4096 bytes, its glob characters escaped)
# is a usage error, not a policy that fails to load
long=$(head -c 4097 /dev/zero | tr '\0' A)
"$WARD" run --allow-env "$long" --print-policy > "$T/lp" 2> "$T/lerr"
ok "--allow-env of 4097 bytes is a usage error (exit 2)" test $? -eq 2
ok "... printing no policy" test ! -s "$T/lp"
has "... saying why" 'allow-.*env.read: the value is 4097 bytes .*longer than the 4096' "$T/lerr"
stars=$(head -c 2100 /dev/zero | tr '\0' '*')
"$WARD" run --allow-env "$stars" --print-policy > "$T/lp" 2> "$T/lerr"
ok "--allow-env of 2100 '*' (4200 bytes escaped) is a usage error too" test $? -eq 2
"$WARD" run --allow-env "${long%A}" --print-policy > "$T/lp" 2> "$T/lerr"
ok "--allow-env of 4096 bytes is printed (exit 0)" test $? -eq 0
"$WARD" policy check "$T/lp" > /dev/null 2>&1
ok "... as a policy ward policy check accepts" test $? -eq 0
printf 'print(process.permissions.query{action="env.read", resource=(...)}.state)\n' > "$T/qq.lua"
hi=$(printf 'A\377\376B')
"$WARD" run --allow-env "$hi" --print-policy > "$T/hp"
"$WARD" run --policy "$T/hp" "$T/qq.lua" "$hi" > "$T/hout" 2>&1
has "a value with bytes that are no UTF-8, printed and read back, grants that name" '^granted$' "$T/hout"

# ---- a terminal is read-write: a child gets it in one direction ----
# In a terminal, ward's descriptors 0 to 2 are one read-write description:
# a sandboxed child handed ward's standard output (its descriptor 1, or
# io.stdout's copy) could read what is typed. The child's copies are the
# terminal opened again, for writing only.
if command -v script >/dev/null 2>&1; then
  mkdir -p "$T/tt/t"
  cat > "$T/tt/t/c.lua" <<'LUA'
io.write("")                         -- io.stdout's copy, asked
print("child-ready")
time.sleep("30s")
LUA
  printf 'process.spawn("t:c", "ward:sandbox")\ntime.sleep("30s")\n' > "$T/tt/m.lua"
  script -qc "tty > '$T/tty'; exec timeout $wait_s '$WARD' run --audit '$T/tt.db' '$T/tt/m.lua'" \
    /dev/null > "$T/ttout" 2>&1 &
  spid=$!
  i=0
  while ! grep -q child-ready "$T/ttout" 2>/dev/null && [ $i -lt $((wait_s * 10)) ]; do
    sleep 0.1; i=$((i + 1))
  done
  tty=$(cat "$T/tty" 2>/dev/null)
  rw=0 seen=0
  for d in /proc/[0-9]*; do
    [ "$(cat "$d/comm" 2>/dev/null)" = ward-sandbox ] || continue
    # sandboxed: in a PID namespace of its own (not the supervisor)
    grep -Eq '^NSpid:[[:space:]]*[0-9]+[[:space:]]+[0-9]' "$d/status" 2>/dev/null || continue
    for f in "$d"/fd/*; do
      [ "$(readlink "$f" 2>/dev/null)" = "$tty" ] || continue
      seen=$((seen + 1))
      fl=$(sed -n 's/^flags:[[:space:]]*//p' "$d/fdinfo/${f##*/}" 2>/dev/null)
      [ $(( 0$fl & 3 )) -eq 2 ] && rw=$((rw + 1))
    done
  done
  kill "$spid" 2>/dev/null
  wait "$spid" 2>/dev/null
  ok "in a terminal, the sandboxed child holds the terminal ($seen descriptors)" test "$seen" -gt 0
  ok "... never open for reading and writing ($rw are)" test "$rw" -eq 0
else
  echo "ok $((n + 1)) # SKIP script(1) is not installed"; n=$((n + 1))
  echo "ok $((n + 1)) # SKIP script(1) is not installed"; n=$((n + 1))
fi

# ---- a compromised child (tests/ward-faults, WARD_TEST_RAW_WIRE=1) ----
# It asks for its standard input 2000 times under a limit of 128
# descriptors: each answer's copy goes to the child and none is kept by
# its stand-in (before, each waited for the stand-in's collector, and the
# runtime's descriptors ran out at the 64th or so).
(ulimit -n 128 && WARD_TEST_RAW_WIRE=1 timeout "$wait_s" "$WARD_FAULTS" run --root "$src" \
  --audit "$T/raw.db" "$src/raw-parent.lua" io-stream-many "$ward_test_scale") > "$T/raw" 2>&1
skip_unless_sandbox "$T/raw"
has "a child asking io.stream 2000 times under ulimit -n 128 gets 2000 descriptors" \
  '^report: io-stream-many 2000 0 0$' "$T/raw"
has "... and the runtime goes on" '^after: 50$' "$T/raw"

finish
