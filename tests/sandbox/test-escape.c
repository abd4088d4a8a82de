/* test-escape.c -- the sandbox escape suite: spawn the probe (probe.c) under
 * the strict profile and print one TAP line per way out it tried, then what
 * can only be judged from the host: the probe's credentials seen from
 * outside, the host's hostname, the host's loopback listener, how the probe
 * ended.
 *
 * Before the spawn it probes, in children of its own, what the host offers
 * for every feature a check relies on (probe.h, WPROBE_F_*): a check whose
 * feature is missing is reported "ok N - NAME # SKIP the host lacks ...",
 * neither failed nor passed for nothing.
 *
 * Usage: test-escape [--weak] [--init FILE]
 *   --init   the empty-root script (default $WARD_SRCDIR/init/empty-root.lua)
 *   --weak   namespaces and the empty root only: no seccomp, every
 *            capability kept, no rlimits. The probe must then report escapes
 *            (escape.sh checks that it does: the suite can fail).
 * Environment:
 *   WARD_TEST_ESCAPE_ABSENT  comma-separated feature names (probe.c's
 *            table: ia32, x32, keys, ...) to report absent whatever the
 *            host offers, so that the skip path can be tested anywhere.
 *            An unknown name is a bail-out.
 * Run as root by make check, and as nobody by escape.sh. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/io_uring.h>
#include <linux/keyctl.h>
#include <linux/sched.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <asm/ldt.h>

#include "probe.h"
#include "sandbox.h"
#include "tap.h"
#include "testutil.h"

#ifndef WARD_TOP_SRCDIR
#define WARD_TOP_SRCDIR "."
#endif

enum { NPROC = 16, NOFILE = 32 };
/* RLIMIT_AS cannot hold ASan's shadow memory: a sanitizer build spawns with
 * no memory limit and the probe skips its memory bomb. */
#if defined(__SANITIZE_ADDRESS__)
#define MEMORY 0ULL
#else
#define MEMORY (64ULL << 20)
#endif
/* lines printed here besides the probe's */
enum { DRIVER_LINES = 5 };

static char *
slurp (const char *path, size_t *len)
{
  FILE *f = fopen (path, "rb");
  if (!f)
    return NULL;
  size_t cap = 4096, n = 0;
  char *buf = malloc (cap);
  size_t k;
  while (buf && (k = fread (buf + n, 1, cap - n, f)) > 0)
    {
      n += k;
      if (n == cap)
        {
          char *nb = realloc (buf, cap *= 2);
          if (!nb)
            free (buf);
          buf = nb;
        }
    }
  fclose (f);
  *len = n;
  return buf;
}

/* ---- what the host offers ----
 * Each feature is tried in a child of its own, so that what it changes (a
 * personality, a namespace, a tracer) stays there. A try writes why the
 * feature is missing into why, or leaves it empty. */

typedef void (*feat_fn) (char *why, size_t len);

static void
why_errno (char *why, size_t len, const char *what)
{
  const char *n = strerrorname_np (errno);
  snprintf (why, len, "%s: %s", what, n ? n : strerror (errno));
}

static void
f_ia32 (char *why, size_t len)
{
  long rc;
  /* getpid on the 32-bit ABI: without emulation this is a SIGSEGV */
  __asm__ volatile ("int $0x80" : "=a" (rc) : "a" (20L) : "memory");
  if (rc != getpid ())
    snprintf (why, len, "int 0x80 getpid returned %ld", rc);
}

static void
f_x32 (char *why, size_t len)
{
  long rc = syscall (0x40000000L | SYS_getpid);
  if (rc < 0)
    why_errno (why, len, "x32 getpid");
  else if (rc != getpid ())
    snprintf (why, len, "x32 getpid returned %ld", rc);
}

static void
f_keys (char *why, size_t len)
{
  if (syscall (SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 1) < 0)
    why_errno (why, len, "keyctl KEYCTL_GET_KEYRING_ID");
  else if (syscall (SYS_add_key, "user", "ward-probe", "x", (size_t) 1,
                    KEY_SPEC_PROCESS_KEYRING) < 0)
    why_errno (why, len, "add_key");
}

/* As the sandbox has it: a user namespace whose uid and gid are mapped
 * (the kernel refuses a nested one to an unmapped caller), then another. */
