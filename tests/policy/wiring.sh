#!/bin/sh
# wiring.sh -- every row of the seed's permission table, through ward run and
# the real engine: for each operation, an actor holding exactly the
# permissions it needs succeeds and is never denied; with any one of them
# missing the call fails with errors.PERMISSION_DENIED, a message naming the
# missing action and resource, and one audit record of that denial.
#
# The first process (actor main, policy "setup") spawns, for each case, a
# tester actors:op as actor t.CASE whose scope is the policy p.CASE, waits for
# its EXIT and checks the result; the shell then checks the audit records.
set -u
. "${WARD_SRCDIR:-$(dirname "$0")/../..}/tests/policy/lib.sh"

W=$T/root
mkdir -p "$W/actors"
# operation | permissions (action=resource; @ = the target PID, NAME = a
# registry name of the case's own)
cat > "$T/ops" <<'EOF'
spawn|process.spawn=actors:ret process.host=ward:main
spawn_monitored|process.spawn=actors:ret process.spawn.monitored=actors:ret process.host=ward:main
spawn_linked|process.spawn=actors:ret process.spawn.linked=actors:ret process.host=ward:main
spawn_linked_monitored|process.spawn=actors:ret process.spawn.monitored=actors:ret process.spawn.linked=actors:ret process.host=ward:main
exec|process.exec=actors:ret process.host=ward:main
send|process.send=@
terminate|process.terminate=@
cancel|process.cancel=@
monitor|process.monitor=@
unmonitor|process.unmonitor=@
link|process.link=@
unlink|process.unlink=@
with_context|process.context=context
context_spawn|process.context=context process.spawn=actors:ret process.host=ward:main
with_actor|process.context=context process.spawn=actors:ret process.host=ward:main process.security=security
with_scope|process.context=context process.spawn.monitored=actors:ret process.spawn=actors:ret process.host=ward:main process.security=security
register|process.registry.register=NAME
unregister|process.registry.unregister=NAME
upgrade|process.spawn=actors:up2
require|lua.require=wmod
EOF

cat > "$W/actors/op.lua" <<'EOF'
-- the tester: one operation; returns {ok=} or {ok=false, kind=, msg=}
local op, target, name = ...
local H = "ward:main"
local ops = {
  spawn = function () return process.spawn("actors:ret", H) end,
  spawn_monitored = function () return process.spawn_monitored("actors:ret", H) end,
  spawn_linked = function () return process.spawn_linked("actors:ret", H) end,
  spawn_linked_monitored = function () return process.spawn_linked_monitored("actors:ret", H) end,
  exec = function () return process.exec("actors:ret", H) end,
  send = function () return process.send(target, "t", 1) end,
  terminate = function () return process.terminate(target) end,
  cancel = function () return process.cancel(target, "10s") end,
  monitor = function () return process.monitor(target) end,
  unmonitor = function () return process.unmonitor(target) end,
  link = function () return process.link(target) end,
  unlink = function () return process.unlink(target) end,
  with_context = function () return process.with_context({ a = 1 }) end,
  context_spawn = function ()
    local b, e = process.with_context({ a = 1 })
    if not b then return nil, e end
    return b:spawn("actors:ret", H)
  end,
  with_actor = function ()
    local b, e = process.with_context({})
    if not b then return nil, e end
    return b:with_actor("someone"):spawn("actors:ret", H)
  end,
  with_scope = function ()
    local b, e = process.with_context({})
    if not b then return nil, e end
    return b:with_scope({ "p.none" }):spawn_monitored("actors:ret", H)
  end,
  register = function () return process.registry.register(name) end,
  unregister = function () return process.registry.unregister(name) end,
  upgrade = function () return process.upgrade("actors:up2") end,
  require = function ()
    local ok, e = pcall(require, "wmod")
    if ok then return true end
    return nil, { kind = function () return "(raised)" end, message = function () return tostring(e) end }
  end,
}
local v, err = ops[op]()
if v == nil or (v == false and err) then
  return { ok = false, kind = err and err:kind(), msg = err and err:message() }
end
return { ok = true }
EOF
echo 'return true' > "$W/actors/ret.lua"
echo 'return { ok = true }' > "$W/actors/up2.lua"
echo 'process.inbox():receive() ; process.inbox():receive()' > "$W/actors/idle.lua"
echo 'return {}' > "$W/wmod.lua"

