/* test-escape.c -- the sandbox escape suite: spawn the probe (probe.c) under
 * the strict profile and print one TAP line per way out it tried, then what
 * can only be judged from the host: the probe's credentials seen from
 * outside, the host's hostname, the host's loopback listener, how the probe
 * ended.
 *
 * Usage: test-escape [--weak] [--init FILE]
 *   --init   the empty-root script (default $WARD_SRCDIR/init/empty-root.lua)
 *   --weak   namespaces and the empty root only: no seccomp, every
 *            capability kept, no rlimits. The probe must then report escapes
 *            (escape.sh checks that it does: the suite can fail).
 * Run as root by make check, and as nobody by escape.sh. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "probe.h"
#include "sandbox.h"
#include "tap.h"

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

/* Whether int 0x80 works here at all: if not, the probe may see SIGSEGV
 * rather than the filter's SIGSYS. */
static int
host_has_ia32 (void)
{
  pid_t p = fork ();
  if (p == 0)
    {
      long rc;
      __asm__ volatile ("int $0x80" : "=a" (rc) : "a" (20L) : "memory");
      _exit (rc == getpid () ? 0 : 1);
    }
  int st;
  if (p < 0 || waitpid (p, &st, 0) < 0)
    return 0;
  return WIFEXITED (st) && WEXITSTATUS (st) == 0;
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

  char nnp[32] = "?", sec[32] = "?";
  if (hp > 0)
    {
      status_field (hp, "NoNewPrivs", nnp, sizeof nnp);
      status_field (hp, "Seccomp", sec, sizeof sec);
    }
  if (hp <= 0)
    ok (0, "host view: no_new_privs and seccomp: cannot tell (no probe)");
  else if (strcmp (nnp, "1") == 0 && strcmp (sec, "2") == 0)
    ok (1, "host view: no_new_privs and seccomp: blocked (NoNewPrivs 1, Seccomp 2)");
  else
    ok (0, "host view: no_new_privs and seccomp: ESCAPED (NoNewPrivs %s, Seccomp %s)",
        nnp, sec);
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
  int ia32 = host_has_ia32 ();

  wsb_profile p = {
    .namespaces = WSB_NS_USER | WSB_NS_PID | WSB_NS_NET | WSB_NS_MOUNT
      | WSB_NS_IPC | WSB_NS_UTS,
    .seccomp = WSB_SECCOMP_DEFAULT,
    .caps_keep = 0,
    .memory = MEMORY,
    .nofile = NOFILE,
    .nproc = NPROC,
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
      p.caps_keep = last >= 63 ? ~0ULL : (1ULL << (last + 1)) - 1;
      p.memory = 0;
      p.nofile = -1;
      p.nproc = -1;
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
  snprintf (msg, sizeof msg, "HELLO hostpid=%d port=%d ia32=%d nproc=%d nofile=%d "
            "memory=%llu", (int) getpid (), ntohs (la.sin_port), ia32, NPROC, NOFILE,
            weak ? 64ULL << 20 : MEMORY);
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
      got++;
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
