## tests/init/init.mk -- the init-script environment, run as the current
## user and (nobody.sh) as nobody.
check_PROGRAMS += tests/init/test-init
tests_init_test_init_CPPFLAGS = $(ALL_CPPFLAGS) $(LUA_CFLAGS) $(SECCOMP_CFLAGS) \
	-I$(top_srcdir)/tests/unit -DWARD_TOP_SRCDIR='"$(abs_top_srcdir)"'
tests_init_test_init_LDADD = libwardinit.a libwardcommon.a $(LUA_LIBS) $(SECCOMP_LIBS) \
	$(CAPNG_LIBS) -lm

TESTS += tests/init/test-init tests/init/nobody.sh
EXTRA_DIST += tests/init/nobody.sh
