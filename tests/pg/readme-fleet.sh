#!/bin/sh
# readme-fleet.sh -- the README's "A fleet on PostgreSQL" section does what
# it says, against a real server: the files of "Writing a policy" are
# written out, the section's sh fence is run line by line with its DB= line
# pointing at the test's database, each line succeeds, and the trail holds
# the script's denial under this host's name.
set -u
. "${WARD_SRCDIR:-$(dirname "$0")/../..}/tests/pg/lib.sh"
mkdir -p "$T/bin" "$T/work"
ln -s "$WARD" "$T/bin/ward"
PATH=$T/bin:$PATH; export PATH
awk '/^## / { on = ($0 == "## Writing a policy") } on' "$S/README.md" > "$T/policy-section"
awk '/^## / { on = ($0 == "## A fleet on PostgreSQL") } on' "$S/README.md" > "$T/fleet-section"
# files: a fence after a line ending in "`NAME`:"
awk -v out="$T/work" '
  /^```/ && !in_f { in_f = 1; name = "";
                    if (match(prev, /`[^`]+`:$/)) name = substr(prev, RSTART + 1, RLENGTH - 3);
                    next }
  /^```/ && in_f  { in_f = 0; next }
  in_f && name != "" { print > (out "/" name); next }
  !in_f && $0 != "" { prev = $0 }' "$T/policy-section"
awk '/^```sh/ { in_f = 1; next } /^```/ { in_f = 0; next } in_f && $0 !~ /^[ \t]*(#|$)/' \
  "$T/fleet-section" > "$T/cmds"
ncmds=$(wc -l < "$T/cmds")
plan $((3 + ncmds + 2))
pg_start
pg_createdb fleet
DB=$(pg_uri fleet)
if [ -f "$T/work/app.policy" ] && [ -f "$T/work/app.lua" ]; then pass "the README shows app.policy and app.lua"
else fail "the README shows app.policy and app.lua"; fi
if grep -q '^DB=postgresql://' "$T/cmds"; then pass "the fleet section names its database in a DB= line"
else fail "the fleet section names its database in a DB= line" "$T/cmds"; fi
if [ "$ncmds" -ge 4 ]; then pass "the fleet section shows $ncmds commands"
else fail "the fleet section shows $ncmds commands" "$T/cmds"; fi
i=0
while IFS= read -r cmd; do
  i=$((i + 1))
  case $cmd in DB=*) cmd="DB='$DB'" ;; esac
  echo "$cmd" >> "$T/script"
  (cd "$T/work" && timeout "$(scaled_s 60)" sh -c ". '$T/script'") > "$T/out.$i" 2>&1 < /dev/null
  rc=$?
  if [ $rc -eq 0 ]; then pass "\`$cmd\`"; else fail "\`$cmd\` exits $rc" "$T/out.$i"; fi
  # each line runs after the ones before it (their variables kept),
  # printing only its own output
  [ "$cmd" = "${cmd#ward }" ] || sed -i '$s/^/: /' "$T/script"
  case $cmd in
    "ward audit "*--denied*) cp "$T/out.$i" "$T/audit" ;;
  esac
done < "$T/cmds"
has "ward audit --host lists the script's denial of env.read on HOME" 'deny  enforcing  main  env.read HOME' "$T/audit"
has "... under this host's name" "^$(hostname) " "$T/audit"
finish