# the policy: main may set up; t.CASE holds exactly p.CASE
P=$T/wiring.policy
cat > "$P" <<'EOF'
policy "setup" {
  allow process.spawn, process.spawn.monitored on "actors:op", "actors:idle";
  allow process.host on "ward:main";
  allow process.context on "context";
  allow process.security on "security";
  allow process.terminate on "*";
}
actor "main" { scope = ["setup"]; }
EOF
: > "$T/cases.lua"
: > "$T/cases"
id=0
while IFS='|' read -r op perms; do
  set -- $perms
  np=$#
  k=0
  while [ "$k" -le "$np" ]; do      # k = 0: every permission; else the k-th missing
    id=$((id + 1))
    name="name.$id"
    echo "policy \"p.$id\" {" >> "$P"
    i=0; missing=""; target=false
    for perm in $perms; do
      i=$((i + 1))
      action=${perm%%=*}; res=${perm#*=}
      case $res in
        @) pat='{ward:main|*}'; target=true ;;
        NAME) res=$name; pat=$name ;;
        *) pat=$res ;;
      esac
      if [ "$i" -eq "$k" ]; then missing="$action $res"; continue; fi
      echo "  allow $action on \"$pat\";" >> "$P"
    done
    echo "}" >> "$P"
    echo "actor \"t.$id\" { scope = [\"p.$id\"]; case = $id; }" >> "$P"
    if [ -z "$missing" ]; then
      echo "  { id = $id, op = \"$op\", target = $target, name = \"$name\", expect = \"ok\" }," >> "$T/cases.lua"
      echo "$id ok $op" >> "$T/cases"
    else
      set -- $missing
      echo "  { id = $id, op = \"$op\", target = $target, name = \"$name\", expect = \"deny\", action = \"$1\", resource = \"$2\" }," >> "$T/cases.lua"
      echo "$id deny $op $1 $2" >> "$T/cases"
    fi
    k=$((k + 1))
  done
done < "$T/ops"

{
  echo 'local cases = {'
  cat "$T/cases.lua"
  cat <<'EOF'
}
local H = "ward:main"
local events = process.events()
local function find(s, part) return s and part and s:find(part, 1, true) ~= nil end
for _, c in ipairs(cases) do
  local target = c.target and assert(process.spawn("actors:idle", H)) or nil
  local b = assert(process.with_context({}))
  local child, err = b:with_actor("t." .. c.id):spawn_monitored("actors:op", H, c.op, target, c.name)
  local line
  if not child then
    line = "fail cannot spawn the tester: " .. tostring(err)
  else
    local r
    repeat
      local e = events:receive()
      if e.kind == process.event.EXIT and e.from == child then r = e.result end
    until r
    local v = r.value
    if r.error then
      line = "fail the tester failed: " .. tostring(r.error)
    elseif c.expect == "ok" then
      line = v.ok and "pass" or ("fail " .. tostring(v.kind) .. ": " .. tostring(v.msg))
    else
      local res = c.resource == "@" and target or c.resource
      local kind_ok = v.kind == errors.PERMISSION_DENIED or (c.op == "require" and v.kind == "(raised)")
      if v.ok then
        line = "fail it succeeded"
      elseif not kind_ok then
        line = "fail kind " .. tostring(v.kind) .. ": " .. tostring(v.msg)
      elseif not (find(v.msg, c.action) and find(v.msg, res)) then
        line = "fail the message does not name " .. c.action .. " on " .. res .. ": " .. tostring(v.msg)
      else
        line = "pass"
      end
    end
  end
  print("RESULT " .. c.id .. " " .. line)
  if target then process.terminate(target) end
end
EOF
} > "$W/main.lua"

ncases=$(wc -l < "$T/cases")
plan $((2 + 2 * ncases))
ok "the wiring policy checks" "$WARD" policy check "$P"
"$WARD" run --threads 2 --policy "$P" --audit "$T/audit.db" "$W/main.lua" > "$T/run.out" 2> "$T/run.err"
rc=$?
if [ $rc -eq 0 ]; then pass "ward run of $ncases cases exits 0"
else fail "ward run of $ncases cases exits 0 (status $rc)" "$T/run.err"; fi

while read -r id expect op action res; do
  line=$(grep "^RESULT $id " "$T/run.out" | head -n 1)
  if [ "$expect" = ok ]; then desc="$op with exactly its permissions succeeds"
  else desc="$op without $action on $res: PERMISSION_DENIED naming it"; fi
  case $line in
    "RESULT $id pass") pass "$desc" ;;
    *) echo "${line:-no result}" > "$T/why"; fail "$desc" "$T/why" ;;
  esac
  $AUDIT --db "$T/audit.db" --json --denied --actor "t.$id" > "$T/rec" 2>&1
  nrec=$(grep -c '"kind":"decision"' "$T/rec")
  if [ "$expect" = ok ]; then
    if [ "$nrec" -eq 0 ]; then pass "... and is never denied"
    else fail "... and is never denied ($nrec denials)" "$T/rec"; fi
  else
    [ "$res" = @ ] && res='{ward:main|0x'
    if [ "$nrec" -eq 1 ] && grep -q "\"action\":\"$action\"" "$T/rec" \
       && grep -q "\"resource\":\"$res" "$T/rec" && grep -q '"mode":"enforcing"' "$T/rec" \
       && grep -q "\"actor_meta\":{\"case\":$id}" "$T/rec"; then
      pass "... and one audit record of that denial"
    else fail "... and one audit record of that denial ($nrec records)" "$T/rec"; fi
  fi
done < "$T/cases"
finish
