#!/bin/sh
# history.sh -- the policy store has a history: `ward policy diff` previews a
# load (exit 0 same, 1 differ, 2 error) and writes nothing; every load,
# remove and rollback is a version in `ward policy history` (number, time,
# user, content hash, files); `ward policy rollback --to N` restores version
# N as a new version, which a running ward picks up; a store made by the
# schema before the history still opens (and gets one); a store of a newer
# schema is refused; two loads at once both land in the history; a rollback
# made while loads run restores its version exactly; first loads (and
# migrations from schema 1) made at once all land.
set -u
. "${WARD_SRCDIR:-$(dirname "$0")/../..}/tests/policy/lib.sh"
plan 62

DB=$(store_db h)
P=$T/app.policy
cat > "$P" <<'EOF'
policy "app" {
  allow env.read on "HOME";
  allow env.read on "USER";
}
actor "main" { scope = ["app"]; }
EOF
ok "load version 1" "$WARD" policy load --db "$DB" "$P"

# ---- diff ----
cat > "$P" <<'EOF'
policy "app" {
  allow env.read on "HOME";
  deny env.read on "SHELL";
}
policy "extra" {
  allow env.read on "LANG";
}
actor "main" { scope = ["app", "extra"]; }
EOF
notok 1 "diff of a changed file exits 1" "$WARD" policy diff --db "$DB" "$P"
has "... a changed policy: ~" '^~ policy "app"$' "$T/out"
has "... the rule it loses" '^    -   allow env.read on "USER";$' "$T/out"
has "... the rule it gains" '^    +   deny env.read on "SHELL";$' "$T/out"
hasnt "... not the rule it keeps" 'on "HOME"' "$T/out"
has "... a new policy: +" '^+ policy "extra"$' "$T/out"
has "... a changed actor, its changed line" '^    +   scope = \["app", "extra"\];$' "$T/out"
"$WARD" policy list --db "$DB" > "$T/list"
has "... and the store is unchanged (version 1, no policy extra)" 'version 1$' "$T/list"
hasnt "... no policy extra" '^extra ' "$T/list"
printf 'policy "app" {\n  allow env.reed on "HOME";\n}\n' > "$T/bad.policy"
notok 2 "diff of a file with an error exits 2" "$WARD" policy diff --db "$DB" "$T/bad.policy"
has "... with the error's position" 'bad.policy:2:' "$T/err"
notok 2 "diff against a missing store exits 2" "$WARD" policy diff --db "$(store_db none)" "$P"
notok 2 "diff without a file is a usage error (2)" "$WARD" policy diff --db "$DB"

# ---- load, history ----
ok "load version 2" "$WARD" policy load --db "$DB" "$P"
notok 0 "diff of the file just loaded exits 0" "$WARD" policy diff --db "$DB" "$P"
has "... and says nothing would change" '^(no definition would change)$' "$T/out"
ok "remove policy extra: version 3" "$WARD" policy remove --db "$DB" extra
ok "history" "$WARD" policy history --db "$DB"
cp "$T/out" "$T/hist"
has "history has a header" '^VERSION  *TIME (UTC)  *USER  *HASH  *WHAT  *FILES$' "$T/hist"
me=$(id -un 2>/dev/null || echo "uid $(id -u)")
has "version 1: time, user, hash, load, file" "^1  *[0-9-]*T[0-9:]*Z  *$me  *[0-9a-f]\{16\}  *load  *.*app.policy$" "$T/hist"
has "version 2 is a load" '^2 .* load ' "$T/hist"
has "version 3 is a remove" '^3 .* remove ' "$T/hist"
h1=$(awk '$1 == 1 { print $4 }' "$T/hist"); h2=$(awk '$1 == 2 { print $4 }' "$T/hist")
if [ -n "$h1" ] && [ "$h1" != "$h2" ]; then pass "versions of different content have different hashes"
else fail "versions of different content have different hashes" "$T/hist"; fi

ok "history --json" "$WARD" policy history --db "$DB" --json
if command -v python3 > /dev/null 2>&1; then
  if python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert [v["version"] for v in d]==[1,2,3]; assert d[2]["what"]=="remove" and len(d[0]["hash"])==64 and d[0]["files"][0].endswith("app.policy")' "$T/out" 2>"$T/py"
  then pass "... is a JSON array of the versions, with the whole hash and the files"
  else fail "... is a JSON array of the versions, with the whole hash and the files" "$T/out" "$T/py"; fi
else echo "ok $((n + 1)) # SKIP no python3 to read JSON"; n=$((n + 1)); fi

