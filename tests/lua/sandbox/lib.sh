# lib.sh -- sourced by the shell tests of tests/lua/sandbox: $WARD, $src
# (this directory), a scratch directory $T removed at exit (which also
# holds the audit state), $WARD_FAULTS (ward built with the fault hooks
# the tests drive, WARD_TEST_*_FAULT), and TAP helpers.
#   ok NAME CMD...            CMD succeeds
#   has NAME PATTERN FILE     FILE has a line matching PATTERN (shown if not)
#   skip_unless_sandbox FILE  TAP skip of the whole file when FILE shows that
#                             the kernel refuses the sandbox's namespaces
#   finish                    the plan, and the exit status
# For the suites run in several modes (fs-escape.sh, net-escape.sh):
#   pick_users                $users: "root nobody" as root ("root" with a
#                             note when setpriv(1) is missing), else the
#                             user running the tests
#   as_user WHO CMD...        CMD as nobody (setpriv) or as it is
#   merge MODE OUT            the TAP results in OUT renumbered into ours,
#                             each named after MODE
#   ran_to_end MODE STATUS OUT  the script whose output is OUT ended with
#                             STATUS 0 after its plan (OUT's tail if not)
#   strict_actors POLICY      the policy text that scopes `main` and
#                             `untrusted` to POLICY, `untrusted` in a
#                             strict sandbox
# For the tests that need an endpoint (grants.sh, walkthrough.sh):
#   serve SCRIPT              ward runs SCRIPT, which writes its port first,
#                             in the background (under a timeout of $wait_s)
#                             with a grant to listen on 127.0.0.1 and write
#                             to stdout: its port in $PORT, its pid in $served
# and scaled_s / scaled_ms of tests/scale.sh for every timeout.
: "${WARD:=./ward}"
: "${WARD_FAULTS:=${WARD_BUILDDIR:-.}/tests/ward-faults}"
src=${WARD_SRCDIR:-.}/tests/lua/sandbox
. "${WARD_SRCDIR:-.}/tests/scale.sh"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT INT TERM
XDG_STATE_HOME=$T/state; export XDG_STATE_HOME
n=0
fails=0
ok () {
  n=$((n + 1)); name=$1; shift
  if "$@"; then echo "ok $n - $name"; else echo "not ok $n - $name"; fails=$((fails + 1)); fi
}
has () {
  n=$((n + 1))
  if grep -q -- "$2" "$3"; then echo "ok $n - $1"
  else echo "not ok $n - $1"; sed 's/^/# /' "$3"; fails=$((fails + 1)); fi
}
skip_unless_sandbox () {
  if grep -q 'not permitted' "$1"; then
    echo "1..0 # SKIP this machine does not allow the sandbox's namespaces: $(head -c 200 "$1")"
    exit 0
  fi
}
finish () {
  echo "1..$n"
  [ "$fails" -eq 0 ]
}
pick_users () {
  users=root
  if [ "$(id -u)" -eq 0 ]; then
    if command -v setpriv >/dev/null 2>&1; then users="root nobody"
    else echo "# SKIP as nobody: setpriv(1) is not installed"; fi
  else
    users=$(id -un)
  fi
}
as_user () {
  who=$1; shift
  if [ "$who" = nobody ]; then
    setpriv --reuid=65534 --regid=65534 --clear-groups "$@"
  else
    "$@"
  fi
}
merge () {
  while IFS= read -r line; do
    case $line in
      "ok "*|"not ok "*)
        n=$((n + 1))
        verdict=${line%% [0-9]*}
        rest=$(printf '%s\n' "$line" | sed 's/^\(not \)\{0,1\}ok [0-9]* *- *//')
        [ "$verdict" = "not ok" ] && fails=$((fails + 1))
        echo "$verdict $n - $1: $rest" ;;
      "#"*) echo "$line" ;;
    esac
  done < "$2"
}
ran_to_end () {
  n=$((n + 1))
  if [ "$2" -eq 0 ] && grep -q '^1\.\.' "$3"; then echo "ok $n - $1: the script ran to its end"
  else echo "not ok $n - $1: the script ran to its end (exit $2)"; sed 's/^/# /' "$3" | tail -20
    fails=$((fails + 1)); fi
}
strict_actors () {
  cat <<EOF
actor "main" { scope = ["$1"]; }
actor "untrusted" { scope = ["$1"]; }
host "ward:sandbox" { threads = 1; sandbox = "strict"; }
sandbox "strict" {
  namespaces = [user, pid, net, mount, ipc, uts];
  seccomp = "default"; capabilities = []; memory = "64M"; cpu = "20s"; nofile = 32;
  children = 16; init = "init/empty-root.lua";
}
EOF
}
serve () {
  cat > "$T/serve.policy" <<'EOF'
policy "listener" {
  allow lua.require on "net";
  allow net.listen on "127.0.0.1:0";
  allow io.stdout on "stdout";
}
EOF
  timeout "$wait_s" "$WARD" run --audit "$T/serve.db" --policy "$T/serve.policy" "$1" \
    > "$T/port" 2> "$T/serve.err" &
  served=$!
  i=0
  while [ ! -s "$T/port" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
  PORT=$(head -1 "$T/port")
}
