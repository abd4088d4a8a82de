#!/bin/sh
# cli.sh -- the `ward` command: help, version, usage errors (exit 2), the
# exit status of a run (0 / 1 with "ward: {pid}: ..."), script arguments,
# --root, the master process, and that short runs never hang. TAP.
# Timeouts are scaled by WARD_TEST_TIMEOUT_SCALE (tests/scale.sh).
: "${WARD:=./ward}"
. "${WARD_SRCDIR:-.}/tests/scale.sh"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ward-cli.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT INT TERM

n=0
failed=0
ok () {   # ok COND-STATUS NAME
  n=$((n + 1))
  if [ "$1" -eq 0 ]; then
    echo "ok $n - $2"
  else
    echo "not ok $n - $2"
    failed=$((failed + 1))
  fi
}
diag () { sed 's/^/# /' "$@"; }

# run ARGS...: runs ward with a scaled 20 s timeout; sets rc, out, err files.
run () {
  timeout "$(scaled_s 20)" "$WARD" "$@" >"$tmp/out" 2>"$tmp/err"
  rc=$?
}
expect_rc () {   # expect_rc WANT NAME
  [ "$rc" -eq "$1" ]; s=$?
  ok $s "$2 (exit $rc, want $1)"
  [ $s -eq 0 ] || { diag "$tmp/out"; diag "$tmp/err"; }
}
has () {   # has FILE REGEX NAME
  grep -Eq -- "$2" "$1"; s=$?
  ok $s "$3"
  [ $s -eq 0 ] || diag "$1"
}

mkdir -p "$tmp/a/actors" "$tmp/b/actors"
cat >"$tmp/ok.lua" <<'EOF'
print("hello from ward")
return 7
EOF
cat >"$tmp/nil.lua" <<'EOF'
local x = 1
EOF
cat >"$tmp/fail.lua" <<'EOF'
error("it broke", 0)
EOF
cat >"$tmp/fail_loc.lua" <<'EOF'
local function f() error("deep failure") end
f()
EOF
cat >"$tmp/args.lua" <<'EOF'
local n = select("#", ...)
local parts = {}
for i = 1, n do parts[i] = string.format("[%s:%s]", type((select(i, ...))), (select(i, ...))) end
print("argc=" .. n .. " " .. table.concat(parts, " "))
EOF
cat >"$tmp/evil.lua" <<'EOF'
error(setmetatable({}, { __tostring = function() print("EVIL TOSTRING RAN"); return "evil" end,
                         __index = function() print("EVIL INDEX RAN") end }))
EOF
cat >"$tmp/syntax.lua" <<'EOF'
local x =
EOF
cat >"$tmp/bomb.lua" <<'EOF'
local ok = pcall(string.rep, "x", 1 << 30)
print("SURVIVED")
EOF
cat >"$tmp/a/main.lua" <<'EOF'
print("resolved " .. tostring(process.exec("actors:who", "ward:main")))
EOF
echo 'return "a"' >"$tmp/a/actors/who.lua"
echo 'return "b"' >"$tmp/b/actors/who.lua"
cat >"$tmp/master.lua" <<'EOF'
local opt = ...
local ch = spawn_vm("actors:late", { new_master = opt == "new_master" })
print("first done")
EOF
mkdir -p "$tmp/actors"
cat >"$tmp/actors/late.lua" <<'EOF'
time.sleep("300ms")
print("late master done")
EOF
cat >"$tmp/busy_child.lua" <<'EOF'
process.spawn("actors:spin", "ward:main")
process.spawn("actors:spin", "ward:main")
process.spawn("actors:spin", "ward:main")
time.sleep("50ms")
return "bye"
EOF
echo 'while true do end' >"$tmp/actors/spin.lua"
echo 'return 1' >"$tmp/trivial.lua"

# ---- help and version ----
run --help;                          expect_rc 0 "ward --help"
has "$tmp/out" "Usage: ward run" "--help prints the usage on stdout"
run --version;                       expect_rc 0 "ward --version"
has "$tmp/out" "^ward [0-9]" "--version prints ward and a version"
run run --help;                      expect_rc 0 "ward run --help"
has "$tmp/out" "--root" "ward run --help lists the options"

# ---- usage errors: exit 2 with a message ----
run;                                 expect_rc 2 "ward with no arguments"
run frobnicate;                      expect_rc 2 "an unknown command"
has "$tmp/err" "frobnicate" "the message names the unknown command"
run run;                             expect_rc 2 "ward run with no script"
has "$tmp/err" "no script" "the message says no script was given"
run run "$tmp/missing.lua";          expect_rc 2 "a missing script"
has "$tmp/err" "missing\.lua" "the message names the missing script"
echo 'print(1)' | timeout "$(scaled_s 20)" "$WARD" run /dev/stdin >"$tmp/out" 2>"$tmp/err"
rc=$?;                                 expect_rc 2 "a script from a pipe"
has "$tmp/err" "/dev/stdin.: not a regular file .*save it to one" \
  "the message says a script is a file, not a pipe"
run run --bogus "$tmp/ok.lua";       expect_rc 2 "an unknown option"
has "$tmp/err" "bogus" "the message names the unknown option"
for bad in "--threads 0" "--threads abc" "--threads 1025" "--threads -1" "--memory 1K" \
           "--memory 12Q" "--memory -5M" "--memory ''" "--mailbox 0" "--mailbox -1" \
           "--mailbox x" "--instructions x" "--instructions -1" "--children -1" \
           "--children many" "--mailbox-bytes 100" "--mailbox-bytes x"; do
  eval "run run $bad \"\$tmp/ok.lua\""
  expect_rc 2 "bad value: $bad"
  has "$tmp/err" "bad value" "bad value: $bad names the problem"
