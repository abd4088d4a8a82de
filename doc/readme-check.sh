#!/bin/sh
# readme-check.sh -- the README's "Writing a policy" and "Auditing denials"
# sections do what they say: each file they show (a fence after a line
# ending in "`NAME`:") is written out, each line of their sh fences is run
# in that directory with the ward under test, in order, and must succeed;
# the audit and the suggestion hold the denial the script made. Also the
# ward(1) claims about --db: ward run refuses it with --policy, explain and
# test take --db=DB, and the quoted --attr 'pid=...' of its example works.
# TAP on stdout; make check runs it (doc/local.mk) with WARD and
# WARD_SRCDIR set; by hand: doc/readme-check.sh [WARD]
dir=$(cd "$(dirname "$0")" && pwd)
S=${WARD_SRCDIR:-$dir/..}
ward=${1:-${WARD:-$S/ward}}
. "$S/tests/scale.sh"
T=$(mktemp -d /tmp/ward-readme.XXXXXX)
trap 'rm -rf "$T"' EXIT
XDG_STATE_HOME=$T/state; export XDG_STATE_HOME
mkdir "$T/bin" "$T/work"
ln -s "$ward" "$T/bin/ward"
PATH=$T/bin:$PATH; export PATH
n=0 fails=0
ok () { n=$((n + 1)); echo "ok $n - $1"; }
notok () { n=$((n + 1)); echo "not ok $n - $1"; fails=$((fails + 1)); }

# The two sections, then their fences: files into work/, commands into cmds.
awk '/^## / { on = ($0 == "## Writing a policy" || $0 == "## Auditing denials") }
     on' "$S/README.md" > "$T/section"
awk -v out="$T/work" -v cmds="$T/cmds" -v files="$T/files" '
  /^```/ && !in_f { in_f = 1; lang = substr($0, 4); name = "";
                    if (match(prev, /`[^`]+`:$/))
                      name = substr(prev, RSTART + 1, RLENGTH - 3);
                    if (name != "") { print name > files; printf "" > (out "/" name) }
                    next }
  /^```/ && in_f  { in_f = 0; next }
  in_f && name != "" { print > (out "/" name); next }
  in_f && lang == "sh" && $0 !~ /^[ \t]*(#|$)/ { print > cmds; next }
  !in_f && $0 != "" { prev = $0 }' "$T/section"
nfiles=$(wc -l < "$T/files" 2>/dev/null || echo 0)
ncmds=$(wc -l < "$T/cmds" 2>/dev/null || echo 0)
echo "1..$((2 + ncmds + 5))"
[ "$nfiles" -ge 3 ] && ok "the README shows $nfiles files: $(tr '\n' ' ' < "$T/files")" \
  || notok "the README shows $nfiles files, not app.policy, app.tests and app.lua"
[ "$ncmds" -ge 7 ] && ok "the README shows $ncmds commands" \
  || notok "the README shows $ncmds commands, fewer than the 7 of the loop"

i=0
while IFS= read -r cmd; do
  i=$((i + 1))
  (cd "$T/work" && timeout "$(scaled_s 60)" sh -c "$cmd") > "$T/out.$i" 2>&1 < /dev/null
  rc=$?
  if [ $rc -eq 0 ]; then ok "\`$cmd\`"
  else notok "\`$cmd\` exits $rc"; sed 's/^/# /' "$T/out.$i"; fi
  case $cmd in
    "ward audit "*--denied*) cp "$T/out.$i" "$T/audit" ;;
    "ward audit suggest"*) cp "$T/out.$i" "$T/suggest" ;;
  esac
done < "$T/cmds"
if grep -q 'deny  enforcing  main  env.read HOME' "$T/audit" 2>/dev/null; then
  ok "ward audit lists the denial of env.read on HOME"
else notok "ward audit does not list the denial of env.read on HOME"; fi
if grep -q '^  allow env.read on "HOME";$' "$T/suggest" 2>/dev/null; then
  ok "ward audit suggest proposes allow env.read on \"HOME\""
else notok "ward audit suggest does not propose allow env.read on \"HOME\""; fi

# ward(1)
cd "$T/work" || exit 1
if ward run --db app.db --policy app.policy app.lua > "$T/out" 2>&1; then
  notok "ward run --db with --policy runs"
elif grep -q -- '--db and --policy do not go together' "$T/out"; then
  ok "ward run refuses --db with --policy, saying so"
else notok "ward run refuses --db with --policy without saying why"; sed 's/^/# /' "$T/out"; fi
if ward policy explain --db=app.db --actor main --action env.read --resource LANG > "$T/out" 2>&1 \
   && ward policy test --db=app.db app.tests >> "$T/out" 2>&1; then
  ok "explain and test take --db=DB"
else notok "explain or test refuses --db=DB"; sed 's/^/# /' "$T/out"; fi
if ward policy explain --db app.db --actor main --action io.stdout --resource stdout \
     --attr 'pid={ward:main|0x3}' > "$T/out" 2>&1 && grep -q '^decision: allow' "$T/out"; then
  ok "explain with --attr 'pid={ward:main|0x3}' quoted"
else notok "explain with a quoted --attr pid fails"; sed 's/^/# /' "$T/out"; fi
[ $fails -eq 0 ]
