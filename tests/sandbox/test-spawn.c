/* test-spawn.c -- the supervisor and wsb_spawn: namespaces, PID 1, exit
 * records, failing steps, lifetime, and the start-up latency.
 * The children run probe_entry(), which answers one-letter questions on
 * its channel. Runs as root or as any user (tests/sandbox/spawn.sh runs it
 * as nobody); what the kernel forbids the latter is skipped. */
#include "config.h"
#include "sandbox.h"
#include "tap.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define ALL6 (WARD_NS_USER | WARD_NS_PID | WARD_NS_NET | WARD_NS_MOUNT \
              | WARD_NS_IPC | WARD_NS_UTS)

static int is_root;
static pid_t test_pid;

/* ---- the child's side ------------------------------------------------ */

static volatile sig_atomic_t got_sig;
static void on_sig (int s) { got_sig = s; }

static int
answer (int chan, const char *fmt, ...)
{
  char buf[4096];
  va_list ap;
  va_start (ap, fmt);
  int n = vsnprintf (buf, sizeof buf, fmt, ap);
  va_end (ap);
  if (n < 0 || n >= (int) sizeof buf)
    n = (int) sizeof buf - 1;
  return send (chan, buf, (size_t) n, MSG_NOSIGNAL) < 0 ? -1 : 0;
}

static void
list_fds (char *out, size_t len)
{
  DIR *d = opendir ("/proc/self/fd");
  int seen[64], n = 0;
  struct dirent *e;
  while (d != NULL && (e = readdir (d)) != NULL)
    if (e->d_name[0] != '.' && atoi (e->d_name) != dirfd (d) && n < 64)
      seen[n++] = atoi (e->d_name);
  if (d != NULL)
    closedir (d);
  for (int i = 0; i < n; i++)          /* sort: readdir's order is none */
    for (int j = i + 1; j < n; j++)
      if (seen[j] < seen[i])
        { int t = seen[i]; seen[i] = seen[j]; seen[j] = t; }
  out[0] = '\0';
  for (int i = 0; i < n; i++)
    snprintf (out + strlen (out), len - strlen (out), "%s%d", i ? " " : "",
              seen[i]);
}

static int
count_shared (void)
{
  FILE *f = fopen ("/proc/self/mountinfo", "r");
  char line[4096];
  int n = 0;
  while (f != NULL && fgets (line, sizeof line, f) != NULL)
    n += strstr (line, " shared:") != NULL;
  if (f != NULL)
    fclose (f);
  return f != NULL ? n : -1;
}

/* Orphan a grandchild, then see whether anyone reaps it once it exits. */
static const char *
zombie_probe (void)
{
  int p[2];
  if (pipe (p) < 0)
    return "pipe";
  pid_t a = fork ();
  if (a == 0)
    {
      pid_t b = fork ();
      if (b == 0)
        {
          usleep (20000);     /* exit after a, as an orphan */
          _exit (0);
        }
      write (p[1], &b, sizeof b);
      _exit (0);
    }
  pid_t b = -1;
  read (p[0], &b, sizeof b);
  waitpid (a, NULL, 0);
  for (int i = 0; i < 200; i++)
    {
      if (kill (b, 0) < 0 && errno == ESRCH)
        return "reaped";
      usleep (10000);
    }
  return "zombie";
}