static void
f_userns (char *why, size_t len)
{
  char map[64];
  uid_t uid = geteuid ();
  gid_t gid = getegid ();
  if (unshare (CLONE_NEWUSER) < 0)
    {
      why_errno (why, len, "unshare CLONE_NEWUSER");
      return;
    }
  snprintf (map, sizeof map, "0 %u 1\n", (unsigned) uid);
  if (tu_write_file ("/proc/self/uid_map", map) < 0)
    {
      why_errno (why, len, "writing uid_map");
      return;
    }
  snprintf (map, sizeof map, "0 %u 1\n", (unsigned) gid);
  if (tu_write_file ("/proc/self/setgroups", "deny") < 0 && errno != ENOENT)
    why_errno (why, len, "writing setgroups");
  else if (tu_write_file ("/proc/self/gid_map", map) < 0)
    why_errno (why, len, "writing gid_map");
  else if (unshare (CLONE_NEWUSER) < 0)
    why_errno (why, len, "unshare CLONE_NEWUSER inside a user namespace");
}

static void
f_clone3 (char *why, size_t len)
{
  struct clone_args a;
  memset (&a, 0, sizeof a);
  a.exit_signal = SIGCHLD;
  long rc = syscall (SYS_clone3, &a, sizeof a);
  if (rc == 0)
    _exit (0);
  if (rc < 0)
    why_errno (why, len, "clone3");
  else
    waitpid ((pid_t) rc, NULL, 0);
}

/* In a grandchild, as the probe does: the tracer is then our child. */
static void
f_ptrace (char *why, size_t len)
{
  pid_t p = fork ();
  if (p == 0)
    _exit (ptrace (PTRACE_TRACEME, 0, NULL, NULL) == 0 ? 0 : (errno & 0x7f) + 1);
  int st;
  if (p < 0 || waitpid (p, &st, 0) < 0)
    why_errno (why, len, "fork for PTRACE_TRACEME");
  else if (!WIFEXITED (st))
    snprintf (why, len, "PTRACE_TRACEME: the child ended with status %#x", st);
  else if (WEXITSTATUS (st) != 0)
    {
      errno = WEXITSTATUS (st) - 1;
      why_errno (why, len, "ptrace PTRACE_TRACEME");
    }
}

static void
f_personality (char *why, size_t len)
{
  if (syscall (SYS_personality, (unsigned long) READ_IMPLIES_EXEC) < 0)
    why_errno (why, len, "personality READ_IMPLIES_EXEC");
  else if (syscall (SYS_personality, (unsigned long) ADDR_NO_RANDOMIZE) < 0)
    why_errno (why, len, "personality ADDR_NO_RANDOMIZE");
}

static int status_field (pid_t pid, const char *key, char *out, size_t len);

static void
f_unfiltered (char *why, size_t len)
{
  char mode[32], n[32] = "?";
  if (status_field (getpid (), "Seccomp", mode, sizeof mode) < 0)
    {
      int m = prctl (PR_GET_SECCOMP, 0, 0, 0, 0);
      if (m < 0)
        why_errno (why, len, "PR_GET_SECCOMP");
      else if (m != 0)
        snprintf (why, len, "PR_GET_SECCOMP says %d", m);
      return;
    }
  status_field (getpid (), "Seccomp_filters", n, sizeof n);
  if (strcmp (mode, "0") != 0)
    snprintf (why, len, "the test process already runs under seccomp "
              "(Seccomp %s, Seccomp_filters %s)", mode, n);
}

static void
f_io_uring (char *why, size_t len)
{
  struct io_uring_params p;
  memset (&p, 0, sizeof p);
  if (syscall (SYS_io_uring_setup, 4, &p) < 0)
    why_errno (why, len, "io_uring_setup");
}

static void
f_ldt (char *why, size_t len)
{
  struct user_desc d;
  memset (&d, 0, sizeof d);
  d.seg_32bit = 1;
  d.read_exec_only = 1;
  d.seg_not_present = 1;
  if (syscall (SYS_modify_ldt, 1, &d, sizeof d) < 0)
    why_errno (why, len, "modify_ldt");
}

