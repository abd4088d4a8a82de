#!/bin/sh
# audit-home.sh -- a user without a writable home (nobody, HOME=/nonexistent,
# no XDG_STATE_HOME) cannot have the default audit database: `ward run`
# still refuses to run unaudited (exit 1, the script never starts), and
# says how to proceed; with XDG_STATE_HOME or --audit it runs. As root the
# checks run as nobody (setpriv); as another user, as that user.
. "${WARD_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/policy/lib.sh"

hint='give --audit FILE, or set XDG_STATE_HOME to a writable directory'
if [ "$(id -u)" -eq 0 ]; then
  if ! command -v setpriv > /dev/null 2>&1; then
    echo "1..0 # SKIP setpriv(1) is not installed"
    exit 0
  fi
  as_user () { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
  owner=65534:65534
else
  if [ -w / ] || [ -e /nonexistent ]; then
    echo "1..0 # SKIP this user may create /nonexistent: no home to deny"
    exit 0
  fi
  as_user () { "$@"; }
  owner=
fi

# ward and the script where the user can read them, whatever the checkout's
# permissions; $T/state is the user's, $T/ro and $T/ro2/ward are not
# writable by it
chmod 755 "$T"
cp "$WARD" "$T/ward"
printf 'print("the script ran")\n' > "$T/s.lua"
mkdir -p "$T/state" "$T/ro" "$T/ro2/ward"
[ -n "$owner" ] && chown "$owner" "$T/state"
chmod 555 "$T/ro" "$T/ro2/ward"
chmod -R a+rX "$T/ward" "$T/s.lua"

# run ENV... -- ward run ARGS: as the user, in $T, with exactly ENV
run () { (cd "$T" && as_user env -i PATH=/usr/bin:/bin "$@"); }

plan 14

notok 1 "HOME=/nonexistent, no XDG_STATE_HOME: ward run refuses (exit 1)" \
  run HOME=/nonexistent "$T/ward" run "$T/s.lua"
has "it names the directory it could not create" \
  'ward run: creating the audit directory `/nonexistent`: Permission denied' "$T/err"
has "and says how to proceed" "; $hint\$" "$T/err"
hasnt "the script never started" 'the script ran' "$T/out"

notok 1 "XDG_STATE_HOME not writable: ward run refuses (exit 1)" \
  run HOME=/nonexistent XDG_STATE_HOME="$T/ro" "$T/ward" run "$T/s.lua"
has "it names the directory under XDG_STATE_HOME, with the hint" \
  "creating the audit directory \`$T/ro/ward\`: Permission denied; $hint\$" "$T/err"

notok 1 "a default database that cannot be opened: ward run refuses (exit 1)" \
  run HOME=/nonexistent XDG_STATE_HOME="$T/ro2" "$T/ward" run "$T/s.lua"
has "refusing to run unaudited, with the hint" \
  "ward run: refusing to run unaudited: .*$T/ro2/ward/audit.db.*; $hint\$" "$T/err"
hasnt "the script never started" 'the script ran' "$T/out"

ok "with XDG_STATE_HOME writable, it runs" \
  run HOME=/nonexistent XDG_STATE_HOME="$T/state" "$T/ward" run "$T/s.lua"
has "the script ran" 'the script ran' "$T/out"
if [ -f "$T/state/ward/audit.db" ]; then pass "the audit database is made there"
else fail "the audit database is made there"; fi

ok "with --audit FILE, it runs" \
  run HOME=/nonexistent "$T/ward" run --audit "$T/state/given.db" "$T/s.lua"
if [ -f "$T/state/given.db" ]; then pass "the audit database is the one given"
else fail "the audit database is the one given"; fi

finish
