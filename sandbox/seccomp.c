/* seccomp.c -- the default seccomp profile: an allow-list modelled on
 * Docker's default, cut down to what a Lua VM and ordinary programs need.
 * ward-sandbox(7) says why each call outside the list is refused. */
#include "config.h"
#include "lockdown.h"

#include <errno.h>
#include <linux/filter.h>
#include <linux/sched.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Allowed whatever their arguments. Names, not numbers: libseccomp resolves
 * them for the native architecture at run time, so a name that does not
 * exist there (the *64 and *_time64 forms of 32-bit ABIs) or that this
 * libseccomp does not know is left out -- denied, never wrongly allowed.
 * Left out on purpose (ward-sandbox(7), BLOCKED CALLS): the keyring, bpf,
 * perf, io_uring, userfaultfd, module, kexec, mount, namespace, ptrace,
 * clock-setting, swap, quota, accounting, reboot, syslog, raw I/O port,
 * file-handle, NUMA-policy, LDT and obsolete calls. */
static const char *const allow_names[] = {
  /* file descriptors and file I/O */
  "read", "write", "readv", "writev", "pread64", "pwrite64", "preadv",
  "pwritev", "preadv2", "pwritev2", "lseek", "_llseek", "close",
  "close_range", "dup", "dup2", "dup3", "fcntl", "fcntl64", "flock",
  "fsync", "fdatasync", "sync", "syncfs", "sync_file_range", "fadvise64",
  "fadvise64_64", "readahead", "fallocate", "ftruncate", "ftruncate64",
  "truncate", "truncate64", "sendfile", "sendfile64", "splice", "tee",
  "vmsplice", "copy_file_range", "memfd_create", "pipe", "pipe2",
  "ioctl",                      /* TIOCSTI, TIOCLINUX: see guard_new */
  /* paths and metadata */
  "open", "openat", "openat2", "creat", "access", "faccessat",
  "faccessat2", "stat", "stat64", "lstat", "lstat64", "fstat", "fstat64",
  "newfstatat", "fstatat64", "statx", "statfs", "statfs64", "fstatfs",
  "fstatfs64", "getdents", "getdents64", "getcwd", "chdir", "fchdir",
  "mkdir", "mkdirat", "rmdir", "rename", "renameat", "renameat2", "link",
  "linkat", "unlink", "unlinkat", "symlink", "symlinkat", "readlink",
  "readlinkat", "chmod", "fchmod", "fchmodat", "fchmodat2", "chown",
  "chown32", "fchown", "fchown32", "fchownat", "lchown", "lchown32",
  "umask", "utime", "utimes", "utimensat", "utimensat_time64", "futimesat",
  "mknod", "mknodat", "getxattr", "lgetxattr", "fgetxattr", "setxattr",
  "lsetxattr", "fsetxattr", "listxattr", "llistxattr", "flistxattr",
  "removexattr", "lremovexattr", "fremovexattr", "inotify_init",
  "inotify_init1", "inotify_add_watch", "inotify_rm_watch",
  /* memory */
  "brk", "mmap", "mmap2", "munmap", "mremap", "mprotect", "madvise",
  "mincore", "msync", "mlock", "mlock2", "munlock", "mlockall",
  "munlockall", "remap_file_pages", "membarrier", "pkey_alloc",
  "pkey_free", "pkey_mprotect", "memfd_secret", "process_mrelease",
  /* time */
  "clock_gettime", "clock_gettime64", "clock_getres", "clock_getres_time64",
  "clock_nanosleep", "clock_nanosleep_time64", "nanosleep", "gettimeofday",
  "time", "times", "getitimer", "setitimer", "alarm", "timer_create",
  "timer_delete", "timer_gettime", "timer_gettime64", "timer_settime",
  "timer_settime64", "timer_getoverrun", "timerfd_create",
  "timerfd_settime", "timerfd_settime64", "timerfd_gettime",
  "timerfd_gettime64",
  /* processes, credentials, scheduling */
  "exit", "exit_group", "fork", "vfork", "execve", "execveat", "wait4",
  "waitid", "waitpid", "kill", "tkill", "tgkill", "getpid", "getppid",
  "gettid", "getpgid", "getpgrp", "getsid", "setsid", "setpgid", "getuid",
  "getuid32", "geteuid", "geteuid32", "getgid", "getgid32", "getegid",
  "getegid32", "getresuid", "getresuid32", "getresgid", "getresgid32",
  "getgroups", "getgroups32", "setuid", "setuid32", "setgid", "setgid32",
  "setreuid", "setreuid32", "setregid", "setregid32", "setresuid",
  "setresuid32", "setresgid", "setresgid32", "setgroups", "setgroups32",
  "setfsuid", "setfsuid32", "setfsgid", "setfsgid32", "capget", "capset",
  "prctl", "arch_prctl", "set_tid_address", "set_robust_list",
  "get_robust_list", "rseq", "restart_syscall", "getrlimit", "ugetrlimit",
  "setrlimit", "prlimit64", "getrusage", "getpriority", "setpriority",
  "sched_yield", "sched_getaffinity", "sched_setaffinity",
  "sched_getparam", "sched_setparam", "sched_getscheduler",
  "sched_setscheduler", "sched_get_priority_max", "sched_get_priority_min",
  "sched_rr_get_interval", "sched_rr_get_interval_time64",
  "sched_getattr", "sched_setattr", "getcpu", "ioprio_get", "ioprio_set",
  "uname", "sysinfo", "getrandom", "pidfd_open", "pidfd_send_signal",
  "seccomp", "landlock_create_ruleset", "landlock_add_rule",
  "landlock_restrict_self",
  /* signals */
  "rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "sigreturn",
  "rt_sigpending", "rt_sigsuspend", "rt_sigtimedwait",
  "rt_sigtimedwait_time64", "rt_sigqueueinfo", "rt_tgsigqueueinfo",
  "sigaltstack", "signalfd", "signalfd4", "pause",
  /* futexes and event loops */
  "futex", "futex_time64", "futex_waitv", "futex_wake", "futex_wait",
  "futex_requeue", "epoll_create", "epoll_create1", "epoll_ctl",
  "epoll_wait", "epoll_pwait", "epoll_pwait2", "poll", "ppoll",
  "ppoll_time64", "select", "_newselect", "pselect6", "pselect6_time64",
  "eventfd", "eventfd2",
  /* sockets handed in, or made by socketpair (AF_UNIX only); socket()
   * itself is not allowed: add_rules */
  "bind", "connect", "listen", "accept", "accept4", "getsockname",
  "getpeername", "getsockopt", "setsockopt", "sendto", "recvfrom",
  "sendmsg", "recvmsg", "sendmmsg", "recvmmsg", "recvmmsg_time64",
  "shutdown", "send", "recv",
  /* System V and POSIX IPC, confined by the IPC namespace */
  "msgget", "msgsnd", "msgrcv", "msgctl", "semget", "semop", "semtimedop",
  "semtimedop_time64", "semctl", "shmget", "shmat", "shmdt", "shmctl",
  "mq_open", "mq_unlink", "mq_timedsend", "mq_timedsend_time64",
  "mq_timedreceive", "mq_timedreceive_time64", "mq_notify",
  "mq_getsetattr",
  /* Linux native AIO */
  "io_setup", "io_destroy", "io_submit", "io_cancel", "io_getevents",
  "io_pgetevents", "io_pgetevents_time64",
};