/* in WPROBE_F_* bit order */
static const struct { feat_fn fn; const char *tried; } feat_try[WPROBE_NFEATURES] = {
  { f_ia32, "int 0x80 getpid" },
  { f_x32, "x32 getpid" },
  { f_keys, "keyctl" },
  { f_userns, "a nested unshare CLONE_NEWUSER" },
  { f_clone3, "clone3" },
  { f_ptrace, "PTRACE_TRACEME" },
  { f_personality, "personality" },
  { f_unfiltered, "reading the test's seccomp mode" },
  { f_io_uring, "io_uring_setup" },
  { f_ldt, "modify_ldt" },
};

/* Run one try in a child; 1 if the feature is there, else 0 and why. */
static int
feat_probe (unsigned i, char *why, size_t len)
{
  int p[2];
  why[0] = 0;
  if (pipe2 (p, O_CLOEXEC) < 0)
    {
      why_errno (why, len, "pipe2");
      return 0;
    }
  fflush (stdout);
  pid_t pid = fork ();
  if (pid == 0)
    {
      char mine[200] = "";
      close (p[0]);
      alarm (20);
      feat_try[i].fn (mine, sizeof mine);
      if (mine[0] && write (p[1], mine, strlen (mine)) < 0)
        _exit (3);
      _exit (mine[0] ? 1 : 0);
    }
  close (p[1]);
  if (pid < 0)
    {
      close (p[0]);
      why_errno (why, len, "fork");
      return 0;
    }
  size_t n = 0;
  ssize_t k;
  while (n < len - 1 && ((k = read (p[0], why + n, len - 1 - n)) > 0
                         || (k < 0 && errno == EINTR)))
    if (k > 0)
      n += (size_t) k;
  why[n] = 0;
  close (p[0]);
  int st = 0;
  while (waitpid (pid, &st, 0) < 0 && errno == EINTR)
    ;
  if (WIFSIGNALED (st))
    {
      const char *sn = sigabbrev_np (WTERMSIG (st));
      snprintf (why, len, "%s: the try died of SIG%s", feat_try[i].tried,
                sn ? sn : "?");
      return 0;
    }
  if (WIFEXITED (st) && WEXITSTATUS (st) == 0 && !why[0])
    return 1;
  if (!why[0])
    snprintf (why, len, "%s: the try exited with status %d", feat_try[i].tried,
              WIFEXITED (st) ? WEXITSTATUS (st) : -1);
  return 0;
}

static char absent_why[WPROBE_NFEATURES][220];

/* The bits of the features the host lacks, each with its reason in
 * absent_why; WARD_TEST_ESCAPE_ABSENT adds to them. -1 on an unknown name
 * there (printed as a bail-out). */
static long
host_features (void)
{
  unsigned absent = 0;
  const char *sim = getenv ("WARD_TEST_ESCAPE_ABSENT");
  if (sim && *sim)
    {
      char *copy = strdup (sim), *save = NULL;
      if (!copy)
        {
          printf ("Bail out! out of memory\n");
          return -1;
        }
      for (char *tok = strtok_r (copy, ", ", &save); tok;
           tok = strtok_r (NULL, ", ", &save))
        {
          unsigned i = 0;
          while (i < WPROBE_NFEATURES && strcmp (tok, wprobe_feature_name (i)) != 0)
            i++;
          if (i == WPROBE_NFEATURES)
            {
              printf ("Bail out! WARD_TEST_ESCAPE_ABSENT: unknown feature \"%.64s\" "
                      "(known:", tok);
              for (unsigned j = 0; j < WPROBE_NFEATURES; j++)
                printf (" %s", wprobe_feature_name (j));
              printf (")\n");
              free (copy);
              return -1;
            }
          absent |= 1u << i;
          snprintf (absent_why[i], sizeof absent_why[i],
                    "simulated by WARD_TEST_ESCAPE_ABSENT");
        }
      free (copy);
    }
  for (unsigned i = 0; i < WPROBE_NFEATURES; i++)
    if (!(absent & (1u << i))
        && !feat_probe (i, absent_why[i], sizeof absent_why[i]))
      absent |= 1u << i;
  printf ("# host features:");
  for (unsigned i = 0; i < WPROBE_NFEATURES; i++)
    printf (" %s=%s", wprobe_feature_name (i), absent & (1u << i) ? "no" : "yes");
  printf ("\n");
  for (unsigned i = 0; i < WPROBE_NFEATURES; i++)
    if (absent & (1u << i))
      printf ("# no %s: %s\n", wprobe_feature_name (i), absent_why[i]);
  return (long) absent;
}

