/* test-lockdown.c -- per-call proof of the default seccomp profile and of
 * wsb__lockdown (rlimits, securebits, capabilities, no_new_privs, fds).
 *
 * Each check runs in a forked child that locks itself down and reports
 * over a pipe. To tell "our filter refused" from "the kernel refused"
 * (an unprivileged caller gets EPERM from most of these calls anyway), the
 * child first installs a probe filter that answers every probed call with
 * EHWPOISON. The kernel runs all filters and, among equal actions, keeps
 * the newest filter's errno: ours, loaded after the probe, says EPERM if
 * it refuses the call; if it lets the call through the probe's EHWPOISON
 * comes back instead -- and the dangerous call never runs either way.
 * Run as root and, through lockdown-nobody.sh, as nobody (then each child
 * makes a user namespace first, as ward does). */
#include "config.h"
#include "lockdown.h"
#include "tap.h"
#include "testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/sched.h>
#include <linux/securebits.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PROBE_ERRNO EHWPOISON
#define NOBODY 65534

#ifndef AF_ALG
# define AF_ALG 38
#endif
#ifndef AF_VSOCK
# define AF_VSOCK 40
#endif

/* ---- the calls the default profile must refuse ------------------------- */

struct call
{
  const char *name;
  long nr;
  long a[6];
  int want;                     /* errno expected: EPERM unless said */
};

#define HI 0x100000000L         /* junk in the high half of a 32-bit arg */

/* Arguments are invalid where possible, so that even a call that got
 * through both filters would fail harmlessly. */
