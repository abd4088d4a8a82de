/* spawn.c -- one sandboxed child: clone3 with its user and PID namespaces,
 * then, inside, its other namespaces and every step up to the entry, in
 * the order sandbox.h gives. */
#include "config.h"
#include "proto.h"
#include "lockdown.h"
#include "init.h"
#include "wfault.h"

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x00001000
#endif
#ifndef CLONE_NEWCGROUP
#define CLONE_NEWCGROUP 0x02000000
#endif

/* clone3's argument, declared here: <linux/sched.h> clashes with glibc's
 * <sched.h> over the CLONE_* macros. */
struct wsb_clone_args {
  uint64_t flags, pidfd, child_tid, parent_tid, exit_signal;
  uint64_t stack, stack_size, tls, set_tid, set_tid_size, cgroup;
};

ward_kind
wsb__errno_kind (int errnum)
{
  switch (errnum)
    {
    case EAGAIN: case ENOMEM: case ENOSPC: case EMFILE: case ENFILE:
    case EUSERS:
      return WARD_E_UNAVAILABLE;
    default:
      return WARD_E_INTERNAL;
    }
}

int
wsb__write_rec (int fd, const struct wsb_rec *r)
{
  ssize_t n;
  do
    n = write (fd, r, sizeof *r);
  while (n < 0 && errno == EINTR);
  return n == (ssize_t) sizeof *r ? 0 : -1;
}

int
wsb__write_ready (int fd)
{
  struct wsb_rec r;
  memset (&r, 0, sizeof r);
  r.type = WSB_REC_READY;
  return wsb__write_rec (fd, &r);
}

void
wsb__child_fail (int fd, const ward_err *err)
{
  struct wsb_rec r;
  memset (&r, 0, sizeof r);
  r.type = WSB_REC_ERROR;
  r.kind = err->kind != WARD_OK ? (int32_t) err->kind : WARD_E_INTERNAL;
  r.errnum = err->errnum;
  memcpy (r.msg, err->msg, sizeof r.msg);
  r.msg[sizeof r.msg - 1] = '\0';
  wsb__write_rec (fd, &r);
  _exit (127);
}

/* Fail the child with "sandbox: STEP: strerror". */
static void __attribute__ ((noreturn, format (printf, 3, 4)))
fail_errno (int fd, int errnum, const char *fmt, ...)
{
  ward_err e;
  char step[256];
  va_list ap;
  va_start (ap, fmt);
  vsnprintf (step, sizeof step, fmt, ap);
  va_end (ap);
  ward_err_set (&e, wsb__errno_kind (errnum), errnum, "sandbox: %s", step);
  wsb__child_fail (fd, &e);
}

/* Maps for a user namespace: one id, 0 inside. An unprivileged
 * supervisor can only map its own ids, and the child writes them itself
 * (no round trip). A root supervisor must not hand host root to the
 * child -- the kernel exempts host uid 0 from RLIMIT_NPROC, and whatever
 * the child reaches on the host it would reach as root -- so it maps
 * WSB_ROOT_MAP_ID instead, which only it may write, while the child waits
 * on its go pipe. */
static int
write_maps (pid_t pid, uid_t uid, gid_t gid, ward_err *err)
{
  static const char *const files[] = { "setgroups", "uid_map", "gid_map" };
  char path[64], text[3][32];
  snprintf (text[0], sizeof text[0], "deny");
  snprintf (text[1], sizeof text[1], "0 %u 1\n", (unsigned) uid);
  snprintf (text[2], sizeof text[2], "0 %u 1\n", (unsigned) gid);
  for (int i = 0; i < 3; i++)
    {
      if (pid > 0)
        snprintf (path, sizeof path, "/proc/%d/%s", (int) pid, files[i]);
      else
        snprintf (path, sizeof path, "/proc/self/%s", files[i]);
      int fd = open (path, O_WRONLY | O_CLOEXEC);
      size_t len = strlen (text[i]);
      if (fd < 0 || write (fd, text[i], len) != (ssize_t) len)
        {
          int e = errno;
          if (fd >= 0)
            close (fd);
          return ward_err_set (err, wsb__errno_kind (e), e, "sandbox: "
                               "write %s", files[i]);
        }
      close (fd);
    }
  return 0;
}

