/* lockdown.c -- the child's last steps before its actor runs: rlimits,
 * securebits, capabilities, no_new_privs, seccomp; and fd closing. */
#include "config.h"
#include "lockdown.h"

#include <cap-ng.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <linux/capability.h>
#include <linux/securebits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

/* ---- fds ---------------------------------------------------------------- */

#define KEEP_MAX 64

static int
cmp_int (const void *a, const void *b)
{
  int x = *(const int *) a, y = *(const int *) b;
  return (x > y) - (x < y);
}

static int
kept (const int *sorted, size_t n, int fd)
{
  return bsearch (&fd, sorted, n, sizeof *sorted, cmp_int) != NULL;
}

/* Without /proc (the child may already live in an empty root): every fd
 * below the soft RLIMIT_NOFILE, the only ones that can be open -- a
 * lowered limit leaves fds opened before above it, so take the hard one,
 * capped so that an unlimited hard limit does not loop for ever. */
static void
close_brute (const int *sorted, size_t n)
{
  struct rlimit rl;
  long top = 1L << 20;
  if (getrlimit (RLIMIT_NOFILE, &rl) == 0 && rl.rlim_max != RLIM_INFINITY
      && rl.rlim_max < (rlim_t) top)
    top = (long) rl.rlim_max;
  for (long fd = 0; fd < top; fd++)
    if (!kept (sorted, n, (int) fd))
      close ((int) fd);
}

static int
close_proc (const int *sorted, size_t n)
{
  DIR *d = opendir ("/proc/self/fd");
  if (d == NULL)
    return -1;
  int self = dirfd (d);
  /* Closing while reading the directory is safe: getdents continues from
   * its offset and closed entries are simply gone. */
  struct dirent *de;
  while ((de = readdir (d)) != NULL)
    {
      if (de->d_name[0] < '0' || de->d_name[0] > '9')
        continue;
      long fd = strtol (de->d_name, NULL, 10);
      if (fd != self && fd <= INT_MAX && !kept (sorted, n, (int) fd))
        close ((int) fd);
    }
  closedir (d);
  return 0;
}

int
wsb__close_fds_except (const int *keep, size_t nkeep, ward_err *err)
{
  int sorted[KEEP_MAX];
  size_t n = 0;
  for (size_t i = 0; i < nkeep; i++)
    {
      if (keep[i] < 0)
        continue;
      if (n == KEEP_MAX)
        return ward_err_set (err, WARD_E_INVALID, 0,
                             "closing fds: more than %d to keep", KEEP_MAX);
      sorted[n++] = keep[i];
    }
  qsort (sorted, n, sizeof *sorted, cmp_int);
  size_t u = 0;                 /* drop duplicates: close_range needs gaps */
  for (size_t i = 0; i < n; i++)
    if (u == 0 || sorted[u - 1] != sorted[i])
      sorted[u++] = sorted[i];
  n = u;

  /* close_range over each gap between kept fds; on ENOSYS (before Linux
   * 5.9, or a seccomp filter that refuses it) fall back. */
  unsigned int lo = 0;
  int fallback = 0;
  for (size_t i = 0; i <= n && !fallback; i++)
    {
      unsigned int hi = i < n ? (unsigned int) sorted[i] : ~0u;
      if (hi > lo && syscall (SYS_close_range, lo, hi - 1, 0) < 0)
        {
          if (errno != ENOSYS && errno != EPERM)
            return ward_err_set (err, WARD_E_INTERNAL, errno,
                                 "closing fds: close_range %u-%u", lo, hi - 1);
          fallback = 1;
        }
      if (i < n)
        lo = (unsigned int) sorted[i] + 1;
    }
  if (fallback && close_proc (sorted, n) < 0)
    close_brute (sorted, n);
  return 0;
}

/* ---- rlimits ------------------------------------------------------------ */

/* Set a limit, never above the current hard one: lowering needs no
 * privilege, and a lower limit than asked is the safe side. */
static int
limit (int res, const char *name, rlim_t soft, rlim_t hard, ward_err *err)
{
  struct rlimit cur;
  if (getrlimit (res, &cur) < 0)
    return ward_err_set (err, WARD_E_INTERNAL, errno,
                         "lockdown: reading %s", name);
  if (cur.rlim_max != RLIM_INFINITY
      && (hard == RLIM_INFINITY || hard > cur.rlim_max))
    hard = cur.rlim_max;
  if (soft > hard)
    soft = hard;
  struct rlimit rl = { soft, hard };
  if (setrlimit (res, &rl) < 0)
    return ward_err_set (err, WARD_E_INTERNAL, errno,
                         "lockdown: setting %s to %llu", name,
                         (unsigned long long) soft);
  struct rlimit got;
  if (getrlimit (res, &got) < 0 || got.rlim_cur != soft
      || got.rlim_max != hard)
    return ward_err_set (err, WARD_E_INTERNAL, 0,
                         "lockdown: %s did not take", name);
  return 0;
}

