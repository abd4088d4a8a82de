/* lfd.h -- file descriptors as Lua values (DESIGN 2.3).
 *
 * A descriptor is a userdata of type "ward.fd" that owns one open file
 * descriptor of the process: it closes it when closed, collected, or when
 * its VM ends. Messages carry descriptors beside their bytes: the encoder
 * dup()s each one into a ward_fdvec and writes its index there, the
 * decoder makes a new userdata that takes the descriptor out of the list.
 * Between in-process actors the list moves with the message; to and from a
 * subprocess actor it travels as SCM_RIGHTS with the frame (wire.h). What
 * is still in a list when its message is freed is closed.
 *
 * The Lua module `fd` (require "fd", which asks lua.require on "fd") makes
 * pipes and socket pairs; the methods read, write, close, dup, seek and
 * lines are on every descriptor, whichever way it came (fs.open, lfs.h,
 * makes them too). Reads and writes wait in short
 * polls and so stay killable, but keep the worker thread while they wait.
 * Prefix ward_fd_. */
#ifndef WARD_LFD_H
#define WARD_LFD_H

#include <lua.h>
#include "fdvec.h"
#include "werr.h"

/* The descriptor held by the "ward.fd" at idx: a pointer to it (-1 once
 * closed), or NULL when the value is not one. Runs no metamethod. */
int *ward_fd_test (lua_State *L, int idx);
/* Close the descriptor a "ward.fd" holds (from ward_fd_test), if it still
 * holds one; it holds none after. */
void ward_fd_release (int *held);
/* Push a new "ward.fd" owning fd. May raise a memory error, in which case
 * fd is NOT closed (the caller still owns it). */
void ward_fd_push (lua_State *L, int fd);

int ward_luaopen_fd (lua_State *L);
extern const struct ward_type ward_type_fd;

#endif
