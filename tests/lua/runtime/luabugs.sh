#!/bin/sh
# luabugs.sh -- every bug lua.org lists for the Lua release ward links
# (5.4.4), with its published reproducer run in a child `ward run`: the
# run must end by itself (never by a signal) and print what it checked.
# Each reproducer (tests/lua/runtime/luabugs/*.lua) prints lines
#   ok TEXT       the check holds
#   fail TEXT     it does not
#   wrong TEXT    the library gives a wrong result (a bug that harms only
#                 the script's own results): a TAP TODO while the library
#                 is older than the release that fixed it, a failure after
# and END. See ward-lua(7), "Known bugs of Lua". TAP.
: "${WARD:=./ward}"
. "${WARD_SRCDIR:-.}/tests/scale.sh"
dir=${WARD_SRCDIR:-.}/tests/lua/runtime/luabugs
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ward-luabugs.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT INT TERM
XDG_STATE_HOME=$tmp/state; export XDG_STATE_HOME

n=0
failed=0
res () {   # res ok|fail NAME [DIRECTIVE]
  n=$((n + 1))
  if [ "$1" = ok ]; then echo "ok $n - $2${3:+ # $3}"
  else echo "not ok $n - $2${3:+ # $3}"; [ -n "$3" ] || failed=$((failed + 1)); fi
}

# The release the library runs ("Lua library: built with Lua 5.4.4, running 5.4.4").
running=$("$WARD" --version | sed -n 's/^Lua library: built with Lua [0-9.]*, running //p')
case $running in
  [0-9].[0-9].[0-9]*) res ok "ward --version names the Lua release it runs against ($running)" ;;
  *) res fail "ward --version names the Lua release it runs against"; "$WARD" --version | sed 's/^/# /' ;;
esac
built=$("$WARD" --version | sed -n 's/^Lua library: built with Lua \([0-9.]*\),.*/\1/p')
if [ -n "${LUA_RELEASE_EXPECTED:-}" ]; then
  [ "$built" = "$LUA_RELEASE_EXPECTED" ] && res ok "built with the release configure found ($built)" \
    || res fail "built with the release configure found ($built, configure: $LUA_RELEASE_EXPECTED)"
fi
relnum () { echo "$1" | awk -F. '{ printf "%d\n", $1 * 10000 + $2 * 100 + $3 }'; }
run_num=$(relnum "${running:-0.0.0}")

# check FIXED_IN NAME FILE [WARD-OPTIONS -- ARGS]: run FILE, judge its lines.
# FIXED_IN: the release (e.g. 5.4.5) whose library gives right results.
check () {
  fixed_in=$1; fixed=$(relnum "$1"); name=$2; file=$3; shift 3
  opts=""; while [ $# -gt 0 ] && [ "$1" != -- ]; do opts="$opts $1"; shift; done
  [ $# -gt 0 ] && shift
  # shellcheck disable=SC2086
  timeout "$(scaled_s 60)" "$WARD" run --threads 2 $opts "$dir/$file" "$@" >"$tmp/out" 2>"$tmp/err"
  rc=$?
  if [ "$rc" -eq 0 ]; then
    res ok "$name: the run ends by itself, status 0"
  else
    res fail "$name: the run ends by itself, status 0 (status $rc$([ "$rc" -gt 128 ] && echo ", signal $((rc - 128))"))"
    sed 's/^/# /' "$tmp/err" | head -n 20
  fi
  grep -q '^END$' "$tmp/out" && res ok "$name: the reproducer ran to its end" \
    || res fail "$name: the reproducer ran to its end"
  while read -r verdict text; do
    case $verdict in
      ok) res ok "$name: $text" ;;
      fail) res fail "$name: $text" ;;
      wrong) if [ "$run_num" -lt "$fixed" ]; then
               res fail "$name: $text" "TODO Lua $running has this bug (fixed in $fixed_in)"
             else
               res fail "$name: $text"
             fi ;;
    esac
  done <"$tmp/out"
}

