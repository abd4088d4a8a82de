/* policy-scale.c -- the policy engine at scale (make bench-scale): for each
 * policy file given (tests/bench/gen-policy.sh writes them), the time to
 * load it (read, parse, check and compile the index: wpol_engine_load_files,
 * the path of `ward run --policy`), and the time of a decision, cached and
 * uncached, over a mix of requests of the file's actors (allowed by a
 * literal rule, by a glob, by a condition; denied by a rule, by no rule;
 * of an actor declared by name and of one matched by a pattern).
 * Each request's decision is checked against what the file says, so a
 * figure is never that of a wrong answer. Times are the CPU time of the
 * process (one thread), medians of 5 loads. Prints one table row per figure
 * (name, ward, target, met) in the format of run-bench.sh.
 *
 * usage: policy-scale [-n ITERS] FILE...   (exit 1 when a decision is wrong
 * or a file does not load) */
#include "config.h"
#include "wpol.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* CPU time of this (one-threaded) process: on a machine shared with other
 * work, the time slices others take are not counted as the engine's */
static double
now_ns (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* One request and the decision the generated policy gives it. */
typedef struct req {
  char actor[32], action[40], resource[48], pid[24], parent[24], tactor[32], tparent[24];
  ward_attrs at;
  ward_decision want;
} req;

#define NKINDS 11

/* Request i of a policy with ntenants tenants (gen-policy.sh's shape). */
static void
make_req (req *q, size_t i, size_t ntenants)
{
  size_t t = (i * 7919 / NKINDS) % ntenants, a = (i / NKINDS) % 10, k = i % 12;
  memset (q, 0, sizeof *q);
  snprintf (q->actor, sizeof q->actor, "t%zu.app%zu", t, a);
  snprintf (q->pid, sizeof q->pid, "{ward:main|0x%zx}", 100 + i);
  snprintf (q->parent, sizeof q->parent, "{ward:main|0x%zx}", 50 + i);
  q->at = (ward_attrs) { q->pid, "ward:main", q->parent, NULL, NULL, NULL };
  const char *action = "process.spawn";
  q->want = WARD_ALLOW;
  switch (i % NKINDS)
    {
    case 0:                     /* a literal rule of its own */
      snprintf (q->resource, sizeof q->resource, "t%zu.app%zu:w%zu", t, a, k);
      break;
    case 1:                     /* its own glob */
      action = "process.send";
      snprintf (q->resource, sizeof q->resource, "t%zu.app%zu:x%zu", t, a, i);
      break;
    case 2:                     /* answering its parent (a condition) */
      action = "process.send";
      snprintf (q->resource, sizeof q->resource, "%s", q->parent);
      break;
    case 3:                     /* a tenant's secret: denied by a rule */
      action = "process.registry.lookup";
      snprintf (q->resource, sizeof q->resource, "t%zu.secret.db%zu", t, k);
      q->want = WARD_DENY;
      break;
    case 4:                     /* a rule every tenant has */
      action = "process.host";
      snprintf (q->resource, sizeof q->resource, "ward:main");
      break;
    case 5:                     /* another tenant's application: no rule */
      snprintf (q->resource, sizeof q->resource, "t%zu.app%zu:w%zu", (t + 1) % ntenants, a, k);
      q->want = ntenants > 1 ? WARD_DENY : WARD_ALLOW;
      break;
    case 6:                     /* its own child (target attributes) */
      action = "process.monitor";
      snprintf (q->resource, sizeof q->resource, "{ward:main|0x%zx}", 5000 + i);
      snprintf (q->tactor, sizeof q->tactor, "t%zu.app%zu", t, a);
      snprintf (q->tparent, sizeof q->tparent, "%s", q->pid);
      q->at.target_actor = q->tactor;
      q->at.target_host = "ward:main";
      q->at.target_parent = q->tparent;
      break;
    case 7:                     /* a module */
      action = "lua.require";
      snprintf (q->resource, sizeof q->resource, "t%zu.mod%zu", t, a + 10);
      break;
    case 8:                     /* a job, under a glob of two segments */
      action = "process.exec";
      snprintf (q->resource, sizeof q->resource, "t%zu.app%zu.jobs.n%zu.run", t, a, k);
      break;
    case 10:                    /* a plugin: an actor pattern's scope */
      snprintf (q->actor, sizeof q->actor, "t%zu.plugin.p%zu", t, k);
      action = "process.host";
      snprintf (q->resource, sizeof q->resource, "ward:main");
      break;
    default:                    /* a name it does not hold: no rule */
      action = "process.registry.register";
      snprintf (q->resource, sizeof q->resource, "t%zu.app%zu.other", t, a);
      q->want = WARD_DENY;
      break;
    }
  snprintf (q->action, sizeof q->action, "%s", action);
}

static int
cmp_double (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return x < y ? -1 : x > y;
}

static void
row (const char *name, double v, const char *target, double lim)
{
  printf ("%-32s %12.2f %12s %8s  %-21s %-4s\n", name, v, "-", "-", target,
          lim <= 0 ? "-" : v <= lim ? "yes" : "no");
}

/* Time `iters` decisions over q[0..nq) on e: ns per decision; -1 when one
 * is wrong. */
static double
decide_ns (wpol_engine *e, req *q, size_t nq, long iters)
{
  double t0 = now_ns ();
  long wrong = 0;
  for (long i = 0; i < iters; i++)
    {
      req *r = &q[(size_t) i % nq];
      ward_actor a = { r->actor, NULL, 0, NULL, 0 };
      if (wpol_decide (e, &a, r->action, r->resource, &r->at).decision != r->want && !wrong++)
        fprintf (stderr, "policy-scale: %s %s on %s: %s, the policy says %s\n", r->actor,
                 r->action, r->resource, r->want ? "denied" : "allowed",
                 r->want ? "allow" : "deny");
    }
  double ns = (now_ns () - t0) / iters;
  return wrong ? -1 : ns;
}

static int
bench_file (const char *path, long iters)
{
  /* the number of tenants: one "common" policy each */
  FILE *f = fopen (path, "r");
  if (f == NULL)
    {
      perror (path);
      return -1;
    }
  size_t ntenants = 0, nrules = 0;
  char line[512];
  while (fgets (line, sizeof line, f))
    {
      ntenants += strstr (line, ".common\" {") != NULL;
      nrules += strncmp (line, "  allow ", 8) == 0 || strncmp (line, "  deny ", 7) == 0;
    }
  fclose (f);
  /* the requests name whole tenants only (the last may be cut short) */
  if (nrules / 210 < ntenants)
    ntenants = nrules / 210;
  if (ntenants == 0)
    {
      fprintf (stderr, "%s: not a file of gen-policy.sh\n", path);
      return -1;
    }
  /* load: median of 5 */
  double loads[5];
  wpol_engine *cached = NULL, *uncached = NULL;
  ward_err err;
  for (int i = 0; i < 5; i++)
    {
      wpol_engine *e = wpol_engine_new (i == 4 ? (size_t) -1 : 0, &err);
      wpol_diags d;
      wpol_diags_init (&d);
      double t0 = now_ns ();
      int rc = e ? wpol_engine_load_files (e, &path, 1, &d, &err) : -1;
      loads[i] = (now_ns () - t0) / 1e6;
      if (rc < 0)
        {
          wpol_diags_print (&d, stderr);
          fprintf (stderr, "%s: %s\n", path, err.msg);
          return -1;
        }
      wpol_diags_free (&d);
      if (i == 3)
        cached = e;
      else if (i == 4)
        uncached = e;
      else
        wpol_engine_free (e);
    }
  qsort (loads, 5, sizeof loads[0], cmp_double);
  /* cached: 64 requests again and again; uncached: 4096 distinct */
  size_t nq = 4096;
  req *q = calloc (nq, sizeof *q);
  if (q == NULL)
    return -1;
  for (size_t i = 0; i < nq; i++)
    make_req (&q[i], i, ntenants);
  decide_ns (cached, q, 64, 64);          /* fill the cache */
  double c = decide_ns (cached, q, 64, iters);
  double u = decide_ns (uncached, q, nq, iters / 10 > 0 ? iters / 10 : 1);
  char name[64], kr[16];
  snprintf (kr, sizeof kr, nrules >= 1000 ? "%zuk" : "%zu", nrules >= 1000 ? nrules / 1000 : nrules);
  snprintf (name, sizeof name, "policy load, %s rules (ms)", kr);
  row (name, loads[2], "(reported)", 0);
  if (c < 0 || u < 0)
    {
      fprintf (stderr, "%s: a decision differs from the policy's\n", path);
      return -1;
    }
  snprintf (name, sizeof name, "decision cached, %s rules (ns)", kr);
  row (name, c, "<= 100 ns", 100);
  snprintf (name, sizeof name, "decision uncached, %s (ns)", kr);
  row (name, u, "<= 2000 ns", 2000);
  free (q);
  wpol_engine_free (cached);
  wpol_engine_free (uncached);
  return 0;
}

int
main (int argc, char **argv)
{
  long iters = 2000000;
  int i = 1;
  if (argc > 2 && strcmp (argv[1], "-n") == 0)
    {
      iters = atol (argv[2]);
      i = 3;
    }
  if (i >= argc || iters <= 0)
    {
      fprintf (stderr, "usage: policy-scale [-n ITERS] FILE...\n");
      return 2;
    }
  int rc = 0;
  for (; i < argc; i++)
    rc |= bench_file (argv[i], iters) < 0;
  return rc;
}
