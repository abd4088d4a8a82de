/* fdvec.h -- descriptors that travel with messages (a ward_fdvec: the
 * encoder dup()s each descriptor a message carries into its list, the
 * decoder takes them out; what is left is closed with the message), and
 * the runtime's descriptor table with its reserve. Prefix ward_fdvec_ for
 * the lists, ward_fd_ for the table. The Lua type of a descriptor is in
 * lua/lfd.h. */
#ifndef WARD_FDVEC_H
#define WARD_FDVEC_H

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
/* ward's standard stream i (0, 1, 2) as a sandboxed child may hold it:
 * a terminal or other character device that ward holds for reading and
 * writing (one description for the three streams, in a terminal) is
 * opened again in the stream's direction alone (read for 0, write for 1
 * and 2), once; anything else, or when that fails, is i itself. Not
 * closed by the caller. */
int ward_fd_std (int i);
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

/* The error kind of an errno of a descriptor call: INVALID (a bad or
 * unconnected descriptor), UNAVAILABLE (a closed peer, no descriptors or
 * no space left) or INTERNAL. */
ward_kind ward_fd_errno_kind (int e);

#endif
