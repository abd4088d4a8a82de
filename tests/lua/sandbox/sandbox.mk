## tests/lua/sandbox/sandbox.mk -- subprocess actors end to end: the process API on
## ward:sandbox (actors.lua), spawn_vm's subprocess table (emilua.lua),
## `ward run --untrusted` (untrusted.sh), a hostile script's every refused
## attempt and its audit record (hostile.sh), the two demos README runs
## (demos.sh); nobody.sh runs the
## first four as nobody. Definitions live in tests/lua/sandbox/actors (id actors:NAME)
## and tests/lua/sandbox/tools.
LUA_TESTS += tests/lua/sandbox/actors.lua tests/lua/sandbox/emilua.lua tests/lua/sandbox/fd.lua \
	tests/lua/sandbox/listen.lua tests/lua/sandbox/fidelity.lua \
	tests/lua/sandbox/vmaddr.lua tests/lua/sandbox/vmstdio.lua tests/lua/sandbox/retchan.lua \
	tests/lua/sandbox/manyheld.lua \
	tests/lua/sandbox/quotas.lua
## child-calls.lua: process.upgrade and spawn_vm inside a subprocess actor.
LUA_TESTS += tests/lua/sandbox/child-calls.lua
## sends.lua: a child's sends, performed by the runtime's reader or its
## stand-in: order, answers, to itself; a child busy for long still reads
LUA_TESTS += tests/lua/sandbox/sends.lua
## sends-sync.lua: the same under --audit-sync, where the stand-in performs them
LUA_TESTS += tests/lua/sandbox/sends-sync.lua
## init-lockdown.lua: what an init script does with Emilua's capability
## calls cannot weaken the lockdown that follows.
LUA_TESTS += tests/lua/sandbox/init-lockdown.lua
TESTS += tests/lua/sandbox/nobody.sh tests/lua/sandbox/untrusted.sh \
	tests/lua/sandbox/hostile.sh tests/lua/sandbox/hosts.sh tests/lua/sandbox/demos.sh
## stdio.sh: the standard streams, os.getenv, process.permissions.query
## and ward run's --allow-* flags, in the runtime and in subprocess actors.
TESTS += tests/lua/sandbox/stdio.sh
EXTRA_DIST += tests/lua/sandbox/stdio.sh
## grants.sh: ward run --allow-read/-write/-net/-listen (the canonical
## path, --print-policy round trips) and process.permissions.query on fs.*
## and net.* as the calls would answer, trusted and --untrusted.
TESTS += tests/lua/sandbox/grants.sh
EXTRA_DIST += tests/lua/sandbox/grants.sh
## walkthrough.sh: doc/writing-policies.md section 13 run as written
## (permissive run, suggest, --allow-* grants, enforce), the plugin script
## taken from the document.
TESTS += tests/lua/sandbox/walkthrough.sh
EXTRA_DIST += tests/lua/sandbox/walkthrough.sh
## net-nolookup.sh: no host name is looked up where no grant could follow
## (net.connect, net.listen, permissions.query), watched with strace.
TESTS += tests/lua/sandbox/net-nolookup.sh
EXTRA_DIST += tests/lua/sandbox/net-nolookup.sh
## stdio-hostile.sh: attacks on them (a stream closed or endless, waits where
## nothing yields, a terminal, --allow-* values, a compromised child).
TESTS += tests/lua/sandbox/stdio-hostile.sh
EXTRA_DIST += tests/lua/sandbox/stdio-hostile.sh
## exhaust.sh: an untrusted script cannot exhaust the runtime's descriptors
## (live children, the descriptor reserve, descriptors in flight).
TESTS += tests/lua/sandbox/exhaust.sh
EXTRA_DIST += tests/lua/sandbox/exhaust.sh
## limits.sh: every refusal for a limit is audited (limit.*) and folds;
## spawn_vm's subprocess actors are bounded; the supervisor's descriptors.
TESTS += tests/lua/sandbox/limits.sh
EXTRA_DIST += tests/lua/sandbox/limits.sh
## detach.sh: a detached subprocess actor outlives the run, and keeps
## nothing of it; the test kills the survivor.
TESTS += tests/lua/sandbox/detach.sh
EXTRA_DIST += tests/lua/sandbox/detach.sh
## lifetime.sh: nothing of a run outlives ward but what it detached.
TESTS += tests/lua/sandbox/lifetime.sh
EXTRA_DIST += tests/lua/sandbox/lifetime.sh
## idle-rss.sh: idle helpers that sent a large message hold nothing of it.
TESTS += tests/lua/sandbox/idle-rss.sh
EXTRA_DIST += tests/lua/sandbox/idle-rss.sh
EXTRA_DIST += tests/lua/sandbox/tap.lua tests/lua/sandbox/pending.lua tests/lua/sandbox/util.lua tests/lua/sandbox/actors \
	tests/lua/sandbox/tools tests/lua/sandbox/hostile-suite.lua
