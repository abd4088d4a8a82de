#!/bin/sh
# gate-trace.sh -- for each call of the process module's permission table,
# run a tiny script under `ward run --trace-gate FILE` and check the EXACT
# (action, resource) requests that call made: the trace lines of the
# caller's pid between two marker requests (registry.unregister of
# BEGIN-MARK and END-MARK, which are themselves gate requests).
# TAP on stdout. Env: WARD, WARD_SRCDIR (see tests/lua/process/process.mk).
: "${WARD:=./ward}"
: "${WARD_SRCDIR:=.}"
root=$WARD_SRCDIR/tests/lua/process
. "$WARD_SRCDIR/tests/scale.sh"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ward-gate.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM
n=0
failed=0

prelude='local H = "ward:main"
local SCALE = tonumber((...)) or 1   -- WARD_TEST_TIMEOUT_SCALE
local function mark(s) process.registry.unregister(s) end
local function var(k, v) print("VAR " .. k .. " " .. tostring(v)) end
var("CALLER", process.pid())
'

# check NAME EXPECTED [WARD-ARGS...] < body
# EXPECTED: one "action resource" per line; @X@ is replaced by the value the
# script printed as "VAR X value". The body must call mark("BEGIN-MARK")
# and mark("END-MARK") around the call and print DONE at its end.
check () {
  name=$1
  expected=$2
  shift 2
  n=$((n + 1))
  { printf '%s\n' "$prelude"; cat; } > "$tmp/case.lua"
  : > "$tmp/trace"
  timeout "$(scaled_s 60)" "$WARD" run --threads 2 --root "$root" --trace-gate "$tmp/trace" "$@" \
    "$tmp/case.lua" "$ward_test_scale" > "$tmp/out" 2> "$tmp/err"
  rc=$?
  caller=$(sed -n 's/^VAR CALLER //p' "$tmp/out" | tail -n 1)
  got=$(awk -F '\t' -v pid="$caller" '
    $3 != pid { next }
    $1 == "process.registry.unregister" && $2 == "BEGIN-MARK" { on = 1; next }
    $1 == "process.registry.unregister" && $2 == "END-MARK" { on = 0; exit }
    on { print $1 " " $2 }' "$tmp/trace")
  want=$expected
  for v in $(sed -n 's/^VAR \([A-Z0-9_]*\) .*/\1/p' "$tmp/out"); do
    val=$(sed -n "s/^VAR $v //p" "$tmp/out" | tail -n 1)
    want=$(printf '%s\n' "$want" | sed "s#@$v@#$val#g")
  done
  ok=1
  grep -q '^DONE$' "$tmp/out" || ok=0
  [ -n "$caller" ] || ok=0
  [ "$got" = "$want" ] || ok=0
  if [ $ok = 1 ]; then
    echo "ok $n - $name"
  else
    failed=$((failed + 1))
    echo "not ok $n - $name"
    echo "#   exit status $rc, caller '$caller'"
    printf '%s\n' "$want" | sed 's/^/#   want: /'
    printf '%s\n' "$got" | sed 's/^/#   got:  /'
    sed 's/^/#   stderr: /' "$tmp/err" | head -n 5
    grep -q '^DONE$' "$tmp/out" || echo "#   the script did not print DONE"
  fi
}

# traced NAME EXPECTED SETUP CALL [AFTER [WARD-ARGS...]]: check with the
# body SETUP, then "local r, e = CALL" between the marks, then AFTER
# (default: assert(r, tostring(e))) and DONE.
traced () {
  t_name=$1
  t_expected=$2
  t_setup=$3
  t_call=$4
  t_after=${5:-'assert(r, tostring(e))'}
  shift 4
  [ $# -gt 0 ] && shift
  printf '%s\nmark("BEGIN-MARK")\nlocal r, e = %s\nmark("END-MARK")\n%s\nprint("DONE")\n' \
    "$t_setup" "$t_call" "$t_after" > "$tmp/body"
  check "$t_name" "$t_expected" "$@" < "$tmp/body"
}

spawn_ret='process.spawn actors:ret'
mon_ret='process.spawn.monitored actors:ret'
link_ret='process.spawn.linked actors:ret'
host='process.host ward:main'
ctx='process.context context'
builder='local b = process.with_context { a = 1 }'
idle='local T = process.spawn("actors:idle", H)'

# ---- spawn variants ----
traced "spawn" "$spawn_ret
$host" '' 'process.spawn("actors:ret", H)'
traced "spawn_monitored" "$spawn_ret
$mon_ret
$host" '' 'process.spawn_monitored("actors:ret", H)'
traced "spawn_linked" "$spawn_ret
$link_ret
$host" '' 'process.spawn_linked("actors:ret", H)'
traced "spawn_linked_monitored" "$spawn_ret
$mon_ret
$link_ret
$host" '' 'process.spawn_linked_monitored("actors:ret", H)'
traced "spawn of a dotted namespace id passes the id unchanged" "process.spawn actors.sub:leaf
$host" '' 'process.spawn("actors.sub:leaf", H, 1, 2, 3)'
traced "spawn_linked_monitored denied: every permission is still asked, in order" "$spawn_ret
$mon_ret
$link_ret
$host" '' 'process.spawn_linked_monitored("actors:ret", H)' \
  'assert(r == nil and e:kind() == errors.PERMISSION_DENIED)' --deny process.spawn

# ---- exec ----
traced "exec" "process.exec actors:ret
$host" '' 'process.exec("actors:ret", H, 7)' 'assert(r == 7)'

# ---- actions on a target pid ----
for action in send terminate cancel monitor unmonitor link unlink; do
  case $action in
    send) call='process.send(T, "topic", 1)' ;;
    cancel) call='process.cancel(T, "1s")' ;;
    *) call="process.$action(T)" ;;
  esac
  traced "$action" "process.$action @T@" "process.set_options { trap_links = true }
