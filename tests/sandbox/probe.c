/* probe.c -- the escape probe, run as the entry of a fully built sandbox.
 * Each check tries one way out; its verdict travels to the driver as a record
 * (probe.h). A check "blocks" only when the attempt failed; an attempt is
 * built so that it would succeed (or reach the kernel) were it not stopped.
 *
 * Every check but a few that look at the probe itself runs in a forked
 * grandchild: a check that seccomp kills (int 0x80), one whose success would
 * change the process (unshare, personality, execve) or a bomb must not take
 * the probe down. The grandchild writes its verdict to a pipe; the probe
 * judges a death by signal. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/audit.h>
#include <linux/bpf.h>
#include <linux/capability.h>
#include <linux/if_ether.h>
#include <linux/io_uring.h>
#include <linux/kcmp.h>
#include <linux/kexec.h>
#include <linux/keyctl.h>
#include <linux/netlink.h>
#include <linux/perf_event.h>
#include <linux/userfaultfd.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/klog.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/swap.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>
#include <asm/ldt.h>
#include <linux/sched.h>

#include "probe.h"

#ifndef AF_ALG
#define AF_ALG 38
#endif
#ifndef AF_VSOCK
#define AF_VSOCK 40
#endif
#ifndef UFFD_USER_MODE_ONLY
#define UFFD_USER_MODE_ONLY 1
#endif
#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

/* What the driver told us in HELLO. */
struct ctx {
  pid_t hostpid;                /* the driver, in the host's PID namespace */
  int port;                     /* its TCP listener on 127.0.0.1 */
  unsigned absent;              /* WPROBE_F_* bits the host lacks */
  long nproc;                   /* the profile's limits (0: none) */
  long nofile;
  unsigned long long memory;
  int chan;
};

struct result {
  char verdict;                 /* 'B', 'E', 'S' or 'H' */
  char detail[300];
};

typedef void (*check_fn) (const struct ctx *c, struct result *r);

/* The pipe of the grandchild running a check, for checks that record a
 * pessimistic verdict before an attempt that may not return (execve). */
static int iso_wfd = -1;

/* Written by the process_vm_writev check (in the parent, if it escapes). */
static volatile char probe_scratch[16] = "ward-probe";

static void __attribute__ ((format (printf, 3, 4)))
set (struct result *r, char verdict, const char *fmt, ...)
{
  va_list ap;
  r->verdict = verdict;
  va_start (ap, fmt);
  vsnprintf (r->detail, sizeof r->detail, fmt, ap);
  va_end (ap);
}

static const char *
ename (int e)
{
  const char *s = strerrorname_np (e);
  return s ? s : "errno?";
}

static void
commit (const struct result *r)
{
  if (iso_wfd >= 0 && write (iso_wfd, r, sizeof *r) != (ssize_t) sizeof *r)
    _exit (3);
}

/* Blocked when the attempt failed, whatever the errno. */
static void
fails (struct result *r, long rc, int e)
{
  if (rc < 0)
    set (r, 'B', "%s", ename (e));
  else
    set (r, 'E', "succeeded (returned %ld)", rc);
}

/* Blocked only when the filter (or a missing capability) refused: EPERM or
 * ENOSYS. Any other errno means the call reached the kernel's handler, so
 * the seccomp profile let it through. */
static void
filtered (struct result *r, long rc, int e)
{
  if (rc >= 0)
    set (r, 'E', "succeeded (returned %ld)", rc);
  else if (e == EPERM || e == ENOSYS)
    set (r, 'B', "%s", ename (e));
  else
    set (r, 'E', "not filtered: reached the kernel (%s)", ename (e));
}

#define SYSCALL_CHECK(fn, how, ...)                                         \
  static void fn (const struct ctx *c, struct result *r)                    \
  {                                                                         \
    (void) c;                                                               \
    errno = 0;                                                              \
    long rc_ = syscall (__VA_ARGS__);                                       \
    how (r, rc_, errno);                                                    \
  }

/* ---- ptrace and other processes' memory ---- */

static void
c_traceme (const struct ctx *c, struct result *r)
{
  (void) c;
  long rc = ptrace (PTRACE_TRACEME, 0, NULL, NULL);
  filtered (r, rc, errno);
}

static void
c_attach_parent (const struct ctx *c, struct result *r)
{
  (void) c;
  pid_t pp = getppid ();
  long rc = ptrace (PTRACE_ATTACH, pp, NULL, NULL);
  int e = errno;
  if (rc == 0)
    {
      /* let the probe go on: take the SIGSTOP and detach without it */
      waitpid (pp, NULL, __WALL);
      ptrace (PTRACE_DETACH, pp, NULL, NULL);
    }
  filtered (r, rc, e);
}

static void
c_vm_readv (const struct ctx *c, struct result *r)
{
  (void) c;
  char buf[sizeof probe_scratch];
  struct iovec l = { buf, sizeof buf }, rv = { (void *) probe_scratch, sizeof buf };
  long rc = process_vm_readv (getppid (), &l, 1, &rv, 1, 0);
  filtered (r, rc, errno);
}

static void
c_vm_writev (const struct ctx *c, struct result *r)
{
  (void) c;
  char buf[sizeof probe_scratch];
  memcpy (buf, (const char *) probe_scratch, sizeof buf);
  struct iovec l = { buf, sizeof buf }, rv = { (void *) probe_scratch, sizeof buf };
  long rc = process_vm_writev (getppid (), &l, 1, &rv, 1, 0);
  filtered (r, rc, errno);
}

static void
c_kcmp (const struct ctx *c, struct result *r)
{
  (void) c;
  long rc = syscall (SYS_kcmp, getpid (), getppid (), KCMP_FILE, 0, 0);
  filtered (r, rc, errno);
}

static void
c_pidfd_getfd (const struct ctx *c, struct result *r)
{
  int pfd = (int) syscall (SYS_pidfd_open, getppid (), 0);
  if (pfd < 0)
    {
      set (r, 'B', "pidfd_open: %s", ename (errno));
      return;
    }
  long rc = syscall (SYS_pidfd_getfd, pfd, c->chan, 0);
  fails (r, rc, errno);
}

static void
c_pidfd_host (const struct ctx *c, struct result *r)
{
  long rc = syscall (SYS_pidfd_open, c->hostpid, 0);
  fails (r, rc, errno);
}

/* ---- keys, fds the kernel hands out, kernel images ---- */

SYSCALL_CHECK (c_keyctl, filtered, SYS_keyctl, KEYCTL_GET_KEYRING_ID,
               KEY_SPEC_SESSION_KEYRING, 1)
SYSCALL_CHECK (c_add_key, filtered, SYS_add_key, "user", "ward-probe", "x",
               (size_t) 1, KEY_SPEC_PROCESS_KEYRING)