/* The SKIP reason for a check that needs the absent features in bits. */
static void
skip_absent (const char *name, unsigned bits)
{
  unsigned i = 0;
  while (i < WPROBE_NFEATURES - 1 && !(bits & (1u << i)))
    i++;
  ok (1, "%s # SKIP the host lacks %s (%s): %s", name, wprobe_feature_name (i),
      wprobe_feature_what (i), absent_why[i]);
}

/* Why the kernel would refuse us a user namespace, or NULL if it allows. */
static const char *
userns_forbidden (void)
{
  static char why[128];
  pid_t p = fork ();
  if (p == 0)
    _exit (unshare (CLONE_NEWUSER) == 0 ? 0 : (errno & 0x7f) + 1);
  int st;
  if (p < 0 || waitpid (p, &st, 0) < 0 || !WIFEXITED (st))
    return NULL;
  if (WEXITSTATUS (st) == 0)
    return NULL;
  int e = WEXITSTATUS (st) - 1;
  if (e != EPERM && e != EACCES && e != ENOSPC && e != EUSERS)
    return NULL;
  snprintf (why, sizeof why, "the kernel refuses unprivileged user namespaces "
            "to uid %d: unshare(CLONE_NEWUSER): %s", (int) getuid (),
            strerror (e));
  return why;
}

static int
recv_line (int fd, char *buf, size_t len, int timeout_ms)
{
  struct pollfd p = { .fd = fd, .events = POLLIN };
  int r;
  while ((r = poll (&p, 1, timeout_ms)) < 0 && errno == EINTR)
    ;
  if (r <= 0)
    return -1;
  ssize_t n = recv (fd, buf, len - 1, 0);
  if (n <= 0)
    return -1;
  buf[n] = 0;
  return (int) n;
}

/* The host pid of the probe: the child itself, or (with a PID namespace)
 * the child of PID 1 whose innermost pid is inside_pid. */
static int
nspid_last (pid_t pid)
{
  char path[64], line[256];
  snprintf (path, sizeof path, "/proc/%d/status", (int) pid);
  FILE *f = fopen (path, "re");
  int last = -1;
  if (!f)
    return -1;
  while (fgets (line, sizeof line, f))
    if (strncmp (line, "NSpid:", 6) == 0)
      {
        char *s = line + 6, *end;
        for (long v; (v = strtol (s, &end, 10)), end != s; s = end)
          last = (int) v;
      }
  fclose (f);
  return last;
}

static pid_t
probe_host_pid (pid_t child, int inside_pid)
{
  if (nspid_last (child) == inside_pid)
    return child;
  char path[64], buf[1024];
  snprintf (path, sizeof path, "/proc/%d/task/%d/children", (int) child, (int) child);
  FILE *f = fopen (path, "re");
  if (!f)
    return -1;
  pid_t found = -1;
  int p;
  while (found < 0 && fscanf (f, "%d", &p) == 1)
    if (nspid_last (p) == inside_pid)
      found = p;
  fclose (f);
  (void) buf;
  return found;
}

/* "Key:\tvalue" from /proc/PID/status into out. 0 or -1. */
static int
status_field (pid_t pid, const char *key, char *out, size_t len)
{
  char path[64], line[256];
  size_t kl = strlen (key);
  snprintf (path, sizeof path, "/proc/%d/status", (int) pid);
  FILE *f = fopen (path, "re");
  if (!f)
    return -1;
  int found = -1;
  while (found < 0 && fgets (line, sizeof line, f))
    if (strncmp (line, key, kl) == 0 && line[kl] == ':')
      {
        char *v = line + kl + 1;
        v += strspn (v, " \t");
        v[strcspn (v, "\n")] = 0;
        for (char *t = v; *t; t++)
          if (*t == '\t')
            *t = ' ';
        snprintf (out, len, "%s", v);
        found = 0;
      }
  fclose (f);
  return found;
}

/* The probe's setuid(0) record: blocked unless the probe is uid 0 on the
 * host. */