/* personality() values that change nothing dangerous: PER_LINUX,
 * PER_LINUX32, UNAME26 with each, and 0xffffffff (query). Everything else
 * (ADDR_NO_RANDOMIZE, READ_IMPLIES_EXEC, MMAP_PAGE_ZERO...) weakens the
 * address-space layout. Compared on all 64 bits: a value with junk in the
 * high half is refused although the kernel would truncate it -- refusing
 * more than needed is the safe side. */
static const uint64_t safe_personalities[] = {
  0x0, 0x0008, 0x20000, 0x20008, 0xffffffffu
};

#define CLONE_NS_MASK (CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS \
                       | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID \
                       | CLONE_NEWNET)

/* The tty ioctls refused whatever the rest of the command word holds: the
 * kernel takes the command as an unsigned int, so only the low 32 bits
 * matter, and libseccomp compares 64 -- hence the mask. */
static const unsigned long denied_ioctls[] = { TIOCSTI, TIOCLINUX };

static int
rule_fail (ward_err *err, int rc, const char *what)
{
  return ward_err_set (err, WARD_E_INTERNAL, -rc,
                       "building the seccomp filter: adding the rule for %s",
                       what);
}

static int
add_rules (scmp_filter_ctx ctx, ward_err *err)
{
  int rc;
  for (size_t i = 0; i < sizeof allow_names / sizeof *allow_names; i++)
    {
      int nr = seccomp_syscall_resolve_name (allow_names[i]);
      if (nr < 0)               /* unknown here, or another ABI's */
        continue;
      rc = seccomp_rule_add (ctx, SCMP_ACT_ALLOW, nr, 0);
      if (rc < 0)
        return rule_fail (err, rc, allow_names[i]);
    }

  /* No socket() of any family (EPERM, the default): a sandboxed process
   * uses only the sockets it was handed -- the one to the runtime, and
   * those net.connect/net.listen opened for it after the policy allowed
   * them (DESIGN 3.3) -- so a grant is enforced by the kernel as well.
   * socketpair makes a connected pair that reaches nothing else. */
  rc = seccomp_rule_add (ctx, SCMP_ACT_ALLOW, SCMP_SYS (socketpair), 1,
                         SCMP_A0 (SCMP_CMP_EQ, AF_UNIX));
  if (rc < 0)
    return rule_fail (err, rc, "socketpair");

  for (size_t i = 0;
       i < sizeof safe_personalities / sizeof *safe_personalities; i++)
    {
      rc = seccomp_rule_add (ctx, SCMP_ACT_ALLOW, SCMP_SYS (personality), 1,
                             SCMP_A0 (SCMP_CMP_EQ, safe_personalities[i]));
      if (rc < 0)
        return rule_fail (err, rc, "personality");
    }

  /* fork-like and thread-like clones pass, new namespaces do not. s390
   * swaps clone's first two arguments; ward builds for it unchanged but
   * the check would then look at the stack pointer, so refuse to build. */
#if defined(__s390__) || defined(__s390x__)
# error "clone's flags are argument 1 on s390: adjust the clone rule"
#endif
  rc = seccomp_rule_add (ctx, SCMP_ACT_ALLOW, SCMP_SYS (clone), 1,
                         SCMP_A0 (SCMP_CMP_MASKED_EQ, CLONE_NS_MASK, 0));
  if (rc < 0)
    return rule_fail (err, rc, "clone");

  /* clone3 passes its flags in memory, where no filter can look. ENOSYS
   * (not EPERM) makes glibc fall back to clone, which the rule above
   * checks. */
  rc = seccomp_rule_add (ctx, SCMP_ACT_ERRNO (ENOSYS), SCMP_SYS (clone3), 0);
  if (rc < 0 && rc != -EDOM)    /* EDOM: no clone3 on this ABI */
    return rule_fail (err, rc, "clone3");
  return 0;
}

