#!/bin/sh
# bench-fleet-store.sh -- the policy store on PostgreSQL beside the SQLite
# store, measured in the same run (`make bench-fleet-store`; a PostgreSQL
# server of its own, as the tests start one: tests/pg/lib.sh).
#   decision: ns per permission query of a running `ward run --db STORE`
#     (N queries of one script; the decision cache serves them, so the
#     store's engine should not matter: target ratio <= 1.1);
#   reload: a `ward policy load` from another process until the change is
#     in force in a running ward (the shell starts the load, the ward's
#     script prints when the decision flips; timed by the shell, polling
#     every 2 ms): SQLite's 200 ms polling against PostgreSQL's
#     LISTEN/NOTIFY (target: < 1 s, DESIGN 3.4).
# Runs alternate between the stores, REPS rounds (default 7): medians.
# Exits 0: the figures are information.
set -u
. "${WARD_SRCDIR:-$(dirname "$0")/../..}/tests/pg/lib.sh"
: "${REPS:=7}"
: "${N:=200000}"
pg_start
pg_createdb bench
PGS=$(pg_uri bench)
SQL=$T/bench.db
pol () {  # pol V: a policy allowing env.read of HOME, and of USER when V=2
  if [ "$1" = 2 ]; then u='\n  allow env.read on "USER";'; else u=; fi
  printf "policy \"app\" {\n  allow env.read on \"HOME\";$u\n}\nactor \"main\" { scope = [\"app\"]; }\n" > "$T/app.policy"
}
pol 1
for db in "$SQL" "$PGS"; do "$WARD" policy load --db "$db" "$T/app.policy" > /dev/null || exit 1; done
cat > "$T/decide.lua" <<'LUA'
local n = tonumber((...))
local q = {action = "env.read", resource = "HOME"}
process.permissions.query(q)
local t0 = time.now()
for _ = 1, n do process.permissions.query(q) end
print(string.format("NS %.1f", (time.now() - t0) * 1e6 / n))
LUA
cat > "$T/flip.lua" <<'LUA'
print("READY")
local t0 = time.now()
while time.now() - t0 < 30000 do
  if process.permissions.query{action = "env.read", resource = "USER"}.state == "granted" then
    print("GRANTED") return
  end
  time.sleep(1)
end
print("TIMEOUT")
LUA
now_ms () { date +%s%3N; }
decide () {  # decide DB: ns per decision
  "$WARD" run --db "$1" --audit "$T/a.db" "$T/decide.lua" "$N" | sed -n 's/^NS //p'
}
reload () {  # reload DB: ms from the load's start until a running ward has it
  pol 1; "$WARD" policy load --db "$1" "$T/app.policy" > /dev/null
  "$WARD" run --db "$1" --audit "$T/a.db" "$T/flip.lua" > "$T/o" 2>&1 &
  p=$!
  until grep -q READY "$T/o"; do sleep 0.01; done
  pol 2
  t0=$(now_ms)
  "$WARD" policy load --db "$1" "$T/app.policy" > /dev/null
  t1=$(now_ms)
  until grep -q 'GRANTED\|TIMEOUT' "$T/o"; do sleep 0.002; done
  t2=$(now_ms)
  wait $p
  grep -q GRANTED "$T/o" || { echo "reload: timed out" >&2; exit 1; }
  echo "$((t2 - t0)) $((t1 - t0))"
}
median () { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
: > "$T/ds"; : > "$T/dp"; : > "$T/rs"; : > "$T/rp"; : > "$T/ls"; : > "$T/lp"
r=0
while [ $r -lt "$REPS" ]; do
  decide "$SQL" >> "$T/ds"; decide "$PGS" >> "$T/dp"
  set -- $(reload "$SQL"); echo "$1" >> "$T/rs"; echo "$2" >> "$T/ls"
  set -- $(reload "$PGS"); echo "$1" >> "$T/rp"; echo "$2" >> "$T/lp"
  r=$((r + 1))
done
ds=$(median < "$T/ds"); dp=$(median < "$T/dp")
rs=$(median < "$T/rs"); rp=$(median < "$T/rp")
ls=$(median < "$T/ls"); lp=$(median < "$T/lp")
echo "policy store: PostgreSQL beside SQLite, $REPS alternating rounds, medians"
printf '%-44s %12s %12s %8s %10s %4s\n' "" "postgresql" "sqlite" "ratio" "target" "met"
printf '%-44s %12s %12s %8s %10s %4s\n' "decision (ns, cache-served, N=$N)" "$dp" "$ds" \
  "$(awk "BEGIN { printf \"%.2f\", $dp / $ds }")" "<= 1.1x" \
  "$(awk "BEGIN { print ($dp <= 1.1 * $ds) ? \"yes\" : \"no\" }")"
printf '%-44s %12s %12s %8s %10s %4s\n' "reload: load -> in force elsewhere (ms)" "$rp" "$rs" \
  "$(awk "BEGIN { printf \"%.2f\", $rp / ($rs ? $rs : 1) }")" "< 1000" \
  "$([ "$rp" -lt 1000 ] && echo yes || echo no)"
printf '%-44s %12s %12s %8s\n' "... of which the load command (ms)" "$lp" "$ls" \
  "$(awk "BEGIN { printf \"%.2f\", $lp / ($ls ? $ls : 1) }")"
exit 0
