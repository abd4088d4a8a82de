#!/bin/sh
# stdio-hostile.sh -- attacks on the standard streams, os.getenv and
# process.permissions.query (DESIGN 3.3), through the real ward binary:
# a run started with a standard stream closed (the stream is never another
# of ward's descriptors), and the other attempts of a hostile script or
# CLI user that a test can show by events. nobody.sh runs it as nobody.
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

finish