static int
probe_entry (int chan)
{
  char q[256];
  for (;;)
    {
      ssize_t n = recv (chan, q, sizeof q - 1, 0);
      if (n <= 0)
        return 0;
      q[n] = '\0';
      const char *arg = q + 1;
      char buf[2048];
      switch (q[0])
        {
        case 'p':
          answer (chan, "%d %d", (int) getpid (), (int) getppid ());
          break;
        case 'u':
          answer (chan, "%d %d", (int) getuid (), (int) getgid ());
          break;
        case 'h':
          gethostname (buf, sizeof buf);
          answer (chan, "%s", buf);
          break;
        case 'l':
          {
            int s = socket (AF_INET, SOCK_DGRAM, 0), up = -1, nif = 0;
            struct ifreq ifr;
            memset (&ifr, 0, sizeof ifr);
            strcpy (ifr.ifr_name, "lo");
            if (s >= 0 && ioctl (s, SIOCGIFFLAGS, &ifr) == 0)
              up = (ifr.ifr_flags & IFF_UP) != 0;
            close (s);
            struct if_nameindex *ni = if_nameindex (), *i;
            for (i = ni; i != NULL && i->if_index != 0; i++)
              nif++;
            if (ni != NULL)
              if_freenameindex (ni);
            answer (chan, "%d %d", up, nif);
            break;
          }
        case 'k':
          answer (chan, "%d", kill ((pid_t) atoi (arg), 0) < 0 ? errno : 0);
          break;
        case 'm':
          answer (chan, "%d", count_shared ());
          break;
        case 'f':
          list_fds (buf, sizeof buf);
          answer (chan, "%d|%s", chan, buf);
          break;
        case 'e':
          {
            extern char **environ;
            buf[0] = '\0';
            for (char **e = environ; e != NULL && *e != NULL; e++)
              snprintf (buf + strlen (buf), sizeof buf - strlen (buf), "%s%s",
                        buf[0] ? "\n" : "", *e);
            answer (chan, "%s", buf);
            break;
          }
        case 'n':
          {
            char path[64];
            snprintf (path, sizeof path, "/proc/self/ns/%s", arg);
            ssize_t l = readlink (path, buf, sizeof buf - 1);
            buf[l < 0 ? 0 : l] = '\0';
            answer (chan, "%s", buf);
            break;
          }
        case 's':
          {
            int sigs[] = { SIGTERM, SIGINT, SIGHUP, SIGUSR1, SIGUSR2 };
            sigset_t block, old;
            sigemptyset (&block);
            int bad = 0;
            for (int i = 0; i < 5; i++)
              {
                sigaddset (&block, sigs[i]);
                bad |= signal (sigs[i], on_sig) == SIG_ERR;
              }
            if (bad || sigprocmask (SIG_BLOCK, &block, &old) < 0)
              {
                answer (chan, "cannot arm: %s", strerror (errno));
                break;
              }
            got_sig = 0;
            answer (chan, "armed");
            while (got_sig == 0)
              sigsuspend (&old);
            if (sigprocmask (SIG_SETMASK, &old, NULL) < 0)
              return 99;
            answer (chan, "got %d", (int) got_sig);
            break;
          }
        case 'z':
          answer (chan, "%s", zombie_probe ());
          break;
        case 'x':
          return atoi (arg);
        case 'K':
          if (signal (atoi (arg), SIG_DFL) != SIG_ERR)
            raise (atoi (arg));
          return 99;
        case 'o':
          answer (chan, "%d", (int) write (1, arg, strlen (arg)));
          break;
        case 'i':
          answer (chan, "%d", (int) read (0, buf, sizeof buf));
          break;
        default:
          answer (chan, "?");
        }
    }
}

/* ---- the test's side ------------------------------------------------- */

static wsb_profile
prof (unsigned ns)
{
  wsb_profile p;
  memset (&p, 0, sizeof p);
  p.limits.namespaces = ns;
  p.seccomp = WSB_SECCOMP_NONE;
  p.limits.nofile = -1;
  p.limits.children = -1;
  p.init_arg_fd = -1;
  p.stdin_fd = p.stdout_fd = p.stderr_fd = -1;
  return p;
}

/* As nobody, every other namespace needs a user namespace. */
static unsigned
ns_for (unsigned ns)
{
  return is_root ? ns : ns | WARD_NS_USER;
}

static const char *
answer_of (int chan)
{
  /* per thread: test_threads asks from three at once */
  static _Thread_local char buf[4096];
  struct pollfd pf = { chan, POLLIN, 0 };
  if (poll (&pf, 1, (int) tap_ms (5000)) <= 0)
    return "(no answer)";
  ssize_t n = recv (chan, buf, sizeof buf - 1, 0);
  buf[n < 0 ? 0 : n] = '\0';
  return buf;
}

static const char *
ask (int chan, const char *q)
{
  if (send (chan, q, strlen (q), MSG_NOSIGNAL) < 0)
    return "(send failed)";
  return answer_of (chan);
}

static int
spawn (const wsb_profile *p, wsb_child *c, ward_err *e)
{
  ward_err_clear (e);
  int r = wsb_spawn (p, c, e);
  if (r < 0)
    printf ("# spawn: %s\n", e->msg);
  return r;
}

static void
finish (wsb_child *c)
{
  syscall (SYS_pidfd_send_signal, c->pidfd, SIGKILL, NULL, 0);
  close (c->pidfd);
  close (c->chan);
}