/* A filter whose default is dflt. Only the native ABI is in it
 * (seccomp_init adds it and nothing else). Any other -- i386 through int
 * 0x80, x32 through the x32 bit on x86_64 -- lands on the bad-architecture
 * action: the whole process is killed, since a program that switches ABI
 * is not a program we run. NULL with err ("building WHAT: ..."). */
static scmp_filter_ctx
filter_new (uint32_t dflt, const char *what, ward_err *err)
{
  scmp_filter_ctx ctx = seccomp_init (dflt);
  if (ctx == NULL)
    {
      ward_err_set (err, WARD_E_INTERNAL, ENOMEM, "building %s: seccomp_init", what);
      return NULL;
    }
  int rc = seccomp_attr_set (ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
  if (rc < 0)
    {
      ward_err_set (err, WARD_E_INTERNAL, -rc,
                    "building %s: setting the bad-architecture action", what);
      seccomp_release (ctx);
      return NULL;
    }
  return ctx;
}

scmp_filter_ctx
wsb__seccomp_new (int profile, ward_err *err)
{
  ward_err_clear (err);
  if (profile == WSB_SECCOMP_NONE)
    return NULL;
  if (profile != WSB_SECCOMP_DEFAULT)
    {
      ward_err_set (err, WARD_E_INVALID, 0,
                    "building the seccomp filter: unknown profile %d",
                    profile);
      return NULL;
    }

  /* EPERM, like Docker: "not allowed here" is what programs handle best. */
  scmp_filter_ctx ctx = filter_new (SCMP_ACT_ERRNO (EPERM), "the seccomp filter", err);
  if (ctx == NULL)
    return NULL;
  /* A binary tree instead of a linear scan over ~300 syscalls; the kernel
   * caches the unconditional allows anyway, this speeds up the rest. */
  int rc = seccomp_attr_set (ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
  if (rc < 0)
    {
      ward_err_set (err, WARD_E_INTERNAL, -rc,
                    "building the seccomp filter: asking for the binary-tree layout");
      seccomp_release (ctx);
      return NULL;
    }
  if (add_rules (ctx, err) < 0)
    {
      seccomp_release (ctx);
      return NULL;
    }
  return ctx;
}

/* The guard: a second, default-allow filter that refuses the tty ioctls.
 * It is separate because libseccomp cannot express "allow ioctl except
 * when" in one filter whose default is to deny: next to an unconditional
 * allow it silently drops conditional rules, and it refuses any rule whose
 * action equals the default (EPERM). Stacked filters are combined by the
 * kernel, the most restrictive action winning, so guard + main filter mean
 * exactly "ioctl allowed but for these". */
scmp_filter_ctx
wsb__seccomp_guard_new (ward_err *err)
{
  scmp_filter_ctx ctx = filter_new (SCMP_ACT_ALLOW, "the ioctl guard filter", err);
  if (ctx == NULL)
    return NULL;
  int rc = 0;
  for (size_t i = 0;
       rc >= 0 && i < sizeof denied_ioctls / sizeof *denied_ioctls; i++)
    rc = seccomp_rule_add (ctx, SCMP_ACT_ERRNO (EPERM), SCMP_SYS (ioctl), 1,
                           SCMP_A1 (SCMP_CMP_MASKED_EQ, 0xffffffffu,
                                    (scmp_datum_t) denied_ioctls[i]));
  if (rc < 0)
    {
      ward_err_set (err, WARD_E_INTERNAL, -rc,
                    "building the ioctl guard filter: adding a rule");
      seccomp_release (ctx);
      return NULL;
    }
  return ctx;
}

/* ---- precompiled programs ----------------------------------------------- */

struct prog
{
  struct sock_filter *insn;
  unsigned short len;
};

/* Filled once in the supervisor, read-only afterwards, inherited by every
 * child through fork: main_prog is the guard's prefix and the profile,
 * guard_prog the guard alone (loaded under a profile the init script
 * changed). */
static struct prog main_prog, guard_prog;

static int
export_prog (scmp_filter_ctx ctx, struct prog *out, const char *what,
             ward_err *err)
{
  int fd = memfd_create ("ward-seccomp", MFD_CLOEXEC);
  if (fd < 0)
    return ward_err_set (err, WARD_E_INTERNAL, errno,
                         "compiling the %s: memfd_create", what);
  int rc = seccomp_export_bpf (ctx, fd);
  off_t n = rc < 0 ? -1 : lseek (fd, 0, SEEK_END);
  if (rc < 0 || n <= 0 || n % (off_t) sizeof (struct sock_filter) != 0
      || n / (off_t) sizeof (struct sock_filter) > BPF_MAXINSNS)
    {
      close (fd);
      return ward_err_set (err, WARD_E_INTERNAL, rc < 0 ? -rc : EINVAL,
                           "compiling the %s: exporting the BPF", what);
    }
  struct sock_filter *insn = malloc ((size_t) n);
  ssize_t got = insn != NULL ? pread (fd, insn, (size_t) n, 0) : -1;
  int saved = errno;
  close (fd);
  if (got != n)
    {
      free (insn);
      return ward_err_set (err, WARD_E_INTERNAL, got < 0 ? saved : EIO,
                           "compiling the %s: reading the BPF back", what);
    }
  out->insn = insn;
  out->len = (unsigned short) (n / (off_t) sizeof (struct sock_filter));
  return 0;
}

/* The guard as a prefix of the profile's program, so that a child loads
 * one filter instead of two: each load costs the kernel a fixed ~80 us
 * (the JIT's allocation) on top of its length. The prefix returns EPERM
 * for a native ioctl whose command's low 32 bits are a denied one, and
 * otherwise falls through into the profile's program, which starts by
 * loading what it needs itself (classic BPF jumps are relative and
 * forward, so the profile's code is unchanged by what precedes it). A
 * foreign architecture falls through too, to the profile's kill. */
#define GUARD_PREFIX_LEN 8

static int
prefix_guard (struct prog *p)
{
  size_t n = (size_t) p->len + GUARD_PREFIX_LEN;
  if (n > BPF_MAXINSNS)
    return -1;
  struct sock_filter *insn = malloc (n * sizeof *insn);
  if (insn == NULL)
    return -1;
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  const uint32_t arg1_lo = offsetof (struct seccomp_data, args[1]);
#else
  const uint32_t arg1_lo = offsetof (struct seccomp_data, args[1]) + 4;
#endif
  const uint32_t arch = seccomp_arch_native ();
  /* jt/jf count instructions from the next one; index 8 is the profile */
  struct sock_filter pre[GUARD_PREFIX_LEN] = {
    /* 0 */ BPF_STMT (BPF_LD | BPF_W | BPF_ABS,
                      offsetof (struct seccomp_data, arch)),
    /* 1 */ BPF_JUMP (BPF_JMP | BPF_JEQ | BPF_K, arch, 0, 6),
    /* 2 */ BPF_STMT (BPF_LD | BPF_W | BPF_ABS,
                      offsetof (struct seccomp_data, nr)),
    /* 3 */ BPF_JUMP (BPF_JMP | BPF_JEQ | BPF_K, __NR_ioctl, 0, 4),
    /* 4 */ BPF_STMT (BPF_LD | BPF_W | BPF_ABS, arg1_lo),
    /* 5 */ BPF_JUMP (BPF_JMP | BPF_JEQ | BPF_K, (uint32_t) TIOCSTI, 1, 0),
    /* 6 */ BPF_JUMP (BPF_JMP | BPF_JEQ | BPF_K, (uint32_t) TIOCLINUX, 0, 1),
    /* 7 */ BPF_STMT (BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA)),
  };
  _Static_assert (sizeof denied_ioctls / sizeof *denied_ioctls == 2,
                  "prefix_guard tests exactly the denied ioctls");
  memcpy (insn, pre, sizeof pre);
  memcpy (insn + GUARD_PREFIX_LEN, p->insn, p->len * sizeof *insn);
  free (p->insn);
  p->insn = insn;
  p->len = (unsigned short) n;
  return 0;
}

/* The default profile compiled with libseccomp: *mp the guard's prefix and
 * the profile, *gp the guard alone (both malloc'd). 0, or -1 with err. */
static int
compile_default (struct prog *mp, struct prog *gp, ward_err *err)
{
  *mp = *gp = (struct prog) { 0 };
  scmp_filter_ctx m = wsb__seccomp_new (WSB_SECCOMP_DEFAULT, err);
  if (m == NULL)
    return -1;
  scmp_filter_ctx g = wsb__seccomp_guard_new (err);
  if (g == NULL)
    {
      seccomp_release (m);
      return -1;
    }
  int rc = export_prog (g, gp, "ioctl guard filter", err);
  if (rc == 0)
    rc = export_prog (m, mp, "default seccomp profile", err);
  if (rc == 0 && prefix_guard (mp) < 0)
    rc = ward_err_set (err, WARD_E_INTERNAL, ENOMEM, "compiling the default "
                       "seccomp profile: prefixing the ioctl guard");
  seccomp_release (m);
  seccomp_release (g);
  if (rc < 0)
    {
      free (gp->insn);
      free (mp->insn);
      *mp = *gp = (struct prog) { 0 };
      return -1;
    }
  return 0;
}

#ifdef WARD_SECCOMP_PREBUILT
/* The same two programs compiled when ward was built (seccomp-gen, from
 * this file and the libseccomp of the build): a run takes them as they
 * are, and libseccomp compiles only the filters an init script makes. */
extern const struct sock_filter wsb__prebuilt_main[], wsb__prebuilt_guard[];
extern const unsigned short wsb__prebuilt_main_len, wsb__prebuilt_guard_len;
#endif

int
wsb__seccomp_prepare (ward_err *err)
{
  if (main_prog.len != 0)
    return 0;
#ifdef WARD_SECCOMP_PREBUILT
  if (wsb__prebuilt_main_len != 0 && wsb__prebuilt_guard_len != 0)
    {
      /* read-only: load_prog only reads them */
      guard_prog = (struct prog) { (struct sock_filter *) wsb__prebuilt_guard,
                                   wsb__prebuilt_guard_len };
      main_prog = (struct prog) { (struct sock_filter *) wsb__prebuilt_main,
                                  wsb__prebuilt_main_len };
      return 0;
    }
#endif
  struct prog mp, gp;
  if (compile_default (&mp, &gp, err) < 0)
    return -1;
  guard_prog = gp;
  main_prog = mp;
  return 0;
}

int
wsb__seccomp_prepared_at_build (void)
{
#ifdef WARD_SECCOMP_PREBUILT
  return main_prog.insn == wsb__prebuilt_main;
#else
  return 0;
#endif
}

static int
same_prog (const struct prog *a, const struct prog *b)
{
  return a->len == b->len && memcmp (a->insn, b->insn, a->len * sizeof *a->insn) == 0;
}

int
wsb__seccomp_prepared_fresh (ward_err *err)
{
  if (wsb__seccomp_prepare (err) < 0)
    return -1;
  struct prog mp, gp;
  if (compile_default (&mp, &gp, err) < 0)
    return -1;
  int same = same_prog (&mp, &main_prog) && same_prog (&gp, &guard_prog);
  free (mp.insn);
  free (gp.insn);
  return same;
}

#ifdef WARD_SECCOMP_GEN
int
wsb__seccomp_emit_c (FILE *out, ward_err *err)
{
  struct prog mp, gp;
  if (compile_default (&mp, &gp, err) < 0)
    return -1;
  const struct prog *ps[2] = { &mp, &gp };
  const char *names[2] = { "main", "guard" };
  fprintf (out, "/* seccomp-prog.c -- made by seccomp-gen when ward was built: the\n"
           " * default seccomp profile (with the ioctl guard's prefix) and the guard\n"
           " * alone, as seccomp.c compiles them with this libseccomp. */\n"
           "#include <linux/filter.h>\n\n");
  for (int k = 0; k < 2; k++)
    {
      fprintf (out, "extern const struct sock_filter wsb__prebuilt_%s[];\n"
               "const struct sock_filter wsb__prebuilt_%s[] = {\n", names[k], names[k]);
      for (unsigned i = 0; i < ps[k]->len; i++)
        {
          const struct sock_filter *f = &ps[k]->insn[i];
          fprintf (out, "  { 0x%04x, %u, %u, 0x%08x },\n", (unsigned) f->code,
                   (unsigned) f->jt, (unsigned) f->jf, (unsigned) f->k);
        }
      fprintf (out, "};\nextern const unsigned short wsb__prebuilt_%s_len;\n"
               "const unsigned short wsb__prebuilt_%s_len = %u;\n\n", names[k], names[k],
               (unsigned) ps[k]->len);
    }
  free (mp.insn);
  free (gp.insn);
  return ferror (out) ? ward_err_set (err, WARD_E_INTERNAL, EIO, "writing the programs") : 0;
}
#endif

static int
load_prog (const struct prog *p, const char *what, ward_err *err)
{
  struct sock_fprog fp = { p->len, p->insn };
  if (syscall (SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fp) < 0)
    return ward_err_set (err, WARD_E_INTERNAL, errno,
                         "loading the %s", what);
  return 0;
}

int
wsb__seccomp_install (int profile, scmp_filter_ctx filter, ward_err *err)
{
  if (filter == NULL)
    {
      if (profile == WSB_SECCOMP_NONE)
        return 0;
      if (main_prog.len != 0 && profile == WSB_SECCOMP_DEFAULT)
        return load_prog (&main_prog, "default seccomp profile (with the "
                          "ioctl guard)", err);
      filter = wsb__seccomp_new (profile, err);
      if (filter == NULL)
        return -1;
    }
  if (guard_prog.len != 0)
    {
      if (load_prog (&guard_prog, "ioctl guard filter", err) < 0)
        {
          seccomp_release (filter);
          return -1;
        }
      int rc = seccomp_load (filter);
      seccomp_release (filter);
      if (rc < 0)
        return ward_err_set (err, WARD_E_INTERNAL, -rc,
                             "loading the seccomp filter");
      return 0;
    }
  scmp_filter_ctx g = wsb__seccomp_guard_new (err);
  if (g == NULL)
    {
      seccomp_release (filter);
      return -1;
    }
  int rc = seccomp_load (g);
  seccomp_release (g);
  if (rc < 0)
    {
      seccomp_release (filter);
      return ward_err_set (err, WARD_E_INTERNAL, -rc,
                           "loading the ioctl guard filter");
    }
  rc = seccomp_load (filter);
  seccomp_release (filter);
  if (rc < 0)
    return ward_err_set (err, WARD_E_INTERNAL, -rc,
                         "loading the seccomp filter");
  return 0;
}
