/* sandbox-bench.c -- sandboxed process start-up and channel round trip,
 * beside bubblewrap measured in the same run (DESIGN.md section 6).
 *
 *   start       wsb_spawn() with the strict profile (six namespaces, the
 *               default seccomp filter, no capabilities, rlimits, the
 *               empty-root init script) until the child's first message
 *   round trip  a 16-byte frame to a child's entry and its echo back
 *   raw         the same 16-byte ping-pong between two plain processes
 *               over an AF_UNIX SOCK_SEQPACKET socketpair (fork, no
 *               sandbox, no runtime): the floor any round trip to a child
 *               stands beside
 *   bwrap       fork + exec + wait of `bwrap --unshare-all --die-with-parent
 *               --ro-bind / / --dev /dev --proc /proc /bin/true`
 *
 * Usage: sandbox-bench [-n RUNS] [-r ROUNDTRIPS] [--init FILE]
 * (defaults 200, 20000, $WARD_SRCDIR/init/empty-root.lua). Prints medians
 * and the ratios; always exits 0 unless the sandbox cannot be built.
 * sandbox-bench --raw-rt [ROUNDTRIPS] prints only the raw socketpair round
 * trip's median (us), for the runtime-level figure of tests/bench/sbx.lua
 * (make bench-sandbox passes it to that script). */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sandbox.h"
#include "bstat.h"

#ifndef WARD_TOP_SRCDIR
#define WARD_TOP_SRCDIR "."
#endif

/* The child's entry: say hello, then echo every frame until EOF. */
static int
bench_entry (int chan)
{
  char buf[256];
  if (send (chan, "ready", 5, MSG_NOSIGNAL) != 5)
    return 1;
  for (;;)
    {
      ssize_t n = recv (chan, buf, sizeof buf, 0);
      if (n <= 0)
        return n < 0;
      if (send (chan, buf, (size_t) n, MSG_NOSIGNAL) != n)
        return 1;
    }
}

static int
wait_readable (int fd, int ms)
{
  struct pollfd p = { .fd = fd, .events = POLLIN };
  int r;
  while ((r = poll (&p, 1, ms)) < 0 && errno == EINTR)
    ;
  return r;
}

/* Let a child go: EOF on its channel ends its entry; wait for it, and take
 * the supervisor's exit records so that none pile up. */
static void
finish (wsb_child *c)
{
  close (c->chan);
  if (wait_readable (c->pidfd, 5000) <= 0)
    fprintf (stderr, "sandbox-bench: child %d did not end\n", (int) c->pid);
  close (c->pidfd);
  wsb_exit x;
  ward_err err;
  while (wsb_next_exit (&x, &err) == 1)
    ;
}

/* Median µs from wsb_spawn() to the child's first message, over runs
 * spawns (after runs/10 warm-up ones); -1 if a spawn fails. v holds runs. */
static double
start_median_paced (const wsb_profile *p, size_t runs, double *v, double *p10, double *p90,
                    unsigned pause_us)
{
  size_t warm = runs / 10;
  char buf[64];
  ward_err err;
  for (size_t i = 0; i < warm + runs; i++)
    {
      wsb_child c;
      if (pause_us)
        usleep (pause_us);      /* a warm profile's next child is ready by now */
      double t0 = bench_now_us ();
      if (wsb_spawn (p, &c, &err) < 0)
        {
          fprintf (stderr, "sandbox-bench: wsb_spawn: %s\n", err.msg);
          return -1;
        }
      if (wait_readable (c.chan, 5000) <= 0 || recv (c.chan, buf, sizeof buf, 0) != 5)
        {
          fprintf (stderr, "sandbox-bench: no first message from the child\n");
          finish (&c);
          return -1;
        }
      double t = bench_now_us () - t0;
      if (i >= warm)
        v[i - warm] = t;
      finish (&c);
    }
  return bench_median (v, runs, p10, p90);
}

/* Median µs of rts round trips of a 16-byte datagram between this process
 * and a forked echo over a SOCK_SEQPACKET socketpair (after rts/10
 * warm-up ones); -1 on a failure. v holds rts. */
