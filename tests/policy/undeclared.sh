#!/bin/sh
# undeclared.sh -- default deny for real: an actor that no declaration
# matches has no policy (with the shipped policies, from a store, and for a
# child named with :with_actor()); the audit and `ward policy explain` say
# it is not declared. A --policy file that declares no actor applies to the
# actor the run starts and to no other, and `ward policy check` says so.
set -u
. "${WARD_SRCDIR:-$(dirname "$0")/../..}/tests/policy/lib.sh"
plan 42

R=$T/r
mkdir -p "$R/actors"
echo 'return 1' > "$R/actors/ret.lua"
# try.lua [ACTOR [SCOPE [DEF]]]: runs actors:try (or DEF) as a child, spawned
# :with_actor(ACTOR) (and :with_scope{SCOPE}) when given; prints its result.
# actors:try spawns, sends and registers and returns the outcomes
cat > "$R/actors/try.lua" <<'EOF'
local function kind(v, e) if v then return "ok" end return e and e:kind() or "?" end
local s = kind(process.spawn("actors:ret", "ward:main"))
local m = kind(process.send(process.pid(), "x", 1))
local r = kind(process.registry.register("n." .. process.pid()))
return "spawn=" .. s .. " send=" .. m .. " register=" .. r
EOF
cat > "$R/try.lua" <<'EOF'
local actor, scope, def = ...
local b = process.with_context({})
if actor then b = b:with_actor(actor) end
if scope then b = b:with_scope { scope } end
local pid = assert(b:spawn_monitored(def or "actors:try", "ward:main"))
local ev = process.events()
local e
repeat e = ev:receive() until e.kind == process.event.EXIT and e.from == pid
print(e.result.value or e.result.error)
EOF
ALL_OK="spawn=ok send=ok register=ok"
NONE="spawn=PERMISSION_DENIED send=PERMISSION_DENIED register=PERMISSION_DENIED"
D=$S/policies/default.policy
U=$S/policies/untrusted.policy

# ---- the shipped policies ----
hasnt "the default policy declares no actor \"**\"" '^actor "\*\*"' "$D"
has "untrusted.policy still declares plugin.*" '^actor "plugin\.\*"' "$U"
ok "main may spawn, send and register (built-in policies)" "$WARD" run --audit "$T/a.db" "$R/try.lua"
has "... all allowed" "$ALL_OK" "$T/out"
ok "a child spawned :with_actor(\"plugins\") (declared nowhere) runs" \
  "$WARD" run --audit "$T/a.db" "$R/try.lua" plugins
has "... and is denied everything" "$NONE" "$T/out"
$AUDIT --db "$T/a.db" --json --actor plugins > "$T/j1" 2>&1
has "... each denial recorded as \`not declared\`" '"action":"process.spawn".*"reason":"actor `plugins` is not declared"' "$T/j1"
has "... register too" '"action":"process.registry.register".*"reason":"actor `plugins` is not declared"' "$T/j1"
ok "a child named with a control character in its id runs" \
  "$WARD" run --audit "$T/n.db" "$R/try.lua" "$(printf 'evil\nline')"
has "... and is denied everything" "$NONE" "$T/out"
$AUDIT --db "$T/n.db" > "$T/t0" 2>&1
has "... the reason shows the id with the newline escaped" 'actor `evil\\nline` is not declared' "$T/t0"
ok "a child of a declared actor pattern (plugin.x) gets untrusted.policy" \
  "$WARD" run --audit "$T/a.db" "$R/try.lua" plugin.x
has "... which denies spawn on actors:ret and register" "spawn=PERMISSION_DENIED send=PERMISSION_DENIED register=PERMISSION_DENIED" "$T/out"
ok "an undeclared child given a scope explicitly is governed by it" \
  "$WARD" run --audit "$T/a.db" "$R/try.lua" helper default