static const struct call denied[] = {
  { "keyctl", SYS_keyctl, { 0xffff }, EPERM },
  { "add_key", SYS_add_key, { 0 }, EPERM },
  { "request_key", SYS_request_key, { 0 }, EPERM },
  { "userfaultfd", SYS_userfaultfd, { -1 }, EPERM },
  { "io_uring_setup", SYS_io_uring_setup, { 0, 0 }, EPERM },
  { "io_uring_enter", SYS_io_uring_enter, { -1 }, EPERM },
  { "io_uring_register", SYS_io_uring_register, { -1 }, EPERM },
  { "bpf", SYS_bpf, { 0xffff }, EPERM },
  { "perf_event_open", SYS_perf_event_open, { 0, 0, -1, -1, 0 }, EPERM },
  { "kexec_load", SYS_kexec_load, { 0, 0, 0, 0xffffffffL }, EPERM },
  { "kexec_file_load", SYS_kexec_file_load, { -1, -1, 0, 0, 0xffff }, EPERM },
  { "init_module", SYS_init_module, { 0, 0, 0 }, EPERM },
  { "finit_module", SYS_finit_module, { -1, 0, 0 }, EPERM },
  { "delete_module", SYS_delete_module, { 0, 0 }, EPERM },
  { "mount", SYS_mount, { 0 }, EPERM },
  { "umount2", SYS_umount2, { 0, 0 }, EPERM },
  { "pivot_root", SYS_pivot_root, { 0, 0 }, EPERM },
  { "chroot", SYS_chroot, { 0 }, EPERM },
  { "open_tree", SYS_open_tree, { -1, 0, 0 }, EPERM },
  { "move_mount", SYS_move_mount, { -1, 0, -1, 0, 0 }, EPERM },
  { "fsopen", SYS_fsopen, { 0, 0 }, EPERM },
  { "fsconfig", SYS_fsconfig, { -1 }, EPERM },
  { "fsmount", SYS_fsmount, { -1 }, EPERM },
  { "fspick", SYS_fspick, { -1, 0, 0 }, EPERM },
  { "mount_setattr", SYS_mount_setattr, { -1, 0, 0, 0, 0 }, EPERM },
  { "unshare(CLONE_NEWUSER)", SYS_unshare, { CLONE_NEWUSER }, EPERM },
  { "unshare(CLONE_NEWNS)", SYS_unshare, { CLONE_NEWNS }, EPERM },
  { "setns", SYS_setns, { -1, 0 }, EPERM },
  { "clone(CLONE_NEWUSER)", SYS_clone, { CLONE_NEWUSER | SIGCHLD }, EPERM },
  { "clone(CLONE_NEWNET)", SYS_clone, { CLONE_NEWNET | SIGCHLD }, EPERM },
  { "clone(CLONE_NEWPID|CLONE_NEWNS)", SYS_clone,
    { CLONE_NEWPID | CLONE_NEWNS | SIGCHLD }, EPERM },
  { "clone(CLONE_NEWCGROUP|high bits)", SYS_clone,
    { HI | CLONE_NEWCGROUP | SIGCHLD }, EPERM },
  { "clone3 (ENOSYS)", SYS_clone3, { 0, 0 }, ENOSYS },
  { "ptrace", SYS_ptrace, { 16 /* PTRACE_ATTACH */, 0x7fffffff }, EPERM },
  { "process_vm_readv", SYS_process_vm_readv, { 0, 0, 0, 0, 0, 0 }, EPERM },
  { "process_vm_writev", SYS_process_vm_writev, { 0, 0, 0, 0, 0, 0 }, EPERM },
  { "kcmp", SYS_kcmp, { 0, 0, 0, 0, 0 }, EPERM },
  { "pidfd_getfd", SYS_pidfd_getfd, { -1, 0, 0 }, EPERM },
  { "process_madvise", SYS_process_madvise, { -1, 0, 0, 0, 0 }, EPERM },
  { "personality(ADDR_NO_RANDOMIZE)", SYS_personality, { 0x0040000 }, EPERM },
  { "personality(READ_IMPLIES_EXEC)", SYS_personality, { 0x0400000 }, EPERM },
  { "personality(high bits)", SYS_personality, { HI }, EPERM },
  { "ioctl(TIOCSTI)", SYS_ioctl, { -1, TIOCSTI }, EPERM },
  { "ioctl(TIOCLINUX)", SYS_ioctl, { -1, TIOCLINUX }, EPERM },
  { "ioctl(TIOCSTI|1<<32)", SYS_ioctl, { -1, HI | TIOCSTI }, EPERM },
  { "ioctl(TIOCLINUX|0xffffffff<<32)", SYS_ioctl,
    { -1, (long) (0xffffffff00000000UL | TIOCLINUX) }, EPERM },
  { "socket(AF_ALG)", SYS_socket, { AF_ALG, SOCK_SEQPACKET, 0 }, EPERM },
  { "socket(AF_VSOCK)", SYS_socket, { AF_VSOCK, SOCK_STREAM, 0 }, EPERM },
  { "socket(AF_NETLINK)", SYS_socket, { AF_NETLINK, SOCK_RAW, 0 }, EPERM },
  { "socket(AF_PACKET)", SYS_socket, { AF_PACKET, SOCK_RAW, 0 }, EPERM },
  { "socket(AF_UNIX|high bits)", SYS_socket, { HI | AF_UNIX, SOCK_STREAM, 0 },
    EPERM },
  /* no socket() at all: a sandbox uses the sockets it is handed */
  { "socket(AF_UNIX)", SYS_socket, { AF_UNIX, SOCK_STREAM, 0 }, EPERM },
  { "socket(AF_INET)", SYS_socket, { AF_INET, SOCK_STREAM, 0 }, EPERM },
  { "socket(AF_INET, SOCK_DGRAM)", SYS_socket, { AF_INET, SOCK_DGRAM, 0 }, EPERM },
  { "socket(AF_INET6)", SYS_socket, { AF_INET6, SOCK_STREAM, 0 }, EPERM },
  { "socketpair(AF_INET)", SYS_socketpair, { AF_INET, SOCK_STREAM, 0, 0 },
    EPERM },
  { "acct", SYS_acct, { 1 }, EPERM },
  { "swapon", SYS_swapon, { 0, 0 }, EPERM },
  { "swapoff", SYS_swapoff, { 0 }, EPERM },
  { "reboot", SYS_reboot, { 0, 0, 0, 0 }, EPERM },
  { "settimeofday", SYS_settimeofday, { 1, 0 }, EPERM },
  { "clock_settime", SYS_clock_settime, { CLOCK_REALTIME, 0 }, EPERM },
  { "adjtimex", SYS_adjtimex, { 0 }, EPERM },
  { "clock_adjtime", SYS_clock_adjtime, { 0xffff, 0 }, EPERM },
  { "syslog", SYS_syslog, { 10, 0, 0 }, EPERM },
  { "quotactl", SYS_quotactl, { 0, 0, 0, 0 }, EPERM },
  { "quotactl_fd", SYS_quotactl_fd, { -1, 0, 0, 0 }, EPERM },
  { "lookup_dcookie", SYS_lookup_dcookie, { 0, 0, 0 }, EPERM },
  { "name_to_handle_at", SYS_name_to_handle_at, { -1, 0, 0, 0, 0 }, EPERM },
  { "open_by_handle_at", SYS_open_by_handle_at, { -1, 0, 0 }, EPERM },
  { "iopl", SYS_iopl, { 9999 }, EPERM },
  { "ioperm", SYS_ioperm, { 0xffffffffL, 1, 1 }, EPERM },
  { "modify_ldt", SYS_modify_ldt, { 0, 0, 0 }, EPERM },
  { "set_thread_area", SYS_set_thread_area, { 0 }, EPERM },
  { "vhangup", SYS_vhangup, { 0 }, EPERM },
  { "nfsservctl", SYS_nfsservctl, { 0 }, EPERM },
  { "uselib", SYS_uselib, { 0 }, EPERM },
  { "ustat", SYS_ustat, { 0, 0 }, EPERM },
  { "sysfs", SYS_sysfs, { 0xff, 0, 0 }, EPERM },
  { "_sysctl", SYS__sysctl, { 0 }, EPERM },
  { "create_module", SYS_create_module, { 0, 0 }, EPERM },
  { "get_kernel_syms", SYS_get_kernel_syms, { 0 }, EPERM },
  { "query_module", SYS_query_module, { 0 }, EPERM },
  { "fanotify_init", SYS_fanotify_init, { 0xffffffffL, 0 }, EPERM },
  { "mbind", SYS_mbind, { 0 }, EPERM },
  { "set_mempolicy", SYS_set_mempolicy, { 0 }, EPERM },
  { "get_mempolicy", SYS_get_mempolicy, { 0 }, EPERM },
  { "sethostname", SYS_sethostname, { 0, -1 }, EPERM },
  { "setdomainname", SYS_setdomainname, { 0, -1 }, EPERM },
};
#define NDENIED ((int) (sizeof denied / sizeof *denied))

/* ASan maps terabytes of shadow memory up front: a limit below that would
 * make every later mmap fail, so the rlimit check uses one above it. */
#if defined(__SANITIZE_ADDRESS__)
# define AS_LIMIT (1ULL << 46)
#else
# define AS_LIMIT (512ULL << 20)
#endif

/* ---- plumbing ----------------------------------------------------------- */

static int as_root;

static void
skip (const char *what, const char *why)
{
  tap_run++;
  printf ("ok %d - %s # SKIP %s\n", tap_run, what, why);
  fflush (stdout);
}

static void
say (int fd, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));

