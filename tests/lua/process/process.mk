## tests/lua/process/process.mk -- end-to-end tests of the process module (seed 001).
## Each .lua test runs under tests/lua/run-lua-test.sh with its directory as
## --root; helper process definitions live in tests/lua/process/actors (id actors:NAME).
LUA_TESTS += tests/lua/process/builder-race.lua
LUA_TESTS += tests/lua/process/builder.lua
## reuse.lua: a process block kept for later spawns holds nothing of the process before.
LUA_TESTS += tests/lua/process/reuse.lua
LUA_TESTS += tests/lua/process/cancel.lua
LUA_TESTS += tests/lua/process/cancel-limit.lua
LUA_TESTS += tests/lua/process/children.lua
LUA_TESTS += tests/lua/process/context.lua
LUA_TESTS += tests/lua/process/deny-cancel.lua
LUA_TESTS += tests/lua/process/deny-context.lua
LUA_TESTS += tests/lua/process/deny-exec.lua
LUA_TESTS += tests/lua/process/deny-host.lua
LUA_TESTS += tests/lua/process/deny-link.lua
LUA_TESTS += tests/lua/process/deny-monitor.lua
LUA_TESTS += tests/lua/process/deny-register.lua
LUA_TESTS += tests/lua/process/deny-resource.lua
LUA_TESTS += tests/lua/process/deny-security.lua
LUA_TESTS += tests/lua/process/deny-send.lua
LUA_TESTS += tests/lua/process/deny-spawn-linked.lua
LUA_TESTS += tests/lua/process/deny-spawn-monitored.lua
LUA_TESTS += tests/lua/process/deny-spawn.lua
LUA_TESTS += tests/lua/process/deny-terminate.lua
LUA_TESTS += tests/lua/process/deny-unlink.lua
LUA_TESTS += tests/lua/process/deny-unmonitor.lua
LUA_TESTS += tests/lua/process/deny-unregister.lua
LUA_TESTS += tests/lua/process/errtext.lua
LUA_TESTS += tests/lua/process/exec.lua
LUA_TESTS += tests/lua/process/exit-bytes.lua
LUA_TESTS += tests/lua/process/fd.lua
LUA_TESTS += tests/lua/process/identity.lua
LUA_TESTS += tests/lua/process/library.lua
LUA_TESTS += tests/lua/process/link.lua
LUA_TESTS += tests/lua/process/mailbox.lua
LUA_TESTS += tests/lua/process/listen-pending.lua
LUA_TESTS += tests/lua/process/message.lua
LUA_TESTS += tests/lua/process/monitor.lua
LUA_TESTS += tests/lua/process/monitor-many.lua
LUA_TESTS += tests/lua/process/notfound.lua
LUA_TESTS += tests/lua/process/nul.lua
LUA_TESTS += tests/lua/process/options.lua
LUA_TESTS += tests/lua/process/registry.lua
LUA_TESTS += tests/lua/process/send.lua
LUA_TESTS += tests/lua/process/spawn.lua
LUA_TESTS += tests/lua/process/terminate.lua
LUA_TESTS += tests/lua/process/topics.lua
LUA_TESTS += tests/lua/process/upgrade.lua
TESTS += tests/lua/process/gate-trace.sh tests/lua/process/permissions.sh
EXTRA_DIST += tests/lua/process/tap.lua tests/lua/process/pending.lua tests/lua/process/util.lua tests/lua/process/actors \
	tests/lua/process/gate-trace.sh tests/lua/process/permissions.sh
