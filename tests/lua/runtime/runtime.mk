## tests/lua/runtime/runtime.mk -- end-to-end tests of channels, time, the Emilua face and limits.
## Each .lua test runs under tests/lua/run-lua-test.sh with its directory as
## --root; helper process definitions live in tests/lua/runtime/actors (id actors:NAME).
LUA_TESTS += tests/lua/runtime/channel.lua
LUA_TESTS += tests/lua/runtime/time.lua
LUA_TESTS += tests/lua/runtime/timers-many.lua
LUA_TESTS += tests/lua/runtime/emilua.lua
## contexts.lua, contexts-threads.sh: spawn_vm's contexts (inherit_context =
## false) take a name only when made and end with their last process.
LUA_TESTS += tests/lua/runtime/contexts.lua
TESTS += tests/lua/runtime/contexts-threads.sh
EXTRA_DIST += tests/lua/runtime/contexts-threads.sh
## exit-copies.lua: a result holding a channel, seen by several, counted per copy.
LUA_TESTS += tests/lua/runtime/exit-copies.lua
## vmclose.lua: a VM's objects with finalizers are finalized as it ends; one
## without any gives its memory back whole (actors chanhold, bigmem).
LUA_TESTS += tests/lua/runtime/vmclose.lua
LUA_TESTS += tests/lua/runtime/stdlib.lua
LUA_TESTS += tests/lua/runtime/luacontract.lua
LUA_TESTS += tests/lua/runtime/busy.lua
LUA_TESTS += tests/lua/runtime/memory.lua
LUA_TESTS += tests/lua/runtime/pattern.lua
LUA_TESTS += tests/lua/runtime/coroutine.lua
LUA_TESTS += tests/lua/runtime/coclose.lua
LUA_TESTS += tests/lua/runtime/instructions.lua
LUA_TESTS += tests/lua/runtime/mailbox.lua
LUA_TESTS += tests/lua/runtime/mailbox-bytes.lua
LUA_TESTS += tests/lua/runtime/mailbox-listen.lua
LUA_TESTS += tests/lua/runtime/children.lua
## sort.lua takes about 5 s by design (the watchdog of unpreemptable code).
LUA_TESTS += tests/lua/runtime/sort.lua
LUA_TESTS += tests/lua/runtime/cloop.lua
LUA_TESTS += tests/lua/runtime/codec.lua
LUA_TESTS += tests/lua/runtime/killrace.lua
TESTS += tests/lua/runtime/cli.sh
## luabugs.sh: the published bugs of the Lua release ward links (ward-lua(7)).
TESTS += tests/lua/runtime/luabugs.sh
## signals.sh: the first signal ends a run, spawn chains included.
TESTS += tests/lua/runtime/signals.sh
## flood-rss.sh: the bytes queued for a process that does not read are bounded.
TESTS += tests/lua/runtime/flood-rss.sh
## timer-rss.sh: a process that ended holds nothing while its timers wait.
TESTS += tests/lua/runtime/timer-rss.sh
EXTRA_DIST += tests/lua/runtime/timer-rss.sh
EXTRA_DIST += tests/lua/runtime/tap.lua tests/lua/runtime/util.lua tests/lua/runtime/cli.sh tests/lua/runtime/actors \
	tests/lua/runtime/signals.sh tests/lua/runtime/luabugs.sh tests/lua/runtime/luabugs \
	tests/lua/runtime/flood-rss.sh
