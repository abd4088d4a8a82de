## init/local.mk -- the init-script environment (libwardinit.a) and the
## scripts ward ships for it.
noinst_LIBRARIES += libwardinit.a
libwardinit_a_CPPFLAGS = $(INIT_CPPFLAGS) $(LUA_CFLAGS) $(SECCOMP_CFLAGS) $(CAPNG_CFLAGS)
libwardinit_a_SOURCES = init/include/init.h init/init-int.h init/init.c init/calls.c init/guard.c
nodist_libwardinit_a_SOURCES = init/builtin.c

## The shipped init scripts, compiled in (winit_builtin()) so that a child
## needs no file, and installed for people to read and adapt.
WINIT_BUILTIN = $(srcdir)/init/empty-root.lua
BUILT_SOURCES += init/builtin.c
CLEANFILES += init/builtin.c
init/builtin.c: $(WINIT_BUILTIN) $(srcdir)/build-aux/embed.sh
	$(AM_V_GEN)$(MKDIR_P) init && \
	$(SHELL) $(srcdir)/build-aux/embed.sh winit_builtin init.h $(WINIT_BUILTIN) > $@-t \
	&& mv -f $@-t $@

pkgdatainitdir = $(pkgdatadir)/init
dist_pkgdatainit_DATA = $(WINIT_BUILTIN)