static int
readable (int fd, int ms)
{
  struct pollfd pf = { fd, POLLIN, 0 };
  return poll (&pf, 1, ms) > 0;
}

/* The exit record for pid (others are dropped). 0 or -1. */
static int
wait_exit (pid_t pid, wsb_exit *ev)
{
  ward_err e;
  for (int i = 0; i < 500; i++)
    {
      int r = wsb_next_exit (ev, &e);
      if (r < 0)
        return -1;
      if (r == 1 && ev->pid == pid)
        return 0;
      if (r == 0)
        readable (wsb_events_fd (), 10);
    }
  return -1;
}

/* Spawn profile p, tell the child cmd (a command of probe_entry) and wait
 * for its exit record; 0 or -1. c stays open. */
static int
spawn_told (const wsb_profile *p, wsb_child *c, const char *cmd, wsb_exit *ev)
{
  ward_err e;
  if (spawn (p, c, &e) < 0)
    return -1;
  send (c->chan, cmd, strlen (cmd), MSG_NOSIGNAL);
  return wait_exit (c->pid, ev);
}

static void
own_ns (const char *name, char *buf, size_t len)
{
  char path[64];
  snprintf (path, sizeof path, "/proc/self/ns/%s", name);
  ssize_t l = readlink (path, buf, len - 1);
  buf[l < 0 ? 0 : l] = '\0';
}

/* From the host's side: the one id every uid, gid and supplementary
 * group of pid is, or "mixed". */
static const char *
host_ids (pid_t pid)
{
  static char out[32];
  char path[64], line[512];
  snprintf (path, sizeof path, "/proc/%d/status", (int) pid);
  FILE *f = fopen (path, "r");
  long id = -1;
  int mixed = 0;
  while (f != NULL && fgets (line, sizeof line, f) != NULL)
    if (!strncmp (line, "Uid:", 4) || !strncmp (line, "Gid:", 4)
        || !strncmp (line, "Groups:", 7))
      {
        char *s = strchr (line, ':') + 1, *end;
        for (long v; v = strtol (s, &end, 10), end != s; s = end)
          {
            if (id >= 0 && v != id)
              mixed = 1;
            id = v;
          }
      }
  if (f != NULL)
    fclose (f);
  snprintf (out, sizeof out, mixed ? "mixed" : "%ld", id);
  return out;
}

static int
cmp_ll (const void *a, const void *b)
{
  long long x = *(const long long *) a, y = *(const long long *) b;
  return x < y ? -1 : x > y;
}

static long long
now_us (void)
{
  struct timespec t;
  clock_gettime (CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1000000LL + t.tv_nsec / 1000;
}

/* ---- lifetime: each in a process of its own, as its own runtime ------ */

static int
send_fds (int s, const int *fds, int n)
{
  char byte = 'f';
  struct iovec iov = { &byte, 1 };
  union { struct cmsghdr h; char buf[CMSG_SPACE (4 * sizeof (int))]; } cm;
  struct msghdr mh;
  memset (&mh, 0, sizeof mh);
  memset (&cm, 0, sizeof cm);
  mh.msg_iov = &iov;
  mh.msg_iovlen = 1;
  mh.msg_control = cm.buf;
  mh.msg_controllen = CMSG_SPACE (n * sizeof (int));
  struct cmsghdr *c = CMSG_FIRSTHDR (&mh);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN (n * sizeof (int));
  memcpy (CMSG_DATA (c), fds, n * sizeof (int));
  return sendmsg (s, &mh, 0) < 0 ? -1 : 0;
}

static int
recv_fds (int s, int *fds, int n)
{
  char byte;
  struct iovec iov = { &byte, 1 };
  union { struct cmsghdr h; char buf[CMSG_SPACE (4 * sizeof (int))]; } cm;
  struct msghdr mh;
  memset (&mh, 0, sizeof mh);
  mh.msg_iov = &iov;
  mh.msg_iovlen = 1;
  mh.msg_control = cm.buf;
  mh.msg_controllen = sizeof cm.buf;
  struct pollfd pf = { s, POLLIN, 0 };
  if (poll (&pf, 1, 5000) <= 0 || recvmsg (s, &mh, 0) <= 0)
    return -1;
  struct cmsghdr *c = CMSG_FIRSTHDR (&mh);
  if (c == NULL || c->cmsg_len != CMSG_LEN (n * sizeof (int)))
    return -1;
  memcpy (fds, CMSG_DATA (c), n * sizeof (int));
  return 0;
}

/* A runtime that spawns two children (one with PID 1), sends their pidfds
 * and the supervisor's, and vanishes; or, with detach, detaches one child
 * and sends it with its channel. */
static void
runtime_that_vanishes (int s, int detach)
{
  ward_err e;
  if (wsb_supervisor_start (probe_entry, &e) < 0)
    _exit (1);
  wsb_profile p0 = prof (0), p1 = prof (ns_for (WARD_NS_PID));
  wsb_child a, b;
  if (wsb_spawn (&p0, &a, &e) < 0 || wsb_spawn (&p1, &b, &e) < 0)
    _exit (2);
  int sup = (int) syscall (SYS_pidfd_open, wsb_supervisor_pid (), 0);
  if (detach)
    {
      if (wsb_detach (b.pid, &e) < 0)
        _exit (3);
      if (wsb_detach (a.pid + 1000000, &e) == 0 || e.kind != WARD_E_NOT_FOUND)
        _exit (4);
      int fds[3] = { b.pidfd, b.chan, sup };
      send_fds (s, fds, 3);
    }
  else
    {
      int fds[3] = { a.pidfd, b.pidfd, sup };
      send_fds (s, fds, 3);
    }
  _exit (0);
}

static pid_t
start_runtime (int detach, int *s)
{
  int sp[2];
  socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp);
  pid_t pid = fork ();
  if (pid == 0)
    {
      close (sp[0]);
      runtime_that_vanishes (sp[1], detach);
    }
  close (sp[1]);
  *s = sp[0];
  return pid;
}

