#!/bin/sh
# escape.sh -- the escape suite again, as nobody (test-escape itself runs as
# whoever runs make check), and proof that the suite can fail: under a weak
# sandbox (test-escape --weak: no seccomp, capabilities kept, no rlimits)
# the probe must report the escapes it exists to catch.
#
# The binary and the init script are staged by as-nobody.sh in a private
# directory nobody can reach, since the build tree may sit where nobody
# cannot look.

. "$(dirname "$0")/as-nobody.sh"
if ! nobody_stage "$WARD_BUILDDIR/tests/sandbox/test-escape" init/empty-root.lua; then
  echo "Bail out! $nobody_why"
  exit 1
fi
tmp=$nobody_dir
bin=$nobody_bin
script="$tmp/init/empty-root.lua"
out="$tmp/tap"
: >"$out"
n=0
# emit ok|not-ok DESCRIPTION
emit () {
  n=$((n + 1))
  if [ "$1" = ok ]; then echo "ok $n - $2" >>"$out"; else echo "not ok $n - $2" >>"$out"; fi
}

# ---- as nobody ----
if [ "$(id -u)" = 0 ]; then
  who=nobody
  command -v setpriv >/dev/null 2>&1 || { echo "Bail out! setpriv not found"; exit 1; }
else
  who="uid $(id -u)"
fi
as_nobody "$bin" --init "$script" >"$tmp/nobody.out" 2>"$tmp/nobody.err"
rc=$?
planned=$(sed -n 's/^1\.\.\([0-9]*\).*/\1/p' "$tmp/nobody.out" | head -n 1)
skip=$(sed -n 's/^1\.\.0 # SKIP //p' "$tmp/nobody.out" | head -n 1)
if [ -n "$skip" ]; then
  n=$((n + 1))
  echo "ok $n - $who: the escape suite # SKIP $skip" >>"$out"
else
  ran=0
  bad=0
  while IFS= read -r line; do
    case $line in
      "ok "*|"not ok "*)
        ran=$((ran + 1))
        st=${line%% [0-9]*}
        rest=${line#"$st "}
        rest=${rest#* - }
        case $line in
          "not ok "*) bad=$((bad + 1)) ;;
        esac
        n=$((n + 1))
        echo "$st $n - $who: $rest" >>"$out"
        ;;
      "Bail out!"*)
        emit not-ok "$who: ${line#Bail out! }"
        bad=$((bad + 1))
        ;;
      "#"*) echo "$line" >>"$out" ;;
    esac
  done <"$tmp/nobody.out"
  if [ -z "$planned" ] || [ "$ran" != "$planned" ]; then
    emit not-ok "$who: test-escape planned ${planned:-nothing} and ran $ran"
  fi
  if [ "$rc" != 0 ] && [ "$bad" = 0 ]; then
    emit not-ok "$who: test-escape exited with status $rc and no failure"
  fi
  sed 's/^/# stderr: /' "$tmp/nobody.err" | head -n 20 >>"$out"
fi

# ---- the suite can fail ----
(cd "$tmp" && "$bin" --weak --init "$script") \
  >"$tmp/weak.out" 2>"$tmp/weak.err"
if grep -q '^1\.\.0 # SKIP' "$tmp/weak.out"; then
  n=$((n + 1))
  echo "ok $n - weak sandbox: # SKIP $(sed -n 's/^1\.\.0 # SKIP //p' "$tmp/weak.out")" >>"$out"
else
  for name in "ptrace PTRACE_TRACEME" "keyctl" "unshare CLONE_NEWUSER" \
      "clone3 is ENOSYS" "personality READ_IMPLIES_EXEC" "32-bit int 0x80 ABI" \
      "capabilities via capget" "capability bounding and ambient sets" \
      "seccomp filter is on" "fork bomb past the process limit" \
      "memory bomb past the memory limit" "fd bomb past the file limit" \
      "raise a hard rlimit" "ioctl TIOCSTI with high bits (0x100005412)" \
      "host view: capabilities" "host view: no_new_privs and seccomp"; do
    if grep -F -q -e "- $name: ESCAPED" "$tmp/weak.out"; then
      emit ok "weak sandbox: the probe reports \"$name\" as escaped"
    else
      got=$(grep -F -e "- $name:" "$tmp/weak.out" | head -n 1)
      emit not-ok "weak sandbox: the probe missed \"$name\" (${got:-no line})"
    fi
  done
  if grep -q "^ok [0-9]* - the probe ran to its end" "$tmp/weak.out"; then
    emit ok "weak sandbox: the probe still ran to its end"
  else
    emit not-ok "weak sandbox: the probe did not run to its end"
    sed 's/^/# weak: /' "$tmp/weak.out" "$tmp/weak.err" | tail -n 20 >>"$out"
  fi
fi

echo "1..$n"
cat "$out"
exit 0