static void
loopback_up (int sfd)
{
  int s = socket (AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0)
    fail_errno (sfd, errno, "loopback: socket");
  struct ifreq ifr;
  memset (&ifr, 0, sizeof ifr);
  strcpy (ifr.ifr_name, "lo");
  if (ioctl (s, SIOCGIFFLAGS, &ifr) < 0)
    fail_errno (sfd, errno, "loopback: SIOCGIFFLAGS");
  ifr.ifr_flags |= IFF_UP;
  if (ioctl (s, SIOCSIFFLAGS, &ifr) < 0)
    fail_errno (sfd, errno, "loopback: SIOCSIFFLAGS");
  close (s);
}

/* The supervisor keeps 0, 1 and 2 open, so every fd it received is above
 * 2 and dup2 onto 0..2 cannot clobber a source. */
static void
set_stdio (int sfd, const struct wsb_job *j)
{
  for (int i = 0; i < 3; i++)
    {
      int src = j->stdio[i] >= 0 ? j->stdio[i] : j->devnull;
      if (dup2 (src, i) < 0)
        fail_errno (sfd, errno, "dup2 stdio %d", i);
    }
}

static void
set_environ (int sfd, const char *const *env)
{
  if (clearenv () != 0)
    fail_errno (sfd, ENOMEM, "clearenv");
  for (size_t i = 0; env != NULL && env[i] != NULL; i++)
    if (putenv ((char *) env[i]) != 0)
      fail_errno (sfd, errno, "putenv");
}

/* The supervisor left every disposition at its default but these; a
 * child that cannot reset them is not built. */
static void
reset_signals (int sfd)
{
  static const struct { int sig; const char *name; } sigs[] = {
    { SIGINT, "SIGINT" }, { SIGQUIT, "SIGQUIT" }, { SIGHUP, "SIGHUP" } };
  struct sigaction sa;
  memset (&sa, 0, sizeof sa);
  sa.sa_handler = SIG_DFL;
  for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
    if (wfault_at ("spawn.sigaction") || sigaction (sigs[i].sig, &sa, NULL) < 0)
      fail_errno (sfd, errno, "reset %s", sigs[i].name);
}

/* Building the profile's filter costs about a millisecond, so the
 * supervisor builds it once; a child whose init script may add rules gets
 * its own copy-on-write copy, and loads it (compiling it, another 1-2 ms)
 * only when the script did add some: otherwise it loads the profile the
 * supervisor precompiled (wsb__seccomp_prepare). */
static scmp_filter_ctx templates[8];

static int
filter_template (int profile, scmp_filter_ctx *out, ward_err *err)
{
  *out = NULL;
  if (profile == WSB_SECCOMP_NONE)
    return 0;
  if (profile < 0 || profile >= 8)
    return ward_err_set (err, WARD_E_INVALID, 0, "sandbox: unknown seccomp "
                         "profile %d", profile);
  if (templates[profile] == NULL)
    {
      templates[profile] = wsb__seccomp_new (profile, err);
      if (templates[profile] == NULL)
        return ward_err_prefix (err, "sandbox: seccomp");
    }
  *out = templates[profile];
  return 0;
}

winit_ready *
wsb__init_ready (const wsb_profile *prof, ward_err *err)
{
  scmp_filter_ctx filter;
  if (filter_template (prof->seccomp, &filter, err) < 0)
    return NULL;
  return winit_ready_new (prof->init_script, prof->init_len,
                          prof->init_name != NULL ? prof->init_name : "init", filter, err);
}

/* The RLIMIT_NOFILE ward was started with, while the supervisor's own
 * soft limit is raised (wsb__raise_nofile). */
static struct rlimit nofile_given;
static int nofile_raised;