static void
judge_setuid (const char *name, const char *detail, pid_t hp)
{
  char uids[128];
  if (hp < 0 || status_field (hp, "Uid", uids, sizeof uids) < 0)
    {
      ok (0, "%s: cannot see the probe from the host (%s)", name, detail);
      return;
    }
  unsigned r = 0, e = 0, s = 0, fs = 0;
  int root = sscanf (uids, "%u %u %u %u", &r, &e, &s, &fs) != 4
    || r == 0 || e == 0 || s == 0 || fs == 0;
  if (root)
    ok (0, "%s: ESCAPED (host uids %s; %s)", name, uids, detail);
  else
    ok (1, "%s: blocked (host uids %s; %s)", name, uids, detail);
}

static void
host_view (pid_t hp)
{
  static const char *const caps[] = { "CapInh", "CapPrm", "CapEff", "CapBnd",
    "CapAmb" };
  char v[128], bad[256] = "";
  int seen = 0;
  for (size_t i = 0; hp > 0 && i < sizeof caps / sizeof caps[0]; i++)
    if (status_field (hp, caps[i], v, sizeof v) == 0)
      {
        seen++;
        if (strtoull (v, NULL, 16) != 0)
          snprintf (bad + strlen (bad), sizeof bad - strlen (bad), " %s %s",
                    caps[i], v);
      }
  if (seen != 5)
    ok (0, "host view: capabilities: cannot tell (no probe at host pid %d)", (int) hp);
  else if (bad[0])
    ok (0, "host view: capabilities: ESCAPED (%s)", bad + 1);
  else
    ok (1, "host view: capabilities: blocked (all five sets zero)");

  /* The probe inherits any filter the test itself runs under: it must hold
   * more filters than the test does, or (on a kernel without the count)
   * the test must have none. */
  const char *name = "host view: no_new_privs and seccomp";
  char nnp[32] = "?", sec[32] = "?", nf[32] = "", own[32] = "", own_sec[32] = "0";
  if (hp > 0)
    {
      status_field (hp, "NoNewPrivs", nnp, sizeof nnp);
      status_field (hp, "Seccomp", sec, sizeof sec);
      status_field (hp, "Seccomp_filters", nf, sizeof nf);
    }
  status_field (getpid (), "Seccomp", own_sec, sizeof own_sec);
  status_field (getpid (), "Seccomp_filters", own, sizeof own);
  int nnp_sec = strcmp (nnp, "1") == 0 && strcmp (sec, "2") == 0;
  if (hp <= 0)
    ok (0, "%s: cannot tell (no probe)", name);
  else if (nf[0] && own[0])
    {
      long pf = strtol (nf, NULL, 10), tf = strtol (own, NULL, 10);
      if (nnp_sec && pf > tf)
        ok (1, "%s: blocked (NoNewPrivs 1, Seccomp 2, %ld filter(s) over the "
            "test's own %ld)", name, pf - tf, tf);
      else
        ok (0, "%s: ESCAPED (NoNewPrivs %s, Seccomp %s, %ld filter(s), the "
            "test's own %ld)", name, nnp, sec, pf, tf);
    }
  else if (strcmp (own_sec, "0") != 0)
    ok (1, "%s # SKIP the test process runs under seccomp (Seccomp %s) and this "
        "kernel has no Seccomp_filters count to tell the sandbox's filter from "
        "the test's", name, own_sec);
  else if (nnp_sec)
    ok (1, "%s: blocked (NoNewPrivs 1, Seccomp 2)", name);
  else
    ok (0, "%s: ESCAPED (NoNewPrivs %s, Seccomp %s)", name, nnp, sec);
}

/* Wait for the child to end; a sentence on how. */
static void
child_end (const wsb_child *c, char *buf, size_t len)
{
  struct pollfd p = { .fd = c->pidfd, .events = POLLIN };
  snprintf (buf, len, "did not end within 10 s");
  if (poll (&p, 1, 10000) <= 0)
    return;
  snprintf (buf, len, "ended, no exit record");
  int ev = wsb_events_fd ();
  for (int tries = 0; ev >= 0 && tries < 100; tries++)
    {
      wsb_exit x;
      ward_err err;
      int r = wsb_next_exit (&x, &err);
      if (r < 0)
        return;
      if (r == 1 && x.pid == c->pid)
        {
          char d[128];
          wsb_describe_exit (x.code, x.status, x.syscall_nr, d, sizeof d);
          snprintf (buf, len, "%s%s", x.code == CLD_EXITED && x.status == 0
                    ? "" : "!", d);
          return;
        }
      struct pollfd e = { .fd = ev, .events = POLLIN };
      poll (&e, 1, 100);
    }
}