static void
test_lifetime (void)
{
  int s, st = -1, fds[3];
  pid_t rt = start_runtime (0, &s);
  int got = recv_fds (s, fds, 3) == 0;
  waitpid (rt, &st, 0);
  ok (got && WIFEXITED (st) && WEXITSTATUS (st) == 0,
      "a runtime spawns two children and goes away (status %d)", st);
  ok (got && readable (fds[0], 3000),
      "its plain child is killed when the runtime's socket closes");
  ok (got && readable (fds[1], 3000),
      "its child with PID 1 is killed when the runtime's socket closes");
  ok (got && readable (fds[2], 3000), "the supervisor exits");
  for (int i = 0; got && i < 3; i++)
    close (fds[i]);
  close (s);

  rt = start_runtime (1, &s);
  got = recv_fds (s, fds, 3) == 0;
  waitpid (rt, &st, 0);
  ok (got && WIFEXITED (st) && WEXITSTATUS (st) == 0,
      "wsb_detach detaches a child, and says NOT_FOUND for a stranger "
      "(status %d)", st);
  ok (got && !readable (fds[0], 300), "a detached child outlives the runtime");
  is_str (got ? ask (fds[1], "p") : "", "2 1",
          "a detached child still answers on its channel");
  ok (got && !readable (fds[2], 0),
      "the supervisor stays to reap the detached child");
  if (got)
    syscall (SYS_pidfd_send_signal, fds[0], SIGKILL, NULL, 0);
  ok (got && readable (fds[0], 3000) && readable (fds[2], 3000),
      "the supervisor exits once the detached child is gone");
  for (int i = 0; got && i < 3; i++)
    close (fds[i]);
  close (s);
}

/* ---- the main tests -------------------------------------------------- */