static void
say (int fd, const char *fmt, ...)
{
  char buf[512];
  va_list ap;
  va_start (ap, fmt);
  int n = vsnprintf (buf, sizeof buf, fmt, ap);
  va_end (ap);
  if (n > 0 && write (fd, buf, (size_t) n < sizeof buf ? (size_t) n
                      : sizeof buf - 1) < 0)
    _exit (98);
}

/* A user namespace in which this process is root with every capability;
 * a kernel that refuses it skips the case (exit 0). */
static void
userns_root (int out)
{
  unsigned uid = geteuid (), gid = getegid ();
  if (unshare (CLONE_NEWUSER) < 0)
    {
      say (out, "skip unshare(CLONE_NEWUSER): %s\n", strerror (errno));
      _exit (0);
    }
  if (tu_map_root (uid, gid) < 0)
    _exit (97);
}

/* What ward does for an unprivileged caller: a user namespace in which the
 * child is root with every capability. Nothing to do for real root. */
static void
enter_ns (int out)
{
  if (geteuid () == 0)
    return;
  userns_root (out);
}

/* Root becomes nobody, losing every capability (a setuid away from 0
 * without keep-caps); nobody stays. */
static void
become_nobody (void)
{
  if (geteuid () != 0)
    return;
  if (setgroups (0, NULL) < 0 || setresgid (NOBODY, NOBODY, NOBODY) < 0
      || setresuid (NOBODY, NOBODY, NOBODY) < 0)
    _exit (96);
  /* the uid change made us undumpable: /proc/self would stay root's and
   * uid_map unwritable */
  if (prctl (PR_SET_DUMPABLE, 1, 0, 0, 0) < 0)
    _exit (96);
}

static wsb_profile
profile (void)
{
  wsb_profile p;
  memset (&p, 0, sizeof p);
  p.seccomp = WSB_SECCOMP_DEFAULT;
  p.limits.nofile = -1;
  p.limits.children = -1;
  p.stdin_fd = p.stdout_fd = p.stderr_fd = -1;
  p.init_arg_fd = -1;
  return p;
}

enum { VIA_CTX, VIA_NULL };

static void
lock (int out, const wsb_profile *p, int via)
{
  ward_err e;
  ward_err_clear (&e);
  scmp_filter_ctx f = NULL;
  if (via == VIA_CTX)
    {
      f = wsb__seccomp_new (p->seccomp, &e);
      if (f == NULL && e.kind != WARD_OK)
        {
          say (out, "fail %s\n", e.msg);
          _exit (95);
        }
    }
  if (wsb__lockdown (p, f, &e) < 0)
    {
      say (out, "fail %s\n", e.msg);
      _exit (95);
    }
}

/* Every probed call answers PROBE_ERRNO unless a newer filter decides. */
static void
install_probe (int out, const long *nrs, int n)
{
  scmp_filter_ctx c = seccomp_init (SCMP_ACT_ALLOW);
  int rc = c == NULL ? -ENOMEM : 0;
  for (int i = 0; i < n && rc >= 0; i++)
    rc = seccomp_rule_add (c, SCMP_ACT_ERRNO (PROBE_ERRNO), (int) nrs[i], 0);
  if (rc >= 0)
    rc = seccomp_load (c);
  if (rc < 0)
    {
      say (out, "fail probe filter: %s\n", strerror (-rc));
      _exit (94);
    }
  seccomp_release (c);
}

typedef void (*child_fn) (int out, long arg);

struct result
{
  char text[16384];
  int status;
};

static void
run (child_fn fn, long arg, struct result *r)
{
  int pfd[2];
  memset (r, 0, sizeof *r);
  pid_t pid = tu_fork_piped (pfd, O_CLOEXEC);
  if (pid == 0)
    {
      fn (pfd[1], arg);
      _exit (0);
    }
  size_t len = 0;
  ssize_t n;
  while (len < sizeof r->text - 1
         && (n = read (pfd[0], r->text + len, sizeof r->text - 1 - len)) != 0)
    if (n > 0)
      len += (size_t) n;
    else if (errno != EINTR)
      break;
  close (pfd[0]);
  while (waitpid (pid, &r->status, 0) < 0 && errno == EINTR)
    ;
}

/* The value after "key " on its own line, or NULL. */
static const char *
field (const struct result *r, const char *key)
{
  size_t k = strlen (key);
  for (const char *s = r->text; s != NULL && *s; )
    {
      if (strncmp (s, key, k) == 0 && s[k] == ' ')
        return s + k + 1;
      s = strchr (s, '\n');
      if (s != NULL)
        s++;
    }
  return NULL;
}

static long long
num (const struct result *r, const char *key, long long dflt)
{
  const char *v = field (r, key);
  return v != NULL ? strtoll (v, NULL, 0) : dflt;
}

/* /proc/self/status prints capability sets in hex without a 0x. */
static long long
cap (const struct result *r, const char *key)
{
  const char *v = field (r, key);
  return v != NULL ? strtoll (v, NULL, 16) : -1;
}

/* When a child did not get to its checks: a skip line, or a failure. */
static int
child_broken (const struct result *r, const char *what, int ntests)
{
  const char *s = field (r, "skip");
  const char *f = field (r, "fail");
  if (s == NULL && f == NULL && WIFEXITED (r->status)
      && WEXITSTATUS (r->status) == 0)
    return 0;
  char why[256];
  const char *src = s != NULL ? s : f;
  snprintf (why, sizeof why, "%s", src != NULL ? src : "");
  why[strcspn (why, "\n")] = '\0';
  for (int i = 0; i < ntests; i++)
    {
      if (s != NULL)
        skip (what, why);
      else
        {
          ok (0, "%s", what);
          printf ("#   child status 0x%x: %s\n", r->status, why);
        }
    }
  return 1;
}