int
wsb__raise_nofile (ward_err *err)
{
  struct rlimit rl;
  if (wfault_at ("supervisor.nofile") || getrlimit (RLIMIT_NOFILE, &rl) < 0)
    return ward_err_set (err, WARD_E_INTERNAL, errno, "sandbox: getrlimit(RLIMIT_NOFILE)");
  if (rl.rlim_cur >= rl.rlim_max)
    return 0;
  struct rlimit up = { rl.rlim_max, rl.rlim_max };
  if (setrlimit (RLIMIT_NOFILE, &up) < 0)
    {
      /* an unlimited hard limit is more than nr_open: the runtime keeps
       * its soft limit then, and so does the supervisor */
      if (rl.rlim_max == RLIM_INFINITY)
        return 0;
      return ward_err_set (err, WARD_E_INTERNAL, errno, "sandbox: raising the soft "
                           "RLIMIT_NOFILE to the hard limit (%llu)",
                           (unsigned long long) rl.rlim_max);
    }
  nofile_given = rl;
  nofile_raised = 1;
  return 0;
}

/* Give the child back the RLIMIT_NOFILE ward was started with, not the
 * supervisor's raised one: just before the lockdown (and its profile's
 * nofile), once the set-up that holds the supervisor's descriptors
 * (cloned with its table) has opened what it needs. */
static void
restore_nofile (int sfd, int fault)
{
  if (nofile_raised && (fault || setrlimit (RLIMIT_NOFILE, &nofile_given) < 0))
    fail_errno (sfd, fault ? EINVAL : errno, "restoring RLIMIT_NOFILE");
}

/* The namespaces a child makes itself, first thing, with unshare: all but
 * the user namespace (which gives it the right to make the others) and
 * the PID namespace (which a process cannot enter itself, only its
 * children). A new network namespace alone costs more than half a
 * millisecond of the kernel's time, spent by whoever makes it: in the
 * child, children being built at once make theirs in parallel, where the
 * supervisor, which clones them one after the other, would make them all.
 * Without a user namespace every one comes at the clone, as before: only
 * root may make them then, and a refusal is the clone's. */
static unsigned long
unshare_flags (unsigned ns)
{
  unsigned long f = 0;
  if (!(ns & WARD_NS_USER))
    return 0;
  if (ns & WARD_NS_NET) f |= CLONE_NEWNET;
  if (ns & WARD_NS_MOUNT) f |= CLONE_NEWNS;
  if (ns & WARD_NS_IPC) f |= CLONE_NEWIPC;
  if (ns & WARD_NS_UTS) f |= CLONE_NEWUTS;
  if (ns & WARD_NS_CGROUP) f |= CLONE_NEWCGROUP;
  return f;
}

/* The namespaces a child gets at its clone: the others. */
static unsigned long
clone_flags (unsigned ns)
{
  unsigned long f = 0;
  if (ns & WARD_NS_USER) f |= CLONE_NEWUSER;
  if (ns & WARD_NS_PID) f |= CLONE_NEWPID;
  if (ns & WARD_NS_NET) f |= CLONE_NEWNET;
  if (ns & WARD_NS_MOUNT) f |= CLONE_NEWNS;
  if (ns & WARD_NS_IPC) f |= CLONE_NEWIPC;
  if (ns & WARD_NS_UTS) f |= CLONE_NEWUTS;
  if (ns & WARD_NS_CGROUP) f |= CLONE_NEWCGROUP;
  return f & ~unshare_flags (ns);
}

static int child_waits;         /* the child's wsb_child_waits */

int
wsb_child_waits (void)
{
  return child_waits;
}

