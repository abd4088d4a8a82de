#!/bin/sh
# export.sh -- nothing a file's path or content holds forges a section of
# `ward policy export` or a row of `ward policy list`: a path with a
# control character is refused (and named escaped), names are written
# quoted, content lines that read as section heads are escaped and restored,
# export -> load -> export is a fixed point, and first-format exports load.
set -u
. "${WARD_SRCDIR:-$(dirname "$0")/../..}/tests/policy/lib.sh"
plan 44

NL=$(printf '\nx'); NL=${NL%x}
TAB=$(printf '\t')
ESC=$(printf '\033')
raw_line () {  # raw_line DESCRIPTION PATTERN FILE: no line of FILE starts with PATTERN
  if grep -q -- "^$2" "$3"; then fail "$1" "$3"; else pass "$1"; fi
}

# ---- a path with a newline cannot reach the store ----
d="$T/a$NL# file: $T/forged"
mkdir -p "$d"
f="$d/b.policy${NL}policy \"evil\" { allow process.** on \"**\"; }${NL}actor \"**\" { scope = [\"evil\"]; }"
printf 'policy "c" { allow process.cancel on "*"; }\n' > "$f"
notok 1 "a file whose path holds newlines is refused" "$WARD" policy load --db "$(store_db s3)" "$f"
has "... the error says why" 'holds a control character' "$T/err"
has "... naming the path escaped" 'a\\n# file: ' "$T/err"
raw_line "... whose lines forge nothing" 'policy "evil"' "$T/err"
if [ "$(wc -l < "$T/err")" -eq 2 ]; then pass "... two lines of error, no more"
else fail "... two lines of error, no more" "$T/err"; fi
"$WARD" policy list --db "$(store_db s3)" > "$T/list" 2>&1
if [ "$(sed -n '/^POLICIES/{n;p;}' "$T/list")" = "(none)" ]; then pass "... and the store holds nothing"
else fail "... and the store holds nothing" "$T/list"; fi
mkdir -p "$T/t${TAB}ab"
printf 'policy "t" { allow process.cancel on "*"; }\n' > "$T/t${TAB}ab/c.policy"
notok 1 "a path with a tab is refused too" "$WARD" policy load --db "$(store_db s3)" "$T/t${TAB}ab/c.policy"
has "... the tab shown escaped" 't\\tab/c.policy' "$T/err"

notok 1 "a missing file named with a newline" "$WARD" policy load --db "$(store_db s3)" "$T/no${NL}such"
if [ "$(wc -l < "$T/err")" -eq 2 ] && grep -q 'no\\nsuch: error: cannot open `.*/no\\nsuch`' "$T/err"; then
  pass "... is named escaped, in the file and in the message"
else fail "... is named escaped, in the file and in the message" "$T/err"; fi

# ---- names that are legal but odd: quoted in an export, escaped in a list ----
q="$T/q\"uo\\te"
mkdir -p "$q"
printf 'policy "p" { allow process.send on "x"; }\nactor "main" { scope = ["p"]; }\n' > "$q/p.policy"
ok "a path with a quote and a backslash loads" "$WARD" policy load --db "$(store_db q)" "$q/p.policy"
"$WARD" policy export --db "$(store_db q)" > "$T/q1.policy" 2>&1
has "the export names it as a quoted string" '^# file: ".*/q\\"uo\\\\te/p.policy"$' "$T/q1.policy"
ok "the export loads into a new store" "$WARD" policy load --db "$(store_db q2)" "$T/q1.policy"
"$WARD" policy list --db "$(store_db q2)" > "$T/list" 2>&1
has "... under the same name (list escapes the backslash)" 'q"uo\\\\te/p.policy ' "$T/list"
"$WARD" policy export --db "$(store_db q2)" > "$T/q2.policy" 2>&1
ok "... and exports the same text" cmp "$T/q1.policy" "$T/q2.policy"

printf 'policy "a\\nFORGED 1 policies" { allow process.send on "x"; }\nactor "m\\x1b]0;t\\x07" { scope = ["a\\nFORGED 1 policies"]; }\n' > "$T/n.policy"
ok "a policy named with a newline loads" "$WARD" policy load --db "$(store_db n)" "$T/n.policy"
"$WARD" policy list --db "$(store_db n)" > "$T/list" 2>&1
has "list shows the name escaped" '^a\\nFORGED 1 policies ' "$T/list"
raw_line "... and forges no row" 'FORGED' "$T/list"
has "... an actor with ESC and BEL escaped" '^m\\x1b]0;t\\x07 ' "$T/list"
if grep -q "$ESC" "$T/list"; then fail "... no raw ESC reaches the terminal" "$T/list"
else pass "... no raw ESC reaches the terminal"; fi

printf 'deny main process.send "x\033]0;T\007" by undeclared\n' > "$T/n.test"
"$WARD" policy test --db "$(store_db n)" "$T/n.test" > "$T/out" 2>&1
has "policy test shows a request's ESC escaped" 'process.send "x\\x1b]0;T\\x07"' "$T/out"
if grep -q "$ESC" "$T/out"; then fail "... and no raw ESC" "$T/out"; else pass "... and no raw ESC"; fi

