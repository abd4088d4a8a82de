#!/bin/sh
# check.sh -- the editor grammars of doc/editors/ against the language they
# highlight: the TextMate grammar is valid JSON, both grammars name every
# keyword and attribute the parser (policy/lang/parser.c) and every action
# policy/include/actions.def knows, vim loads the syntax file, and
# `make install` puts the files where doc/editors/README.md says. TAP on
# stdout; make check runs it (doc/local.mk) with WARD_SRCDIR and
# WARD_BUILDDIR set; by hand: doc/editors/check.sh
dir=$(cd "$(dirname "$0")" && pwd)
S=${WARD_SRCDIR:-$dir/../..}
B=${WARD_BUILDDIR:-$S}
VIMSYN=$dir/vim/syntax/wardpolicy.vim
VIMFT=$dir/vim/ftdetect/wardpolicy.vim
TM=$dir/ward-policy.tmLanguage.json
T=$(mktemp -d /tmp/ward-editors.XXXXXX)
trap 'rm -rf "$T"' EXIT
n=0 fails=0
ok () { n=$((n + 1)); echo "ok $n - $1"; }
notok () { n=$((n + 1)); echo "not ok $n - $1"; fails=$((fails + 1)); }
skip () { n=$((n + 1)); echo "ok $n # SKIP $1"; }

# The words to highlight, from the sources, so that a keyword, action or
# attribute added there and not here fails: the X lines of actions.def;
# the keyword lists (*_words[]), the words the parser tests with is_word,
# and the attribute paths ({ "attr.pid", P_ATTR_PID }) of parser.c.
sed -n 's/^X ([A-Z_]*, *"\([^"]*\)".*/\1/p' "$S/policy/include/actions.def" > "$T/actions"
awk '/_words\[\] = \{/ { w = 1 }
     w || /is_word \(p, "/ || /\{ "[a-z.]+", P_[A-Z_]+ \}/ { print }
     /\};/ { w = 0 }' "$S/policy/lang/parser.c" |
  grep -o 'is_word (p, "[a-z.]*")\|"[a-z.]*"' | sed 's/.*"\([a-z.]*\)".*/\1/' |
  sort -u > "$T/words"
nact=$(wc -l < "$T/actions") nwords=$(wc -l < "$T/words")
echo "1..$((nact + nwords + nact + nwords + 7))"
if [ "$nact" -ge 20 ] && grep -qx 'policy' "$T/words" && grep -qx 'matches' "$T/words" \
   && grep -qx 'attr.pid' "$T/words"; then
  ok "$nact actions and $nwords keywords and attributes found in the sources"
else
  notok "actions and keywords not found in the sources ($nact, $nwords): has their form changed?"
fi

# Each grammar with its regular-expression escapes of `.` undone (vim's
# \. and JSON's \\.), so that a word can be looked for as written.
sed 's/\\\././g' "$VIMSYN" > "$T/vim"
sed 's/\\\\\././g' "$TM" > "$T/tm"
named () {  # named WORD FILE: WORD stands alone in FILE
  re=$(printf '%s' "$1" | sed 's/\./\\./g')
  grep -Eq "(^|[^A-Za-z0-9_.:-])$re(\$|[^A-Za-z0-9_.:-])" "$2"
}
for w in $(cat "$T/actions") $(cat "$T/words"); do
  for g in vim tm; do
    if named "$w" "$T/$g"; then ok "$g grammar names \`$w\`"
    else notok "$g grammar does not name \`$w\` (add it to doc/editors/)"; fi
  done
done

if command -v python3 > /dev/null 2>&1; then
  if python3 -m json.tool "$TM" > /dev/null 2> "$T/err"; then
    ok "the TextMate grammar is valid JSON"
  else
    notok "the TextMate grammar is not valid JSON: $(cat "$T/err")"
  fi
else
  skip "python3 not found: the TextMate grammar's JSON is not checked"
fi

# vim, headless: the file types and the syntax load without an error, and
# a rule's words get the groups the file gives them.
if command -v vim > /dev/null 2>&1; then
  printf 'policy "p" {\n  allow process.send on "*" when attr.pid == "x";\n}\n' > "$T/a.policy"
  HOME=$T timeout 30 vim -N -u NONE -i NONE -es \
    --cmd "set rtp^=$dir/vim" --cmd 'filetype on' --cmd 'syntax on' \
    -c 'redir! > '"$T/vimout" \
    -c 'echo &filetype' \
    -c 'echo synIDattr(synID(1, 1, 1), "name")' \
    -c 'echo synIDattr(synID(2, 3, 1), "name")' \
    -c 'echo synIDattr(synID(2, 9, 1), "name")' \
    -c 'echo synIDattr(synID(2, 37, 1), "name")' \
    -c 'redir END' -c 'qa!' "$T/a.policy" < /dev/null > /dev/null 2>&1
  got=$(tr -s "\n " "  " < "$T/vimout" 2> /dev/null | sed "s/^ *//; s/ *$//")
  if [ "$got" = "wardpolicy wardDecl wardEffect wardAction wardAttribute" ]; then
    ok "vim detects *.policy and highlights a rule"
  else
    notok "vim: filetype and groups are \`$got\`, not \`wardpolicy wardDecl wardEffect wardAction wardAttribute\`"
  fi
else
  skip "vim not found: the syntax file is not loaded"
fi

# make install into a scratch root: the files where README.md says.
if [ -f "$B/Makefile" ] && command -v make > /dev/null 2>&1; then
  (cd "$B" && env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s install-data \
     prefix=/usr DESTDIR="$T/root") > "$T/inst" 2>&1
  rc=$?
  [ $rc -eq 0 ] && ok "make install-data DESTDIR=... succeeds" \
    || { notok "make install-data failed ($rc)"; sed 's/^/# /' "$T/inst"; }
  for p in vim/vimfiles/syntax/wardpolicy.vim:"$VIMSYN" \
           vim/vimfiles/ftdetect/wardpolicy.vim:"$VIMFT" \
           ward/editors/ward-policy.tmLanguage.json:"$TM"; do
    f=$T/root/usr/share/${p%%:*}
    if cmp -s "$f" "${p#*:}"; then ok "installed as /usr/share/${p%%:*}"
    else notok "not installed as /usr/share/${p%%:*}"; fi
  done
else
  for i in 1 2 3 4; do skip "no Makefile in $B: make install is not tried"; done
fi
[ $fails -eq 0 ]
