#!/bin/sh
# escape.sh -- the escape suite again, as nobody (test-escape itself runs as
# whoever runs make check), and proof that the suite can fail: under a weak
# sandbox (test-escape --weak: no seccomp, capabilities kept, no rlimits)
# the probe must report the escapes it exists to catch.
#
# test-escape probes what the host offers (32-bit emulation, keys, nested
# user namespaces, ...) and skips, with the reason, each check whose feature
# is missing. The last part proves that skip path on any host: with
# WARD_TEST_ESCAPE_ABSENT naming every feature, the checks that need one are
# skipped with a reason naming it, and every other check still runs and
# passes as it does without the switch.
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
# The escapes a weak sandbox must show, one a line, and the host feature
# each needs ("-": none). The feature names are test-escape's.
weak_list='ptrace	ptrace PTRACE_TRACEME
keys	keyctl
userns	unshare CLONE_NEWUSER
clone3	clone3 is ENOSYS
personality	personality READ_IMPLIES_EXEC
ia32	32-bit int 0x80 ABI
-	capabilities via capget
-	capability bounding and ambient sets
unfiltered	seccomp filter is on
-	fork bomb past the process limit
-	memory bomb past the memory limit
-	fd bomb past the file limit
-	raise a hard rlimit
-	ioctl TIOCSTI with high bits (0x100005412)
-	host view: capabilities
-	host view: no_new_privs and seccomp'
nl='
'
tab='	'
simulated="simulated by WARD_TEST_ESCAPE_ABSENT"

# whole_skip FILE LABEL: when FILE, an output of test-escape, skipped every
# check (1..0 # SKIP), one ok line saying so; 1 when it did not.
whole_skip () {
  grep -q '^1\.\.0 # SKIP' "$1" || return 1
  n=$((n + 1))
  echo "ok $n - $2: # SKIP $(sed -n 's/^1\.\.0 # SKIP //p' "$1")" >>"$out"
}

# result_of NAME FILE: the TAP line of check NAME in FILE (empty if none).
result_of () { grep -F -e "- $1: " -e "- $1 # SKIP " "$2" | head -n 1; }

# judge_weak FILE LABEL [SIM]: FILE, the output of test-escape --weak, must
# report each escape of weak_list, or skip it because the host lacks its
# feature. With SIM (the features were all simulated absent), each check
# with a feature must be skipped for that reason and each without must
# still be reported as escaped.
judge_weak () {
  wf=$1 label=$2 sim=${3:-}
  whole_skip "$wf" "$label" && return
  old_ifs=$IFS
  IFS=$nl
  for entry in $weak_list; do
    IFS=$old_ifs
    feat=${entry%%"$tab"*}
    name=${entry#*"$tab"}
    line=$(result_of "$name" "$wf")
    case $line in
      "ok "*" - $name # SKIP the host lacks $feat ("*)
        if [ -n "$sim" ]; then
          case $line in
            *"$simulated") emit ok "$label: \"$name\" is skipped: no $feat" ;;
            *) emit not-ok "$label: \"$name\" is skipped for another reason ($line)" ;;
          esac
        else
          emit ok "$label: \"$name\" # SKIP ${line#* # SKIP }"
        fi
        ;;
      *" - $name: ESCAPED"*)
        if [ -n "$sim" ] && [ "$feat" != - ]; then
          emit not-ok "$label: \"$name\" ran though $feat was simulated absent ($line)"
        else
          emit ok "$label: the probe reports \"$name\" as escaped"
        fi
        ;;
      *) emit not-ok "$label: the probe missed \"$name\" (${line:-no line})" ;;
    esac
    IFS=$nl
  done
  IFS=$old_ifs
  if grep -q "^ok [0-9]* - the probe ran to its end" "$wf"; then
    emit ok "$label: the probe still ran to its end"
  else
    emit not-ok "$label: the probe did not run to its end"
    sed 's/^/# weak: /' "$wf" | tail -n 20 >>"$out"
  fi
}

(cd "$tmp" && "$bin" --weak --init "$script") \
  >"$tmp/weak.out" 2>"$tmp/weak.err"
judge_weak "$tmp/weak.out" "weak sandbox"

# ---- the skip path, proven on this host ----
# Every check that needs a host feature, with that feature. The list is
# kept here, apart from probe.c's table, so that a check losing or gaining
# its dependency there shows up as a failure.
needs='ia32	32-bit int 0x80 ABI
x32	x32 ABI syscall
keys	keyctl
keys	add_key
keys	request_key
userns	unshare CLONE_NEWUSER
userns	clone CLONE_NEWUSER
clone3	clone3 is ENOSYS
clone3	clone3 CLONE_NEWUSER is ENOSYS
ptrace	ptrace PTRACE_TRACEME
personality	personality READ_IMPLIES_EXEC
personality	personality ADDR_NO_RANDOMIZE
unfiltered	seccomp filter is on
io_uring	io_uring_setup
ldt	modify_ldt'
every=ia32,x32,keys,userns,clone3,ptrace,personality,unfiltered,io_uring,ldt