has "... (default allows it all)" "$ALL_OK" "$T/out"
echo 'return tostring(select(2, process.spawn("actors:ret", "ward:main")))' > "$R/actors/why.lua"
ok "an undeclared child given a scope that denies runs" "$WARD" run --audit "$T/a.db" "$R/try.lua" helper untrusted actors:why
has "... its error names the actor alone: its scope answers for it" 'permission denied: process.spawn on actors:ret (actor helper)$' "$T/out"

# ---- a store with the shipped policies: --actor anyone ----
"$WARD" policy load --db "$T/s.db" "$D" "$U" > /dev/null 2>&1
cat > "$R/self.lua" <<'EOF'
local function kind(v, e) if v then return "ok" end return e and e:kind() or "?" end
print("spawn=" .. kind(process.spawn("actors:ret", "ward:main")) .. " send="
      .. kind(process.send(process.pid(), "x", 1)) .. " register="
      .. kind(process.registry.register("n")))
print(select(2, process.spawn("actors:ret", "ward:main")))
EOF
ok "ward run --db STORE --actor anyone runs" "$WARD" run --db "$T/s.db" --actor anyone --audit "$T/b.db" "$R/self.lua"
has "... and anyone may not spawn, send or register" "$NONE" "$T/out"
has "... and the error says why" 'permission denied: process.spawn on actors:ret (actor anyone is not declared)$' "$T/out"
has "... ward warns that the actor is not declared" "warning: no actor declaration of the store .* matches actor \`anyone\`" "$T/err"
$AUDIT --db "$T/b.db" > "$T/t1" 2>&1
has "ward audit shows the reason" 'actor `anyone` is not declared' "$T/t1"
ok "--actor main from the same store may" "$WARD" run --db "$T/s.db" --actor main --audit "$T/b.db" "$R/self.lua"
has "... all allowed" "$ALL_OK" "$T/out"
hasnt "... without a warning" "warning" "$T/err"
ok "explain for an undeclared actor" \
  "$WARD" policy explain --db "$T/s.db" --actor anyone --action process.spawn --resource actors:ret
has "... denies" '^decision: deny' "$T/out"
has "... because the actor is not declared" '^by: actor `anyone` is not declared' "$T/out"
ok "explain with an explicit scope" \
  "$WARD" policy explain --db "$T/s.db" --actor anyone --scope default --action process.spawn --resource actors:ret
has "... decides by that scope" '^decision: allow' "$T/out"

# ---- --policy FILE without actor declarations ----
cat > "$T/bare.policy" <<'EOF'
policy "bare" {
  allow process.spawn, process.spawn.monitored, process.host on "**";
  allow process.send, process.registry.register on "**";
  allow process.context on "context";
  allow process.security on "security";
}
EOF
ok "ward run --policy FILE (no actor declared): the run's actor has the file" \
  "$WARD" run --policy "$T/bare.policy" --audit "$T/c.db" "$R/try.lua"
has "... main (and its children) may do what it allows" "$ALL_OK" "$T/out"
ok "--actor runner: the file applies to that actor" \
  "$WARD" run --policy "$T/bare.policy" --actor runner --audit "$T/c.db" "$R/try.lua"
has "... all allowed" "$ALL_OK" "$T/out"
ok "a child spawned :with_actor(\"other\") under that file" \
  "$WARD" run --policy "$T/bare.policy" --audit "$T/c.db" "$R/try.lua" other
has "... is denied everything: the file applies to the run's actor only" "$NONE" "$T/out"

# ---- ward policy check says so ----
ok "ward policy check of a file without actor declarations" "$WARD" policy check "$T/bare.policy"
has "... prints a note on where its policies apply" "bare.policy: note: this file declares no actor, and no actor's scope names its policies: given to \`ward run --policy\`, they apply to the actor the run starts (main, or --actor ID) and to no other" "$T/err"
echo 'actor "main" { scope = ["bare"]; }' > "$T/main.policy"
ok "ward policy check of it with a file whose actor names its policy" "$WARD" policy check "$T/bare.policy" "$T/main.policy"
hasnt "... prints no note" "note:" "$T/err"
ok "ward policy check of the shipped policies" "$WARD" policy check "$D" "$U"
hasnt "... prints no such note" "note:" "$T/err"
finish