# ---- rollback ----
ok "rollback to 1" "$WARD" policy rollback --db "$DB" --to 1
has "... prints what changed" '^~ policy "app"$' "$T/out"
has "... and the new version" 'back to version 1 (version 4)$' "$T/out"
"$WARD" policy history --db "$DB" > "$T/hist"
has "the rollback is version 4 in the history" '^4 .* rollback to 1 ' "$T/hist"
h4=$(awk '$1 == 4 { print $4 }' "$T/hist")
if [ "$h4" = "$h1" ]; then pass "... whose content hash is version 1's"
else fail "... whose content hash is version 1's ($h4, $h1)" "$T/hist"; fi
"$WARD" policy explain --db "$DB" --actor main --action env.read --resource USER > "$T/x" 2>&1
has "version 1's rules are in force again" '^decision: allow' "$T/x"
ok "rollback to 2 (a version with two policies)" "$WARD" policy rollback --db "$DB" --to 2
has "... brings policy extra back" '^+ policy "extra"$' "$T/out"
notok 1 "rollback to a version that does not exist fails" "$WARD" policy rollback --db "$DB" --to 99
has "... saying which versions there are" 'has no version 99 (its history holds 1 to 5' "$T/err"
notok 2 "--to that is not a number is a usage error" "$WARD" policy rollback --db "$DB" --to two
notok 2 "--to is required" "$WARD" policy rollback --db "$DB"
if [ "$STORE" = pg ]; then
  skip_pg 3 "a file that is no SQLite database"
else
  printf 'not a database\n' > "$T/text.db"
  notok 1 "history of a file that is no database fails" "$WARD" policy history --db "$T/text.db"
  has "... saying so" 'not a ward policy store' "$T/err"
  sqlite3 "$T/other.db" 'CREATE TABLE t (x);' 2>/dev/null || printf 'x' > "$T/other.db"
  notok 1 "rollback in a database that is not a store fails" "$WARD" policy rollback --db "$T/other.db" --to 1
fi
# ---- a running ward picks a rollback up ----
cat > "$T/loop.lua" <<'EOF'
-- until USER turns readable (or time runs out): the decision, polled
local limit = tonumber(...)
print("READY " .. process.permissions.query{action = "env.read", resource = "USER"}.state)
local t0 = time.now()
while time.now() - t0 < limit do
  if process.permissions.query{action = "env.read", resource = "USER"}.state == "granted" then
    print("GRANTED") return
  end
  time.sleep(20)
end
print("TIMEOUT")
EOF
ok "load a version without USER" "$WARD" policy load --db "$DB" "$P"
"$WARD" run --db "$DB" --audit "$T/run-audit.db" "$T/loop.lua" $(scaled_ms 20000) > "$T/o1" 2> "$T/e1" &
wpid=$!
i=0; until grep -q READY "$T/o1" 2>/dev/null || [ $i -gt $((600 * ward_test_scale)) ]; do
  i=$((i + 1)); sleep 0.05
done
has "the running ward is denied USER" '^READY denied$' "$T/o1"
ok "rollback to 1 from another process" "$WARD" policy rollback --db "$DB" --to 1
wait $wpid
has "the running ward is granted USER after the rollback" '^GRANTED$' "$T/o1"

# ---- a store made by the schema before the history ----
OLD=$T/old.db
[ "$STORE" = pg ] || sqlite3 "$OLD" <<'EOF' 2>/dev/null
CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
INSERT INTO meta VALUES ('version', 0);
CREATE TABLE files (id INTEGER PRIMARY KEY, name TEXT UNIQUE NOT NULL,  source TEXT NOT NULL, seq INTEGER NOT NULL, loaded_at INTEGER NOT NULL);
CREATE TABLE policies (id INTEGER PRIMARY KEY,  file_id INTEGER NOT NULL REFERENCES files(id) ON DELETE CASCADE,  name TEXT UNIQUE NOT NULL, line INTEGER NOT NULL);
CREATE TABLE rules (id INTEGER PRIMARY KEY,  policy_id INTEGER NOT NULL REFERENCES policies(id) ON DELETE CASCADE,  seq INTEGER NOT NULL, effect TEXT NOT NULL CHECK (effect IN ('allow','deny')),  line INTEGER NOT NULL, text TEXT NOT NULL);
CREATE TABLE actors (id INTEGER PRIMARY KEY,  file_id INTEGER NOT NULL REFERENCES files(id) ON DELETE CASCADE,  pattern TEXT UNIQUE NOT NULL, line INTEGER NOT NULL, body TEXT NOT NULL);
CREATE TABLE hosts (id INTEGER PRIMARY KEY,  file_id INTEGER NOT NULL REFERENCES files(id) ON DELETE CASCADE,  name TEXT UNIQUE NOT NULL, line INTEGER NOT NULL, threads INTEGER NOT NULL,  sandbox TEXT NOT NULL);
CREATE TABLE sandboxes (id INTEGER PRIMARY KEY,  file_id INTEGER NOT NULL REFERENCES files(id) ON DELETE CASCADE,  name TEXT UNIQUE NOT NULL, line INTEGER NOT NULL, body TEXT NOT NULL);
CREATE INDEX rules_policy ON rules(policy_id);
PRAGMA user_version = 1;
EOF
if [ "$STORE" = pg ]; then
  skip_pg 7 "the SQLite store's schema 1 (tests/pg/schema.sh migrates PostgreSQL's)"
