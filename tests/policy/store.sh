#!/bin/sh
# store.sh -- the policy store never drops policies by surprise: a file is
# known by its canonical path (loaded from any directory, spelled any way),
# every load and remove prints what it changed, `ward policy remove` takes
# a file or a policy out, and export -> load -> export is a fixed point.
set -u
. "${WARD_SRCDIR:-$(dirname "$0")/../..}/tests/policy/lib.sh"
plan 42

mkdir -p "$T/d1" "$T/d2"
printf 'policy "a" {\n  allow process.send on "x";\n}\n' > "$T/d1/app.policy"
printf 'policy "b" {\n  allow process.send on "y";\n}\nactor "main" { scope = ["a", "b"]; }\n' > "$T/d2/app.policy"
DB=$(store_db s)
inside () { (cd "$1" && shift && "$@"); }  # a subshell: ok/notok keep their own $d
allowed () {  # allowed RESOURCE: main may send there, per the store
  "$WARD" policy explain --db "$DB" --actor main --action process.send --resource "$1" > "$T/x" 2>&1
  grep -q '^decision: allow' "$T/x"
}

# ---- two files with the same name in two directories ----
ok "load app.policy from d1" inside "$T/d1" "$WARD" policy load --db "$DB" app.policy
has "... prints what it added" '^+ policy "a"$' "$T/out"
ok "load app.policy from d2" inside "$T/d2" "$WARD" policy load --db "$DB" app.policy
has "... prints what it added" '^+ policy "b"$' "$T/out"
has "... and the actor" '^+ actor "main"$' "$T/out"
hasnt "... and removes nothing" '^- ' "$T/out"
"$WARD" policy list --db "$DB" > "$T/list" 2>&1
has "both files are stored, under their canonical paths" "^$(cd "$T/d1" && pwd -P)/app.policy " "$T/list"
has "... the second too" "^$(cd "$T/d2" && pwd -P)/app.policy " "$T/list"
if allowed x && allowed y; then pass "the policies of both files are in force"
else fail "the policies of both files are in force" "$T/x"; fi

# ---- the same file, spelled another way ----
ok "load ./app.policy from d1: the same file, no clash" inside "$T/d1" "$WARD" policy load --db "$DB" ./app.policy
has "... and nothing changed" '^(no definition changed)$' "$T/out"
ok "load it as ../d1/app.policy from d2" inside "$T/d2" "$WARD" policy load --db "$DB" ../d1/app.policy
ln -s "$T/d1" "$T/link"
ok "... and through a symbolic link" "$WARD" policy load --db "$DB" "$T/link/app.policy"
has "... still nothing changed" '^(no definition changed)$' "$T/out"
"$WARD" policy list --db "$DB" > "$T/list" 2>&1
if [ "$(sed -n '/^FILES/,/^$/p' "$T/list" | grep -c '/app.policy ')" -eq 2 ]; then
  pass "the store still holds two files"
else fail "the store still holds two files" "$T/list"; fi
notok 1 "the same file twice in one load is an error" \
  inside "$T/d1" "$WARD" policy load --db "$DB" app.policy ./app.policy
has "... that says so" "file given twice" "$T/err"

# ---- what a load changed ----
printf 'policy "a" {\n  allow process.send on "x", "z";\n}\npolicy "c" {\n}\nhost "h" { threads = 1; }\n' > "$T/d1/app.policy"
ok "a changed file loads" "$WARD" policy load --db "$DB" "$T/d1/app.policy"
has "a changed policy: ~" '^~ policy "a"$' "$T/out"
has "a new policy: +" '^+ policy "c"$' "$T/out"
has "a new host: +" '^+ host "h"$' "$T/out"
printf 'policy "a" {\n  allow process.send on "x", "z";\n}\n' > "$T/d1/app.policy"
ok "a file without c and h loads" "$WARD" policy load --db "$DB" "$T/d1/app.policy"
has "a policy gone: -" '^- policy "c"$' "$T/out"
has "... a host gone: -" '^- host "h"$' "$T/out"
v1=$("$WARD" policy list --db "$DB" | head -n 1)
printf 'policy "a" {\n  allow process.spwan on "x";\n}\n' > "$T/d1/app.policy"
notok 1 "a load with an error fails" "$WARD" policy load --db "$DB" "$T/d1/app.policy"
hasnt "... and prints no change" '^[-+~] ' "$T/out"
printf 'policy "a" {\n  allow process.send on "x", "z";\n}\npolicy "c" {\n}\n' > "$T/d1/app.policy"
"$WARD" policy load --db "$DB" "$T/d1/app.policy" > /dev/null 2>&1

# ---- ward policy remove ----
notok 1 "remove of a name that is neither a file nor a policy fails" "$WARD" policy remove --db "$DB" nosuch
has "... saying so" '`nosuch` is neither a file nor a policy of policy store' "$T/err"
ok "remove a policy by name" "$WARD" policy remove --db "$DB" c
has "... prints it" '^- policy "c"$' "$T/out"
ok "remove policy b, which main's scope names" "$WARD" policy remove --db "$DB" b
has "... warns that the scope names a policy no file defines" 'actor "main" has policy "b" in its scope' "$T/err"
if allowed x && ! allowed y; then pass "a stays in force, b is gone"
else fail "a stays in force, b is gone" "$T/x"; fi
ok "remove a file by a relative path" inside "$T/d1" "$WARD" policy remove --db "$DB" app.policy
has "... prints every definition it held" '^- policy "a"$' "$T/out"

# ---- remove a file that is gone from the disk ----
mkdir -p "$T/g/sub"
printf 'policy "g1" { allow process.send on "g1"; }\n' > "$T/g/sub/app.policy"
printf 'policy "g2" { allow process.send on "g2"; }\n' > "$T/g/gone.policy"
inside "$T/g" "$WARD" policy load --db "$DB" sub/app.policy gone.policy > /dev/null 2>&1
mv "$T/g/sub/app.policy" "$T/g/sub/renamed.policy"
ok "remove a file renamed on disk, by the path it had" inside "$T/g" "$WARD" policy remove --db "$DB" sub/app.policy
has "... takes its policies out" '^- policy "g1"$' "$T/out"
rm -rf "$T/g/sub" "$T/g/gone.policy"
ok "remove a file whose directory is gone, spelled with . and .." \
  inside "$T/g" "$WARD" policy remove --db "$DB" ./sub/..//gone.policy
has "... takes its policies out" '^- policy "g2"$' "$T/out"

# ---- export -> load -> export ----
"$WARD" policy load --db "$(store_db e)" "$S/policies/default.policy" "$S/policies/untrusted.policy" "$T/d2/app.policy" > /dev/null 2>&1
"$WARD" policy export --db "$(store_db e)" > "$T/x1.policy"
"$WARD" policy load --db "$(store_db e)" "$T/x1.policy" > "$T/lo" 2>&1
"$WARD" policy export --db "$(store_db e)" > "$T/x2.policy"
ok "export, load into the same store, export: the same text" cmp "$T/x1.policy" "$T/x2.policy"
has "... the load changed no definition" '^(no definition changed)$' "$T/lo"
"$WARD" policy load --db "$(store_db f)" "$T/x1.policy" > /dev/null 2>&1
"$WARD" policy export --db "$(store_db f)" > "$T/x3.policy"
ok "export, load into a new store, export: the same text" cmp "$T/x1.policy" "$T/x3.policy"
finish
