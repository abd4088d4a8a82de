#!/bin/sh
# hostpath.sh -- an error a sandboxed caller gets names a definition by its
# id, never by the host's file: a missing definition, a directory, a syntax
# error, a file it cannot read. A caller in the runtime keeps the path.
. "${WARD_SRCDIR:-.}/tests/lua/sandbox/lib.sh"

mkdir -p "$T/root/tools/helpers/dir.lua"
printf 'return (\n' > "$T/root/tools/helpers/bad.lua"
printf 'return 1\n' > "$T/root/tools/helpers/locked.lua"
chmod 000 "$T/root/tools/helpers/locked.lua"
cat > "$T/root/main.lua" <<'LUA'
local host = ...
for _, id in ipairs { "tools.helpers:nope", "tools.helpers:dir",
                      "tools.helpers:bad", "tools.helpers:locked" } do
  print(id, select(2, process.spawn(id, host)))
end
LUA

"$WARD" run --untrusted --root "$T/root" --audit "$T/u.db" "$T/root/main.lua" ward:sandbox \
  > "$T/out" 2> "$T/err"
rc=$?
skip_unless_sandbox "$T/err"
ok "the untrusted script runs to its end" test "$rc" -eq 0
has "a missing definition: NOT_FOUND naming its id" \
  '^tools.helpers:nope	NOT_FOUND: no process definition `tools.helpers:nope`: No such file or directory$' "$T/out"
has "a directory: named by its id" \
  '^tools.helpers:dir	INVALID: `tools.helpers:dir` is not a regular file$' "$T/out"
has "a syntax error: the chunk relative to the root" \
  '^tools.helpers:bad	INVALID: tools/helpers/bad.lua:2: ' "$T/out"
if [ "$(id -u)" -eq 0 ]; then
  n=$((n + 1)); echo "ok $n # SKIP root reads a file of mode 000"
else
  has "an unreadable file: named by its id" \
    '^tools.helpers:locked	INVALID: cannot open `tools.helpers:locked`: Permission denied$' "$T/out"
fi
n=$((n + 1))
if grep -qF "$T" "$T/out"; then
  echo "not ok $n - no error names a host path"; sed 's/^/# /' "$T/out"; fails=$((fails + 1))
else
  echo "ok $n - no error names a host path"
fi

# a trusted caller in the runtime is told where ward looked
"$WARD" run --root "$T/root" --audit "$T/t.db" "$T/root/main.lua" ward:main > "$T/tout" 2>&1
has "a trusted caller sees the file ward looked for" \
  "^tools.helpers:nope	NOT_FOUND: no process definition at \`$T/root/tools/helpers/nope.lua\`" "$T/tout"
has "... and the directory's path" \
  "^tools.helpers:dir	INVALID: \`$T/root/tools/helpers/dir.lua\` is not a regular file" "$T/tout"
finish