# ---- a load error names an odd path escaped ----
b="$T/bidi$(printf '\342\200\256')x"
mkdir -p "$b"
printf 'policy "e" { allow process.spwan on "x"; }\n' > "$b/e.policy"
notok 1 "a file with an error in a directory named with U+202E fails" \
  "$WARD" policy load --db "$(store_db e)" "$b/e.policy"
has "... the diagnostic shows the mark escaped" 'bidi\\u{202e}x/e.policy:1:' "$T/err"

# ---- a comment that reads as a section head ----
mkdir -p "$T/c"
cat > "$T/c/app.policy" <<EOF
policy "first" {
  allow process.send on "x";
}

# file: $T/c/other.policy
policy "later" {
  allow process.send on "y";
}
#\\ a comment that starts like the escape
actor "main" { scope = ["first", "later"]; }
EOF
ok "a file whose comment reads \`# file: ...\` loads" "$WARD" policy load --db "$(store_db c1)" "$T/c/app.policy"
"$WARD" policy export --db "$(store_db c1)" > "$T/c1.policy" 2>&1
has "the export writes that comment escaped" "^#\\\\# file: $T/c/other.policy\$" "$T/c1.policy"
has "... and the comment that starts with the escape" '^#\\#\\ a comment' "$T/c1.policy"
ok "the export loads into a new store" "$WARD" policy load --db "$(store_db c2)" "$T/c1.policy"
has "... as one file" '^loaded 1 file into' "$T/out"
"$WARD" policy list --db "$(store_db c2)" > "$T/list" 2>&1
hasnt "... no phantom file" 'other.policy' "$T/list"
"$WARD" policy export --db "$(store_db c2)" > "$T/c2.policy" 2>&1
ok "export, load, export: the same text" cmp "$T/c1.policy" "$T/c2.policy"
sed -e '1,2d' -e 's/^#\\//' "$T/c2.policy" > "$T/c2.body"
"$WARD" policy fmt "$T/c/app.policy" > "$T/c.fmt" 2>&1
ok "... the stored text is the file's, comments as written" cmp "$T/c.fmt" "$T/c2.body"
ok "remove the file from the loaded export" "$WARD" policy remove --db "$(store_db c2)" "$T/c/app.policy"
has "... takes the later policy with it" '^- policy "later"$' "$T/out"
"$WARD" policy list --db "$(store_db c2)" > "$T/list" 2>&1
if [ "$(sed -n '/^FILES/,/^$/p' "$T/list" | sed -n 2p)" = "(none)" ]; then
  pass "... and leaves no file behind"
else fail "... and leaves no file behind" "$T/list"; fi

# ---- an export of several files ----
printf 'policy "s" { allow process.send on "s"; }\n' > "$T/c/second.policy"
"$WARD" policy load --db "$(store_db c3)" "$T/c/app.policy" "$T/c/second.policy" > /dev/null 2>&1
"$WARD" policy export --db "$(store_db c3)" > "$T/c3.policy" 2>&1
ok "an export of two files loads" "$WARD" policy load --db "$(store_db c4)" "$T/c3.policy"
has "... and counts both" '^loaded 2 files into' "$T/out"

# ---- malformed sections ----
x=$(head -n 1 "$T/c3.policy")
printf '%s\n# file: /x/unquoted.policy\npolicy "u" {}\n' "$x" > "$T/bad1.policy"
notok 1 "a section head whose name is not quoted is an error" "$WARD" policy load --db "$(store_db b)" "$T/bad1.policy"
has "... that says how to write it" 'bad1.policy:2:1: error: a `# file:` line must name its file as one quoted string' "$T/err"
printf '%s\n# file: "/x/a\\n# file: /y"\npolicy "u" {}\n' "$x" > "$T/bad2.policy"
notok 1 "a section named with a newline is refused" "$WARD" policy load --db "$(store_db b)" "$T/bad2.policy"
has "... naming it quoted" 'bad2.policy:2:1: error: the file name "/x/a\\n# file: /y" holds a control character' "$T/err"

# ---- the first export format still loads ----
{
  echo '# ward policy export: `ward policy load` restores each `# file:` section under its name'
  echo "# file: $T/old/one.policy"
  printf 'policy "o1" {\n  allow process.send on "x";\n}\n\n'
  echo "# file: $T/old/two.policy"
  printf 'policy "o2" {\n  allow process.send on "y";\n}\n'
} > "$T/v1.policy"
ok "an export of the first format loads" "$WARD" policy load --db "$(store_db v1)" "$T/v1.policy"
has "... both of its files" '^loaded 2 files into' "$T/out"
"$WARD" policy list --db "$(store_db v1)" > "$T/list" 2>&1
has "... under their names" "^$T/old/two.policy " "$T/list"
finish