EXTRA_DIST += tests/lua/sandbox/lib.sh tests/lua/sandbox/nobody.sh tests/lua/sandbox/untrusted.sh \
	tests/lua/sandbox/hostile.sh tests/lua/sandbox/hosts.sh \
	tests/lua/sandbox/demos.sh
## hostpath.sh: errors a sandboxed caller gets name definitions by id,
## never by the host's file.
TESTS += tests/lua/sandbox/hostpath.sh
EXTRA_DIST += tests/lua/sandbox/hostpath.sh
## hostile-child.sh: a compromised child (tests/ward-faults with
## WARD_TEST_RAW_WIRE, tests/harness/rawwire.c) cannot bend the runtime:
## malformed frames, forged handles and PIDs, call order, pace.
TESTS += tests/lua/sandbox/hostile-child.sh
EXTRA_DIST += tests/lua/sandbox/hostile-child.sh tests/lua/sandbox/raw-parent.lua \
	tests/lua/sandbox/helper-loop.lua
## syscalls.sh: a refused system call of the sandbox's set-up fails closed
## (tests/ward-faults, WARD_TEST_SYSCALL_FAULT).
TESTS += tests/lua/sandbox/syscalls.sh
EXTRA_DIST += tests/lua/sandbox/syscalls.sh
## leftovers.sh: a failed set-up or a hostile child leaves nothing held in
## the runtime (descriptors of a reader that could not start, half-sent
## frames, alone and together; DROPs of channels a child does not hold).
TESTS += tests/lua/sandbox/leftovers.sh
EXTRA_DIST += tests/lua/sandbox/leftovers.sh
## drop.lua: a channel a subprocess actor drops counts as open no more.
LUA_TESTS += tests/lua/sandbox/drop.lua
## copies.lua: a subprocess actor that copies a channel itself (upgrade's
## arguments, once, twice, its own inbox) gives it back once, exactly.
LUA_TESTS += tests/lua/sandbox/copies.lua
## fs-escape.sh: the fs module's escape suite (fs-attempts.lua) as a trusted
## and a subprocess actor, as root and as nobody, with openat2 and with the
## component walk, beside a racer that swaps names for symlinks.
TESTS += tests/lua/sandbox/fs-escape.sh
EXTRA_DIST += tests/lua/sandbox/fs-escape.sh tests/lua/sandbox/fs-attempts.lua
## net-escape.sh: the net module on loopback (net-attempts.lua) as a trusted
## and a subprocess actor, as root and as nobody: grants work, every other
## endpoint (a name resolving to a denied address included) is refused.
TESTS += tests/lua/sandbox/net-escape.sh
EXTRA_DIST += tests/lua/sandbox/net-escape.sh tests/lua/sandbox/net-attempts.lua
EXTRA_DIST += tests/lua/sandbox/attempts-tap.lua