/* ---- children ----------------------------------------------------------- */

static void
c_probe_only (int out, long arg)
{
  long nr = SYS_keyctl;
  install_probe (out, &nr, 1);
  errno = 0;
  long rc = syscall (SYS_keyctl, 0xffff, 0, 0, 0, 0);
  say (out, "keyctl %d\n", rc < 0 ? errno : 0);
}

static void
c_denied (int out, long via)
{
  enter_ns (out);
  if (setsid () < 0)            /* no controlling tty: vhangup stays idle */
    _exit (93);
  long nrs[NDENIED];
  for (int i = 0; i < NDENIED; i++)
    nrs[i] = denied[i].nr;
  install_probe (out, nrs, NDENIED);
  wsb_profile p = profile ();
  lock (out, &p, (int) via);
  for (int i = 0; i < NDENIED; i++)
    {
      const struct call *c = &denied[i];
      errno = 0;
      long rc = syscall (c->nr, c->a[0], c->a[1], c->a[2], c->a[3], c->a[4],
                         c->a[5]);
      if (rc == 0 && c->nr == SYS_clone)
        _exit (0);              /* cannot happen: the probe stops clone */
      say (out, "c%d %d\n", i, rc < 0 ? errno : 0);
    }
}

static void *
thread_main (void *arg)
{
  return arg;
}

static void
status_line (int out, const char *key)
{
  char buf[4096];
  int fd = open ("/proc/self/status", O_RDONLY | O_CLOEXEC);
  ssize_t n = fd < 0 ? -1 : read (fd, buf, sizeof buf - 1);
  if (fd >= 0)
    close (fd);
  if (n <= 0)
    return;
  buf[n] = '\0';
  size_t k = strlen (key);
  for (char *s = buf; s && *s; s = strchr (s, '\n') ? strchr (s, '\n') + 1 : NULL)
    if (strncmp (s, key, k) == 0 && s[k] == ':')
      {
        char *v = s + k + 1;
        v += strspn (v, " \t");
        say (out, "%s %.*s\n", key, (int) strcspn (v, "\n"), v);
      }
}

/* After lockdown: what a Lua VM and an ordinary program do must work. */
static void
c_allowed (int out, long via)
{
  enter_ns (out);
  wsb_profile p = profile ();
  p.limits.memory = AS_LIMIT;
  p.limits.cpu_ms = 2500;
  p.limits.nofile = 64;
  p.limits.children = 50;
  lock (out, &p, (int) via);

  say (out, "pers_query %d\n", syscall (SYS_personality, 0xffffffffL) >= 0);
  say (out, "pers_linux32 %d\n", syscall (SYS_personality, 0x0008L) >= 0
       && syscall (SYS_personality, 0L) >= 0);
  int sp[2];
  say (out, "socketpair %d\n",
       socketpair (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) == 0);

  int pfd[2], avail = -1;
  int piped = pipe2 (pfd, O_CLOEXEC) == 0
    && write (pfd[1], "abc", 3) == 3;
  say (out, "pipe %d\n", piped);
  say (out, "fionread %d\n", syscall (SYS_ioctl, pfd[0], FIONREAD, &avail) == 0
       && avail == 3);
  avail = -1;
  say (out, "fionread_hi %d\n",
       syscall (SYS_ioctl, pfd[0], 0xffffffff00000000UL | FIONREAD, &avail)
       == 0 && avail == 3);
  struct winsize ws;
  errno = 0;
  long r = syscall (SYS_ioctl, pfd[0], TIOCGWINSZ, &ws);
  say (out, "tiocgwinsz %d\n", r < 0 ? errno : 0);

  struct timespec ts;
  say (out, "clock %d\n", clock_gettime (CLOCK_MONOTONIC, &ts) == 0
       && clock_gettime (CLOCK_REALTIME, &ts) == 0);
  struct timespec ms = { 0, 1000000 };
  say (out, "nanosleep %d\n", nanosleep (&ms, NULL) == 0);
  char rnd[16];
  say (out, "getrandom %d\n", getrandom (rnd, sizeof rnd, 0) == sizeof rnd);
  int ep = epoll_create1 (EPOLL_CLOEXEC), ev = eventfd (0, EFD_CLOEXEC);
  struct epoll_event ee = { .events = EPOLLIN };
  say (out, "epoll %d\n", ep >= 0 && ev >= 0
       && epoll_ctl (ep, EPOLL_CTL_ADD, ev, &ee) == 0
       && epoll_wait (ep, &ee, 1, 0) == 0);

  size_t big = 64u << 20;
  char *m = malloc (big);
  if (m != NULL)
    memset (m, 1, big);
  say (out, "malloc64m %d\n", m != NULL && m[big - 1] == 1);
  free (m);

  pthread_t t;
  static int token;
  void *got = NULL;
  say (out, "thread %d\n", pthread_create (&t, NULL, thread_main, &token) == 0
       && pthread_join (t, &got) == 0 && got == &token);

  pid_t kid = fork ();
  if (kid == 0)
    _exit (7);
  int st = 0;
  say (out, "fork %d\n", kid > 0 && waitpid (kid, &st, 0) == kid
       && WIFEXITED (st) && WEXITSTATUS (st) == 7);

  kid = fork ();
  if (kid == 0)
    {
      char *argv[] = { "true", NULL }, *envp[] = { NULL };
      execve ("/bin/true", argv, envp);
      _exit (errno == EPERM ? 3 : 4);
    }
  st = 0;
  say (out, "exec %d\n", kid > 0 && waitpid (kid, &st, 0) == kid
       && WIFEXITED (st) && WEXITSTATUS (st) == 0);

  status_line (out, "CapInh");
  status_line (out, "CapPrm");
  status_line (out, "CapEff");
  status_line (out, "CapBnd");
  status_line (out, "CapAmb");
  status_line (out, "NoNewPrivs");
  status_line (out, "Seccomp");
  status_line (out, "Seccomp_filters");
  say (out, "securebits %d\n", prctl (PR_GET_SECUREBITS, 0, 0, 0, 0));

  static const struct { const char *name; int res; } lims[] = {
    { "as", RLIMIT_AS }, { "cpu", RLIMIT_CPU }, { "nofile", RLIMIT_NOFILE },
    { "nproc", RLIMIT_NPROC }, { "core", RLIMIT_CORE },
  };
  for (size_t i = 0; i < sizeof lims / sizeof lims[0]; i++)
    {
      struct rlimit rl;
      getrlimit (lims[i].res, &rl);
      say (out, "%s %llu %llu\n", lims[i].name, (unsigned long long) rl.rlim_cur,
           (unsigned long long) rl.rlim_max);
    }
}