elif [ -f "$OLD" ] && [ "$(sqlite3 "$OLD" 'PRAGMA user_version' 2>/dev/null)" = 1 ]; then
  notok 1 "diff against a store of schema 1 previews a load" "$WARD" policy diff --db "$OLD" "$P"
  if [ "$(sqlite3 "$OLD" 'PRAGMA user_version')" = 1 ]; then pass "... and leaves it at schema 1 (read-only)"
  else fail "... and leaves it at schema 1 (read-only)"; fi
  ok "a load into a store of schema 1" "$WARD" policy load --db "$OLD" "$P"
  "$WARD" policy history --db "$OLD" > "$T/oh" 2>&1
  has "... whose history starts at its version before the upgrade" '^0 .* (before history) ' "$T/oh"
  has "... then the load" '^1 .* load ' "$T/oh"
  ok "... and rolls back to before the upgrade" "$WARD" policy rollback --db "$OLD" --to 0
  "$WARD" policy explain --db "$OLD" --actor main --action env.read --resource HOME > "$T/x" 2>&1
  has "... which held nothing" 'is not declared' "$T/x"
else
  for k in 1 2 3 4 5 6 7; do echo "ok $((n + k)) # SKIP no sqlite3 command to make a store of schema 1"; done
  n=$((n + 7))
fi

# ---- a store of a newer schema ----
if [ "$STORE" = pg ]; then
  "$WARD" policy load --db "$(store_db new)" "$P" > /dev/null 2>&1
  store_sql new 'INSERT INTO schema_migrations (version) VALUES (99)'
  notok 1 "a store of a newer schema is refused" "$WARD" policy list --db "$(store_db new)"
  has "... saying to upgrade ward" 'has version 99; this ward knows up to [0-9]* (upgrade ward)' "$T/err"
elif cp "$DB" "$T/new.db" && sqlite3 "$T/new.db" 'PRAGMA user_version = 99' 2>/dev/null; then
  notok 1 "a store of a newer schema is refused" "$WARD" policy list --db "$T/new.db"
  has "... saying to upgrade ward" 'has schema 99; this ward knows up to 2 (upgrade ward)' "$T/err"
else
  for k in 1 2; do echo "ok $((n + k)) # SKIP no sqlite3 command"; done
  n=$((n + 2))
fi

ok "diff, history and rollback have --help" sh -c "for c in diff history rollback; do '$WARD' policy \$c --help | grep -q \"usage: ward policy \$c\" || exit 1; done"

# ---- two loads at once ----
C=$(store_db c)
printf 'policy "c1" {\n  allow env.read on "A";\n}\n' > "$T/c1.policy"
printf 'policy "c2" {\n  allow env.read on "B";\n}\n' > "$T/c2.policy"
"$WARD" policy load --db "$C" "$T/c1.policy" > /dev/null 2>&1
for k in 1 2 3 4 5; do
  "$WARD" policy load --db "$C" "$T/c1.policy" > /dev/null 2>> "$T/cerr" &
  "$WARD" policy load --db "$C" "$T/c2.policy" > /dev/null 2>> "$T/cerr" &
  wait
done
"$WARD" policy history --db "$C" > "$T/ch" 2>&1
v=$("$WARD" policy list --db "$C" | sed -n 's/.*version \([0-9]*\)$/\1/p')
rows=$(grep -c '^[0-9]' "$T/ch")
if [ "$v" = 11 ] && [ "$rows" = 11 ]; then pass "ten loads two at a time: eleven versions, eleven rows of history"
else fail "ten loads two at a time: eleven versions, eleven rows of history (version $v, $rows rows)" "$T/ch" "$T/cerr"; fi
# ---- rollbacks and loads at once ----
# A rollback restores its version exactly: a file loaded while it ran
# either lands before it (and goes) or after it, never survives inside
# it.
R=$(store_db r)
printf 'policy "r0" {\n  allow env.read on "R";\n}\n' > "$T/r0.policy"
"$WARD" policy load --db "$R" "$T/r0.policy" > /dev/null 2>&1
for k in 1 2 3 4 5 6 7 8 9 10 11 12; do
  printf 'policy "r%d" {\n  allow env.read on "R%d";\n}\n' "$k" "$k" > "$T/r$k.policy"
done
for round in 1 2 3; do
  for k in 1 2 3 4 5 6 7 8 9 10 11 12; do
    "$WARD" policy load --db "$R" "$T/r$k.policy" > /dev/null 2>> "$T/rerr" &
    [ $((k % 3)) = 0 ] && { "$WARD" policy rollback --db "$R" --to 1 > /dev/null 2>> "$T/rerr" & }
  done
  wait
