#!/bin/sh
# layers.sh -- the build enforces ward's layers (runtime uses sandbox,
# policy and init; sandbox uses init; each uses common): with the include
# paths of each library, the headers it may use are found and every other
# library's internals, and every layer above it, are not. The flags are the ones Makefile.am gives
# each library (exported by tests/build/build.mk), so this fails if the
# build stops enforcing a layer.
: "${CC:=cc}"
n=0 fails=0
T=$(mktemp -d /tmp/ward-layers.XXXXXX)
trap 'rm -rf "$T"' EXIT
probe () {  # probe FLAGS HEADER: does an #include of HEADER preprocess?
  printf '#include "%s"\n' "$2" > "$T/probe.c"
  # shellcheck disable=SC2086 # FLAGS is a list of words
  $CC -E -I"$WARD_BUILDDIR" $1 $LAYER_SYSFLAGS "$T/probe.c" > /dev/null 2> "$T/err"
}
check () {  # check LIBRARY FLAGS yes|no HEADER...
  lib=$1 flags=$2 want=$3; shift 3
  for h in "$@"; do
    n=$((n + 1))
    # "no" only when the header itself is missing, not something it includes
    if probe "$flags" "$h"; then got=yes
    elif grep -q "$h: No such file" "$T/err"; then got=no
    else got=broken; fi
    if [ "$got" = "$want" ]; then
      if [ "$want" = yes ]; then echo "ok $n - $lib may include $h"
      else echo "ok $n - $lib cannot include $h"; fi
    else
      fails=$((fails + 1))
      if [ "$want" = yes ]; then echo "not ok $n - $lib may include $h, but it is not found"
      else echo "not ok $n - $lib must not include $h, but it is found"; fi
      sed 's/^/# /' "$T/err"
    fi
  done
}
echo "1..48"
# each library's own headers and what it may call
check common "$LAYER_COMMON" yes werr.h wbuf.h wfd.h wgrow.h wunit.h wprofile.h
check policy "$LAYER_POLICY" yes werr.h policy.h engine.h wpol.h
check init "$LAYER_INIT" yes werr.h init.h init-int.h
check sandbox "$LAYER_SANDBOX" yes werr.h sandbox.h lockdown.h init.h
check runtime "$LAYER_RUNTIME" yes werr.h rt.h vm.h wire.h policy.h sandbox.h init.h
# nothing runs back up, and no library reaches into another's internals
check common "$LAYER_COMMON" no policy.h init.h sandbox.h rt.h
check policy "$LAYER_POLICY" no init.h sandbox.h rt.h vm.h init-int.h
check init "$LAYER_INIT" no policy.h engine.h sandbox.h rt.h
check sandbox "$LAYER_SANDBOX" no policy.h engine.h rt.h init-int.h
check runtime "$LAYER_RUNTIME" no engine.h wpol.h gate.h audit.h lockdown.h proto.h init-int.h
[ "$fails" -eq 0 ]