#if defined(__x86_64__)
static void
c_int80 (int out, long locked)
{
  if (locked)
    {
      enter_ns (out);
      wsb_profile p = profile ();
      lock (out, &p, VIA_NULL);
    }
  long ret = 20;                /* i386 getpid */
  __asm__ volatile ("int $0x80" : "+a" (ret) : : "memory");
  say (out, "ret %ld\n", ret);
}

/* One filter on its own, so that each one's bad-architecture action is
 * proven (the other would otherwise hide it): 0 the profile, 1 the guard;
 * then int 0x80 (arg & 2) or an x32 number. */
static void
c_abi_alone (int out, long arg)
{
  ward_err e;
  scmp_filter_ctx f = (arg & 1) ? wsb__seccomp_guard_new (&e)
    : wsb__seccomp_new (WSB_SECCOMP_DEFAULT, &e);
  if (f == NULL || seccomp_load (f) < 0)
    _exit (88);
  seccomp_release (f);
  long ret = 20;
  if (arg & 2)
    __asm__ volatile ("int $0x80" : "+a" (ret) : : "memory");
  else
    ret = syscall (0x40000000L | SYS_getpid);
  say (out, "ret %ld\n", ret);
}

static void
c_x32 (int out, long arg)
{
  enter_ns (out);
  wsb_profile p = profile ();
  lock (out, &p, VIA_CTX);
  errno = 0;
  long r = syscall (0x40000000L | SYS_getpid);
  say (out, "ret %ld %d\n", r, errno);
}
#endif