# 1. "lua.c assumes that argv has at least one element": ward does not
#    contain lua.c; its own main, started with no argv at all, says usage.
perl -e 'exec { $ARGV[0] } () or exit 127' "$WARD" >/dev/null 2>"$tmp/err"
rc=$?
[ "$rc" -eq 2 ] && res ok "lua.c argv: ward started with an empty argv exits 2 (usage)" \
  || res fail "lua.c argv: ward started with an empty argv exits 2 (usage; got $rc)"
# 2. "Lua can generate wrong code when _ENV is <const>" (fixed in the library: CVE-2022-28805)
check 5.4.5 "_ENV <const>" env-const.lua
# 3. "Wrong code generation for constants in bitwise operations"
check 5.4.5 "bitwise constants" bitwise.lua
# 4. "Lua-stack overflow when C stack overflows while handling an error" (CVE-2022-33099)
check 5.4.5 "C stack overflow while handling an error" error-in-error.lua
#    ... and the stale stack pointer the first fix of it brought into concatenation
check 5.4.5 "concat after a stack reallocation" concat-realloc.lua
# 5. "'lua_settop' may use an invalid pointer to stack": only through a C
#    function's to-be-closed slot; ward marks none (it imports no lua_toclose).
if nm -D --undefined-only "$WARD" >"$tmp/syms" 2>/dev/null; then
  if grep -Eq '(^| )lua_(toclose|closeslot)$' "$tmp/syms"; then
    res fail "lua_settop: ward marks no C stack slot to-be-closed (it imports lua_toclose)"
  else
    res ok "lua_settop: ward marks no C stack slot to-be-closed (no lua_toclose, lua_closeslot)"
  fi
else
  res ok "lua_settop: ward's imports can be listed" "SKIP nm cannot read $WARD"
fi
# 6. "'break' may not properly exit a loop with a to-be-closed variable"
check 5.4.5 "break in a for with a closing value" break-close.lua
# 7. "GC not setting a proper target for next cycle after a full collection
#    in generational mode": the memory cap holds.
check 5.4.5 "generational GC pause" gen-gc.lua --memory 16M --
# 8. "'utf8.codes' does not raise an error on spurious continuation bytes"
check 5.4.5 "utf8.codes" utf8-codes.lua
# 9. "C-stack overflow with deep nesting of coroutine.close": disarmed by ward.
check 5.4.5 "close chain of 20000" close-chain.lua -- 20000 0
check 5.4.5 "close chain of 40" close-chain.lua -- 40 0
check 5.4.5 "coroutine.close semantics" close-basics.lua
check 5.4.5 "close chain of 20000, 190 pcalls deep each" close-chain.lua -- 20000 190
# 10. "Wrong line in error message for arithmetic errors"
check 5.4.5 "line of an arithmetic error" arith-line.lua
# 11. "Loading a corrupted binary file can segfault": binary chunks never load.
check 5.4.5 "corrupted binary chunk" binary-chunk.lua

# Under --untrusted the chain ends in the sandboxed child with the same error.
timeout "$(scaled_s 60)" "$WARD" run --untrusted "$dir/close-chain.lua" 20000 0 >"$tmp/out" 2>"$tmp/err"
rc=$?
if grep -q 'not permitted' "$tmp/err"; then
  res ok "untrusted close chain" "SKIP this machine does not allow the sandbox's namespaces"
else
  [ "$rc" -eq 0 ] && grep -q '^ok .*C stack overflow' "$tmp/out" \
    && res ok "untrusted close chain of 20000: the child raises C stack overflow, status 0" \
    || { res fail "untrusted close chain of 20000: the child raises C stack overflow (status $rc)"; sed 's/^/# /' "$tmp/err" | head -n 20; }
fi

echo "1..$n"
[ "$failed" -eq 0 ]