done
run run --memory 12Q "$tmp/ok.lua"
has "$tmp/err" 'for --memory .*: bad size "12Q": unknown unit "Q"' "a bad size says what is wrong"
for good in "--memory 64MiB" "--memory 64m" "--memory 1.5G" "--mailbox-bytes 65536B"; do
  eval "run run $good \"\$tmp/ok.lua\""
  expect_rc 0 "a size: $good"
done
run run --threads;                   expect_rc 2 "an option without its value"
run run --root "$tmp/nonexistent" "$tmp/ok.lua"; expect_rc 2 "a --root that does not exist"
has "$tmp/err" "nonexistent" "the message names the bad root"

# ---- exit status of a run ----
run run --threads 2 "$tmp/ok.lua";   expect_rc 0 "a script that returns normally exits 0"
has "$tmp/out" "^hello from ward$" "its output is on stdout"
[ ! -s "$tmp/err" ]; ok $? "nothing on stderr"
run run --threads 2 "$tmp/nil.lua";  expect_rc 0 "a script that returns nothing exits 0"
run run --threads 2 "$tmp/fail.lua"; expect_rc 1 "a script that errors exits 1"
has "$tmp/err" "^ward: \{ward:main\|0x0*1\}: it broke$" "stderr: ward: {pid}: message"
run run --threads 2 "$tmp/fail_loc.lua"; expect_rc 1 "an error with a location exits 1"
has "$tmp/err" "^ward: \{ward:main\|0x[0-9a-f]+\}: .*fail_loc\.lua:1: deep failure$" \
    "stderr has the pid, the location and the message"
run run --threads 2 "$tmp/evil.lua"; expect_rc 1 "an error object with metamethods exits 1"
has "$tmp/err" "^ward: \{ward:main\|0x[0-9a-f]+\}: \(error object is a table value\)$" \
    "stderr: (error object is a table value)"
! grep -q "EVIL" "$tmp/out"; ok $? "its __tostring/__index never ran"
run run --threads 2 "$tmp/syntax.lua"
[ "$rc" -ne 0 ]; ok $? "a script with a syntax error fails (exit $rc)"
has "$tmp/err" "syntax\.lua:[0-9]+:" "the message has the file and line"
run run --threads 2 --memory 16M "$tmp/bomb.lua"; expect_rc 1 "a memory bomb in the first process exits 1"
has "$tmp/err" "memory limit" "stderr says memory limit"
! grep -q "SURVIVED" "$tmp/out"; ok $? "pcall did not let the bomb survive"

# ---- script arguments ----
run run --threads 2 "$tmp/args.lua" one "two words" "" 3
expect_rc 0 "a script with arguments"
has "$tmp/out" "^argc=4 \[string:one\] \[string:two words\] \[string:\] \[string:3\]$" \
    "the arguments arrive as ... (all strings, in order)"
run run --threads 2 "$tmp/args.lua";  has "$tmp/out" "^argc=0 $" "no arguments: ... is empty"
run run --threads 2 "$tmp/args.lua" --root x --threads 9
expect_rc 0 "options after the script are its arguments"
has "$tmp/out" "^argc=4 \[string:--root\] \[string:x\] \[string:--threads\] \[string:9\]$" \
    "and arrive unparsed"

# ---- --root ----
run run --threads 2 "$tmp/a/main.lua"
has "$tmp/out" "^resolved a$" "ids resolve under the script's directory by default"
run run --threads 2 --root "$tmp/b" "$tmp/a/main.lua"
has "$tmp/out" "^resolved b$" "--root DIR resolves ids under DIR"
(cd "$tmp/b" && timeout "$(scaled_s 20)" "$WARD" run --threads 2 --root . "$tmp/a/main.lua" >"$tmp/out" 2>&1)
has "$tmp/out" "^resolved b$" "a relative --root works"

# ---- the master process ----
run run --threads 2 "$tmp/master.lua"
expect_rc 0 "the run ends when the first process ends"
! grep -q "late master done" "$tmp/out"; ok $? "without new_master the worker is ended with it"
run run --threads 2 "$tmp/master.lua" new_master
expect_rc 0 "with new_master the exit status is still the first process's"
has "$tmp/out" "late master done" "with new_master the run waits for the new master"
start=$(date +%s)
run run --threads 2 "$tmp/busy_child.lua"
end=$(date +%s)
expect_rc 0 "busy children do not keep the run alive"
# (the spinners never end: a run they kept alive would reach the timeout)
[ $((end - start)) -lt "$(scaled_s 10)" ]; ok $? "the run ended promptly ($((end - start)) s)"

# ---- short runs never hang ----
hangs=0; bad=0
i=0
while [ $i -lt 200 ]; do
  timeout "$(scaled_s 10)" "$WARD" run --threads 2 "$tmp/trivial.lua" >/dev/null 2>&1
  r=$?
  [ $r -eq 124 ] && hangs=$((hangs + 1))
  [ $r -ne 0 ] && [ $r -ne 124 ] && bad=$((bad + 1))
  i=$((i + 1))
done
[ $hangs -eq 0 ]; ok $? "200 runs of a trivial script: none hangs ($hangs hung)"
[ $bad -eq 0 ]; ok $? "200 runs of a trivial script: all exit 0 ($bad did not)"

echo "1..$n"
[ $failed -eq 0 ]
