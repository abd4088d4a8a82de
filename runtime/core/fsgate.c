/* fsgate.c -- resolve, check and open a path for a script (fsgate.h). */
#include "config.h"
#include "fsgate.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#ifdef SYS_openat2
# include <linux/openat2.h>
#endif

#define MAX_LINKS 40            /* as the kernel's: more is a loop */

/* ---- resolution ---- */

/* Drop the last name of canon (at *clen), never above "/". */
static void
pop (char *canon, size_t *clen)
{
  while (*clen > 1 && canon[*clen - 1] != '/')
    (*clen)--;
  if (*clen > 1)
    (*clen)--;
  canon[*clen] = '\0';
}

int
ward_fsgate_resolve (const char *req, size_t len, int follow, ward_fsgate_path *out,
                     ward_err *err)
{
  if (len == 0)
    return ward_err_set (err, WARD_E_INVALID, 0, "the path is empty");
  if (memchr (req, '\0', len) != NULL)
    return ward_err_set (err, WARD_E_INVALID, 0, "the path holds a NUL byte");
  if (len >= PATH_MAX)
    return ward_err_set (err, WARD_E_INVALID, 0, "the path is %zu bytes long (at most %d)",
                         len, PATH_MAX - 1);
  char *canon = out->canon;
  size_t clen;
  out->exists = 0;
  out->err_no = 0;
  if (req[0] == '/')
    {
      canon[0] = '/';
      clen = 1;
    }
  else
    {
      if (getcwd (canon, PATH_MAX) == NULL || canon[0] != '/')
        return ward_err_set (err, WARD_E_INTERNAL, errno,
                             "the working directory cannot be read: %s", strerror (errno));
      clen = strlen (canon);
    }
  canon[clen] = '\0';
  /* what is left to walk; a link's target is put in front of the rest */
  char rest[PATH_MAX], tmp[PATH_MAX];
  memcpy (rest, req, len);
  rest[len] = '\0';
  const char *p = rest;
  int links = 0, missing = 0;
  size_t miss_at = 0;           /* canon's length before the missing name */
  for (;;)
    {
      while (*p == '/')
        p++;
      if (*p == '\0')
        break;
      const char *e = strchrnul (p, '/');
      size_t n = (size_t) (e - p);
      const char *after = e;
      while (*after == '/')
        after++;
      int last = *after == '\0';
      if (n == 1 && p[0] == '.')
        {
          p = e;
          continue;
        }
      if (n == 2 && p[0] == '.' && p[1] == '.')
        {
          pop (canon, &clen);
          if (missing && clen <= miss_at)
            {
              /* back above the name that was missing (or not a directory):
               * the walk goes on as it would past a directory, so that
               * whether a path through a name and back out works does not
               * tell what is there */
              missing = 0;
              out->err_no = 0;
            }
          p = e;
          continue;
        }
      if (n > NAME_MAX || clen + 1 + n >= PATH_MAX)
        return ward_err_set (err, WARD_E_INVALID, 0, "the path resolves to more than %d bytes",
                             PATH_MAX - 1);
      size_t before = clen;
      if (clen > 1)
        canon[clen++] = '/';
      memcpy (canon + clen, p, n);
      clen += n;
      canon[clen] = '\0';
      p = e;
      if (missing)
        continue;
      struct stat st;
      if (lstat (canon, &st) < 0)
        {
          /* the rest is taken as written: what the gate is asked about
           * does not depend on what exists beyond the caller's grants */
          missing = 1;
          miss_at = before;
          out->err_no = errno;
          continue;
        }
      if (S_ISLNK (st.st_mode) && (!last || follow))
        {
          ssize_t k = ++links > MAX_LINKS ? (errno = ELOOP, -1)
                      : readlink (canon, tmp, sizeof tmp - 1);
          if (k < 0)
            {
              missing = 1;
              miss_at = before;
              out->err_no = errno;
              continue;
            }
          tmp[k] = '\0';
          /* the target, then the rest of the path, walked from the link's
           * directory (or from "/" for an absolute target) */
          size_t rl = strlen (p);
          if ((size_t) k + 1 + rl >= sizeof tmp)
            return ward_err_set (err, WARD_E_INVALID, 0, "the path resolves to more than %d "
                                 "bytes", PATH_MAX - 1);
          tmp[k] = '/';
          memcpy (tmp + k + 1, p, rl + 1);
          memcpy (rest, tmp, (size_t) k + 1 + rl + 1);
          p = rest;
          clen = before;
          canon[clen] = '\0';
          if (rest[0] == '/')
            {
              canon[0] = '/';
              canon[1] = '\0';
              clen = 1;
            }
          continue;
        }
      if (!last && !S_ISDIR (st.st_mode))
        {
          missing = 1;
          miss_at = before;
          out->err_no = ENOTDIR;
          continue;
        }
      if (last)
        {
          out->exists = 1;
          out->st = st;
        }
    }
  if (!missing && !out->exists)
    {
      /* the path was "/" or walked back to a directory already seen */
      if (lstat (canon, &out->st) == 0)
        out->exists = 1;
      else
        out->err_no = errno;
    }
  return 0;
}

