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
 * pipes and socket pairs; the methods read, write, close and dup are on
 * every descriptor, whichever way it came. Reads and writes wait in short
 * polls and so stay killable, but keep the worker thread while they wait.
 * Prefix ward_fd_. */
#ifndef WARD_LFD_H
#define WARD_LFD_H

#include <lua.h>
#include "werr.h"

/* At most this many descriptors in one message (SCM_RIGHTS allows 253). */
#define WARD_FD_MAX 16

typedef struct ward_fdvec {
  unsigned n;                   /* slots used */
  int fd[WARD_FD_MAX];          /* -1: taken by a decoder, or closed */
} ward_fdvec;

/* Close every descriptor still in v; v is then empty. NULL is allowed. */
void ward_fdvec_close (ward_fdvec *v);
/* Append a dup of fd; its index (0-based) on success, or -1 with err
 * (INVALID: the list is full; UNAVAILABLE: out of descriptors). */
int ward_fdvec_dup (ward_fdvec *v, int fd, ward_err *err);
/* Append fd itself (owned from now on); -1 when full (fd is then closed). */
int ward_fdvec_own (ward_fdvec *v, int fd, ward_err *err);

/* The descriptor held by the "ward.fd" at idx: a pointer to it (-1 once
 * closed), or NULL when the value is not one. Runs no metamethod. */
int *ward_fd_test (lua_State *L, int idx);
/* Close the descriptor a "ward.fd" holds (from ward_fd_test), if it still
 * holds one; it holds none after. */
void ward_fd_release (int *held);
/* Push a new "ward.fd" owning fd. May raise a memory error, in which case
 * fd is NOT closed (the caller still owns it). */
void ward_fd_push (lua_State *L, int fd);

/* ---- the runtime's descriptor table ----
 * ward_fd_table_init (once, at start) raises the soft RLIMIT_NOFILE to the
 * hard limit and keeps the top `reserve` descriptor numbers below it for
 * the runtime and its trusted processes. The kernel hands out the lowest
 * free number, so a descriptor taken for sandboxed work (a subprocess
 * actor's channel and pidfd, what its child sends or has duplicated) that
 * lands at or above the floor means the table is that full: it is closed
 * and the work refused with UNAVAILABLE. Sandboxed work then never holds
 * a reserved number, and the reserve stays whole for the rest. Without
 * init nothing is reserved. */
int ward_fd_table_init (unsigned reserve, ward_err *err);
/* The first reserved number (the soft limit less the reserve). */
long ward_fd_floor (void);
/* Whether fd, taken for sandboxed work, is a reserved number. */
int ward_fd_reserved (int fd);
/* Before sandboxed work takes n descriptors: whether the lowest free
 * number leaves room for them below the floor. 0, or -1 with UNAVAILABLE
 * (what says `what`). */
int ward_fd_room (unsigned n, const char *what, ward_err *err);
/* The error of a reserved number taken for sandboxed work. */
int ward_fd_refuse (const char *what, ward_err *err);

int ward_luaopen_fd (lua_State *L);
extern const struct ward_type ward_type_fd;

#endif
