## tests/lua/sandbox.mk -- subprocess actors end to end: the process API on
## ward:sandbox (actors.lua, also as nobody by nobody.sh) and
## `ward run --untrusted` (untrusted.sh). Definitions live in
## tests/lua/sandbox/w (id w:NAME).
LUA_TESTS += tests/lua/sandbox/actors.lua tests/lua/sandbox/emilua.lua
TESTS += tests/lua/sandbox/nobody.sh tests/lua/sandbox/untrusted.sh tests/lua/sandbox/faults.sh
EXTRA_DIST += tests/lua/sandbox/nobody.sh tests/lua/sandbox/untrusted.sh \
	tests/lua/sandbox/faults.sh
