#!/bin/sh
# explain.sh -- `ward policy explain` says why: the declaration that matched
# the actor (pattern, file:line:col) and the scope it gave, every rule of
# the scope in file order with why it does or does not apply (action,
# resource, condition: the first false part of an `and`, each alternative
# of an `or`, the values compared), the attributes of the request, a
# warning with a suggestion for an unknown action, and the same in --json.
set -u
. "${WARD_SRCDIR:-$(dirname "$0")/../..}/tests/policy/lib.sh"
plan 40

P=$T/e.policy
cat > "$P" <<'EOF'
policy "app" {
  allow env.read on "HOME";
  allow env.read on "USER" when attr.host == "ward:sandbox" and actor.meta.tier == "gold";
  allow env.read on "US*" when attr.host == "x" or not (actor.meta.tier == "silver");
  deny env.read on "USER" when attr.parent == "y";
  allow process.send on "*";
}
policy "other" {
  allow env.read on "*";
}
actor "plugin.*" { tier = "silver"; scope = ["app", "missing"]; }
EOF
explain () { "$WARD" policy explain --policy "$P" "$@"; }

ok "explain a request" explain --actor plugin.a --action env.read --resource USER --attr host=ward:main
has "the declaration that matched, with its position" \
  '^actor: "plugin.a" matches the declaration actor "plugin\.\*" at .*e.policy:11:1' "$T/out"
has "... and the metadata it gives" '(meta: tier = "silver")' "$T/out"
has "the scope it gave, and where from" '^scope: "app", "missing" (not loaded) (from the declaration)$' "$T/out"
has "the attributes of the request, set or not" \
  '^attributes: pid=(not set) host=ward:main parent=(not set) target.actor=(not set)' "$T/out"
has "... path and address among them" ' path=(not set) address=(not set)$' "$T/out"
has "the rules, in file order" '^rules, in file order:$' "$T/out"
lines=$(grep -n '^  .*e.policy:[0-9]*: \[' "$T/out" | sed 's/^\([0-9]*\):.*e.policy:\([0-9]*\):.*/\2/' | tr '\n' ' ')
if [ "$lines" = "2 3 4 5 6 " ]; then pass "every rule of the scope, in file order (lines $lines)"
else fail "every rule of the scope, in file order (lines $lines)" "$T/out"; fi
hasnt "... and none of a policy out of scope" '\[other\]' "$T/out"
has "a resource that misses: which one, and the pattern" \
  '^      no: resource "USER" does not match "HOME"$' "$T/out"
has "an action that misses: which one, and the pattern" \
  '^      no: action "env.read" does not match "process.send"$' "$T/out"
has "a false and: its first false part, with the value it read" \
  'is false: its part 1 of 2, `attr.host == "ward:sandbox"` is false (attr.host is "ward:main")$' "$T/out"
has "a false or: each alternative" \
  'each of its 2 alternatives is false: (1) `attr.host == "x"` is false (attr.host is "ward:main"); (2) `not actor.meta.tier == "silver"` is false: `actor.meta.tier == "silver"` is true$' "$T/out"
has "a condition that errors: why, and that it fails closed" \
  '^      error: condition error: attr.parent is not set for this request (fails closed: denies)$' "$T/out"
has "the decision" '^decision: deny$' "$T/out"
has "... and the rule that made it" '^by: .*e.policy:5 (policy "app"), condition error: fails closed$' "$T/out"

ok "explain a request that a second conjunct refuses" explain --actor plugin.a \
  --action env.read --resource USER --attr host=ward:sandbox --attr parent=z
has "the first false part is the second" 'its part 2 of 2, `actor.meta.tier == "gold"` is false (actor.meta.tier is "silver")$' "$T/out"
has "a false comparison shows the value it read" '(attr.parent is "z")$' "$T/out"
ok "a meta from the request is shown and used" explain --actor plugin.a --action env.read \
  --resource USER --attr host=ward:sandbox --attr parent=z --meta tier=gold
has "... in the actor line" '(meta: tier = "gold" from the request; tier = "silver")' "$T/out"
has "a rule that applies says so" '^      applies$' "$T/out"
has "... and decides" '^decision: allow$' "$T/out"

ok "an unknown action is explained" explain --actor plugin.a --action env.reed --resource USER
has "... with a warning and a suggestion" \
  "warning: unknown action \`env.reed\`; did you mean \`env.read\`?" "$T/err"
has "... and denied" '^decision: deny$' "$T/out"

ok "an undeclared actor" explain --actor nobody --action env.read --resource HOME
has "... is said to be undeclared" '^actor: "nobody": no declaration matches it and the request has no scope' "$T/out"
ok "a request's scope" explain --actor nobody --action env.read --resource HOME --scope other
has "... is said to come from the request" '^scope: "other" (from the request)$' "$T/out"

ok "explain --json" explain --json --actor plugin.a --action env.read --resource USER --attr host=ward:main
if command -v python3 > /dev/null 2>&1; then
  if python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["decision"]=="deny"; r=[x for x in d["explain"] if x["kind"]=="rule"]; assert [x["line"] for x in r]==[2,3,4,5,6]; assert r[0]["failed"]=="resource" and r[3]["applies"]=="error"; assert d["attributes"]=={"host":"ward:main"}' "$T/out" 2>"$T/py"
  then pass "... is JSON with the rules, their verdicts and the attributes"
  else fail "... is JSON with the rules, their verdicts and the attributes" "$T/out" "$T/py"; fi
else echo "ok $((n + 1)) # SKIP no python3 to read JSON"; n=$((n + 1)); fi
has "... whose rule records say which part failed" '"failed": "condition"' "$T/out"

DB=$(store_db x)
ok "load the file into a store" "$WARD" policy load --db "$DB" "$P"
ok "explain from the store" "$WARD" policy explain --db "$DB" --actor plugin.a --action env.read --resource HOME
has "... names the stored file and line of the declaration" 'matches the declaration actor "plugin\.\*" at /.*e.policy:11:1' "$T/out"
notok 2 "--json takes no value; an unknown option is a usage error" explain --actor a --action env.read --resource x --bogus 1
# target.names, when the request gives it, is echoed like the others
ok "explain with target.names" explain --actor plugin.a --action process.send \
  --resource '{ward:main|0x2}' --attr 'target.names=logger,a"b'
has "... echoes them" '^attributes: .* target.names=logger,a"b$' "$T/out"
if command -v python3 > /dev/null 2>&1 \
   && explain --json --actor plugin.a --action process.send --resource '{ward:main|0x2}' \
        --attr 'target.names=logger,a"b' > "$T/tn.json" 2>&1 \
   && python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["attributes"]["target.names"]==["logger","a\"b"]' "$T/tn.json" 2> "$T/py"
then pass "... and in --json, as a list"
else fail "... and in --json, as a list" "$T/tn.json" "$T/py"; fi
finish