static double
raw_median (size_t rts, double *v, double *p10, double *p90)
{
  int sv[2];
  if (socketpair (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
    return -1;
  pid_t pid = fork ();
  if (pid < 0)
    {
      close (sv[0]);
      close (sv[1]);
      return -1;
    }
  if (pid == 0)
    {
      close (sv[0]);
      char b[256];
      ssize_t n;
      while ((n = recv (sv[1], b, sizeof b, 0)) > 0)
        if (send (sv[1], b, (size_t) n, MSG_NOSIGNAL) != n)
          break;
      _exit (0);
    }
  close (sv[1]);
  char buf[64];
  memset (buf, 'x', 16);
  int ok = 1;
  for (size_t i = 0; ok && i < rts / 10 + rts; i++)
    {
      double t0 = bench_now_us ();
      if (send (sv[0], buf, 16, MSG_NOSIGNAL) != 16 || recv (sv[0], buf, sizeof buf, 0) != 16)
        ok = 0;
      else if (i >= rts / 10)
        v[i - rts / 10] = bench_now_us () - t0;
    }
  close (sv[0]);
  while (waitpid (pid, NULL, 0) < 0 && errno == EINTR)
    ;
  return ok ? bench_median (v, rts, p10, p90) : -1;
}

static double
start_median (const wsb_profile *p, size_t runs, double *v, double *p10, double *p90)
{
  return start_median_paced (p, runs, v, p10, p90, 0);
}

static char *
slurp (const char *path, size_t *len)
{
  FILE *f = fopen (path, "rb");
  if (!f)
    return NULL;
  static char buf[1 << 16];
  *len = fread (buf, 1, sizeof buf, f);
  fclose (f);
  return buf;
}

/* One bwrap run; its wall time in µs, or -1. */
static double
bwrap_once (void)
{
  static char *const argv[] = { "bwrap", "--unshare-all", "--die-with-parent",
    "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "/bin/true", NULL };
  double t0 = bench_now_us ();
  pid_t p = fork ();
  if (p == 0)
    {
      execvp (argv[0], argv);
      _exit (127);
    }
  int st;
  if (p < 0 || waitpid (p, &st, 0) < 0)
    return -1;
  double t = bench_now_us () - t0;
  return WIFEXITED (st) && WEXITSTATUS (st) == 0 ? t : -1;
}

int
main (int argc, char **argv)
{
  size_t runs = 200, rts = 20000;
  const char *init = NULL;
  char pathbuf[4096];
  if (argc >= 2 && strcmp (argv[1], "--raw-rt") == 0)
    {
      size_t n = argc >= 3 ? strtoul (argv[2], NULL, 10) : rts;
      double *rv = calloc (n < 100 ? 100 : n, sizeof *rv), a, b;
      double raw = rv ? raw_median (n < 100 ? 100 : n, rv, &a, &b) : -1;
      free (rv);
      if (raw < 0)
        {
          fprintf (stderr, "sandbox-bench: raw round trip: %s\n", strerror (errno));
          return 1;
        }
      printf ("%.2f\n", raw);
      return 0;
    }
  for (int i = 1; i < argc; i++)
    if (strcmp (argv[i], "-n") == 0 && i + 1 < argc)
      runs = strtoul (argv[++i], NULL, 10);
    else if (strcmp (argv[i], "-r") == 0 && i + 1 < argc)
      rts = strtoul (argv[++i], NULL, 10);
    else if (strcmp (argv[i], "--init") == 0 && i + 1 < argc)
      init = argv[++i];
    else
      {
        fprintf (stderr, "usage: sandbox-bench [-n RUNS] [-r ROUNDTRIPS] [--init FILE]\n");
        return 2;
      }
  if (runs < 10)
    runs = 10;
  if (rts < 100)
    rts = 100;
  if (!init)
    {
      const char *src = getenv ("WARD_SRCDIR");
      snprintf (pathbuf, sizeof pathbuf, "%s/init/empty-root.lua",
                src && *src ? src : WARD_TOP_SRCDIR);
      init = pathbuf;
    }
  size_t init_len;
  const char *script = slurp (init, &init_len);
  if (!script)
    {
      fprintf (stderr, "sandbox-bench: cannot read %s: %s\n", init, strerror (errno));
      return 1;
    }
  ward_err err;
  if (wsb_supervisor_start (bench_entry, &err) < 0)
    {
      fprintf (stderr, "sandbox-bench: %s\n", err.msg);
      return 1;
    }
  wsb_profile p = {
    .limits.namespaces = WARD_NS_USER | WARD_NS_PID | WARD_NS_NET | WARD_NS_MOUNT
      | WARD_NS_IPC | WARD_NS_UTS,
    .seccomp = WSB_SECCOMP_DEFAULT,
    .limits.capabilities = 0,
#if defined(__SANITIZE_ADDRESS__)
    .limits.memory = 0,         /* RLIMIT_AS cannot hold ASan's shadow */
#else
    .limits.memory = 64ULL << 20,
#endif
    .limits.nofile = 32,
    .limits.children = 16,
    .init_script = script,
    .init_len = init_len,
    .init_name = "empty-root.lua",
    .init_arg_fd = -1,
    .stdin_fd = -1, .stdout_fd = -1, .stderr_fd = -1,
  };

  /* ---- start: spawn to first message ---- */
  double *v = calloc (runs > rts ? runs : rts, sizeof *v);
  size_t warm = runs / 10;
  char buf[64];
  double s10, s90, start = start_median (&p, runs, v, &s10, &s90);
  if (start < 0)
    return 1;
  /* the same profile kept warm (as ward's hosts keep theirs): spawns 10 ms
   * apart, each taking the child built ahead */
  wsb_profile pw = p;
  pw.warm = 1;
  double w10, w90, wstart = start_median_paced (&pw, runs / 2 > 20 ? runs / 2 : 20, v, &w10,
                                                &w90, 10000);
  if (wstart < 0)
    return 1;

  /* ---- where the start-up time goes: a few partial profiles ---- */
  static const struct { const char *name; unsigned ns; int sec, init, lim; } part[] = {
    { "no namespaces, filter or init", 0, 0, 0, 0 },
    { "user ns", WARD_NS_USER, 0, 0, 0 },
    { "user + pid ns", WARD_NS_USER | WARD_NS_PID, 0, 0, 0 },
    { "user + net ns", WARD_NS_USER | WARD_NS_NET, 0, 0, 0 },
    { "user + mount ns + init script", WARD_NS_USER | WARD_NS_MOUNT, 0, 1, 0 },
    { "user ns + seccomp filter", WARD_NS_USER, 1, 0, 0 },
    { "all six ns, no filter or init", 63, 0, 0, 0 },
  };
  enum { NPART = sizeof part / sizeof part[0] };
  double partv[NPART];
  size_t pruns = runs / 4 < 20 ? 20 : runs / 4;
  for (size_t i = 0; i < NPART; i++)
    {
      wsb_profile q = p;
      double a, b;
      q.limits.namespaces = part[i].ns;
      q.seccomp = part[i].sec ? WSB_SECCOMP_DEFAULT : WSB_SECCOMP_NONE;
      if (!part[i].init)
        {
          q.init_script = NULL;
          q.init_len = 0;
        }
      if (!part[i].lim)
        {
          q.limits.memory = 0;
          q.limits.nofile = -1;
          q.limits.children = -1;
        }
      partv[i] = start_median (&q, pruns, v, &a, &b);
    }

  /* ---- round trip ---- */
  wsb_child c;
  if (wsb_spawn (&p, &c, &err) < 0 || wait_readable (c.chan, 5000) <= 0
      || recv (c.chan, buf, sizeof buf, 0) != 5)
    {
      fprintf (stderr, "sandbox-bench: round-trip child: %s\n", err.msg);
      return 1;
    }
  memset (buf, 'x', 16);
  for (size_t i = 0; i < rts / 10 + rts; i++)
    {
      double t0 = bench_now_us ();
      if (send (c.chan, buf, 16, MSG_NOSIGNAL) != 16 || recv (c.chan, buf, sizeof buf, 0) != 16)
        {
          fprintf (stderr, "sandbox-bench: round trip: %s\n", strerror (errno));
          return 1;
        }
      double t = bench_now_us () - t0;
      if (i >= rts / 10)
        v[i - rts / 10] = t;
    }
  double r10, r90, rt = bench_median (v, rts, &r10, &r90);
  finish (&c);
  wsb_supervisor_stop ();
  /* the floor beside it, in the same run */
  double q10 = 0, q90 = 0, raw = raw_median (rts, v, &q10, &q90);

  /* ---- bubblewrap, same run ---- */
  size_t nb = 0;
  double b10 = 0, b90 = 0, bw = -1;
  for (size_t i = 0; i < warm + runs; i++)
    {
      double t = bwrap_once ();
      if (t < 0)
        {
          fprintf (stderr, "sandbox-bench: bwrap failed or is missing: no comparison\n");
          nb = 0;
          break;
        }
      if (i >= warm)
        v[nb++] = t;
    }
  if (nb)
    bw = bench_median (v, nb, &b10, &b90);

  printf ("sandbox benchmarks: median of %zu starts (+%zu warm-up), %zu round trips; "
          "strict profile\n\n", runs, warm, rts);
  printf ("%-34s %10s %10s %8s  %-22s %s\n", "measure", "ward", "peer", "ratio",
          "target", "met");
  char ratio[32] = "-", bws[32] = "-";
  const char *met = start <= 1000 ? "yes" : "no";
  if (bw > 0)
    {
      snprintf (ratio, sizeof ratio, "%.1fx", bw / start);
      snprintf (bws, sizeof bws, "%.0f", bw);
      if (bw / start < 5)
        met = "no";
    }
  else
    met = start <= 1000 ? "?" : "no";
  printf ("%-34s %10.0f %10s %8s  %-22s %s\n", "sandboxed start to 1st msg (us)",
          start, bws, ratio, "<= 1000 us, >= 5x", met);
  {
    char wr[32] = "-";
    if (bw > 0)
      snprintf (wr, sizeof wr, "%.1fx", bw / wstart);
    printf ("%-34s %10.0f %10s %8s  %-22s %s\n", "... kept warm, 10 ms apart (us)", wstart,
            bw > 0 ? "" : "-", wr, "<= 1000 us, >= 5x",
            wstart <= 1000 && bw > 0 && bw / wstart >= 5 ? "yes" : "no");
  }
  printf ("%-34s %10.2f %10s %8s  %-22s %s\n", "round trip to the child (us)", rt,
          "-", "-", "(the raw's, below)", "-");
  {
    char rs[32] = "-", rr[32] = "-";
    if (raw > 0)
      {
        snprintf (rs, sizeof rs, "%.2f", raw);
        snprintf (rr, sizeof rr, "%.2fx", rt / raw);
      }
    printf ("%-34s %10.2f %10s %8s  %-22s %s\n", "... beside the raw socketpair (us)", rt,
            rs, rr, "<= 2x raw", raw <= 0 ? "?" : rt <= 2 * raw ? "yes" : "no");
  }
  printf ("\nwhere start-up goes (median of %zu starts each, us):\n", pruns);
  for (size_t i = 0; i < NPART; i++)
    printf ("  %-36s %8.0f\n", part[i].name, partv[i]);
  printf ("\nspread (10th..90th percentile): start %.0f..%.0f us, round trip "
          "%.2f..%.2f us", s10, s90, r10, r90);
  if (raw > 0)
    printf (", raw socketpair %.2f..%.2f us", q10, q90);
  if (bw > 0)
    printf (", bwrap %.0f..%.0f us", b10, b90);
  printf ("\npeer = bwrap for the starts, ratio = bwrap median / ward median (how many\n"
          "times faster ward starts);\n"
          "for the round trip, ward / the raw socketpair round trip (two plain processes\n"
          "ping-ponging 16 bytes over SOCK_SEQPACKET, measured in the same run)\n");
  free (v);
  return 0;
}