static void
test_plain (void)
{
  ward_err e;
  wsb_child c;
  int out[2];
  if (pipe2 (out, O_CLOEXEC) < 0)
    out[0] = out[1] = -1;
  wsb_profile p = prof (0);
  const char *env[] = { "A=1", "B=two words", "EMPTY=", NULL };
  p.environ = env;
  p.stdout_fd = out[1];
  int r = spawn (&p, &c, &e);
  close (out[1]);
  ok (r == 0 && c.pid > 0 && c.pidfd >= 0 && c.chan >= 0,
      "wsb_spawn with no namespace gives a pid, a pidfd and a channel");
  if (r < 0)
    {
      for (int i = 0; i < 8; i++)
        ok (0, "skipped after a failed spawn");
      close (out[0]);
      goto empty_env;
    }
  char want[64];
  snprintf (want, sizeof want, "%d %d", (int) c.pid,
            (int) wsb_supervisor_pid ());
  is_str (ask (c.chan, "p"), want, "the actor is the pid given, a child of "
          "the supervisor");
  is_str (ask (c.chan, "e"), "A=1\nB=two words\nEMPTY=",
          "the environment is exactly the one given");
  const char *fds = ask (c.chan, "f");
  int chan = atoi (fds);
  snprintf (want, sizeof want, "%d|0 1 2 %d", chan, chan);
  ok (chan > 2 && strcmp (fds, want) == 0,
      "only 0, 1, 2 and the channel are open (%s)", fds);
  is_str (ask (c.chan, "ohello"), "5", "the child writes to its stdout");
  char buf[16] = "";
  ssize_t n = read (out[0], buf, sizeof buf - 1);
  buf[n < 0 ? 0 : n] = '\0';
  is_str (buf, "hello", "its stdout is the pipe given");
  is_str (ask (c.chan, "i"), "0", "its stdin is /dev/null");
  send (c.chan, "x3", 2, MSG_NOSIGNAL);
  wsb_exit ev;
  ok (readable (c.pidfd, 3000), "the pidfd polls readable when it exits");
  r = wait_exit (c.pid, &ev);
  ok (r == 0 && ev.code == CLD_EXITED && ev.status == 3
      && ev.raw_code == CLD_EXITED && ev.raw_status == 3,
      "the exit record says status 3 (%d %d)", ev.code, ev.status);
  close (out[0]);
  close (c.pidfd);
  close (c.chan);

empty_env:
  p = prof (0);
  r = spawn (&p, &c, &e);
  is_str (r == 0 ? ask (c.chan, "e") : "(failed)", "",
          "a NULL environ gives an empty environment");
  if (r == 0)
    finish (&c);
}

static void
test_namespaces (void)
{
  static const struct { unsigned bit; const char *name, *other; } t[] = {
    { WARD_NS_USER, "user", "net" }, { WARD_NS_PID, "pid", "uts" },
    { WARD_NS_NET, "net", "ipc" }, { WARD_NS_MOUNT, "mnt", "net" },
    { WARD_NS_IPC, "ipc", "uts" }, { WARD_NS_UTS, "uts", "ipc" },
    { WARD_NS_CGROUP, "cgroup", "net" },
  };
  for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
    {
      ward_err e;
      wsb_child c;
      wsb_profile p = prof (ns_for (t[i].bit));
      char mine[128], other[128];
      own_ns (t[i].name, mine, sizeof mine);
      own_ns (t[i].other, other, sizeof other);
      int r = spawn (&p, &c, &e);
      const char *got;
      char q[64];
      snprintf (q, sizeof q, "n%s", t[i].name);
      got = r == 0 ? ask (c.chan, q) : "";
      ok (r == 0 && got[0] != '\0' && strcmp (got, mine) != 0,
          "WARD_NS %s gives a new %s namespace (%s)", t[i].name, t[i].name, got);
      snprintf (q, sizeof q, "n%s", t[i].other);
      got = r == 0 ? ask (c.chan, q) : "";
      ok (r == 0 && strcmp (got, other) == 0,
          "... and leaves the %s namespace alone", t[i].other);
      if (r == 0)
        finish (&c);
    }
}

