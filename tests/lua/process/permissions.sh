#!/bin/sh
# permissions.sh -- one test per (call, permission) pair of the process
# module and the Emilua face: for each permission P, a run where the actor
# "case" has every permission but P makes each call that asks P and checks
# that it is refused (PERMISSION_DENIED naming P), that nothing was done
# (no child ran, no name changed, no message, monitor or link took effect)
# and that a target that does not exist gets the same answer. A control run
# (nothing denied) makes every call and checks that each effect is seen,
# so that each "nothing was done" check is known to see it done. Both on
# ward:main and, where the kernel allows the sandbox, on ward:sandbox (a
# subprocess actor's calls are performed in the runtime: the same rules).
# Every refusal has its audit record, the attempts on a target that does
# not exist included. The pairs are those of actors/perm_case.lua. TAP on stdout.
: "${WARD:=./ward}"
: "${WARD_SRCDIR:=.}"
root=$WARD_SRCDIR/tests/lua/process
. "$WARD_SRCDIR/tests/scale.sh"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ward-perm.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM
XDG_STATE_HOME=$tmp/state; export XDG_STATE_HOME
n=0
failed=0
sandbox=yes

perms="process.spawn process.spawn.monitored process.spawn.linked process.host
process.exec process.send process.terminate process.cancel process.monitor
process.unmonitor process.link process.unlink process.context process.security
process.registry.register process.registry.lookup process.registry.unregister
lua.require sandbox.spawn"

for host in ward:main ward:sandbox; do
  for p in none $perms; do
    if [ "$host" = ward:sandbox ] && [ $sandbox = no ]; then
      break
    fi
    deny=
    [ "$p" = none ] || deny="policy \"deny\" { deny $p on \"*\"; }"
    cat > "$tmp/p.policy" <<P
policy "all" {
  allow process.**, lua.require, sandbox.spawn on "*";
}
$deny
actor "main" { scope = ["all"]; }
actor "case" { scope = ["all"$( [ "$p" = none ] || printf ', "deny"' )]; }
host "ward:sandbox" { threads = 1; sandbox = "s"; }
sandbox "s" { namespaces = [user, pid, net, mount, ipc, uts]; seccomp = "default"; }
P
    rm -f "$tmp/a.db" "$tmp/a.db-wal" "$tmp/a.db-shm"
    timeout "$(scaled_s 120)" "$WARD" run --threads 2 --root "$root" --policy "$tmp/p.policy" \
      --audit "$tmp/a.db" "$root/actors/perm_main.lua" "$p" "$host" "$ward_test_scale" > "$tmp/out" 2> "$tmp/err"
    rc=$?
    if [ "$host" = ward:sandbox ] && grep -q '^SPAWN-FAILED.*not permitted' "$tmp/out"; then
      echo "# ward:sandbox skipped: this machine does not allow the sandbox's namespaces"
      sandbox=no
      continue
    fi
    cases=$(sed -n 's/^CASES //p' "$tmp/out")
    while IFS= read -r l; do
      case $l in
        "ok - "*) n=$((n + 1)); echo "ok $n - $host ${l#ok - }" ;;
        "not ok - "*) n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $host ${l#not ok - }" ;;
        "#"*) echo "$l" ;;
      esac
    done < "$tmp/out"
    n=$((n + 1))
    if [ "$rc" -eq 0 ] && [ -n "$cases" ] && [ "$cases" -gt 0 ]; then
      echo "ok $n - $host without $p: the run made $cases calls and ended well"
    else
      failed=$((failed + 1))
      echo "not ok $n - $host without $p: the run made calls and ended well"
      echo "#   exit status $rc, cases '$cases'"
      sed 's/^/#   out: /' "$tmp/out" | grep -v '^#   out: ok' | head -n 10
      sed 's/^/#   err: /' "$tmp/err" | head -n 10
    fi
    [ "$p" = none ] && continue
    # each refusal audited: as many denials of P by "case" as refused calls
    "$WARD" audit --db "$tmp/a.db" --denied --actor case --action "$p" --json > "$tmp/audit" 2>&1
    refused=$(grep -c ': refused, PERMISSION_DENIED\|a target that does not exist' "$tmp/out")
    records=$(sed -n 's/.*"count":\([0-9]*\).*/\1/p' "$tmp/audit" | awk '{ s += $1 } END { print s + 0 }')
    n=$((n + 1))
    if [ "$records" -ge "$refused" ] && [ "$refused" -gt 0 ]; then
      echo "ok $n - $host without $p: every refusal is audited ($records denials of $p)"
    else
      failed=$((failed + 1))
      echo "not ok $n - $host without $p: every refusal is audited"
      echo "#   $refused refused calls, $records audited denials of $p"
    fi
    if grep -q 'a target that does not exist' "$tmp/out"; then
      n=$((n + 1))
      if grep -q '"resource":"{ward:main|0xfffff}"\|"resource":"perm-nobody-holds-this"' "$tmp/audit"
      then
        echo "ok $n - $host without $p: the attempt on a target that does not exist is audited"
      else
        failed=$((failed + 1))
        echo "not ok $n - $host without $p: the attempt on a target that does not exist is audited"
      fi
    fi
  done
done
# A builder made while process.context was allowed: once a `ward policy
# load` denies it, the builder's own with_context and its spawn ask again.
# So does a send to a process sent to before (the same question, asked
# of the gate's new answers).
cat > "$tmp/live.policy" <<'P'
policy "all" { allow process.**, lua.require on "*"; }
actor "main" { scope = ["all"]; }
P
"$WARD" policy load --db "$tmp/live.db" "$tmp/live.policy" > "$tmp/load" 2>&1 \
  || sed 's/^/#   load: /' "$tmp/load"
timeout "$(scaled_s 120)" "$WARD" run --threads 2 --root "$root" --db "$tmp/live.db" --audit "$tmp/live-a.db" \
  "$root/actors/perm_live.lua" "$ward_test_scale" > "$tmp/live.out" 2> "$tmp/live.err" &
run=$!
i=0
until grep -q '^READY$' "$tmp/live.out" || [ $i -ge "$(scaled_s 60)0" ]; do
  kill -0 $run 2> /dev/null || break
  sleep 0.1; i=$((i + 1))
done
kid=$(sed -n 's/^KID //p' "$tmp/live.out")
cat > "$tmp/live.policy" <<P
policy "all" { allow process.**, lua.require on "*"; deny process.context on "*";
               deny process.send on "$kid"; }
actor "main" { scope = ["all"]; }
P
"$WARD" policy load --db "$tmp/live.db" "$tmp/live.policy" > "$tmp/load" 2>&1 \
  || sed 's/^/#   load: /' "$tmp/load"
wait $run
rc=$?
while IFS= read -r l; do
  case $l in
    "ok - "*) n=$((n + 1)); echo "ok $n - ward:main ${l#ok - }" ;;
    "not ok - "*) n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - ward:main ${l#not ok - }" ;;
  esac
done < "$tmp/live.out"
n=$((n + 1))
if [ "$rc" -eq 0 ] && grep -q '^END$' "$tmp/live.out"; then
  echo "ok $n - a policy change under a running builder: the run ended well"
else
  failed=$((failed + 1))
  echo "not ok $n - a policy change under a running builder: the run ended well"
  sed 's/^/#   /' "$tmp/live.out" "$tmp/live.err" | head -n 10
fi

echo "1..$n"
[ "$failed" -eq 0 ]