static int
set_limits (const wsb_profile *p, ward_err *err)
{
  /* A core file would carry the sandbox's memory to the host's
   * core_pattern, which may be a pipe to a root helper. */
  if (limit (RLIMIT_CORE, "RLIMIT_CORE", 0, 0, err) < 0)
    return -1;
  if (p->limits.memory > 0
      && limit (RLIMIT_AS, "RLIMIT_AS", p->limits.memory, p->limits.memory, err) < 0)
    return -1;
  if (p->limits.cpu_ms > 0)
    {
      /* SIGXCPU at the limit tells the parent why the child died; the
       * hard limit a second later kills one that ignores it. */
      rlim_t s = (rlim_t) ((p->limits.cpu_ms + 999) / 1000);
      if (limit (RLIMIT_CPU, "RLIMIT_CPU", s, s + 1, err) < 0)
        return -1;
    }
  if (p->limits.nofile >= 0
      && limit (RLIMIT_NOFILE, "RLIMIT_NOFILE", (rlim_t) p->limits.nofile,
                (rlim_t) p->limits.nofile, err) < 0)
    return -1;
  if (p->limits.children >= 0
      && limit (RLIMIT_NPROC, "RLIMIT_NPROC", (rlim_t) p->limits.children,
                (rlim_t) p->limits.children, err) < 0)
    return -1;
  return 0;
}

/* ---- capabilities ------------------------------------------------------- */

/* The kernel's last capability, by binary search on PR_CAPBSET_READ
 * (EINVAL past the end): /proc may already be gone. */
static int
last_cap (void)
{
  int lo = 0, hi = 64;          /* lo valid, hi not */
  while (hi - lo > 1)
    {
      int mid = (lo + hi) / 2;
      if (prctl (PR_CAPBSET_READ, mid, 0, 0, 0) >= 0)
        lo = mid;
      else
        hi = mid;
    }
  return lo;
}

/* Securebits: NOROOT so that uid 0 gains nothing by execve; no ambient
 * raising; keep-caps and setuid-fixup locked at their safe values (a
 * setuid away from 0 still clears the permitted set). Needs CAP_SETPCAP,
 * so it comes before the capabilities go. */
static int
set_securebits (ward_err *err)
{
  int old = prctl (PR_GET_SECUREBITS, 0, 0, 0, 0);
  if (old < 0)
    return ward_err_set (err, WARD_E_INTERNAL, errno,
                         "lockdown: reading the securebits");
  int want = old | SECBIT_NOROOT | SECBIT_NOROOT_LOCKED
    | SECBIT_NO_SETUID_FIXUP_LOCKED | SECBIT_KEEP_CAPS_LOCKED
    | SECBIT_NO_CAP_AMBIENT_RAISE | SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED;
  if (!(old & SECBIT_NO_SETUID_FIXUP_LOCKED))
    want &= ~SECBIT_NO_SETUID_FIXUP;
  if (!(old & SECBIT_KEEP_CAPS_LOCKED))
    want &= ~SECBIT_KEEP_CAPS;
  if (want != old && prctl (PR_SET_SECUREBITS, want, 0, 0, 0) < 0)
    return ward_err_set (err, WARD_E_INTERNAL, errno,
                         "lockdown: setting the securebits (needs CAP_SETPCAP)");
  if (prctl (PR_GET_SECUREBITS, 0, 0, 0, 0) != want)
    return ward_err_set (err, WARD_E_INTERNAL, 0,
                         "lockdown: the securebits did not take");
  return 0;
}

/* The bounding and ambient steps checked each call; the capset goes
 * through libcap-ng, so read the result back. */
static int
check_caps (uint64_t keep, ward_err *err)
{
  struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
  struct __user_cap_data_struct d[2];
  if (syscall (SYS_capget, &h, d) < 0)
    return ward_err_set (err, WARD_E_INTERNAL, errno,
                         "lockdown: reading the capabilities back");
  uint64_t e = d[0].effective | (uint64_t) d[1].effective << 32;
  uint64_t pm = d[0].permitted | (uint64_t) d[1].permitted << 32;
  uint64_t in = d[0].inheritable | (uint64_t) d[1].inheritable << 32;
  if (e != keep || pm != keep || in != keep)
    return ward_err_set (err, WARD_E_INTERNAL, 0,
                         "lockdown: capabilities left after the drop "
                         "(eff %llx prm %llx inh %llx)",
                         (unsigned long long) e, (unsigned long long) pm,
                         (unsigned long long) in);
  return 0;
}

