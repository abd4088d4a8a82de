/* testutil.h -- what the C tests of the sandbox and of init scripts share:
 * a child that reports through a pipe, writing and reading a /proc file,
 * and mapping the caller to root in a new user namespace (as ward does for
 * an unprivileged caller). */
#ifndef WARD_TESTUTIL_H
#define WARD_TESTUTIL_H

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Write text to path in one write; 0, or -1 with the errno of the open or
 * the write (not of the close). */
static inline int
tu_write_file (const char *path, const char *text)
{
  int fd = open (path, O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    return -1;
  ssize_t n = write (fd, text, strlen (text));
  int e = errno;
  close (fd);
  errno = e;
  return n == (ssize_t) strlen (text) ? 0 : -1;
}

/* Fork a child that reports through a pipe (pipe2 with pipe_flags):
 * stdout is flushed first, so the child does not print the parent's
 * buffer again. The child gets 0 and keeps p[1], the parent the child's pid
 * and keeps p[0]. Aborts when it cannot. */
static inline pid_t
tu_fork_piped (int p[2], int pipe_flags)
{
  if (pipe2 (p, pipe_flags) < 0)
    abort ();
  fflush (stdout);
  pid_t pid = fork ();
  if (pid < 0)
    abort ();
  close (pid == 0 ? p[0] : p[1]);
  return pid;
}

/* Read path (up to len - 1 bytes) into buf, NUL-terminated: a /proc file
 * read at once. The length, or -1 when it cannot be opened. */
static inline ssize_t
tu_read_file (const char *path, char *buf, size_t len)
{
  FILE *f = fopen (path, "r");
  if (f == NULL)
    return -1;
  size_t n = fread (buf, 1, len - 1, f);
  fclose (f);
  buf[n] = '\0';
  return (ssize_t) n;
}

/* Just after unshare (CLONE_NEWUSER): root inside is uid and gid outside
 * (setgroups denied first, as an unprivileged gid_map needs). 0, or -1
 * with errno. */
static inline int
tu_map_root (unsigned uid, unsigned gid)
{
  char map[64];
  snprintf (map, sizeof map, "0 %u 1", uid);
  if (tu_write_file ("/proc/self/setgroups", "deny") < 0
      || tu_write_file ("/proc/self/uid_map", map) < 0)
    return -1;
  snprintf (map, sizeof map, "0 %u 1", gid);
  return tu_write_file ("/proc/self/gid_map", map);
}

#endif