static void
test_contents (void)
{
  ward_err e;
  wsb_child c;
  char want[64], host[256];

  wsb_profile p = prof (WARD_NS_USER);
  int r = spawn (&p, &c, &e);
  is_str (r == 0 ? ask (c.chan, "u") : "", "0 0",
          "a user namespace maps the supervisor's ids to 0");
  snprintf (want, sizeof want, "%d", is_root ? WSB_ROOT_MAP_ID : (int) geteuid ());
  is_str (r == 0 ? host_ids (c.pid) : "", want,
          "outside, the child is uid %s in every uid, gid and group", want);
  if (r == 0)
    finish (&c);

  p = prof (ns_for (WARD_NS_PID));
  r = spawn (&p, &c, &e);
  is_str (r == 0 ? ask (c.chan, "p") : "", "2 1",
          "with a PID namespace the actor is PID 2, child of PID 1");
  snprintf (want, sizeof want, "k%d", (int) test_pid);
  snprintf (host, sizeof host, "%d", ESRCH);
  is_str (r == 0 ? ask (c.chan, want) : "", host,
          "it cannot see the runtime's pid");
  is_str (r == 0 ? ask (c.chan, "z") : "", "reaped",
          "PID 1 reaps an orphaned grandchild");
  if (r == 0)
    finish (&c);

  p = prof (ns_for (WARD_NS_NET));
  r = spawn (&p, &c, &e);
  is_str (r == 0 ? ask (c.chan, "l") : "", "1 1",
          "a network namespace has only lo, and lo is up");
  if (r == 0)
    finish (&c);

  p = prof (ns_for (WARD_NS_UTS));
  p.hostname = "wardbox";
  gethostname (host, sizeof host);
  r = spawn (&p, &c, &e);
  is_str (r == 0 ? ask (c.chan, "h") : "", "wardbox",
          "the hostname given is set in the UTS namespace");
  char after[256];
  gethostname (after, sizeof after);
  is_str (after, host, "the runtime's hostname is unchanged");
  if (r == 0)
    finish (&c);

  /* the runtime's root was made shared (as root) in main() */
  if (is_root)
    {
      p = prof (0);
      r = spawn (&p, &c, &e);
      const char *n = r == 0 ? ask (c.chan, "m") : "-1";
      ok (atoi (n) > 0, "without a mount namespace the shared mounts show "
          "(%s)", n);
      if (r == 0)
        finish (&c);
    }
  else
    ok (1, "# SKIP making a shared mount to inherit needs root");
  p = prof (ns_for (WARD_NS_MOUNT));
  r = spawn (&p, &c, &e);
  is_str (r == 0 ? ask (c.chan, "m") : "", "0",
          "in a mount namespace every mount is private");
  if (r == 0)
    finish (&c);

  /* Without a user namespace, only root may make the others. */
  p = prof (WARD_NS_NET);
  ward_err_clear (&e);
  r = wsb_spawn (&p, &c, &e);
  if (is_root)
    is_int (r, 0, "as root a network namespace needs no user namespace");
  else
    ok (r < 0 && e.errnum == EPERM && strstr (e.msg, "sandbox: clone") != NULL,
        "as a user a namespace without a user namespace fails: %s", e.msg);
  if (r == 0)
    finish (&c);
}

static void
test_exits_and_signals (void)
{
  ward_err e;
  wsb_child c;
  wsb_exit ev;
  char d[128];

  wsb_profile p = prof (0);
  int r = spawn_told (&p, &c, "K10", &ev);
  ok (r == 0 && ev.code == CLD_KILLED && ev.status == SIGUSR1,
      "a child killed by SIGUSR1 is reported so (%d %d)", ev.code, ev.status);
  wsb_describe_exit (ev.code, ev.status, ev.syscall_nr, d, sizeof d);
  is_str (r == 0 ? d : "", "killed by SIGUSR1", "wsb_describe_exit says so");
  close (c.pidfd);
  close (c.chan);

  p = prof (ns_for (WARD_NS_PID));
  r = spawn_told (&p, &c, "K11", &ev);
  ok (r == 0 && (ev.code == CLD_KILLED || ev.code == CLD_DUMPED)
      && ev.status == SIGSEGV,
      "PID 1 reports its actor killed by SIGSEGV (%d %d)", ev.code, ev.status);
  ok (r == 0 && ev.raw_code == CLD_EXITED && ev.raw_status == 128 + SIGSEGV,
      "... and exits with 128+SIGSEGV (%d %d)", ev.raw_code, ev.raw_status);
  wsb_describe_exit (ev.raw_code, ev.raw_status, -1, d, sizeof d);
  is_str (r == 0 ? d : "", "exited with status 139",
          "wsb_describe_exit describes a plain exit");
  close (c.pidfd);
  close (c.chan);

  p = prof (ns_for (WARD_NS_PID));
  r = spawn_told (&p, &c, "x7", &ev);
  ok (r == 0 && ev.code == CLD_EXITED && ev.status == 7
      && ev.raw_code == CLD_EXITED && ev.raw_status == 7,
      "PID 1 exits with its actor's status 7 (%d %d)", ev.raw_code,
      ev.raw_status);
  close (c.pidfd);
  close (c.chan);

  p = prof (ns_for (WARD_NS_PID));
  r = spawn (&p, &c, &e);
  int sigs[] = { SIGTERM, SIGINT, SIGHUP, SIGUSR1, SIGUSR2 };
  for (int i = 0; i < 5; i++)
    {
      const char *a = r == 0 ? ask (c.chan, "s") : "";
      char want[32];
      snprintf (want, sizeof want, "got %d", sigs[i]);
      const char *got = "(not armed)";
      if (strcmp (a, "armed") == 0
          && syscall (SYS_pidfd_send_signal, c.pidfd, sigs[i], NULL, 0) == 0)
        got = answer_of (c.chan);
      is_str (got, want, "PID 1 forwards SIG%s to its actor",
              sigabbrev_np (sigs[i]));
    }
  if (r == 0)
    syscall (SYS_pidfd_send_signal, c.pidfd, SIGKILL, NULL, 0);
  r = r == 0 ? wait_exit (c.pid, &ev) : -1;
  ok (r == 0 && ev.raw_code == CLD_KILLED && ev.raw_status == SIGKILL,
      "SIGKILL on the pidfd ends PID 1 and its namespace");
  close (c.pidfd);
  close (c.chan);
}

