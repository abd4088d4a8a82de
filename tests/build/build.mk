## tests/build/build.mk -- tests of the build itself.

## layers.sh: each library's include paths find what it may use and nothing
## else (Makefile.am); it gets the flags the libraries are compiled with.
TESTS += tests/build/layers.sh
EXTRA_DIST += tests/build/layers.sh
AM_TESTS_ENVIRONMENT += CC='$(CC)'; export CC; \
	LAYER_SYSFLAGS='$(LUA_CFLAGS) $(SECCOMP_CFLAGS) $(CAPNG_CFLAGS) $(SQLITE_CFLAGS) $(PQ_CFLAGS)'; \
	LAYER_COMMON='$(AM_CPPFLAGS)'; LAYER_POLICY='$(POLICY_CPPFLAGS)'; \
	LAYER_INIT='$(INIT_CPPFLAGS)'; LAYER_SANDBOX='$(SANDBOX_CPPFLAGS)'; \
	LAYER_RUNTIME='$(RUNTIME_CPPFLAGS)'; \
	export LAYER_SYSFLAGS LAYER_COMMON LAYER_POLICY LAYER_INIT LAYER_SANDBOX LAYER_RUNTIME;
