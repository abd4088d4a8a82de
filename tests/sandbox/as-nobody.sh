# as-nobody.sh -- sourced by the wrappers that run a test binary as nobody
# (uid/gid 65534, no groups): tests/sandbox/spawn.sh, lockdown-nobody.sh,
# escape.sh and tests/init/nobody.sh.
#
# The checkout may sit where nobody cannot look (CI checks out as root under
# a directory of unknown mode), so the binary and the source files it reads
# are copied into a fresh directory, mode 755, that nobody can traverse and
# execute from, and run from there with WARD_SRCDIR and WARD_BUILDDIR
# pointing at it. The directory goes when the wrapper's shell exits.
#
#   nobody_stage BIN [FILE...]   copy BIN and each FILE (a path relative to
#                                $WARD_SRCDIR, kept relative) into
#                                $nobody_dir; $nobody_bin is BIN's copy.
#                                Non-zero, with $nobody_why, on failure.
#   as_nobody CMD [ARG...]       run CMD from $nobody_dir as nobody (as the
#                                current user when not root).
#   nobody_test BIN [FILE...]    the whole of a simple wrapper: TAP skip
#                                when nobody cannot be reached, else stage
#                                and run BIN as nobody; exits with its status.

: "${WARD_BUILDDIR:=.}"
: "${WARD_SRCDIR:=.}"
nobody_dir=
nobody_bin=
nobody_why=

nobody_setpriv () {
  setpriv --reuid=65534 --regid=65534 --clear-groups "$@"
}

nobody_cleanup () {
  if [ -n "$nobody_dir" ]; then
    rm -rf "$nobody_dir"
    nobody_dir=
  fi
}

# Copy into one candidate directory; then, as root, prove that nobody can
# execute the copy (test -x fails on a noexec mount too).
nobody_try () {
  base=$1
  shift
  [ -d "$base" ] || return 1
  nobody_dir=$(mktemp -d "$base/ward-nobody.XXXXXX" 2>/dev/null) || {
    nobody_dir=
    return 1
  }
  bin=$1
  shift
  nobody_bin="$nobody_dir/${bin##*/}"
  cp "$bin" "$nobody_bin" && chmod 755 "$nobody_dir" "$nobody_bin" || {
    nobody_cleanup
    return 1
  }
  for f in "$@"; do
    case $f in
      */*) mkdir -p "$nobody_dir/${f%/*}" && chmod 755 "$nobody_dir/${f%/*}" \
             || { nobody_cleanup; return 1; } ;;
    esac
    cp "$WARD_SRCDIR/$f" "$nobody_dir/$f" && chmod 644 "$nobody_dir/$f" || {
      nobody_why="cannot copy $WARD_SRCDIR/$f"
      nobody_cleanup
      return 2
    }
  done
  if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null 2>&1 \
     && ! nobody_setpriv test -x "$nobody_bin"; then
    nobody_cleanup
    return 1
  fi
  return 0
}

nobody_stage () {
  nobody_why=
  if [ ! -x "$1" ]; then
    nobody_why="$1 is not built"
    return 1
  fi
  trap nobody_cleanup EXIT
  tried=
  for base in "${TMPDIR:-/tmp}" /tmp /var/tmp /dev/shm; do
    case " $tried " in *" $base "*) continue ;; esac
    tried="$tried $base"
    nobody_try "$base" "$@"
    case $? in
      0) return 0 ;;
      2) return 1 ;;
    esac
  done
  nobody_why="no directory in which nobody may execute a copy of $1 (tried$tried)"
  return 1
}

as_nobody () {
  if [ "$(id -u)" = 0 ]; then
    (cd "$nobody_dir" && WARD_SRCDIR="$nobody_dir" WARD_BUILDDIR="$nobody_dir" \
      nobody_setpriv "$@")
  else
    (cd "$nobody_dir" && WARD_SRCDIR="$nobody_dir" WARD_BUILDDIR="$nobody_dir" \
      "$@")
  fi
}

nobody_test () {
  if [ "$(id -u)" != 0 ]; then
    echo "1..0 # SKIP not root: the plain run already covers uid $(id -u)"
    exit 0
  fi
  if ! command -v setpriv >/dev/null 2>&1; then
    echo "1..0 # SKIP setpriv (util-linux) is not installed"
    exit 0
  fi
  if ! nobody_stage "$@"; then
    echo "Bail out! $nobody_why"
    exit 1
  fi
  as_nobody "$nobody_bin"
  exit $?
}