(cd "$tmp" && "$bin" --init "$script") >"$tmp/plain.out" 2>"$tmp/plain.err"
(cd "$tmp" && WARD_TEST_ESCAPE_ABSENT=$every "$bin" --init "$script") \
  >"$tmp/sim.out" 2>"$tmp/sim.err"
if ! whole_skip "$tmp/plain.out" "simulated absence"; then
  # each check that needs a feature: skipped, naming it
  old_ifs=$IFS
  IFS=$nl
  for entry in $needs; do
    IFS=$old_ifs
    feat=${entry%%"$tab"*}
    name=${entry#*"$tab"}
    line=$(result_of "$name" "$tmp/sim.out")
    case $line in
      "ok "*" - $name # SKIP the host lacks $feat ("*"): $simulated")
        emit ok "simulated absence: \"$name\" is skipped, naming $feat" ;;
      *) emit not-ok "simulated absence: \"$name\" is not skipped for $feat (${line:-no line})" ;;
    esac
    IFS=$nl
  done
  IFS=$old_ifs
  # every other check: as without the switch, passed or skipped alike
  grep -E '^(not )?ok ' "$tmp/plain.out" >"$tmp/plain.tap"
  grep -E '^(not )?ok ' "$tmp/sim.out" >"$tmp/sim.tap"
  planned_plain=$(sed -n 's/^1\.\.\([0-9]*\)$/\1/p' "$tmp/plain.out")
  planned_sim=$(sed -n 's/^1\.\.\([0-9]*\)$/\1/p' "$tmp/sim.out")
  same=0 skipped=0 differ=0
  while IFS= read -r a <&3 && IFS= read -r b <&4; do
    hit=
    old_ifs=$IFS
    IFS=$nl
    for entry in $needs; do
      case $b in *" - ${entry#*"$tab"} # SKIP "*) hit=1 ;; esac
    done
    IFS=$old_ifs
    if [ -n "$hit" ]; then
      skipped=$((skipped + 1))
      continue
    fi
    case $a in *" # SKIP "*) a_skip=1 ;; *) a_skip=0 ;; esac
    case $b in *" # SKIP "*) b_skip=1 ;; *) b_skip=0 ;; esac
    case $a$b in
      "not ok"*|*"not ok"*) ok_both=0 ;;
      *) ok_both=1 ;;
    esac
    if [ "$ok_both" = 1 ] && [ "$a_skip" = "$b_skip" ] \
       && [ "${a%% - *}" = "${b%% - *}" ]; then
      same=$((same + 1))
    else
      differ=$((differ + 1))
      echo "# without the switch: $a" >>"$out"
      echo "# with it:            $b" >>"$out"
    fi
  done 3<"$tmp/plain.tap" 4<"$tmp/sim.tap"
  count=$(printf '%s\n' "$needs" | wc -l)
  if [ -n "$planned_sim" ] && [ "$planned_sim" = "$planned_plain" ] \
     && [ "$differ" = 0 ] && [ "$skipped" = "$count" ] \
     && [ $((same + skipped)) = "$planned_sim" ]; then
    emit ok "simulated absence: the other $same checks still run and pass as without it"
  else
    emit not-ok "simulated absence: planned ${planned_sim:-nothing} (${planned_plain:-nothing} without it), $skipped of $count skipped, $same the same, $differ different"
  fi

  (cd "$tmp" && WARD_TEST_ESCAPE_ABSENT=$every "$bin" --weak --init "$script") \
    >"$tmp/simweak.out" 2>"$tmp/simweak.err"
  judge_weak "$tmp/simweak.out" "weak sandbox, simulated absence" sim
fi

# a misspelt feature must not simulate nothing in silence
(cd "$tmp" && WARD_TEST_ESCAPE_ABSENT=ia32,no-such-feature "$bin" --init "$script") \
  >"$tmp/typo.out" 2>&1
rc=$?
if [ "$rc" != 0 ] && ! grep -q '^1\.\.' "$tmp/typo.out" \
   && grep -q '^Bail out! WARD_TEST_ESCAPE_ABSENT: unknown feature "no-such-feature"' "$tmp/typo.out"; then
  emit ok "an unknown feature in WARD_TEST_ESCAPE_ABSENT is a bail-out naming it"
else
  emit not-ok "an unknown feature in WARD_TEST_ESCAPE_ABSENT: status $rc, $(head -n 1 "$tmp/typo.out")"
fi

echo "1..$n"
cat "$out"
exit 0