$idle
var(\"T\", T)" "$call" 'assert(r == true, tostring(e))'
done

traced "send by name: the name is looked up, then the resource is the pid" "process.registry.lookup by-name
process.send @T@" "$idle
process.registry.register(\"by-name\", T)
var(\"T\", T)" 'process.send("by-name", "topic")'

# ---- context and the builder ----
traced "with_context" "$ctx" '' 'process.with_context { a = 1 }'
traced "builder:with_context" "$ctx" "$builder" 'b:with_context { b = 2 }'
traced "with_name and with_message ask nothing themselves" "" "$builder" \
  'b:with_name("n"):with_message("m", 1)'
traced "builder:spawn" "$spawn_ret
$host
$ctx" "$builder" 'b:spawn("actors:ret", H)'
traced "builder:spawn_linked_monitored" "$spawn_ret
$mon_ret
$link_ret
$host
$ctx" "$builder" 'b:spawn_linked_monitored("actors:ret", H)'
traced "builder:spawn_linked" "$spawn_ret
$link_ret
$host
$ctx" "$builder" 'b:spawn_linked("actors:ret", H)'
traced "cancel without a deadline" "process.cancel @T@" "$idle
var(\"T\", T)" 'process.cancel(T)'
traced "builder:spawn with with_actor" "$spawn_ret
$host
process.security security
$ctx" 'local b = process.with_context({ a = 1 }):with_actor("bob")' 'b:spawn("actors:ret", H)'
traced "builder:spawn_monitored with with_scope" "$spawn_ret
$mon_ret
$host
process.security security
$ctx" 'local b = process.with_context({ a = 1 }):with_scope { "p1", "p2" }' \
  'b:spawn_monitored("actors:ret", H)'
traced "builder:spawn with with_actor and with_scope asks process.security once" "$spawn_ret
$host
process.security security
$ctx" 'local b = process.with_context({}):with_actor("bob"):with_scope { "p" }' \
  'b:spawn("actors:ret", H)'
traced "builder:spawn with with_name asks to register the name" "process.spawn actors:idle
$host
$ctx
process.registry.register named" 'local b = process.with_context({}):with_name("named")' \
  'b:spawn("actors:idle", H)'
traced "builder:spawn with with_message: the queued sends are process.send (asked once)" "process.spawn actors:idle
$host
$ctx
process.send @C@" 'local b = process.with_context({}):with_message("one", 1):with_message("two", 2)' \
  'b:spawn("actors:idle", H)' 'var("C", r)
assert(r)'

# ---- registry ----
traced "registry.register" "process.registry.register svc" '' 'process.registry.register("svc")'
traced "registry.register for another pid" "process.registry.register svc2" "$idle" \
  'process.registry.register("svc2", T)'
traced "registry.register for a pid given by name" "process.registry.lookup svc3
process.registry.register svc4" "$idle
process.registry.register(\"svc3\", T)" 'process.registry.register("svc4", "svc3")'
traced "registry.lookup" "process.registry.lookup lk" "$idle
process.registry.register(\"lk\", T)" 'process.registry.lookup("lk")' 'assert(r == T)'
traced "registry.lookup of a name nobody holds asks the same" "process.registry.lookup nobody-holds-this" \
  '' 'process.registry.lookup("nobody-holds-this")' 'assert(r == nil)'
traced "terminate of a pid that does not exist asks on that pid" "process.terminate {ward:main|0xfffff}" \
  '' 'process.terminate("{ward:main|0xfffff}")' 'assert(r == nil)'
traced "registry.unregister" "process.registry.unregister svc" 'process.registry.register("svc")' \
  'process.registry.unregister("svc")' 'assert(r == true)'

# ---- upgrade ----
check "upgrade to another definition" "process.spawn actors:gate_after_upg" <<'LUA'
local r, e = process.exec("actors:gate_upg", H)
assert(r == "upgraded", tostring(e))
LUA

check "upgrade to its own definition asks nothing" "" <<'LUA'
local r, e = process.exec("actors:gate_upg", H, "same")
assert(r == "restarted", tostring(e))
LUA

check "upgrade(nil) asks nothing" "" <<'LUA'
local r, e = process.exec("actors:gate_upg", H, "nil")
assert(r == "restarted", tostring(e))
LUA

# ---- require and spawn_vm ----
traced "require of a module file" "lua.require util" '' 'require "util"' 'assert(type(r) == "table")'
traced "spawn_vm" "process.spawn actors:vm_child
$host" '' 'spawn_vm("actors:vm_child")' 'r:send("bye")'

check "spawn_vm with a subprocess table" "process.spawn actors:vm_child
process.host ward:main
sandbox.spawn actors:vm_child" <<'LUA'
mark("BEGIN-MARK")
local ok, ch = pcall(spawn_vm, "actors:vm_child", { subprocess = { newns_user = true } })
mark("END-MARK")
if ok then ch:kill() end
print("DONE")
LUA

check "spawn_vm channel send" "process.send @V@" <<'LUA'
local ch = spawn_vm("actors:vm_child")
local pid
local until_ms = time.now() + 30000 * SCALE
repeat
  pid = process.registry.lookup("vm-child")
  if not pid then time.sleep(20) end
until pid or time.now() > until_ms
var("V", pid)
mark("BEGIN-MARK")
ch:send("hello")
mark("END-MARK")
print("DONE")
LUA

check "spawn_context_threads asks for its pool's host" "process.host ward:main" <<'LUA'
mark("BEGIN-MARK")
spawn_context_threads(1)
mark("END-MARK")
print("DONE")
LUA

# ---- calls outside the permission table ask nothing ----
check "calls outside the permission table ask nothing" "" <<'LUA'
process.send(process.pid(), "t", 1)
mark("BEGIN-MARK")
local _ = process.pid(), process.id(), process.get_options()
process.set_options { trap_links = false }
local inbox, events = process.inbox(), process.events()
local ch = process.listen("topic", { message = true })
process.unlisten(ch)
local c = process.context()
local m = inbox:receive()
local _ = m:topic(), m:from(), m:payload()
channel.select { inbox:case_receive(), default = true }
mark("END-MARK")
print("DONE")
LUA

echo "1..$n"
[ "$failed" -eq 0 ]