int
ward_fsgate_check (ward_proc *p, const char *const *actions, int n, const ward_fsgate_path *out,
                   const char *req, ward_err *err)
{
  const char *pairs[2 * 4];
  if (n > 4)
    n = 4;
  for (int i = 0; i < n; i++)
    {
      pairs[2 * i] = actions[i];
      pairs[2 * i + 1] = out->canon;
    }
  ward_attrs extra = { .path = req };
  if (ward_proc_authorize_with (p, pairs, n, &extra, err) == 0)
    return 0;
  /* The gate's message names the canonical path, which may say where a
   * link the caller may not read points: the caller is told the path it
   * gave; the audit record holds both. */
  const char *head = "permission denied: ", *tail = NULL;
  size_t hl = strlen (head);
  for (const char *t = strstr (err->msg, " (actor "); t; t = strstr (t + 1, " (actor "))
    tail = t;
  const char *on = strstr (err->msg, " on ");
  if (strncmp (err->msg, head, hl) == 0 && on && tail && tail > on)
    {
      char action[64], rest[WARD_ERR_MSG_MAX];
      snprintf (action, sizeof action, "%.*s", (int) (on - err->msg - hl), err->msg + hl);
      snprintf (rest, sizeof rest, "%s", tail);
      snprintf (err->msg, sizeof err->msg, "permission denied: %s on %.*s%s%s", action,
                (int) strnlen (req, 512), req, strcmp (req, out->canon) == 0 ? ""
                : " (as resolved: the audit record names the canonical path)", rest);
    }
  else
    {
      /* a message cut short (a long canonical path) or of another shape:
       * never pass on what it says of the canonical path */
      char action[64];
      if (strncmp (err->msg, head, hl) == 0 && on && on - err->msg - hl < 64)
        snprintf (action, sizeof action, "%.*s", (int) (on - err->msg - hl), err->msg + hl);
      else
        snprintf (action, sizeof action, "%s", n > 0 ? actions[0] : "fs");
      snprintf (err->msg, sizeof err->msg, "%s: %s on %.*s (the audit record names the "
                "canonical path)", err->kind == WARD_E_PERMISSION_DENIED ? "permission denied"
                : "the permission could not be decided", action, (int) strnlen (req, 400), req);
    }
  return -1;
}

/* ---- opening without links ---- */

/* Whether openat2 may be used: 1 yes, 0 no (the kernel has none, or
 * WARD_FS_NO_OPENAT2 is set: the tests' way to run the walk below), -1 not
 * probed yet. */
static atomic_int use_openat2 = -1;

static int
walk_open (const char *canon, int flags, mode_t mode)
{
  int dfd = open ("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0)
    return -1;
  const char *p = canon;
  for (;;)
    {
      while (*p == '/')
        p++;
      const char *e = strchrnul (p, '/');
      size_t n = (size_t) (e - p);
      const char *after = e;
      while (*after == '/')
        after++;
      char name[NAME_MAX + 1];
      if (n > NAME_MAX)
        {
          close (dfd);
          errno = ENAMETOOLONG;
          return -1;
        }
      memcpy (name, p, n);
      name[n] = '\0';
      if (n == 0)
        strcpy (name, ".");         /* canon is "/" */
      if (*after == '\0')
        {
          int fd = openat (dfd, name, flags | O_NOFOLLOW | O_CLOEXEC, mode);
          int e2 = errno;
          close (dfd);
          errno = e2;
          return fd;
        }
      int nfd = openat (dfd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      struct stat st;
      if (nfd >= 0 && (fstat (nfd, &st) < 0 || !S_ISDIR (st.st_mode)))
        {
          close (nfd);
          nfd = -1;
          errno = ELOOP;
        }
      int e2 = errno;
      close (dfd);
      if (nfd < 0)
        {
          errno = e2;
          return -1;
        }
      dfd = nfd;
      p = after;
    }
}

int
ward_fsgate_open (const char *canon, int flags, mode_t mode)
{
  if (canon[0] != '/')
    {
      errno = EINVAL;
      return -1;
    }
  if (!(flags & O_CREAT))
    mode = 0;
#ifdef SYS_openat2
  int use = atomic_load (&use_openat2);
  if (use < 0)
    {
      const char *no = getenv ("WARD_FS_NO_OPENAT2");
      use = no == NULL || *no == '\0';
      atomic_store (&use_openat2, use);
    }
  if (use)
    {
      struct open_how how = { .flags = (uint64_t) (flags | O_NOFOLLOW | O_CLOEXEC),
                              .mode = mode,
                              .resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS };
      int fd = (int) syscall (SYS_openat2, AT_FDCWD, canon, &how, sizeof how);
      if (fd >= 0 || (errno != ENOSYS && errno != E2BIG))
        return fd;
      atomic_store (&use_openat2, 0);      /* an older kernel: walk from now on */
    }
#endif
  return walk_open (canon, flags, mode);
}

int
ward_fsgate_open_parent (const char *canon, const char **base)
{
  const char *slash = strrchr (canon, '/');
  if (slash == NULL || slash[1] == '\0')
    {
      errno = EINVAL;
      return -1;
    }
  char dir[PATH_MAX];
  size_t n = slash == canon ? 1 : (size_t) (slash - canon);
  memcpy (dir, canon, n);
  dir[n] = '\0';
  *base = slash + 1;
  return ward_fsgate_open (dir, O_PATH | O_DIRECTORY, 0);
}

ward_kind
ward_fsgate_kind (int e)
{
  switch (e)
    {
    case ENOENT: return WARD_E_NOT_FOUND;
    case EACCES: case EPERM: case EROFS: return WARD_E_PERMISSION_DENIED;
    case EEXIST: case ENOTEMPTY: return WARD_E_ALREADY_EXISTS;
    case EMFILE: case ENFILE: case ENOSPC: case EDQUOT: case EAGAIN: case EBUSY:
      return WARD_E_UNAVAILABLE;
    case EIO: case ENOMEM: return WARD_E_INTERNAL;
    default: return WARD_E_INVALID;
    }
}