/* Everything from the clone to the entry. sfd is the status pipe. */
static void __attribute__ ((noreturn))
child_main (const struct wsb_job *j_in, int sfd, int go,
            scmp_filter_ctx filter)
{
  struct wsb_job jc = *j_in;
  const struct wsb_job *j = &jc;
  jc.go = go;
  const wsb_profile *p = &j->prof;
  ward_err e;
  ward_err_clear (&e);

  if (prctl (PR_SET_PDEATHSIG, SIGKILL) < 0)
    fail_errno (sfd, errno, "prctl PR_SET_PDEATHSIG");
  /* The namespaces the clone did not make (unshare_flags), first:
   * owned by the child's new user namespace as the clone's would be, and
   * nothing runs here before them but the supervisor's own code. */
  unsigned long later = unshare_flags (p->limits.namespaces);
  if (later != 0 && (wfault_at ("spawn.unshare") || unshare ((int) later) < 0))
    fail_errno (sfd, errno, "unshare");
  reset_signals (sfd);
  /* (read before the profile's environment replaces ours) */
  int nofile_fault = wfault_at ("spawn.nofile");

  /* The new namespaces belong to the new user namespace, where this
   * process holds every capability from the clone on, maps or not: what
   * needs no identity is done while a root supervisor writes the maps. */
  if ((p->limits.namespaces & WARD_NS_MOUNT)
      && mount (NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
    fail_errno (sfd, errno, "make / private");
  if (p->limits.namespaces & WARD_NS_NET)
    loopback_up (sfd);
  if (p->hostname != NULL)
    {
      if (!(p->limits.namespaces & WARD_NS_UTS))
        {
          ward_err_set (&e, WARD_E_INVALID, 0,
                        "sandbox: a hostname needs a UTS namespace");
          wsb__child_fail (sfd, &e);
        }
      if (sethostname (p->hostname, strlen (p->hostname)) < 0)
        fail_errno (sfd, errno, "sethostname");
    }
  /* before the init script, which may pivot away from /dev/null */
  set_stdio (sfd, j);
  set_environ (sfd, p->environ);
  if (p->limits.namespaces & WARD_NS_USER)
    {
      if (j->uid == 0)
        {
          char byte;
          if (read (j->go, &byte, 1) != 1)
            _exit (127);        /* the supervisor gave up on us */
          /* the maps do not change our credentials: become the mapped 0 */
          if (setresgid (0, 0, 0) < 0)
            fail_errno (sfd, errno, "setresgid");
          if (setresuid (0, 0, 0) < 0)
            fail_errno (sfd, errno, "setresuid");
        }
      else if (write_maps (0, j->uid, j->gid, &e) < 0)
        wsb__child_fail (sfd, &e);
    }
  if (j->go >= 0)
    close (j->go);

  if (p->init_script != NULL
      && (j->init_ready != NULL ? winit_ready_run (j->init_ready, &e)
          : winit_run (p->init_script, p->init_len,
                       p->init_name != NULL ? p->init_name : "init",
                       p->init_arg_fd, filter, &e)) < 0)
    {
      ward_err_prefix (&e, "sandbox: init script");
      wsb__child_fail (sfd, &e);
    }
  /* Left unreleased: it is this process's copy of the supervisor's
   * template, and freeing it would only cost time. */
  if (filter != NULL && winit_seccomp_allows () == 0)
    filter = NULL;

  int keep[] = { 0, 1, 2, j->chan, sfd };
  if (p->limits.namespaces & WARD_NS_PID)
    {
      /* PID 1 locks itself down and the actor inherits all of it through
       * fork: rlimits, capability sets, no_new_privs and the filter. The
       * filter is compiled once, and a compromised actor finds nothing
       * more privileged than itself in its namespace. The cost: the
       * process limit counts PID 1. The signals are blocked before the
       * fork so that one sent meanwhile waits for PID 1's loop. */
      sigset_t set;
      wsb__pid1_signals (&set);
      if (sigprocmask (SIG_BLOCK, &set, NULL) < 0)
        fail_errno (sfd, errno, "sigprocmask");
      restore_nofile (sfd, nofile_fault);
      if (wsb__lockdown (p, filter, &e) < 0)
        {
          ward_err_prefix (&e, "sandbox");
          wsb__child_fail (sfd, &e);
        }
      pid_t actor = fork ();
      if (actor < 0)
        fail_errno (sfd, errno, "fork the actor");
      if (actor > 0)
        wsb__pid1 (actor, sfd);
      if (wsb__close_fds_except (keep, sizeof keep / sizeof keep[0], &e) < 0)
        {
          ward_err_prefix (&e, "sandbox");
          wsb__child_fail (sfd, &e);
        }
    }
  else
    {
      if (wsb__close_fds_except (keep, sizeof keep / sizeof keep[0], &e) < 0)
        {
          if (filter != NULL)
            seccomp_release (filter);
          ward_err_prefix (&e, "sandbox");
          wsb__child_fail (sfd, &e);
        }
      restore_nofile (sfd, nofile_fault);
      if (wsb__lockdown (p, filter, &e) < 0)
        {
          ward_err_prefix (&e, "sandbox");
          wsb__child_fail (sfd, &e);
        }
    }

  if (wsb__write_ready (sfd) < 0)
    _exit (127);
  close (sfd);

  /* past READY there is nobody to tell: a child whose signals stay
   * blocked would not stop when told to, so it ends here */
  sigset_t none;
  sigemptyset (&none);
  if (sigprocmask (SIG_SETMASK, &none, NULL) < 0)
    _exit (127);
  child_waits = j->waits;
  int status = j->entry (j->chan);
  fflush (NULL);
  _exit (status & 0xff);
}

pid_t
wsb__clone_child (const struct wsb_job *job, int *pidfd, int *status_rd,
                  ward_err *err)
{
  scmp_filter_ctx filter = NULL;
  if (job->prof.seccomp != WSB_SECCOMP_NONE
      && job->prof.seccomp != WSB_SECCOMP_DEFAULT)
    return ward_err_set (err, WARD_E_INVALID, 0, "sandbox: unknown seccomp "
                         "profile %d", job->prof.seccomp);
  if (job->prof.init_script != NULL
      && filter_template (job->prof.seccomp, &filter, err) < 0)
    return -1;
  int sp[2], go[2] = { -1, -1 };
  int mapper = (job->prof.limits.namespaces & WARD_NS_USER) && job->uid == 0;
  if (pipe2 (sp, O_CLOEXEC) < 0)
    return ward_err_set (err, wsb__errno_kind (errno), errno,
                         "sandbox: status pipe");
  if (mapper && pipe2 (go, O_CLOEXEC) < 0)
    {
      int en = errno;
      close (sp[0]);
      close (sp[1]);
      return ward_err_set (err, wsb__errno_kind (en), en, "sandbox: go pipe");
    }
  int fd = -1;
  struct wsb_clone_args ca;
  memset (&ca, 0, sizeof ca);
  ca.flags = clone_flags (job->prof.limits.namespaces) | CLONE_PIDFD;
  ca.pidfd = (uint64_t) (uintptr_t) &fd;
  ca.exit_signal = SIGCHLD;
  /* A raw clone3 without CLONE_VM behaves as fork; the child keeps to
   * async-signal-safe habits until it has its own process shape. */
  long pid = syscall (SYS_clone3, &ca, sizeof ca);
  if (pid < 0)
    {
      int e = errno;
      close (sp[0]);
      close (sp[1]);
      if (mapper)
        {
          close (go[0]);
          close (go[1]);
        }
      return ward_err_set (err, wsb__errno_kind (e), e, "sandbox: clone");
    }
  if (pid == 0)
    {
      close (sp[0]);
      if (mapper)
        close (go[1]);
      child_main (job, sp[1], go[0], filter);
    }
  close (sp[1]);
  if (mapper)
    {
      close (go[0]);
      int r = write_maps ((pid_t) pid, WSB_ROOT_MAP_ID, WSB_ROOT_MAP_ID, err);
      if (r == 0 && write (go[1], "g", 1) != 1)
        r = ward_err_set (err, WARD_E_INTERNAL, errno, "sandbox: go pipe");
      close (go[1]);
      if (r < 0)
        {
          /* The child works while we write: when it failed first (and so
           * made us fail), its record is already in the pipe and names
           * the real cause. */
          struct wsb_rec rec;
          struct pollfd pf = { sp[0], POLLIN, 0 };
          if (poll (&pf, 1, 0) == 1
              && read (sp[0], &rec, sizeof rec) == (ssize_t) sizeof rec
              && rec.type == WSB_REC_ERROR)
            {
              rec.msg[sizeof rec.msg - 1] = '\0';
              ward_err_set (err, rec.kind > WARD_OK
                            && rec.kind <= WARD_E_INTERNAL
                            ? (ward_kind) rec.kind : WARD_E_INTERNAL,
                            0, "%s", rec.msg);
              err->errnum = rec.errnum;
            }
          kill ((pid_t) pid, SIGKILL);
          while (waitpid ((pid_t) pid, NULL, 0) < 0 && errno == EINTR)
            ;
          close (sp[0]);
          close (fd);
          return -1;
        }
    }
  *pidfd = fd;
  *status_rd = sp[0];
  return (pid_t) pid;
}