static void
test_failures (void)
{
  ward_err e;
  wsb_child c;
  wsb_profile p = prof (ns_for (WARD_NS_UTS));
  p.hostname = "a-hostname-longer-than-the-sixty-four-bytes-the-kernel-takes-for-it";
  ward_err_clear (&e);
  int r = wsb_spawn (&p, &c, &e);
  ok (r < 0 && e.errnum == EINVAL
      && strcmp (e.msg, "sandbox: sethostname: Invalid argument") == 0,
      "a failing step names itself: %s", e.msg);

  p = prof (0);
  p.hostname = "x";
  ward_err_clear (&e);
  r = wsb_spawn (&p, &c, &e);
  ok (r < 0 && e.kind == WARD_E_INVALID && strstr (e.msg, "UTS") != NULL,
      "a hostname without a UTS namespace is refused: %s", e.msg);

  p = prof (1u << 20);
  ward_err_clear (&e);
  r = wsb_spawn (&p, &c, &e);
  ok (r < 0 && e.kind == WARD_E_INVALID, "unknown namespace bits are "
      "refused: %s", e.msg);

  const char *bad_env[] = { "NOEQUALS", NULL };
  p = prof (0);
  p.environ = bad_env;
  ward_err_clear (&e);
  r = wsb_spawn (&p, &c, &e);
  ok (r < 0 && e.kind == WARD_E_INVALID, "an environ entry without '=' is "
      "refused: %s", e.msg);

  p = prof (ns_for (WARD_NS_MOUNT));
  p.init_script = "error('boom')";
  p.init_len = strlen (p.init_script);
  p.init_name = "boom.lua";
  ward_err_clear (&e);
  r = wsb_spawn (&p, &c, &e);
  ok (r < 0 && strstr (e.msg, "sandbox: init script") != NULL
      && strstr (e.msg, "boom") != NULL,
      "a failing init script aborts the spawn: %s", e.msg);

  size_t big = WSB_INIT_MAX;
  char *s = malloc (big + 1);
  memset (s, '-', big);
  s[big - 1] = '\n';
  p = prof (ns_for (WARD_NS_MOUNT));
  p.init_script = s;
  p.init_len = big;
  ward_err_clear (&e);
  r = spawn (&p, &c, &e);
  is_int (r, 0, "an init script of WSB_INIT_MAX bytes travels in chunks");
  if (r == 0)
    finish (&c);
  p.init_len = big + 1;
  s[big] = '\n';
  ward_err_clear (&e);
  r = wsb_spawn (&p, &c, &e);
  ok (r < 0 && e.kind == WARD_E_INVALID, "one byte more is refused: %s",
      e.msg);
  free (s);
}

struct thr { int ok; };

static void *
spawner (void *arg)
{
  struct thr *t = arg;
  for (int i = 0; i < 6; i++)
    {
      ward_err e;
      wsb_child c;
      wsb_profile p = prof (i % 2 ? ns_for (WARD_NS_PID) : 0);
      if (wsb_spawn (&p, &c, &e) < 0)
        {
          printf ("# spawn: %s\n", e.msg);
          continue;
        }
      const char *got = ask (c.chan, "p");
      int good = (i % 2) ? strcmp (got, "2 1") == 0 : atoi (got) == c.pid;
      if (!good)
        printf ("# child %d answered `%s`\n", (int) c.pid, got);
      t->ok += good;
      finish (&c);
    }
  return NULL;
}