/* The permitted set, or -1 (errno set). */
static int
read_permitted (uint64_t *pm)
{
  struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
  struct __user_cap_data_struct d[2];
  if (syscall (SYS_capget, &h, d) < 0)
    return -1;
  *pm = d[0].permitted | (uint64_t) d[1].permitted << 32;
  return 0;
}

static int
drop_caps (uint64_t keep, ward_err *err)
{
  int last = last_cap ();
  if (last < 63 && (keep >> (last + 1)) != 0)
    return ward_err_set (err, WARD_E_INVALID, 0,
                         "lockdown: keeping a capability above %d, the "
                         "kernel's last", last);
  uint64_t pm;
  if (read_permitted (&pm) < 0)
    return ward_err_set (err, WARD_E_INTERNAL, errno,
                         "lockdown: reading the capabilities");

  /* A process with an empty permitted set (an unprivileged user outside
   * any user namespace of its own) lacks CAP_SETPCAP, so it can change
   * neither the securebits nor the bounding set -- and needs neither:
   * both only limit what an execve could grant, and wsb__lockdown sets
   * no_new_privs before the actor runs, after which execve grants no
   * capability at all (the kernel cuts the new permitted set to the old,
   * empty one, for root and setuid-root files alike, and ignores file
   * capabilities). Effective and ambient are subsets of permitted, so
   * they are empty too; the inheritable set is still cleared below. A
   * process holding any capability takes the full path, which fails
   * closed when it cannot drop what it holds (no CAP_SETPCAP). */
  if (pm != 0)
    {
      if (set_securebits (err) < 0)
        return -1;

      /* The bounding set by hand, first: dropping needs CAP_SETPCAP,
       * which the capset below takes away. Not
       * capng_apply(CAPNG_SELECT_BOUNDS): it reads /proc/TID/status three
       * times (0.6 ms), and in a new PID namespace under the host's /proc
       * that path names another process. */
      for (int c = 0; c <= last; c++)
        if (!((keep >> c) & 1) && prctl (PR_CAPBSET_DROP, c, 0, 0, 0) < 0)
          return ward_err_set (err, WARD_E_INTERNAL, errno,
                               "lockdown: dropping capability %d from the "
                               "bounding set (needs CAP_SETPCAP)", c);
    }
  else if (keep != 0)
    return ward_err_set (err, WARD_E_INVALID, 0,
                         "lockdown: capabilities to keep (%llx) but the "
                         "process holds none", (unsigned long long) keep);

  /* libcap-ng remembers the tid it first saw; in a clone()d child that is
   * someone else's (clone runs no atfork handler). pid 0 means "me". */
  capng_clear (CAPNG_SELECT_BOTH);
  capng_setpid (0);
  for (int c = 0; c <= last; c++)
    if (((keep >> c) & 1)
        && capng_update (CAPNG_ADD, CAPNG_EFFECTIVE | CAPNG_PERMITTED
                         | CAPNG_INHERITABLE, (unsigned) c) < 0)
      return ward_err_set (err, WARD_E_INTERNAL, EINVAL,
                           "lockdown: libcap-ng refused capability %d", c);
  /* Ambient capabilities would survive an execve; none are kept. EINVAL:
   * a kernel before 4.3 has no ambient set to clear. */
  if (prctl (PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0
      && errno != EINVAL)
    return ward_err_set (err, WARD_E_INTERNAL, errno,
                         "lockdown: clearing the ambient capabilities");
  int rc = capng_apply (CAPNG_SELECT_CAPS);
  if (rc != 0)
    return ward_err_set (err, WARD_E_INTERNAL, errno,
                         "lockdown: setting the capabilities (libcap-ng "
                         "code %d)", rc);
  return check_caps (keep, err);
}

/* ---- the whole ---------------------------------------------------------- */

int
wsb__lockdown (const wsb_profile *p, scmp_filter_ctx filter, ward_err *err)
{
  if (set_limits (p, err) < 0 || drop_caps (p->limits.capabilities, err) < 0)
    {
      if (filter != NULL)
        seccomp_release (filter);
      return -1;
    }
  /* Also what makes skipping the securebits and the bounding set safe
   * for a process without capabilities (drop_caps): never skipped. */
  if (prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0
      || prctl (PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1)
    {
      if (filter != NULL)
        seccomp_release (filter);
      return ward_err_set (err, WARD_E_INTERNAL, errno,
                           "lockdown: setting no_new_privs");
    }
  int want = filter != NULL || p->seccomp == WSB_SECCOMP_DEFAULT;
  if (wsb__seccomp_install (p->seccomp, filter, err) < 0)
    return -1;
  if (want && prctl (PR_GET_SECCOMP, 0, 0, 0, 0) != 2)
    return ward_err_set (err, WARD_E_INTERNAL, errno,
                         "lockdown: the seccomp filter is not in force");
  return 0;
}