int
main (int argc, char **argv)
{
  const char *init = NULL;
  char pathbuf[4096];
  int weak = 0;
  for (int i = 1; i < argc; i++)
    if (strcmp (argv[i], "--init") == 0 && i + 1 < argc)
      init = argv[++i];
    else if (strcmp (argv[i], "--weak") == 0)
      weak = 1;
    else
      {
        fprintf (stderr, "usage: test-escape [--weak] [--init FILE]\n");
        return 2;
      }
  if (!init)
    {
      const char *src = getenv ("WARD_SRCDIR");
      snprintf (pathbuf, sizeof pathbuf, "%s/init/empty-root.lua",
                src && *src ? src : WARD_TOP_SRCDIR);
      init = pathbuf;
    }
  setvbuf (stdout, NULL, _IOLBF, 0);
  size_t init_len = 0;
  char *script = slurp (init, &init_len);
  if (!script)
    {
      printf ("Bail out! cannot read the init script %s: %s\n", init, strerror (errno));
      return 1;
    }

  /* probed before the supervisor starts: the tries fork */
  long absent = host_features ();
  if (absent < 0)
    {
      free (script);
      return 1;
    }

  ward_err err;
  if (wsb_supervisor_start (wprobe_entry, &err) < 0)
    {
      printf ("Bail out! wsb_supervisor_start: %s\n", err.msg);
      free (script);
      return 1;
    }

  /* opened before the spawn, in the host's network namespace */
  int lfd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  struct sockaddr_in la = { .sin_family = AF_INET };
  socklen_t lal = sizeof la;
  la.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  if (lfd < 0 || bind (lfd, (struct sockaddr *) &la, sizeof la) < 0
      || listen (lfd, 8) < 0 || getsockname (lfd, (struct sockaddr *) &la, &lal) < 0)
    {
      printf ("Bail out! cannot open a loopback listener: %s\n", strerror (errno));
      free (script);
      wsb_supervisor_stop ();
      return 1;
    }
  struct utsname before, after;
  uname (&before);

  wsb_profile p = {
    .limits.namespaces = WARD_NS_USER | WARD_NS_PID | WARD_NS_NET | WARD_NS_MOUNT
      | WARD_NS_IPC | WARD_NS_UTS,
    .seccomp = WSB_SECCOMP_DEFAULT,
    .limits.capabilities = 0,
    .limits.memory = MEMORY,
    .limits.nofile = NOFILE,
    .limits.children = NPROC,
    .init_script = script,
    .init_len = init_len,
    .init_name = "empty-root.lua",
    .init_arg_fd = -1,
    .stdin_fd = -1, .stdout_fd = -1, .stderr_fd = -1,
  };
  if (weak)
    {
      p.seccomp = WSB_SECCOMP_NONE;
      int last = 40;
      FILE *f = fopen ("/proc/sys/kernel/cap_last_cap", "re");
      if (f && fscanf (f, "%d", &last) != 1)
        last = 40;
      if (f)
        fclose (f);
      p.limits.capabilities = last >= 63 ? ~0ULL : (1ULL << (last + 1)) - 1;
      p.limits.memory = 0;
      p.limits.nofile = -1;
      p.limits.children = -1;
    }
  wsb_child c;
  if (wsb_spawn (&p, &c, &err) < 0)
    {
      const char *why = getuid () != 0 ? userns_forbidden () : NULL;
      if (why)
        {
          printf ("1..0 # SKIP %s\n", why);
          wsb_supervisor_stop ();
          free (script);
          return 0;
        }
      printf ("Bail out! wsb_spawn of the strict profile failed: %s\n", err.msg);
      wsb_supervisor_stop ();
      free (script);
      return 1;
    }

  size_t n = wprobe_count ();
  plan ((int) (n + DRIVER_LINES));
  char msg[WPROBE_MSG_MAX + 1];
  /* --weak is judged against the strict limits, so its bombs escape */
  snprintf (msg, sizeof msg, "HELLO hostpid=%d port=%d absent=%lx nproc=%d nofile=%d "
            "memory=%llu", (int) getpid (), ntohs (la.sin_port), absent, NPROC,
            NOFILE, weak ? 64ULL << 20 : MEMORY);
  if (send (c.chan, msg, strlen (msg), MSG_NOSIGNAL) < 0)
    printf ("# send HELLO: %s\n", strerror (errno));

  /* the setuid record waits for END, when the probe's host pid is known */
  char held_name[128] = "", held_detail[WPROBE_MSG_MAX] = "";
  size_t got = 0;
  int inside = -1;
  while (got < n)
    {
      if (recv_line (c.chan, msg, sizeof msg, (int) tap_ms (60000)) < 0)
        break;
      char *name = strchr (msg, '\t'), *detail = name ? strchr (name + 1, '\t') : NULL;
      if (!name || !detail || name != msg + 1)
        {
          printf ("# malformed record: %s\n", msg);
          break;
        }
      *name++ = 0;
      *detail++ = 0;
      const char *want = wprobe_name (got);
      if (strcmp (name, want) != 0)
        {
          ok (0, "%s: record out of order (got \"%s\")", want, name);
          got++;
          continue;
        }
      unsigned lacks = wprobe_needs (got) & (unsigned) absent;
      got++;
      if (lacks)
        {
          if (msg[0] == 'S')
            skip_absent (name, lacks);
          else
            ok (0, "%s: the probe ran it though the host lacks what it needs (%s)",
                name, detail);
          continue;
        }
      switch (msg[0])
        {
        case 'B':
          ok (1, "%s: blocked (%s)", name, detail);
          break;
        case 'S':
          ok (1, "%s # SKIP %s", name, detail);
          break;
        case 'H':
          snprintf (held_name, sizeof held_name, "%s", name);
          snprintf (held_detail, sizeof held_detail, "%s", detail);
          break;
        default:
          ok (0, "%s: ESCAPED (%s)", name, detail);
        }
    }
  if (got == n && recv_line (c.chan, msg, sizeof msg, (int) tap_ms (30000)) > 0)
    sscanf (msg, "END pid=%d", &inside);
  pid_t hp = inside > 0 ? probe_host_pid (c.pid, inside) : -1;
  if (got < n)
    printf ("# the probe stopped reporting after %zu of %zu checks\n", got, n);
  for (; got < n; got++)
    ok (0, "%s: no result (the probe ended or hung)", wprobe_name (got));
  if (held_name[0])
    judge_setuid (held_name, held_detail, hp);
  host_view (hp);
  if (hp > 0 && hp != c.pid)
    {
      char ce[64] = "?", nn[16] = "?", sc[16] = "?", ui[64] = "?";
      status_field (c.pid, "CapEff", ce, sizeof ce);
      status_field (c.pid, "NoNewPrivs", nn, sizeof nn);
      status_field (c.pid, "Seccomp", sc, sizeof sc);
      status_field (c.pid, "Uid", ui, sizeof ui);
      printf ("# the sandbox's PID 1 (host pid %d): Uid %s, CapEff %s, NoNewPrivs %s, "
              "Seccomp %s\n", (int) c.pid, ui, ce, nn, sc);
    }

  uname (&after);
  if (strcmp (before.nodename, after.nodename) == 0
      && strcmp (before.domainname, after.domainname) == 0)
    ok (1, "host hostname unchanged by the probe's sethostname: blocked (%s)",
        after.nodename);
  else
    ok (0, "host hostname changed: ESCAPED (%s -> %s)", before.nodename, after.nodename);

  int afd = accept4 (lfd, NULL, NULL, SOCK_CLOEXEC);
  if (afd < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
    ok (1, "host loopback listener got no connection: blocked");
  else
    ok (0, "host loopback listener: ESCAPED (%s)", afd >= 0 ? "a connection came in"
        : strerror (errno));

  send (c.chan, "BYE", 3, MSG_NOSIGNAL);
  char how[160];
  child_end (&c, how, sizeof how);
  ok (how[0] != '!', "the probe ran to its end and exited cleanly (%s)",
      how[0] == '!' ? how + 1 : how);

  close (c.chan);
  close (c.pidfd);
  close (lfd);
  free (script);
  wsb_supervisor_stop ();
  return done ();
}