#if !defined(__SANITIZE_ADDRESS__)
static void
c_memory (int out, long arg)
{
  enter_ns (out);
  wsb_profile p = profile ();
  p.limits.memory = 128u << 20;
  lock (out, &p, VIA_NULL);
  size_t chunk = 4u << 20, n = 0;
  void *keep[256];
  while (n < 256)
    {
      char *c = malloc (chunk);
      if (c == NULL)
        break;
      memset (c, 0x5a, chunk);
      keep[n++] = c;
    }
  void *huge = mmap (NULL, 256u << 20, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  say (out, "chunks %zu\n", n);
  say (out, "mmap256 %d\n", huge == MAP_FAILED ? errno : 0);
  for (size_t i = 0; i < n; i++)
    free (keep[i]);
}
#endif

static void
c_nproc (int out, long arg)
{
  become_nobody ();
  if (geteuid () == 0)
    _exit (92);
  /* now an unprivileged kuid: as ward's unprivileged path */
  userns_root (out);
  wsb_profile p = profile ();
  p.limits.children = 1;
  lock (out, &p, VIA_NULL);
  errno = 0;
  pid_t kid = fork ();
  if (kid == 0)
    _exit (0);
  say (out, "fork %d\n", kid < 0 ? errno : 0);
  if (kid > 0)
    waitpid (kid, NULL, 0);
}

/* nobody outside any user namespace of its own: an empty permitted set,
 * no CAP_SETPCAP. Lockdown skips the securebits and the bounding set,
 * which no_new_privs makes moot, and does everything else. */
static void
c_no_caps (int out, long keep)
{
  become_nobody ();
  wsb_profile p = profile ();
  p.limits.capabilities = (uint64_t) keep;
  ward_err e;
  ward_err_clear (&e);
  int rc = wsb__lockdown (&p, NULL, &e);
  say (out, "rc %d\n", rc);
  say (out, "msg %s\n", e.msg);
  if (rc < 0)
    return;
  status_line (out, "CapInh");
  status_line (out, "CapPrm");
  status_line (out, "CapEff");
  status_line (out, "CapAmb");
  status_line (out, "NoNewPrivs");
  status_line (out, "Seccomp");
}

/* A process holding a capability (CAP_NET_BIND_SERVICE) but not
 * CAP_SETPCAP: it cannot cut its bounding set, so lockdown must fail. */
static void
c_held_cap (int out, long arg)
{
  enter_ns (out);
  struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
  struct __user_cap_data_struct d[2];
  memset (d, 0, sizeof d);
  d[0].effective = d[0].permitted = 1u << 10;
  if (syscall (SYS_capset, &h, d) < 0)
    {
      say (out, "fail capset: %s\n", strerror (errno));
      _exit (91);
    }
  wsb_profile p = profile ();
  ward_err e;
  ward_err_clear (&e);
  int rc = wsb__lockdown (&p, NULL, &e);
  say (out, "rc %d\n", rc);
  say (out, "msg %s\n", e.msg);
}

static void
c_keep_cap (int out, long arg)
{
  enter_ns (out);
  wsb_profile p = profile ();
  p.limits.capabilities = 1ULL << 10;  /* CAP_NET_BIND_SERVICE */
  p.seccomp = WSB_SECCOMP_NONE;
  lock (out, &p, VIA_CTX);
  status_line (out, "CapInh");
  status_line (out, "CapPrm");
  status_line (out, "CapEff");
  status_line (out, "CapBnd");
  status_line (out, "CapAmb");
  status_line (out, "Seccomp");
}

static void
c_bad_cap (int out, long arg)
{
  enter_ns (out);
  wsb_profile p = profile ();
  p.limits.capabilities = 1ULL << 63;
  ward_err e;
  ward_err_clear (&e);
  say (out, "rc %d\n", wsb__lockdown (&p, NULL, &e));
  say (out, "kind %d\n", (int) e.kind);
}

enum { FD_RANGE, FD_PROC, FD_BRUTE };

static void
c_fds (int out, long mode)
{
  int a = dup2 (out, 100), b = dup2 (out, 200), c = dup2 (out, 700);
  int d = open ("/dev/null", O_RDONLY);
  if (a != 100 || b != 200 || c != 700 || d < 0)
    _exit (91);
  /* close_range refused with ENOSYS forces the /proc walk; openat refused
   * too (opendir uses it) forces the walk up to RLIMIT_NOFILE. */
  long nrs[2] = { SYS_close_range, SYS_openat };
  if (mode != FD_RANGE)
    {
      scmp_filter_ctx f = seccomp_init (SCMP_ACT_ALLOW);
      if (f == NULL
          || seccomp_rule_add (f, SCMP_ACT_ERRNO (ENOSYS), (int) nrs[0], 0) < 0
          || (mode == FD_BRUTE
              && seccomp_rule_add (f, SCMP_ACT_ERRNO (ENOENT), (int) nrs[1],
                                   0) < 0)
          || seccomp_load (f) < 0)
        _exit (90);
      seccomp_release (f);
      struct rlimit rl = { 4096, 4096 };
      if (mode == FD_BRUTE && setrlimit (RLIMIT_NOFILE, &rl) < 0)
        _exit (90);
    }
  int keep[] = { 700, 2, -1, 200, out, 200 };
  ward_err e;
  if (wsb__close_fds_except (keep, sizeof keep / sizeof *keep, &e) < 0)
    {
      say (out, "fail %s\n", e.msg);
      _exit (89);
    }
  char list[512] = "";
  size_t len = 0;
  for (int fd = 0; fd < 1024; fd++)
    if (fcntl (fd, F_GETFD) >= 0)
      len += (size_t) snprintf (list + len, sizeof list - len, "%d,", fd);
  say (out, "out %d\nopen %s\n", out, list);
}

static double
now_us (void)
{
  struct timespec t;
  clock_gettime (CLOCK_MONOTONIC, &t);
  return (double) t.tv_sec * 1e6 + (double) t.tv_nsec / 1e3;
}

static void
c_timing (int out, long via)
{
  enter_ns (out);
  wsb_profile p = profile ();
  ward_err e;
  double t0 = now_us ();
  scmp_filter_ctx f = via == VIA_CTX ? wsb__seccomp_new (p.seccomp, &e) : NULL;
  double t1 = now_us ();
  int rc = wsb__lockdown (&p, f, &e);
  double t2 = now_us ();
  say (out, "t %d %.0f %.0f\n", rc, t1 - t0, t2 - t1);
}

/* ---- the checks --------------------------------------------------------- */

static void
check_denied (long via, const char *label)
{
  struct result r;
  run (c_denied, via, &r);
  if (child_broken (&r, label, via == VIA_CTX ? NDENIED : 1))
    return;
  if (via == VIA_CTX)
    {
      for (int i = 0; i < NDENIED; i++)
        {
          char key[16];
          snprintf (key, sizeof key, "c%d", i);
          long long got = num (&r, key, -1);
          is_int (got, denied[i].want, "%s: %s refused (%s)", label,
                  denied[i].name, strerror (denied[i].want));
        }
      return;
    }
  int bad = 0;
  for (int i = 0; i < NDENIED; i++)
    {
      char key[16];
      snprintf (key, sizeof key, "c%d", i);
      if (num (&r, key, -1) != denied[i].want)
        {
          printf ("#   %s: got %lld\n", denied[i].name, num (&r, key, -1));
          bad++;
        }
    }
  is_int (bad, 0, "%s: the same %d calls refused", label, NDENIED);
}

static void
check_allowed (long via, const char *label)
{
  static const char *const works[] = {
    "pers_query", "pers_linux32", "socketpair", "pipe", "fionread", "fionread_hi", "clock", "nanosleep",
    "getrandom", "epoll", "malloc64m", "thread", "fork", "exec",
  };
  int nw = (int) (sizeof works / sizeof *works);
  struct result r;
  run (c_allowed, via, &r);
  int ntests = via == VIA_CTX ? nw + 15 : 1;
  if (child_broken (&r, label, ntests))
    return;
  if (via != VIA_CTX)
    {
      int bad = 0;
      for (int i = 0; i < nw; i++)
        bad += num (&r, works[i], 0) != 1;
      ok (bad == 0 && num (&r, "Seccomp", -1) == 2,
          "%s: the same ordinary calls work", label);
      return;
    }
  for (int i = 0; i < nw; i++)
    is_int (num (&r, works[i], 0), 1, "%s: %s works", label, works[i]);
  is_int (num (&r, "tiocgwinsz", -1), ENOTTY,
          "%s: the ioctl next to TIOCSTI reaches the kernel", label);
  is_int (cap (&r, "CapInh"), 0, "%s: CapInh empty", label);
  is_int (cap (&r, "CapPrm"), 0, "%s: CapPrm empty", label);
  is_int (cap (&r, "CapEff"), 0, "%s: CapEff empty", label);
  is_int (cap (&r, "CapBnd"), 0, "%s: CapBnd empty", label);
  is_int (cap (&r, "CapAmb"), 0, "%s: CapAmb empty", label);
  is_int (num (&r, "NoNewPrivs", -1), 1, "%s: NoNewPrivs 1", label);
  is_int (num (&r, "Seccomp", -1), 2, "%s: Seccomp 2 (filter)", label);
  is_int (num (&r, "Seccomp_filters", -1), 2,
          "%s: two filters (ioctl guard + profile)", label);
  long long sb = num (&r, "securebits", -1);
  ok (sb >= 0 && (sb & SECBIT_NOROOT) && (sb & SECBIT_NOROOT_LOCKED)
      && (sb & SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED)
      && !(sb & SECBIT_NO_SETUID_FIXUP) && (sb & SECBIT_NO_SETUID_FIXUP_LOCKED),
      "%s: securebits NOROOT, NO_CAP_AMBIENT_RAISE, fixup kept, locked (0x%llx)",
      label, sb);
  is_int ((unsigned long long) num (&r, "as", 0), AS_LIMIT,
          "%s: RLIMIT_AS %llu MiB", label, AS_LIMIT >> 20);
  const char *cpu = field (&r, "cpu");
  ok (cpu != NULL && strncmp (cpu, "3 4\n", 4) == 0,
      "%s: RLIMIT_CPU 2500 ms -> soft 3 s, hard 4 s", label);
  const char *nf = field (&r, "nofile");
  ok (nf != NULL && strncmp (nf, "64 64\n", 6) == 0, "%s: RLIMIT_NOFILE 64",
      label);
  const char *np = field (&r, "nproc");
  ok (np != NULL && strncmp (np, "50 50\n", 6) == 0, "%s: RLIMIT_NPROC 50",
      label);
  const char *core = field (&r, "core");
  ok (core != NULL && strncmp (core, "0 0\n", 4) == 0, "%s: RLIMIT_CORE 0",
      label);
}

static int
killed_by_sigsys (const struct result *r)
{
  return WIFSIGNALED (r->status) && WTERMSIG (r->status) == SIGSYS;
}

static void
check_abi (void)
{
#if defined(__x86_64__)
  struct result r;
  run (c_int80, 0, &r);
  int ia32 = WIFEXITED (r.status) && num (&r, "ret", -1) > 0;
  if (!ia32)
    skip ("int 0x80 kills the process with SIGSYS",
          "no ia32 emulation in this kernel");
  else
    {
      run (c_int80, 1, &r);
      ok (killed_by_sigsys (&r),
          "int 0x80 (i386 getpid) kills the process with SIGSYS");
      if (!killed_by_sigsys (&r))
        printf ("#   status 0x%x, %s", r.status, r.text);
    }
  run (c_x32, 0, &r);
  ok (killed_by_sigsys (&r), "x32 syscall number kills with SIGSYS");
  if (!killed_by_sigsys (&r))
    printf ("#   status 0x%x, %s", r.status, r.text);
  static const char *const what[] = { "profile", "guard" };
  for (long i = 0; i < 2; i++)
    {
      run (c_abi_alone, i | 2, &r);
      if (ia32)
        ok (killed_by_sigsys (&r), "the %s filter alone kills int 0x80",
            what[i]);
      else
        skip ("int 0x80 alone", "no ia32 emulation in this kernel");
      run (c_abi_alone, i, &r);
      ok (killed_by_sigsys (&r), "the %s filter alone kills an x32 call",
          what[i]);
    }
#else
  skip ("int 0x80 kills the process with SIGSYS", "not x86_64");
  skip ("x32 syscall number kills with SIGSYS", "not x86_64");
  for (int i = 0; i < 4; i++)
    skip ("a filter alone kills another ABI", "not x86_64");
#endif
}

static void
check_memory (void)
{
#if defined(__SANITIZE_ADDRESS__)
  skip ("memory bomb stops at RLIMIT_AS", "ASan reserves terabytes of address space");
  skip ("256 MiB mmap refused under a 128 MiB RLIMIT_AS", "ASan");
#else
  struct result r;
  run (c_memory, 0, &r);
  if (child_broken (&r, "memory bomb", 2))
    return;
  long long n = num (&r, "chunks", -1);
  ok (n >= 1 && n < 32, "memory bomb: malloc fails after %lld x 4 MiB, "
      "the child lives", n);
  is_int (num (&r, "mmap256", -1), ENOMEM,
          "256 MiB mmap refused under a 128 MiB RLIMIT_AS");
#endif
}

static void
check_caps_and_errors (void)
{
  struct result r;
  run (c_nproc, 0, &r);
  if (!child_broken (&r, "RLIMIT_NPROC 1", 1))
    is_int (num (&r, "fork", -1), EAGAIN,
            "RLIMIT_NPROC 1: fork fails with EAGAIN (unprivileged kuid)");

  run (c_no_caps, 0, &r);
  const char *msg = field (&r, "msg");
  if (!child_broken (&r, "no capabilities, no user namespace", 2))
    {
      ok (num (&r, "rc", -1) == 0 && cap (&r, "CapInh") == 0
          && cap (&r, "CapPrm") == 0 && cap (&r, "CapEff") == 0
          && cap (&r, "CapAmb") == 0,
          "no capabilities, no user namespace: lockdown succeeds "
          "without CAP_SETPCAP");
      ok (num (&r, "NoNewPrivs", -1) == 1 && num (&r, "Seccomp", -1) == 2,
          "no capabilities: no_new_privs and the filter are in force");
      if (msg != NULL && msg[0] != '\n')
        printf ("#   %.*s\n", (int) strcspn (msg, "\n"), msg);
    }

  run (c_no_caps, 1L << 10, &r);
  msg = field (&r, "msg");
  ok (num (&r, "rc", 0) == -1 && msg != NULL && strstr (msg, "holds none"),
      "no capabilities: keeping one fails closed");
  if (msg != NULL)
    printf ("#   %.*s\n", (int) strcspn (msg, "\n"), msg);

  run (c_held_cap, 0, &r);
  msg = field (&r, "msg");
  if (!child_broken (&r, "a capability held without CAP_SETPCAP", 1))
    {
      ok (num (&r, "rc", 0) == -1 && msg != NULL
          && strstr (msg, "CAP_SETPCAP"),
          "a capability held without CAP_SETPCAP: lockdown fails closed, "
          "naming the step");
      if (msg != NULL)
        printf ("#   %.*s\n", (int) strcspn (msg, "\n"), msg);
    }

  run (c_keep_cap, 0, &r);
  if (!child_broken (&r, "capabilities", 3))
    {
      ok (cap (&r, "CapEff") == 0x400 && cap (&r, "CapPrm") == 0x400
          && cap (&r, "CapInh") == 0x400,
          "capabilities CAP_NET_BIND_SERVICE: kept in eff/prm/inh");
      ok (cap (&r, "CapBnd") == 0x400 && cap (&r, "CapAmb") == 0,
          "capabilities: bounding holds only it, ambient empty");
      is_int (num (&r, "Seccomp", -1), 0, "WSB_SECCOMP_NONE loads no filter");
    }

  run (c_bad_cap, 0, &r);
  ok (num (&r, "rc", 0) == -1 && num (&r, "kind", 0) == WARD_E_INVALID,
      "keeping capability 63 is refused as INVALID");

  ward_err e;
  ward_err_set (&e, WARD_E_INTERNAL, 0, "stale");
  scmp_filter_ctx f = wsb__seccomp_new (WSB_SECCOMP_NONE, &e);
  ok (f == NULL && e.kind == WARD_OK,
      "wsb__seccomp_new(NONE) is NULL without error");
  f = wsb__seccomp_new (42, &e);
  ok (f == NULL && e.kind == WARD_E_INVALID,
      "wsb__seccomp_new(42) is NULL with INVALID");
}

static void
check_fds (void)
{
  static const char *const label[] = {
    "close_range", "/proc/self/fd fallback", "RLIMIT_NOFILE fallback"
  };
  for (long mode = FD_RANGE; mode <= FD_BRUTE; mode++)
    {
      struct result r;
      run (c_fds, mode, &r);
      if (child_broken (&r, label[mode], 1))
        continue;
      /* 0 and 1 go; 2 stays if whoever runs us left it open */
      const char *got = field (&r, "open");
      int out = (int) num (&r, "out", -1);
      char want[64];
      snprintf (want, sizeof want, "%s%d,200,700,\n",
                fcntl (2, F_GETFD) >= 0 ? "2," : "", out);
      is_str (got, want,
              "fd closing via %s keeps exactly 2, the pipe, 200 and 700",
              label[mode]);
      if (got != NULL)
        printf ("#   open after: %.*s\n", (int) strcspn (got, "\n"), got);
    }
}

static void
report_timing (void)
{
  struct result r;
  run (c_timing, VIA_CTX, &r);
  const char *t = field (&r, "t");
  if (t != NULL)
    printf ("# timing, filter context: build + lockdown us: %.*s\n",
            (int) strcspn (t, "\n"), t);
  run (c_timing, VIA_NULL, &r);
  t = field (&r, "t");
  if (t != NULL)
    printf ("# timing, precompiled: - + lockdown us: %.*s\n",
            (int) strcspn (t, "\n"), t);
}

int
main (void)
{
  as_root = geteuid () == 0;
  /* probe 1; denied NDENIED + 2; allowed 29 + 2; prepare 1; abi 6;
   * memory 2; caps and errors 11; fds 3 */
  plan (1 + NDENIED + 2 + 31 + 1 + 2 + 6 + 2 + 11 + 3);
  printf ("# running as %s\n", as_root ? "root" : "an unprivileged user");

  struct result r;
  run (c_probe_only, 0, &r);
  is_int (num (&r, "keyctl", -1), PROBE_ERRNO,
          "the probe filter answers for calls no newer filter decides");

  check_denied (VIA_CTX, "filter context");
  check_denied (VIA_NULL, "built on demand");
  check_allowed (VIA_CTX, "filter context");
  check_allowed (VIA_NULL, "built on demand");

  ward_err e;
  ok (wsb__seccomp_prepare (&e) == 0 && wsb__seccomp_prepare (&e) == 0,
      "wsb__seccomp_prepare makes the profile ready (twice is harmless)");
#ifdef WARD_SECCOMP_PREBUILT
  ok (wsb__seccomp_prepared_at_build (), "... from the programs compiled with ward "
      "(no libseccomp work at run time)");
#else
  ok (1, "# SKIP a cross build compiles the profile at run time");
#endif
  int fresh = wsb__seccomp_prepared_fresh (&e);
  ok (fresh == 1, "the prepared programs are what libseccomp compiles from seccomp.c now "
      "(those of the build, sandbox/seccomp-gen, unless cross-built): %d %s", fresh,
      fresh < 0 ? e.msg : "");
  check_denied (VIA_NULL, "precompiled");
  check_allowed (VIA_NULL, "precompiled");

  check_abi ();
  check_memory ();
  check_caps_and_errors ();
  check_fds ();
  report_timing ();
  return done ();
}
