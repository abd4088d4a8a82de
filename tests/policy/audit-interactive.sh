#!/bin/sh
# audit-interactive.sh -- `ward audit suggest --interactive` through a real
# terminal: tmux runs it in a detached session, the answers are typed with
# send-keys, and each prompt is waited for by polling capture-pane (an
# event, with a timeout scaled by WARD_TEST_TIMEOUT_SCALE; no sleep is an
# assertion). Checks the questions (allow, allow wider with its pattern,
# deny, skip, quit), the file written from the answers, that an end of
# input writes nothing, and the refusals (no terminal, an existing file).
# Skips when tmux is not installed.
set -u
. "${WARD_SRCDIR:-$(dirname "$0")/../..}/tests/policy/lib.sh"
if ! command -v tmux > /dev/null 2>&1; then
  echo "1..0 # SKIP tmux is not installed (apt-get install tmux)"
  exit 0
fi
plan 32

# a private tmux server: nothing of the user's sessions is touched
TM="tmux -L ward-test-$$ -f /dev/null"
trap '$TM kill-server > /dev/null 2>&1; rm -rf "$T"' EXIT
WAIT_S=$(scaled_s 20)

# wait_for SESSION PATTERN: the pane shows PATTERN (grep -E) before the
# timeout; the pane's text is left in $T/pane
wait_for () {
  end=$(($(date +%s) + WAIT_S))
  while :; do
    $TM capture-pane -p -J -S -200 -t "$1" > "$T/pane" 2> /dev/null
    grep -Eq -- "$2" "$T/pane" && return 0
    [ "$(date +%s)" -ge "$end" ] && return 1
    sleep 0.05
  done
}
# prompt SESSION PATTERN DESCRIPTION: a check that PATTERN shows up
prompt () {
  if wait_for "$1" "$2"; then pass "$3"; else fail "$3 (no \`$2\` on the terminal)" "$T/pane"; fi
}
# start NAME OUTPUT: ward audit suggest --interactive in a new session;
# the shell stays (waiting for a line) after it exits, to show EXIT=N
start () {
  $TM new-session -d -s "$1" -x 160 -y 50 \
    "cd '$T' && $WARD audit suggest --db '$T/a.db' --interactive --output '$2'; echo EXIT=\$?; read x"
}

A=$T/app
mkdir -p "$A"
cat > "$A/app.lua" <<'EOS'
require "m1"
require "m2"
assert(process.registry.register("app.svc"))
EOS
for m in m1 m2; do echo 'return {}' > "$A/$m.lua"; done
printf 'policy "base" {\n  allow process.host on "ward:main";\n}\n' > "$T/base.policy"
ok "a permissive run records three would-be denials" \
  "$WARD" run --permissive --policy "$T/base.policy" --audit "$T/a.db" "$A/app.lua"

# 1. every kind of answer
start s1 "$T/o1.policy"
prompt s1 '3 questions' "it says how many questions there are"
prompt s1 '\[1/3\] actor "main": 1 denial of lua.require on "m1"' "the first question names the denials"
has "... and offers allow" 'a) allow lua.require on "m1";' "$T/pane"
has "... deny explicitly" 'd) deny explicitly: deny lua.require on "m1";' "$T/pane"
has "... and skip" 's) skip' "$T/pane"
hasnt "... no wider pattern where there is none" 'w) allow wider' "$T/pane"
$TM send-keys -t s1 x Enter
prompt s1 'please answer a, d, s or q' "an answer that is not offered asks again"
$TM send-keys -t s1 a Enter
prompt s1 '\[2/3\] .* on "m2"' "allow: the next question"
$TM send-keys -t s1 d Enter
prompt s1 '\[3/3\] .*process.registry.register on "app.svc"' "deny: the next question"
has "allow wider shows the wider pattern" 'w) allow wider: allow process.registry.register on "app\.\*";' "$T/pane"
$TM send-keys -t s1 w Enter
prompt s1 'EXIT=0' "after the last answer it exits 0"
has "... and says what it wrote" 'wrote 3 rules to .*o1.policy' "$T/pane"
has "the file allows what was answered allow" '^  allow lua.require on "m1";' "$T/o1.policy"
has "... denies what was answered deny" '^  deny lua.require on "m2";' "$T/o1.policy"
has "... allows wider where asked" '^  allow process.registry.register on "app.\*";' "$T/o1.policy"
has "... with the actor declaration" '^  scope = \["base", "suggested.main"\];' "$T/o1.policy"
ok "the file passes \`ward policy check\` with the policy" \
  "$WARD" policy check "$T/base.policy" "$T/o1.policy"

# 2. skip, then quit: what was answered is written, the rest is not
start s2 "$T/o2.policy"
prompt s2 '\[1/3\]' "second session: the first question"
$TM send-keys -t s2 s Enter
prompt s2 '\[2/3\]' "skip: the next question"
$TM send-keys -t s2 a Enter
prompt s2 '\[3/3\]' "... the last"
$TM send-keys -t s2 q Enter
prompt s2 'EXIT=0' "quit writes what was answered"
hasnt "... not the skipped question" '"m1"' "$T/o2.policy"
has "... the answered one" '^  allow lua.require on "m2";' "$T/o2.policy"

# 3. the end of input before the last answer: nothing is written
start s3 "$T/o3.policy"
prompt s3 '\[1/3\]' "third session: the first question"
$TM send-keys -t s3 a Enter C-d
prompt s3 'EXIT=1' "an end of input is an error ..."
ok "... and nothing is written" test ! -e "$T/o3.policy"

# 4. refusals
notok 2 "no terminal: a usage error" sh -c "$WARD audit suggest --db '$T/a.db' --interactive --output '$T/o4.policy' < /dev/null"
has "... that says so" 'asks on a terminal' "$T/err"
notok 2 "an existing file is not overwritten" sh -c "$WARD audit suggest --db '$T/a.db' --interactive --output '$T/o1.policy' < /dev/null"
has "... and says so" 'o1.policy` exists' "$T/err"
notok 2 "--interactive without --output: a usage error" $AUDIT suggest --db "$T/a.db" --interactive
finish