SYSCALL_CHECK (c_request_key, filtered, SYS_request_key, "user",
               "ward-probe", NULL, 0)
SYSCALL_CHECK (c_userfaultfd, filtered, SYS_userfaultfd,
               O_CLOEXEC | UFFD_USER_MODE_ONLY)
SYSCALL_CHECK (c_kexec_load, filtered, SYS_kexec_load, 0UL, 0UL, NULL,
               KEXEC_ARCH_DEFAULT)
SYSCALL_CHECK (c_kexec_file_load, filtered, SYS_kexec_file_load, -1, -1,
               0UL, "", KEXEC_FILE_UNLOAD)
SYSCALL_CHECK (c_init_module, filtered, SYS_init_module, NULL, 0UL, "")
SYSCALL_CHECK (c_finit_module, filtered, SYS_finit_module, 0, "", 0)
SYSCALL_CHECK (c_delete_module, filtered, SYS_delete_module,
               "ward_probe_none", O_NONBLOCK)
SYSCALL_CHECK (c_lookup_dcookie, fails, SYS_lookup_dcookie, 0ULL, NULL, 0UL)

static void
c_io_uring (const struct ctx *c, struct result *r)
{
  (void) c;
  struct io_uring_params p;
  memset (&p, 0, sizeof p);
  long rc = syscall (SYS_io_uring_setup, 4, &p);
  filtered (r, rc, errno);
}

static void
c_bpf (const struct ctx *c, struct result *r)
{
  (void) c;
  union bpf_attr a;
  memset (&a, 0, sizeof a);
  a.map_type = BPF_MAP_TYPE_ARRAY;
  a.key_size = 4;
  a.value_size = 4;
  a.max_entries = 1;
  long rc = syscall (SYS_bpf, BPF_MAP_CREATE, &a, sizeof a);
  filtered (r, rc, errno);
}

static void
c_perf (const struct ctx *c, struct result *r)
{
  (void) c;
  struct perf_event_attr a;
  memset (&a, 0, sizeof a);
  a.type = PERF_TYPE_SOFTWARE;
  a.size = sizeof a;
  a.config = PERF_COUNT_SW_TASK_CLOCK;
  a.exclude_kernel = 1;
  a.exclude_hv = 1;
  long rc = syscall (SYS_perf_event_open, &a, 0, -1, -1, 0);
  filtered (r, rc, errno);
}

static void
c_fanotify (const struct ctx *c, struct result *r)
{
  (void) c;
  long rc = syscall (SYS_fanotify_init, 0 /* FAN_CLASS_NOTIF */, O_RDONLY);
  fails (r, rc, errno);
}

/* ---- the mount family ---- */

SYSCALL_CHECK (c_mount_tmpfs, filtered, SYS_mount, "none", "/", "tmpfs", 0UL,
               NULL)
SYSCALL_CHECK (c_mount_remount, filtered, SYS_mount, NULL, "/", NULL,
               (unsigned long) (MS_REMOUNT | MS_BIND), NULL)
SYSCALL_CHECK (c_umount2, filtered, SYS_umount2, "/", MNT_DETACH)
SYSCALL_CHECK (c_pivot_root, filtered, SYS_pivot_root, ".", ".")
SYSCALL_CHECK (c_chroot, fails, SYS_chroot, "/")
SYSCALL_CHECK (c_open_tree, filtered, SYS_open_tree, AT_FDCWD, "/",
               OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC)
SYSCALL_CHECK (c_move_mount, filtered, SYS_move_mount, AT_FDCWD, "/",
               AT_FDCWD, "/", 0)
SYSCALL_CHECK (c_fsopen, filtered, SYS_fsopen, "tmpfs", FSOPEN_CLOEXEC)
SYSCALL_CHECK (c_fspick, filtered, SYS_fspick, AT_FDCWD, "/", FSPICK_CLOEXEC)

static void
c_mount_setattr (const struct ctx *c, struct result *r)
{
  (void) c;
  struct mount_attr a;
  memset (&a, 0, sizeof a);
  a.attr_clr = MOUNT_ATTR_RDONLY;
  long rc = syscall (SYS_mount_setattr, AT_FDCWD, "/", 0, &a, sizeof a);
  filtered (r, rc, errno);
}

/* ---- new namespaces ---- */

#define UNSHARE_CHECK(fn, flag)                                             \
  static void fn (const struct ctx *c, struct result *r)                    \
  {                                                                         \
    (void) c;                                                               \
    long rc_ = unshare (flag);                                              \
    filtered (r, rc_, errno);                                               \
  }
UNSHARE_CHECK (c_unshare_user, CLONE_NEWUSER)
UNSHARE_CHECK (c_unshare_ns, CLONE_NEWNS)
UNSHARE_CHECK (c_unshare_net, CLONE_NEWNET)
UNSHARE_CHECK (c_unshare_pid, CLONE_NEWPID)
UNSHARE_CHECK (c_unshare_uts, CLONE_NEWUTS)
UNSHARE_CHECK (c_unshare_ipc, CLONE_NEWIPC)
UNSHARE_CHECK (c_unshare_cgroup, CLONE_NEWCGROUP)
UNSHARE_CHECK (c_unshare_time, CLONE_NEWTIME)

static void
c_setns (const struct ctx *c, struct result *r)
{
  (void) c;
  int pfd = (int) syscall (SYS_pidfd_open, getppid (), 0);
  /* without a pidfd an invalid fd still tells a filter (EPERM) from the
   * kernel (EBADF) */
  long rc = setns (pfd, CLONE_NEWNET | CLONE_NEWUTS);
  filtered (r, rc, errno);
}

static void
clone_flags (struct result *r, unsigned long flags)
{
  long rc = syscall (SYS_clone, flags | SIGCHLD, NULL, NULL, NULL, 0UL);
  int e = errno;
  if (rc == 0)
    _exit (0);
  if (rc > 0)
    waitpid ((pid_t) rc, NULL, 0);
  filtered (r, rc, e);
}

static void
c_clone_user (const struct ctx *c, struct result *r)
{
  (void) c;
  clone_flags (r, CLONE_NEWUSER);
}

static void
c_clone_ns (const struct ctx *c, struct result *r)
{
  (void) c;
  clone_flags (r, CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWPID);
}

/* clone3 must say ENOSYS (so that libc falls back to clone, whose flags
 * the filter can see), even for flags clone would allow. */