done
"$WARD" policy history --db "$R" --json > "$T/rh" 2>&1
h1=$(sed -n 's/.*"version": 1, [^}]*"hash": "\([0-9a-f]*\)".*/\1/p' "$T/rh")
nrb=$(grep -c '"what": "rollback to 1"' "$T/rh")
bad=$(grep '"what": "rollback to 1"' "$T/rh" | grep -vc "\"hash\": \"$h1\"")
if [ -n "$h1" ] && [ "$nrb" -gt 0 ] && [ "$bad" = 0 ]; then pass "every rollback to 1 made while loads ran holds version 1 exactly ($nrb)"
else fail "every rollback to 1 made while loads ran holds version 1 exactly ($bad of $nrb differ)" "$T/rh" "$T/rerr"; fi
# the first loads into a new store, and into a store of schema 1, made at
# once: each migrates or sees the other's migration; none fails
mfail=0
for round in 1 2 3 4 5 6; do
  M0=$(store_db "m0_$round")   # (a new one each round)
  "$WARD" policy load --db "$M0" "$T/r1.policy" > /dev/null 2>> "$T/merr" || mfail=$((mfail + 1)) &
  "$WARD" policy load --db "$M0" "$T/r2.policy" > /dev/null 2>> "$T/merr" || mfail=$((mfail + 1)) &
  wait
  [ "$("$WARD" policy history --db "$M0" | grep -c '^[0-9]')" = 2 ] || mfail=$((mfail + 1))
done
if [ $mfail = 0 ]; then pass "two first loads into a new store at once: both land"
else fail "two first loads into a new store at once: both land ($mfail failed)" "$T/merr"; fi
if [ "$STORE" = pg ]; then
  skip_pg 1 "the SQLite store's schema 1"
elif command -v sqlite3 > /dev/null 2>&1; then
  mfail=0
  for round in 1 2 3 4 5 6; do
    rm -f "$T/m1.db"
    "$WARD" policy load --db "$T/m1.db" "$T/r0.policy" > /dev/null 2>&1
    sqlite3 "$T/m1.db" 'DROP TABLE history_files; DROP TABLE history; PRAGMA user_version = 1'
    "$WARD" policy load --db "$T/m1.db" "$T/r1.policy" > /dev/null 2>> "$T/merr" || mfail=$((mfail + 1)) &
    "$WARD" policy load --db "$T/m1.db" "$T/r2.policy" > /dev/null 2>> "$T/merr" || mfail=$((mfail + 1)) &
    wait
    [ "$("$WARD" policy history --db "$T/m1.db" | grep -c '^[0-9]')" = 3 ] || mfail=$((mfail + 1))
  done
  if [ $mfail = 0 ]; then pass "two loads at once into a store of schema 1: one migrates, both land"
  else fail "two loads at once into a store of schema 1: one migrates, both land ($mfail failed)" "$T/merr"; fi
else
  echo "ok $((n + 1)) # SKIP no sqlite3 command"; n=$((n + 1))
fi
# a history whose version holds one file name twice, or a name the store
# refuses, is damaged: a rollback to it changes nothing
if [ "$STORE" = pg ] || command -v sqlite3 > /dev/null 2>&1; then
  F=$(store_db forged)
  "$WARD" policy load --db "$F" "$T/r0.policy" > /dev/null 2>&1
  store_sql forged "INSERT INTO history VALUES (50, 0, 'u', 'w', 'x', 'h');
    INSERT INTO history_files VALUES (50, 0, 'a.policy', 'policy \"a\" { allow env.read on \"x\"; }');
    INSERT INTO history_files VALUES (50, 1, 'a.policy', 'policy \"b\" { allow env.read on \"y\"; }');
    INSERT INTO history VALUES (51, 0, 'u', 'w', 'x', 'h');
    INSERT INTO history_files VALUES (51, 0, 'a
b.policy', 'policy \"c\" { allow env.read on \"x\"; }');"
  notok 1 "a rollback to a version that holds a file name twice is refused" \
    "$WARD" policy rollback --db "$F" --to 50
  notok 1 "... and to one that holds a name with a control character" \
    "$WARD" policy rollback --db "$F" --to 51
  "$WARD" policy export --db "$F" > "$T/fexp" 2>&1
  if grep -q '^policy "r0"' "$T/fexp" && ! grep -q 'policy "[abc]"' "$T/fexp"; then
    pass "... the store is left as it was"
  else fail "... the store is left as it was" "$T/fexp"; fi
else
  for k in 1 2 3; do echo "ok $((n + k)) # SKIP no sqlite3 command"; done; n=$((n + 3))
fi
finish
