/* fdvec.c -- the descriptor lists of messages and the runtime's descriptor
 * table (fdvec.h). */
#include "config.h"
#include "fdvec.h"
#include "rt.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- descriptor lists ---- */

ward_kind
ward_fd_errno_kind (int e)
{
  switch (e)
    {
    case EBADF: case EINVAL: case EISDIR: case ENOTCONN:
      return WARD_E_INVALID;
    case EPIPE: case ECONNRESET: case EMFILE: case ENFILE: case ENOSPC: case EDQUOT:
      return WARD_E_UNAVAILABLE;
    default:
      return WARD_E_INTERNAL;
    }
}

void
ward_fdvec_close (ward_fdvec *v)
{
  if (v == NULL)
    return;
  for (unsigned i = 0; i < v->n; i++)
    if (v->fd[i] >= 0)
      close (v->fd[i]);
  v->n = 0;
}

int
ward_fdvec_own (ward_fdvec *v, int fd, ward_err *err)
{
  if (v->n >= WARD_FD_MAX)
    {
      close (fd);
      return ward_err_set (err, WARD_E_INVALID, 0, "more than %d file descriptors in one "
                           "message", WARD_FD_MAX);
    }
  v->fd[v->n] = fd;
  return (int) v->n++;
}

/* ---- the descriptor table ---- */

static long fd_floor = LONG_MAX;        /* the first reserved number */
static long fd_soft;                    /* the soft limit, once raised */
static int fd_probe = -1;               /* dup()ed to find the lowest free number */

int
ward_fd_table_init (unsigned reserve, ward_err *err)
{
  struct rlimit rl;
  if (getrlimit (RLIMIT_NOFILE, &rl) < 0)
    return ward_err_set (err, WARD_E_INTERNAL, errno, "getrlimit(RLIMIT_NOFILE)");
  if (rl.rlim_cur < rl.rlim_max)
    {
      struct rlimit up = { rl.rlim_max, rl.rlim_max };
      /* an unlimited hard limit is more than the kernel's nr_open: then
       * the soft one stays as it is */
      if (setrlimit (RLIMIT_NOFILE, &up) == 0)
        rl.rlim_cur = rl.rlim_max;
    }
  if ((fd_probe = open ("/", O_PATH | O_CLOEXEC)) < 0)
    return ward_err_set (err, WARD_E_INTERNAL, errno, "opening / (a descriptor to probe "
                         "the table with)");
  fd_soft = rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > (rlim_t) INT_MAX
            ? INT_MAX : (long) rl.rlim_cur;
  fd_floor = fd_soft > (long) reserve ? fd_soft - (long) reserve : 0;
  return 0;
}

long
ward_fd_floor (void)
{
  return fd_floor;
}

int
ward_fd_reserved (int fd)
{
  return fd >= fd_floor;
}

int
ward_fd_refuse (const char *what, ward_err *err)
{
  return ward_err_set (err, WARD_E_UNAVAILABLE, 0, "%s: the runtime's descriptors are "
                       "running out (the last %ld of its %ld are kept for trusted work)",
                       what, fd_soft - fd_floor, fd_soft);
}

int
ward_fd_room (unsigned n, const char *what, ward_err *err)
{
  if (fd_probe < 0)
    return 0;
  int low = fcntl (fd_probe, F_DUPFD_CLOEXEC, 0);
  if (low < 0)
    return ward_fd_refuse (what, err);
  close (low);
  return (long) low + (long) n > fd_floor ? ward_fd_refuse (what, err) : 0;
}

/* ---- descriptor lists: duplicating ---- */

int
ward_fdvec_dup (ward_fdvec *v, int fd, ward_err *err)
{
  if (v->n >= WARD_FD_MAX)
    return ward_err_set (err, WARD_E_INVALID, 0, "more than %d file descriptors in one "
                         "message", WARD_FD_MAX);
  int d = fcntl (fd, F_DUPFD_CLOEXEC, 3);
  if (d < 0)
    return ward_err_set (err, ward_fd_errno_kind (errno), errno, "file descriptor %d cannot be "
                         "sent: %s", fd, strerror (errno));
  /* a sandboxed host's process (its stand-in, sending for its child) */
  ward_proc *self = ward_current ();
  if (self && self->fd_tally && ward_fd_reserved (d))
    {
      close (d);
      ward_proc_audit_limit (self, WARD_ACTION (LIMIT_FD_RESERVE), self->pid);
      return ward_fd_refuse ("a descriptor cannot be sent", err);
    }
  v->fd[v->n] = d;
  return (int) v->n++;
}

/* ---- the standard streams a child is handed ---- */

static int std_fd[3] = { 0, 1, 2 };
static pthread_once_t std_once = PTHREAD_ONCE_INIT;

/* A child handed ward's read-write terminal as its standard output could
 * read what is typed there: it gets the terminal opened anew, write-only
 * (or read-only for standard input). Character devices only: a regular
 * file opened anew would lose its offset, a socket cannot be. */
static void
std_narrow (void)
{
  for (int i = 0; i < 3; i++)
    {
      struct stat st;
      int fl = fcntl (i, F_GETFL);
      if (fl < 0 || (fl & O_ACCMODE) != O_RDWR || fstat (i, &st) < 0 || !S_ISCHR (st.st_mode))
        continue;
      char path[64];
      snprintf (path, sizeof path, "/proc/self/fd/%d", i);
      int fd = open (path, (i == 0 ? O_RDONLY : O_WRONLY) | O_CLOEXEC | O_NOCTTY);
      if (fd >= 0)
        std_fd[i] = fd;
    }
}

int
ward_fd_std (int i)
{
  pthread_once (&std_once, std_narrow);
  return i >= 0 && i < 3 ? std_fd[i] : -1;
}