static void
test_threads (void)
{
  pthread_t th[3];
  struct thr t[3] = { { 0 }, { 0 }, { 0 } };
  for (int i = 0; i < 3; i++)
    pthread_create (&th[i], NULL, spawner, &t[i]);
  int total = 0;
  for (int i = 0; i < 3; i++)
    {
      pthread_join (th[i], NULL);
      total += t[i].ok;
    }
  is_int (total, 18, "three threads spawn six children each at once");
}

static long long
median_start (unsigned ns, int full, int n, int first_message)
{
  long long *t = calloc ((size_t) n, sizeof *t);
  int good = 0;
  for (int i = 0; i < n; i++)
    {
      ward_err e;
      wsb_child c;
      wsb_profile p = prof (ns);
      if (full)
        {
          p.seccomp = WSB_SECCOMP_DEFAULT;
          p.init_script = "local x = init.arg";
          p.init_len = strlen (p.init_script);
          p.limits.nofile = 64;
        }
      long long t0 = now_us ();
      if (wsb_spawn (&p, &c, &e) < 0)
        {
          printf ("# %s\n", e.msg);
          continue;
        }
      if (first_message)
        ask (c.chan, "h");
      t[good++] = now_us () - t0;
      finish (&c);
    }
  qsort (t, (size_t) good, sizeof *t, cmp_ll);
  long long m = good == n ? t[n / 2] : -1;
  free (t);
  return m;
}

static void
test_latency (void)
{
  /* the figures are printed; the bound only catches a spawn that waits on
   * something (a generous second, scaled: a loaded machine is slow) */
  long long bound = tap_ms (1000) * 1000;
  long long m = median_start (ALL6, 0, 41, 0);
  printf ("# start to ready, six namespaces: median %lld us\n", m);
  ok (m > 0 && m < bound, "41 spawns with all six namespaces (median under %lld ms)",
      bound / 1000);
  m = median_start (ALL6, 1, 41, 1);
  printf ("# start to first message, six namespaces + seccomp + caps + "
          "init: median %lld us\n", m);
  ok (m > 0 && m < bound, "41 spawns with the full profile (median under %lld ms)",
      bound / 1000);
}

static void
test_supervisor_gone (void)
{
  ward_err e;
  wsb_child c;
  ok (wsb_supervisor_running (), "the supervisor is running");
  kill (wsb_supervisor_pid (), SIGKILL);
  waitpid (wsb_supervisor_pid (), NULL, 0);
  ok (!wsb_supervisor_running (), "wsb_supervisor_running sees it die");
  wsb_profile p = prof (0);
  ward_err_clear (&e);
  int r = wsb_spawn (&p, &c, &e);
  ok (r < 0 && e.kind == WARD_E_UNAVAILABLE, "then wsb_spawn fails: %s",
      e.msg);
  wsb_exit ev;
  ward_err_clear (&e);
  while ((r = wsb_next_exit (&ev, &e)) == 1)
    ;
  ok (r < 0 && e.kind == WARD_E_UNAVAILABLE, "and wsb_next_exit: %s", e.msg);
  wsb_supervisor_stop ();
  ward_err_clear (&e);
  r = wsb_spawn (&p, &c, &e);
  ok (r < 0 && e.kind == WARD_E_UNAVAILABLE,
      "after wsb_supervisor_stop too: %s", e.msg);
}

int
main (void)
{
  ward_err e;
  is_root = geteuid () == 0;
  test_pid = getpid ();
  setvbuf (stdout, NULL, _IOLBF, 0);
  plan (73);
  printf ("# running as uid %d\n", (int) geteuid ());

  test_lifetime ();

  /* Give the children a shared root to inherit, so that making it private
   * can be seen. */
  if (is_root && (unshare (CLONE_NEWNS) < 0
                  || mount (NULL, "/", NULL, MS_REC | MS_SHARED, NULL) < 0))
    printf ("# could not make a shared root: %s\n", strerror (errno));

  is_int (wsb_supervisor_start (probe_entry, &e), 0, "the supervisor starts");
  ok (wsb_supervisor_start (probe_entry, &e) < 0 && e.kind == WARD_E_INVALID,
      "only once");
  test_plain ();
  test_namespaces ();
  test_contents ();
  test_exits_and_signals ();
  test_failures ();
  test_threads ();
  test_latency ();
  test_supervisor_gone ();
  return done ();
}
