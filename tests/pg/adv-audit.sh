#!/bin/sh
# adv-audit.sh -- the fleet audit trail against hostile local users,
# careless operators and scripts: a spool directory others may write
# (or that belongs to someone else, or a symlink to such) is refused,
# since a spool planted there would be shipped under this user's
# credentials; spool files this user did not make are never shipped nor
# removed. A real server (lib.sh); TAP.
set -u
. "${WARD_SRCDIR:-$(dirname "$0")/../..}/tests/pg/lib.sh"
plan 10

pg_start
pg_createdb fleet
U=$(pg_uri fleet)
q () { pg_psql fleet "$1"; }
cat > "$T/r.policy" <<'P'
policy "r" { allow process.host on "ward:main"; allow lua.require on "fs"; }
actor "main" { scope = ["r"]; }
P
cat > "$T/flood.lua" <<'L'
local n, tag = tonumber((...)), select(2, ...) or "x"
local denied = 0
for i = 1, n do
  local ok, err = process.send(tag .. i, "t", 1)
  if not ok and err:kind() == "PERMISSION_DENIED" then denied = denied + 1 end
end
print("denied " .. denied)
L
run_spool () { "$WARD" run --policy "$T/r.policy" --audit "$U" --audit-spool "$1" "$T/flood.lua" 3; }

# ---- spool directories that other users may write, or that are theirs ----
mkdir -p "$T/ww" && chmod 0777 "$T/ww"
notok 1 "a spool directory anyone may write is refused" run_spool "$T/ww"
has "... saying why" "audit spool directory \`$T/ww\` may be written by other users (mode 0777)" "$T/err"
hasnt "... before the script runs" "denied" "$T/out"
mkdir -p "$T/tmpish" && chmod 1777 "$T/tmpish"
notok 1 "a sticky world-writable one (like /tmp) too" run_spool "$T/tmpish"
mkdir -p "$T/grp" && chmod 0770 "$T/grp"
notok 1 "a group-writable one too" run_spool "$T/grp"
ln -s "$T/ww" "$T/link"
notok 1 "a symlink to one too (its target counts)" run_spool "$T/link"
if [ "$(id -u)" -eq 0 ]; then
  mkdir -p "$T/theirs" && chown nobody "$T/theirs" && chmod 0700 "$T/theirs"
  other=$T/theirs
else
  other=/                         # root's, and it exists
fi
notok 1 "a directory of another user is refused" run_spool "$other"
has "... saying whose it is" "belongs to uid [0-9]*, not to this user" "$T/err"

# ---- a spool file this user did not make, in its own directory ----
mkdir -p "$T/sp" && chmod 0700 "$T/sp"
if [ "$(id -u)" -eq 0 ]; then
  # a genuine spool of an earlier run, kept (the server away), given to
  # another user who rewrites the host it claims
  pg_stop fast > /dev/null 2>&1
  run_spool "$T/sp" > /dev/null 2>&1
  pg_restart
  f=$(ls "$T/sp"/*.db)
  sqlite3 "$f" "UPDATE audit_runs SET hostname = 'forged-host'"
  chown nobody "$f"
  run_spool "$T/sp" > "$T/o1" 2> "$T/e1"
  ok "a spool another user owns is not shipped (no forged host in the trail)" \
    test "$(q "SELECT count(*) FROM ward.audit_runs WHERE hostname = 'forged-host'")|$(cat "$T/o1")" = "0|denied 3"
  ok "... nor removed" test -f "$f"
else
  n=$((n + 1)); echo "ok $n # SKIP a file of another user needs root to be made"
  n=$((n + 1)); echo "ok $n # SKIP a file of another user needs root to be made"
fi
finish