static void
clone3_flags (struct result *r, unsigned long long flags)
{
  struct clone_args a;
  memset (&a, 0, sizeof a);
  a.flags = flags;
  a.exit_signal = SIGCHLD;
  long rc = syscall (SYS_clone3, &a, sizeof a);
  int e = errno;
  if (rc == 0)
    _exit (0);
  if (rc > 0)
    waitpid ((pid_t) rc, NULL, 0);
  if (rc < 0 && e == ENOSYS)
    set (r, 'B', "ENOSYS");
  else if (rc < 0)
    set (r, 'E', "failed with %s, not ENOSYS", ename (e));
  else
    set (r, 'E', "succeeded (pid %ld)", rc);
}

static void
c_clone3 (const struct ctx *c, struct result *r)
{
  (void) c;
  clone3_flags (r, 0);
}

static void
c_clone3_user (const struct ctx *c, struct result *r)
{
  (void) c;
  clone3_flags (r, CLONE_NEWUSER);
}

/* ---- terminals ---- */

/* Every fd of the stdio, plus /dev/tty when there is one: the ioctl must be
 * refused by the filter (a /dev/null stdio would say ENOTTY otherwise). */
static void
tty_ioctl (struct result *r, unsigned long long cmd, void *arg)
{
  int fds[4] = { 0, 1, 2, -1 }, n = 3;
  int t = open ("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (t >= 0)
    fds[n++] = t;
  for (int i = 0; i < n; i++)
    {
      errno = 0;
      long rc = syscall (SYS_ioctl, fds[i], cmd, arg);
      filtered (r, rc, errno);
      if (r->verdict != 'B')
        {
          char d[sizeof r->detail];
          snprintf (d, sizeof d, "fd %d: %s", fds[i], r->detail);
          strcpy (r->detail, d);
          return;
        }
    }
  set (r, 'B', "EPERM on fds 0-2%s", t >= 0 ? " and /dev/tty" : "");
}

static void
c_tiocsti (const struct ctx *c, struct result *r)
{
  (void) c;
  char ch = '#';
  tty_ioctl (r, TIOCSTI, &ch);
}

static void
c_tiocsti_high (const struct ctx *c, struct result *r)
{
  (void) c;
  char ch = '#';
  tty_ioctl (r, 0x100000000ULL | TIOCSTI, &ch);
}

static void
c_tioclinux (const struct ctx *c, struct result *r)
{
  (void) c;
  char sub = 6;                 /* TIOCL_GETSHIFTSTATE: a harmless read */
  tty_ioctl (r, TIOCLINUX, &sub);
}

static void
c_tioclinux_high (const struct ctx *c, struct result *r)
{
  (void) c;
  char sub = 6;
  tty_ioctl (r, 0x100000000ULL | TIOCLINUX, &sub);
}

/* ---- personality, old ABIs ---- */

static void
c_personality_rie (const struct ctx *c, struct result *r)
{
  (void) c;
  long rc = syscall (SYS_personality, (unsigned long) READ_IMPLIES_EXEC);
  filtered (r, rc, errno);
}

static void
c_personality_aslr (const struct ctx *c, struct result *r)
{
  (void) c;
  long rc = syscall (SYS_personality, (unsigned long) ADDR_NO_RANDOMIZE);
  filtered (r, rc, errno);
}

static void
c_int80 (const struct ctx *c, struct result *r)
{
  (void) c;
  long rc;
  /* getpid on the 32-bit ABI; a filter that checks the arch kills us */
  __asm__ volatile ("int $0x80" : "=a" (rc) : "a" (20L) : "memory");
  set (r, 'E', "int 0x80 getpid returned %ld", rc);
}

static void
c_x32 (const struct ctx *c, struct result *r)
{
  (void) c;
  long rc = syscall (0x40000000L | SYS_getpid);
  int e = errno;
  if (rc < 0 && e == ENOSYS)
    set (r, 'B', "ENOSYS");
  else
    fails (r, rc, e);
}

static void
c_modify_ldt (const struct ctx *c, struct result *r)
{
  (void) c;
  struct user_desc d;
  memset (&d, 0, sizeof d);
  d.entry_number = 0;
  d.seg_32bit = 1;
  d.read_exec_only = 1;
  d.seg_not_present = 1;
  long rc = syscall (SYS_modify_ldt, 1, &d, sizeof d);
  fails (r, rc, errno);
}

/* ---- sockets ---- */

static void
c_af_alg (const struct ctx *c, struct result *r)
{
  (void) c;
  long rc = socket (AF_ALG, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
  filtered (r, rc, errno);
}

static void
c_af_vsock (const struct ctx *c, struct result *r)
{
  (void) c;
  long rc = socket (AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC, 0);
  filtered (r, rc, errno);
}

static void
c_af_packet (const struct ctx *c, struct result *r)
{
  (void) c;
  long rc = socket (AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons (ETH_P_ALL));
  fails (r, rc, errno);
}

static void
c_raw_ip (const struct ctx *c, struct result *r)
{
  (void) c;
  long rc = socket (AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMP);
  fails (r, rc, errno);
}

/* No socket() of any family: a sandbox has only the sockets it is handed
 * (a TCP or UDP socket, a Unix socket to reach the host's daemons). */
static void
c_inet_stream (const struct ctx *c, struct result *r)
{
  (void) c;
  long rc = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  filtered (r, rc, errno);
}

static void
c_inet_dgram (const struct ctx *c, struct result *r)
{
  (void) c;
  long rc = socket (AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  filtered (r, rc, errno);
}

static void
c_inet6_stream (const struct ctx *c, struct result *r)
{
  (void) c;
  long rc = socket (AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
  filtered (r, rc, errno);
}

static void
c_unix_stream (const struct ctx *c, struct result *r)
{
  (void) c;
  long rc = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  filtered (r, rc, errno);
}

/* The audit socket may open in a new netns; what must fail is talking to
 * the audit subsystem. */
static void
c_netlink_audit (const struct ctx *c, struct result *r)
{
  (void) c;
  int fd = socket (AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_AUDIT);
  if (fd < 0)
    {
      set (r, 'B', "socket: %s", ename (errno));
      return;
    }
  struct { struct nlmsghdr h; char pad[64]; } m;
  memset (&m, 0, sizeof m);
  m.h.nlmsg_len = NLMSG_LENGTH (0);
  m.h.nlmsg_type = AUDIT_GET;
  m.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
  m.h.nlmsg_seq = 1;
  struct sockaddr_nl k = { .nl_family = AF_NETLINK };
  if (sendto (fd, &m, m.h.nlmsg_len, 0, (struct sockaddr *) &k, sizeof k) < 0)
    {
      set (r, 'B', "socket opened, send: %s", ename (errno));
      return;
    }
  char buf[1024];
  ssize_t n = recv (fd, buf, sizeof buf, 0);
  if (n < 0)
    {
      set (r, 'B', "socket opened, recv: %s", ename (errno));
      return;
    }
  struct nlmsghdr *h = (struct nlmsghdr *) buf;
  if ((size_t) n >= NLMSG_LENGTH (sizeof (struct nlmsgerr))
      && h->nlmsg_type == NLMSG_ERROR)
    {
      int err = -((struct nlmsgerr *) NLMSG_DATA (h))->error;
      if (err != 0)
        {
          set (r, 'B', "socket opened, AUDIT_GET refused: %s", ename (err));
          return;
        }
    }
  set (r, 'E', "AUDIT_GET answered (type %d)", h->nlmsg_type);
}

static void
c_connect_host (const struct ctx *c, struct result *r)
{
  int fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    {
      set (r, 'B', "socket: %s", ename (errno));
      return;
    }
  struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons (c->port) };
  a.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  long rc = connect (fd, (struct sockaddr *) &a, sizeof a);
  fails (r, rc, errno);
}

static void
c_bind_80 (const struct ctx *c, struct result *r)
{
  (void) c;
  int fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    {
      set (r, 'B', "socket: %s", ename (errno));
      return;
    }
  struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons (80) };
  long rc = bind (fd, (struct sockaddr *) &a, sizeof a);
  fails (r, rc, errno);
}

/* ---- the host's files ---- */

static void
open_fails (struct result *r, const char *const *paths, int flags)
{
  for (size_t i = 0; paths[i]; i++)
    {
      int fd = open (paths[i], flags | O_CLOEXEC);
      if (fd >= 0)
        {
          set (r, 'E', "opened %s", paths[i]);
          return;
        }
      if (i == 0)
        set (r, 'B', "%s", ename (errno));
    }
}

#define OPEN_CHECK(fn, flags, ...)                                          \
  static void fn (const struct ctx *c, struct result *r)                    \
  {                                                                         \
    (void) c;                                                               \
    static const char *const p_[] = { __VA_ARGS__, NULL };                  \
    open_fails (r, p_, flags);                                              \
  }
OPEN_CHECK (c_shadow, O_RDONLY, "/etc/shadow")
OPEN_CHECK (c_passwd, O_RDONLY, "/etc/passwd")
OPEN_CHECK (c_exe_write, O_WRONLY, "/proc/self/exe")
OPEN_CHECK (c_exe_open, O_RDONLY, "/proc/self/exe", "/proc/1/exe")
OPEN_CHECK (c_exe_path, O_PATH, "/proc/self/exe", "/proc/1/exe")
OPEN_CHECK (c_proc1_root, O_RDONLY, "/proc/1/root/etc/passwd",
            "/proc/1/root/etc/hostname", "/proc/1/cwd/etc/passwd")
OPEN_CHECK (c_cwd_escape, O_RDONLY, "/proc/self/cwd/etc/passwd",
            "/proc/self/root/etc/passwd", "/../../../etc/passwd",
            "../../../../etc/passwd")
OPEN_CHECK (c_dev_mem, O_RDONLY, "/dev/mem", "/dev/kmem", "/dev/port")
OPEN_CHECK (c_proc_sys, O_WRONLY, "/proc/sys/kernel/hostname",
            "/proc/sys/kernel/core_pattern", "/proc/sysrq-trigger")
OPEN_CHECK (c_sysfs, O_RDONLY, "/sys/kernel/notes", "/sys/class/net",
            "/sys/fs/cgroup")
OPEN_CHECK (c_uid_map, O_WRONLY, "/proc/self/uid_map", "/proc/self/gid_map",
            "/proc/self/setgroups")

static void
c_root_empty (const struct ctx *c, struct result *r)
{
  (void) c;
  static const char *const host[] = { "/etc", "/usr", "/bin", "/lib",
    "/home", "/root", "/var", "/boot", "/work", "/tmp/..", NULL };
  struct stat st;
  for (size_t i = 0; host[i]; i++)
    if (strcmp (host[i], "/tmp/..") != 0 && lstat (host[i], &st) == 0)
      {
        set (r, 'E', "%s exists: the host's root shows through", host[i]);
        return;
      }
  DIR *d = opendir ("/");
  size_t n = 0;
  char names[200] = "";
  if (d)
    {
      struct dirent *de;
      while ((de = readdir (d)))
        if (strcmp (de->d_name, ".") && strcmp (de->d_name, ".."))
          {
            n++;
            if (strlen (names) + strlen (de->d_name) + 2 < sizeof names)
              {
                strcat (names, " ");
                strcat (names, de->d_name);
              }
          }
      closedir (d);
    }
  set (r, 'B', "no host directories; / holds %zu entries:%s", n, names);
}

static void
c_mknod (const struct ctx *c, struct result *r)
{
  (void) c;
  static const char *const where[] = { "/ward-probe-mem", "/tmp/ward-probe-mem",
    NULL };
  for (size_t i = 0; where[i]; i++)
    {
      if (mknod (where[i], S_IFCHR | 0600, makedev (1, 1)) == 0)
        {
          unlink (where[i]);
          set (r, 'E', "made the /dev/mem device node %s", where[i]);
          return;
        }
      if (i == 0)
        set (r, 'B', "%s", ename (errno));
    }
}

static void
c_chown_root (const struct ctx *c, struct result *r)
{
  (void) c;
  struct stat a, b;
  if (stat ("/", &a) < 0)
    {
      set (r, 'B', "stat /: %s", ename (errno));
      return;
    }
  int rc0 = chown ("/", 0, 0), e0 = errno;
  int rc1 = chown ("/", 65534, 65534), e1 = errno;
  if (stat ("/", &b) == 0 && (a.st_uid != b.st_uid || a.st_gid != b.st_gid))
    set (r, 'E', "/ changed owner %u:%u -> %u:%u", (unsigned) a.st_uid,
         (unsigned) a.st_gid, (unsigned) b.st_uid, (unsigned) b.st_gid);
  else
    set (r, 'B', "%s, %s", rc0 ? ename (e0) : "no-op", rc1 ? ename (e1) : "no-op");
}

static void
c_handle (const struct ctx *c, struct result *r)
{
  (void) c;
  struct { struct file_handle h; unsigned char b[128]; } fh;
  int mnt;
  const char *how = "name_to_handle_at refused";
  fh.h.handle_bytes = sizeof fh.b;
  if (name_to_handle_at (AT_FDCWD, "/", &fh.h, &mnt, 0) == 0)
    how = "name_to_handle_at allowed";
  else
    {
      /* the ext4 root inode: what a "shocker" exploit guesses */
      uint32_t ino_gen[2] = { 2, 0 };
      fh.h.handle_bytes = sizeof ino_gen;
      fh.h.handle_type = 1;     /* FILEID_INO32_GEN */
      memcpy (fh.h.f_handle, ino_gen, sizeof ino_gen);
    }
  int dfd = open ("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  long rc = open_by_handle_at (dfd, &fh.h, O_RDONLY);
  int e = errno;
  if (rc >= 0)
    set (r, 'E', "open_by_handle_at opened a file (%s)", how);
  else
    set (r, 'B', "%s (%s)", ename (e), how);
}

/* ---- privileges ---- */

static void
c_exec_setuid (const struct ctx *c, struct result *r)
{
  (void) c;
  static const char *const bins[] = { "/usr/bin/passwd", "/bin/su",
    "/usr/bin/su", "/usr/bin/sudo", "/bin/mount", "/usr/bin/newgrp",
    "/usr/bin/chfn", NULL };
  char *const envp[] = { NULL };
  int first = 0;
  for (size_t i = 0; bins[i]; i++)
    {
      char *const argv[] = { (char *) bins[i], (char *) "--help", NULL };
      /* should execve work, this stands as the verdict */
      set (r, 'E', "execve %s succeeded", bins[i]);
      commit (r);
      execve (bins[i], argv, envp);
      if (i == 0)
        first = errno;
    }
  set (r, 'B', "%s", ename (first));
}

static void
c_nnp (const struct ctx *c, struct result *r)
{
  (void) c;
  int v = prctl (PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0);
  if (v == 1)
    set (r, 'B', "PR_GET_NO_NEW_PRIVS = 1");
  else
    set (r, 'E', "PR_GET_NO_NEW_PRIVS = %d (%s)", v, v < 0 ? ename (errno) : "unset");
}

static void
c_seccomp_mode (const struct ctx *c, struct result *r)
{
  (void) c;
  int v = prctl (PR_GET_SECCOMP, 0, 0, 0, 0);
  if (v == 2)
    set (r, 'B', "PR_GET_SECCOMP = 2 (filter)");
  else
    set (r, 'E', "PR_GET_SECCOMP = %d%s%s", v, v < 0 ? " " : "",
         v < 0 ? ename (errno) : "");
}

static void
c_capget (const struct ctx *c, struct result *r)
{
  (void) c;
  struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
  struct __user_cap_data_struct d[2];
  memset (d, 0xff, sizeof d);
  if (syscall (SYS_capget, &h, d) < 0)
    {
      set (r, 'E', "capget failed (%s): cannot tell", ename (errno));
      return;
    }
  uint64_t eff = d[0].effective | (uint64_t) d[1].effective << 32;
  uint64_t prm = d[0].permitted | (uint64_t) d[1].permitted << 32;
  uint64_t inh = d[0].inheritable | (uint64_t) d[1].inheritable << 32;
  set (r, (eff | prm | inh) ? 'E' : 'B',
       "effective %016" PRIx64 " permitted %016" PRIx64 " inheritable %016" PRIx64,
       eff, prm, inh);
}

static void
c_capbset (const struct ctx *c, struct result *r)
{
  (void) c;
  uint64_t bnd = 0, amb = 0;
  int last = -1;
  for (int i = 0; i < 64; i++)
    {
      int b = prctl (PR_CAPBSET_READ, i, 0, 0, 0);
      if (b < 0)
        break;
      last = i;
      if (b)
        bnd |= 1ULL << i;
      if (prctl (PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, i, 0, 0) == 1)
        amb |= 1ULL << i;
    }
  if (last < 0)
    set (r, 'E', "PR_CAPBSET_READ failed (%s): cannot tell", ename (errno));
  else
    set (r, (bnd | amb) ? 'E' : 'B', "bounding %016" PRIx64 " ambient %016"
         PRIx64 " (caps 0..%d)", bnd, amb, last);
}

static void
c_proc_status_caps (const struct ctx *c, struct result *r)
{
  (void) c;
  FILE *f = fopen ("/proc/self/status", "re");
  if (!f)
    {
      set (r, 'S', "/proc/self/status: %s (no /proc in the empty root; "
           "capget and the host's view cover it)", ename (errno));
      return;
    }
  char line[256];
  int seen = 0;
  set (r, 'B', "CapInh CapPrm CapEff CapBnd CapAmb all zero");
  while (fgets (line, sizeof line, f))
    if (strncmp (line, "Cap", 3) == 0)
      {
        char *v = strchr (line, ':');
        seen++;
        if (v && strtoull (v + 1, NULL, 16) != 0)
          {
            line[strcspn (line, "\n")] = 0;
            set (r, 'E', "%s", line);
            break;
          }
      }
  fclose (f);
  if (seen == 0)
    set (r, 'E', "no Cap lines in /proc/self/status");
}

static void
c_setuid_root (const struct ctx *c, struct result *r)
{
  (void) c;
  uid_t ru, eu, su;
  int rc = setuid (0), e = errno;
  getresuid (&ru, &eu, &su);
  /* uid 0 inside a user namespace is harmless; the driver looks at the
   * probe's uid from the host */
  set (r, 'H', "setuid(0) %s; uids inside %u/%u/%u", rc ? ename (e) : "succeeded",
       (unsigned) ru, (unsigned) eu, (unsigned) su);
}

/* ---- the host's processes and identity ---- */

static void
c_kill_host (const struct ctx *c, struct result *r)
{
  long rc = kill (c->hostpid, 0);
  int e = errno;
  if (rc < 0 && e == ESRCH)
    set (r, 'B', "ESRCH (pid %d is not visible)", (int) c->hostpid);
  else if (rc < 0)
    set (r, 'E', "%s: the process is visible", ename (e));
  else
    set (r, 'E', "kill(%d, 0) succeeded", (int) c->hostpid);
}

static void
c_sethostname (const struct ctx *c, struct result *r)
{
  (void) c;
  long rc = sethostname ("escaped", 7);
  fails (r, rc, errno);
}

static void
c_setdomainname (const struct ctx *c, struct result *r)
{
  (void) c;
  long rc = setdomainname ("escaped", 7);
  fails (r, rc, errno);
}

/* ---- kernel state only root may change ---- */

SYSCALL_CHECK (c_swapon, fails, SYS_swapon, "/ward-probe-swap", 0)
SYSCALL_CHECK (c_swapoff, fails, SYS_swapoff, "/ward-probe-swap")
SYSCALL_CHECK (c_settimeofday, fails, SYS_settimeofday, NULL, NULL)
SYSCALL_CHECK (c_iopl, fails, SYS_iopl, 3)
SYSCALL_CHECK (c_ioperm, fails, SYS_ioperm, 0x80UL, 1UL, 1)
SYSCALL_CHECK (c_acct, fails, SYS_acct, NULL)
SYSCALL_CHECK (c_vhangup, fails, SYS_vhangup)
SYSCALL_CHECK (c_prctl_mm, fails, SYS_prctl, PR_SET_MM, PR_SET_MM_EXE_FILE,
               0UL, 0UL, 0UL)

static void
c_reboot (const struct ctx *c, struct result *r)
{
  (void) c;
  /* bad magic: only the CAP_SYS_BOOT check comes before the magic check, so
   * EPERM means refused and EINVAL means the capability was there */
  long rc = syscall (SYS_reboot, 0, 0, 0, NULL);
  int e = errno;
  if (rc < 0 && (e == EPERM || e == ENOSYS))
    set (r, 'B', "%s", ename (e));
  else
    set (r, 'E', "passed the CAP_SYS_BOOT check (%s)", rc < 0 ? ename (e) : "0");
}

static void
c_syslog (const struct ctx *c, struct result *r)
{
  (void) c;
  char buf[256];
  long rc = klogctl (3 /* SYSLOG_ACTION_READ_ALL */, buf, sizeof buf);
  fails (r, rc, errno);
}

/* ---- limits ---- */

static void
c_fork_bomb (const struct ctx *c, struct result *r)
{
  enum { CAP = 256 };
  static pid_t kids[CAP];
  int n = 0, e = 0;
  while (n < CAP)
    {
      pid_t p = fork ();
      if (p == 0)
        {
          pause ();
          _exit (0);
        }
      if (p < 0)
        {
          e = errno;
          break;
        }
      kids[n++] = p;
    }
  for (int i = 0; i < n; i++)
    kill (kids[i], SIGKILL);
  for (int i = 0; i < n; i++)
    waitpid (kids[i], NULL, 0);
  if (n == CAP)
    set (r, 'E', "forked %d processes without failing (limit %ld)", n, c->nproc);
  else if (e != EAGAIN)
    set (r, 'E', "fork failed after %d with %s, not EAGAIN", n, ename (e));
  else if (n >= c->nproc)
    set (r, 'E', "forked %d processes, limit %ld", n, c->nproc);
  else
    set (r, 'B', "EAGAIN after %d forks (limit %ld)", n, c->nproc);
}

static void
c_memory_bomb (const struct ctx *c, struct result *r)
{
  const size_t chunk = 1 << 20, cap = 512;
  size_t n = 0;
  if (c->memory == 0)
    {
      set (r, 'S', "no memory limit in this build (RLIMIT_AS and ASan's "
           "shadow memory cannot coexist)");
      return;
    }
  while (n < cap)
    {
      char *p = malloc (chunk);
      if (!p)
        break;
      memset (p, 0x5a, chunk);
      n++;
    }
  unsigned long long lim = c->memory >> 20;
  if (n == cap)
    set (r, 'E', "allocated and touched %zu MiB (limit %llu MiB)", n, lim);
  else if (n >= lim)
    set (r, 'E', "allocation failed only after %zu MiB (limit %llu MiB)", n, lim);
  else
    set (r, 'B', "allocation failed after %zu MiB (limit %llu MiB)", n, lim);
}

static void
c_fd_bomb (const struct ctx *c, struct result *r)
{
  int n = 0, e = 0;
  while (n < 4096)
    {
      if (open ("/", O_PATH | O_CLOEXEC) < 0)
        {
          e = errno;
          break;
        }
      n++;
    }
  if (n == 4096)
    set (r, 'E', "opened %d fds without failing (limit %ld)", n, c->nofile);
  else if (e != EMFILE)
    set (r, 'E', "open failed after %d fds with %s, not EMFILE", n, ename (e));
  else if (c->nofile > 0 && n >= c->nofile)
    set (r, 'E', "opened %d fds, limit %ld", n, c->nofile);
  else
    set (r, 'B', "EMFILE after %d more fds (limit %ld)", n, c->nofile);
}

/* A soft limit alone would be no limit: the hard one must be the
 * profile's, and raising it must fail. */
static void
c_rlimit_raise (const struct ctx *c, struct result *r)
{
  static const struct { int res; const char *name; } lim[] = {
    { RLIMIT_AS, "RLIMIT_AS" }, { RLIMIT_NPROC, "RLIMIT_NPROC" },
    { RLIMIT_NOFILE, "RLIMIT_NOFILE" } };
  unsigned long long want[3] = { c->memory, (unsigned long long) c->nproc,
    (unsigned long long) c->nofile };
  int checked = 0, e = 0;
  for (size_t i = 0; i < 3; i++)
    {
      struct rlimit rl;
      if (want[i] == 0)
        continue;               /* not set by this profile */
      if (getrlimit (lim[i].res, &rl) < 0)
        {
          set (r, 'E', "getrlimit %s: %s", lim[i].name, ename (errno));
          return;
        }
      if (rl.rlim_max == RLIM_INFINITY || rl.rlim_max > want[i])
        {
          set (r, 'E', "%s hard limit is %llu, above %llu", lim[i].name,
               (unsigned long long) rl.rlim_max, want[i]);
          return;
        }
      struct rlimit up = { RLIM_INFINITY, RLIM_INFINITY };
      if (setrlimit (lim[i].res, &up) == 0)
        {
          set (r, 'E', "raised %s to unlimited", lim[i].name);
          return;
        }
      e = errno;
      checked++;
    }
  if (checked == 0)
    {
      set (r, 'E', "the profile sets no limit to check");
      return;
    }
  set (r, 'B', "%d hard limits at the profile's; raising them: %s", checked,
       ename (e));
}

/* ---- the table ---- */

enum { ISOLATE = 1, SELF = 2 };

struct check {
  const char *name;
  check_fn fn;
  int how;                      /* ISOLATE: in a grandchild; SELF: here */
  unsigned needs;               /* WPROBE_F_* bits of the host it relies on */
};

static void c_fds (const struct ctx *c, struct result *r);

static const struct check checks[] = {
  { "no fds beyond stdio and the channel", c_fds, SELF },
  { "ptrace PTRACE_TRACEME", c_traceme, ISOLATE, WPROBE_F_PTRACE },
  { "ptrace PTRACE_ATTACH to the parent", c_attach_parent, ISOLATE },
  { "process_vm_readv from the parent", c_vm_readv, ISOLATE },
  { "process_vm_writev into the parent", c_vm_writev, ISOLATE },
  { "kcmp with the parent", c_kcmp, ISOLATE },
  { "pidfd_getfd of the parent's channel", c_pidfd_getfd, ISOLATE },
  { "pidfd_open of a host pid", c_pidfd_host, ISOLATE },
  { "keyctl", c_keyctl, ISOLATE, WPROBE_F_KEYS },
  { "add_key", c_add_key, ISOLATE, WPROBE_F_KEYS },
  { "request_key", c_request_key, ISOLATE, WPROBE_F_KEYS },
  { "userfaultfd", c_userfaultfd, ISOLATE },
  { "io_uring_setup", c_io_uring, ISOLATE, WPROBE_F_IO_URING },
  { "bpf BPF_MAP_CREATE", c_bpf, ISOLATE },
  { "perf_event_open", c_perf, ISOLATE },
  { "fanotify_init", c_fanotify, ISOLATE },
  { "kexec_load", c_kexec_load, ISOLATE },
  { "kexec_file_load", c_kexec_file_load, ISOLATE },
  { "init_module", c_init_module, ISOLATE },
  { "finit_module", c_finit_module, ISOLATE },
  { "delete_module", c_delete_module, ISOLATE },
  { "lookup_dcookie", c_lookup_dcookie, ISOLATE },
  { "mount tmpfs on /", c_mount_tmpfs, ISOLATE },
  { "mount remount / writable", c_mount_remount, ISOLATE },
  { "umount2 /", c_umount2, ISOLATE },
  { "pivot_root", c_pivot_root, ISOLATE },
  { "chroot", c_chroot, ISOLATE },
  { "open_tree OPEN_TREE_CLONE", c_open_tree, ISOLATE },
  { "move_mount", c_move_mount, ISOLATE },
  { "fsopen", c_fsopen, ISOLATE },
  { "fspick", c_fspick, ISOLATE },
  { "mount_setattr", c_mount_setattr, ISOLATE },
  { "unshare CLONE_NEWUSER", c_unshare_user, ISOLATE, WPROBE_F_USERNS },
  { "unshare CLONE_NEWNS", c_unshare_ns, ISOLATE },
  { "unshare CLONE_NEWNET", c_unshare_net, ISOLATE },
  { "unshare CLONE_NEWPID", c_unshare_pid, ISOLATE },
  { "unshare CLONE_NEWUTS", c_unshare_uts, ISOLATE },
  { "unshare CLONE_NEWIPC", c_unshare_ipc, ISOLATE },
  { "unshare CLONE_NEWCGROUP", c_unshare_cgroup, ISOLATE },
  { "unshare CLONE_NEWTIME", c_unshare_time, ISOLATE },
  { "setns into the parent's namespaces", c_setns, ISOLATE },
  { "clone CLONE_NEWUSER", c_clone_user, ISOLATE, WPROBE_F_USERNS },
  { "clone CLONE_NEWNS|CLONE_NEWNET|CLONE_NEWPID", c_clone_ns, ISOLATE },
  { "clone3 is ENOSYS", c_clone3, ISOLATE, WPROBE_F_CLONE3 },
  { "clone3 CLONE_NEWUSER is ENOSYS", c_clone3_user, ISOLATE, WPROBE_F_CLONE3 },
  { "ioctl TIOCSTI", c_tiocsti, ISOLATE },
  { "ioctl TIOCSTI with high bits (0x100005412)", c_tiocsti_high, ISOLATE },
  { "ioctl TIOCLINUX", c_tioclinux, ISOLATE },
  { "ioctl TIOCLINUX with high bits", c_tioclinux_high, ISOLATE },
  { "personality READ_IMPLIES_EXEC", c_personality_rie, ISOLATE, WPROBE_F_PERSONALITY },
  { "personality ADDR_NO_RANDOMIZE", c_personality_aslr, ISOLATE, WPROBE_F_PERSONALITY },
  { "32-bit int 0x80 ABI", c_int80, ISOLATE, WPROBE_F_IA32 },
  { "x32 ABI syscall", c_x32, ISOLATE, WPROBE_F_X32 },
  { "modify_ldt", c_modify_ldt, ISOLATE, WPROBE_F_LDT },
  { "socket AF_ALG", c_af_alg, ISOLATE },
  { "socket AF_VSOCK", c_af_vsock, ISOLATE },
  { "socket AF_PACKET raw", c_af_packet, ISOLATE },
  { "socket AF_INET raw", c_raw_ip, ISOLATE },
  { "socket AF_INET stream", c_inet_stream, ISOLATE },
  { "socket AF_INET datagram", c_inet_dgram, ISOLATE },
  { "socket AF_INET6 stream", c_inet6_stream, ISOLATE },
  { "socket AF_UNIX", c_unix_stream, ISOLATE },
  { "netlink NETLINK_AUDIT", c_netlink_audit, ISOLATE },
  { "connect to the host's loopback listener", c_connect_host, ISOLATE },
  { "bind to privileged port 80", c_bind_80, ISOLATE },
  { "read /etc/shadow", c_shadow, ISOLATE },
  { "read /etc/passwd", c_passwd, ISOLATE },
  { "no host directories in /", c_root_empty, ISOLATE },
  { "open /proc/self/exe for writing", c_exe_write, ISOLATE },
  { "open /proc/self/exe at all", c_exe_open, ISOLATE },
  { "open /proc/self/exe O_PATH", c_exe_path, ISOLATE },
  { "host files via /proc/1/root", c_proc1_root, ISOLATE },
  { "host files via /proc/self/cwd and ..", c_cwd_escape, ISOLATE },
  { "write /proc/sys and /proc/sysrq-trigger", c_proc_sys, ISOLATE },
  { "read /sys", c_sysfs, ISOLATE },
  { "write uid_map/gid_map", c_uid_map, ISOLATE },
  { "open /dev/mem, /dev/kmem, /dev/port", c_dev_mem, ISOLATE },
  { "mknod a device", c_mknod, ISOLATE },
  { "chown /", c_chown_root, ISOLATE },
  { "open_by_handle_at", c_handle, ISOLATE },
  { "execve a setuid binary", c_exec_setuid, ISOLATE },
  { "no_new_privs is set", c_nnp, ISOLATE },
  { "seccomp filter is on", c_seccomp_mode, ISOLATE, WPROBE_F_UNFILTERED },
  { "capabilities via capget", c_capget, ISOLATE },
  { "capability bounding and ambient sets", c_capbset, ISOLATE },
  { "capabilities via /proc/self/status", c_proc_status_caps, ISOLATE },
  { "signal a host pid", c_kill_host, ISOLATE },
  { "sethostname", c_sethostname, ISOLATE },
  { "setdomainname", c_setdomainname, ISOLATE },
  { "swapon", c_swapon, ISOLATE },
  { "swapoff", c_swapoff, ISOLATE },
  { "reboot", c_reboot, ISOLATE },
  { "settimeofday", c_settimeofday, ISOLATE },
  { "iopl", c_iopl, ISOLATE },
  { "ioperm", c_ioperm, ISOLATE },
  { "acct", c_acct, ISOLATE },
  { "vhangup", c_vhangup, ISOLATE },
  { "prctl PR_SET_MM_EXE_FILE", c_prctl_mm, ISOLATE },
  { "syslog SYSLOG_ACTION_READ_ALL", c_syslog, ISOLATE },
  { "fork bomb past the process limit", c_fork_bomb, ISOLATE },
  { "memory bomb past the memory limit", c_memory_bomb, ISOLATE },
  { "fd bomb past the file limit", c_fd_bomb, ISOLATE },
  { "raise a hard rlimit", c_rlimit_raise, ISOLATE },
  { "setuid(0) gives no host root", c_setuid_root, SELF },
};

#define NCHECKS (sizeof checks / sizeof checks[0])

size_t
wprobe_count (void)
{
  return NCHECKS;
}

const char *
wprobe_name (size_t i)
{
  return i < NCHECKS ? checks[i].name : NULL;
}

unsigned
wprobe_needs (size_t i)
{
  return i < NCHECKS ? checks[i].needs : 0;
}

static const char *const feature[WPROBE_NFEATURES][2] = {
  { "ia32", "32-bit int 0x80 emulation" },
  { "x32", "the x32 syscall ABI" },
  { "keys", "the key management syscalls" },
  { "userns", "a user namespace nested in a user namespace" },
  { "clone3", "the clone3 syscall" },
  { "ptrace", "PTRACE_TRACEME" },
  { "personality", "personality READ_IMPLIES_EXEC and ADDR_NO_RANDOMIZE" },
  { "unfiltered", "a test process with no seccomp filter of its own" },
  { "io_uring", "io_uring_setup" },
  { "ldt", "modify_ldt" },
};

const char *
wprobe_feature_name (unsigned i)
{
  return i < WPROBE_NFEATURES ? feature[i][0] : NULL;
}

const char *
wprobe_feature_what (unsigned i)
{
  return i < WPROBE_NFEATURES ? feature[i][1] : NULL;
}


/* fcntl on every fd the table could hold (and more): the channel and the
 * stdio only. */
static void
c_fds (const struct ctx *c, struct result *r)
{
  char extra[200] = "";
  int n = 0;
  for (int fd = 0; fd <= 1024; fd++)
    {
      if (fd <= 2 || fd == c->chan || fcntl (fd, F_GETFD) < 0)
        continue;
      char lnk[64] = "?", path[32];
      snprintf (path, sizeof path, "/proc/self/fd/%d", fd);
      ssize_t k = readlink (path, lnk, sizeof lnk - 1);
      if (k > 0)
        lnk[k] = 0;
      n++;
      size_t len = strlen (extra);
      snprintf (extra + len, sizeof extra - len, " %d(%s)", fd, lnk);
    }
  for (int fd = 0; fd <= 2; fd++)
    if (fcntl (fd, F_GETFD) < 0)
      {
        set (r, 'E', "stdio fd %d is not open", fd);
        return;
      }
  if (n)
    set (r, 'E', "%d unexpected fd(s):%s", n, extra);
  else
    set (r, 'B', "only 0, 1, 2 and the channel (%d) among 0..1024", c->chan);
}

/* Run check k in a grandchild; its verdict comes through a pipe. */
static void
run_isolated (const struct ctx *c, const struct check *k, struct result *r)
{
  int p[2];
  if (pipe2 (p, O_CLOEXEC) < 0)
    {
      set (r, 'E', "probe error: pipe2: %s", ename (errno));
      return;
    }
  pid_t pid = fork ();
  if (pid < 0)
    {
      set (r, 'E', "probe error: fork: %s", ename (errno));
      close (p[0]);
      close (p[1]);
      return;
    }
  if (pid == 0)
    {
      struct result mine;
      close (p[0]);
      iso_wfd = p[1];
      alarm (20);
      set (&mine, 'E', "check returned no verdict");
      k->fn (c, &mine);
      commit (&mine);
      _exit (0);
    }
  close (p[1]);
  struct result got;
  int have = 0;
  for (;;)
    {
      ssize_t n = read (p[0], &got, sizeof got);
      if (n == (ssize_t) sizeof got)
        {
          *r = got;
          have = 1;
        }
      else if (n < 0 && errno == EINTR)
        continue;
      else
        break;
    }
  close (p[0]);
  int st = 0;
  while (waitpid (pid, &st, 0) < 0 && errno == EINTR)
    ;
  if (WIFSIGNALED (st))
    {
      int sig = WTERMSIG (st);
      const char *sn = sigabbrev_np (sig);
      if (sig == SIGSYS)
        set (r, 'B', "killed by SIGSYS");
      else
        set (r, 'E', "probe error: the check died of SIG%s", sn ? sn : "?");
    }
  else if (!have)
    set (r, 'E', "no verdict (exit status %d)", WEXITSTATUS (st));
}

static int __attribute__ ((format (printf, 2, 3)))
send_line (int chan, const char *fmt, ...)
{
  char buf[WPROBE_MSG_MAX];
  va_list ap;
  va_start (ap, fmt);
  int n = vsnprintf (buf, sizeof buf, fmt, ap);
  va_end (ap);
  if (n < 0)
    return -1;
  if ((size_t) n >= sizeof buf)
    n = sizeof buf - 1;
  return send (chan, buf, (size_t) n, MSG_NOSIGNAL) == n ? 0 : -1;
}

int
wprobe_entry (int chan)
{
  struct ctx c = { .hostpid = -1, .chan = chan };
  char hello[WPROBE_MSG_MAX];
  ssize_t n = recv (chan, hello, sizeof hello - 1, 0);
  if (n <= 0)
    return 2;
  hello[n] = 0;
  if (sscanf (hello, "HELLO hostpid=%d port=%d absent=%x nproc=%ld nofile=%ld "
              "memory=%llu", &c.hostpid, &c.port, &c.absent, &c.nproc, &c.nofile,
              &c.memory) != 6)
    return 2;
  if (signal (SIGPIPE, SIG_IGN) == SIG_ERR)
    return 2;
  for (size_t i = 0; i < NCHECKS; i++)
    {
      struct result r;
      set (&r, 'E', "check returned no verdict");
      if (checks[i].needs & c.absent)
        set (&r, 'S', "needs %#x", checks[i].needs & c.absent);
      else if (checks[i].how == SELF)
        checks[i].fn (&c, &r);
      else
        run_isolated (&c, &checks[i], &r);
      for (char *s = r.detail; *s; s++)
        if (*s == '\t' || *s == '\n')
          *s = ' ';
      if (send_line (chan, "%c\t%s\t%s", r.verdict, checks[i].name, r.detail) < 0)
        return 3;
    }
  if (send_line (chan, "END pid=%d", (int) getpid ()) < 0)
    return 3;
  /* stay alive until the driver has looked at us from the host */
  n = recv (chan, hello, sizeof hello - 1, 0);
  return 0;
}
