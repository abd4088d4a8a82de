/* bench-fleet-audit.c -- the audit trail's insert rate into PostgreSQL
 * (issue 15: >= 50k denials/s from one host, end to end) beside the
 * SQLite writer's, measured in the same run, rounds alternating.
 *
 * Each round is one engine (ward_policy_init) auditing N denials, every
 * one on a resource of its own (no coalescing) with folding off (every
 * denial a row), submitted by one thread as fast as the gate takes them;
 * the time runs from the first denial to the end of ward_policy_shutdown,
 * which returns once every record is committed: into the SQLite file, or
 * into PostgreSQL through the run's spool (the writer's commits, then the
 * shipper's COPYs, overlapping while the flood goes on). The PostgreSQL
 * rows are counted afterwards: the rate only counts when all arrived.
 * Usage: bench-fleet-audit CONNINFO DIR [N [ROUNDS]] (default 200000, 3);
 * tests/pg/bench-fleet-audit.sh starts the server (make bench-fleet-audit). */
#include "config.h"
#include "audit.h"
#include "wpg.h"
#include "wpol.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double
now_s (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static const ward_attrs at = { "{ward:main|0x00001}", "ward:main", "", NULL, NULL, NULL };
static const ward_actor actor = { "bench", NULL, 0, NULL, 0 };
static const char *dir;

static int
cmp_d (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return x < y ? -1 : x > y;
}

static long long
pg_rows (const char *conninfo)
{
  ward_err err;
  PGconn *c = wpg_connect (conninfo, &err);
  if (c == NULL)
    {
      fprintf (stderr, "bench-fleet-audit: %s\n", err.msg);
      exit (1);
    }
  /* none before the first run made the table */
  PGresult *r = PQexec (c, "SELECT to_regclass('ward.audit') IS NOT NULL");
  int there = PQresultStatus (r) == PGRES_TUPLES_OK && PQgetvalue (r, 0, 0)[0] == 't';
  PQclear (r);
  if (!there)
    {
      PQfinish (c);
      return 0;
    }
  r = PQexec (c, "SELECT coalesce(sum(count), 0) FROM audit");
  long long n = PQresultStatus (r) == PGRES_TUPLES_OK ? atoll (PQgetvalue (r, 0, 0)) : -1;
  PQclear (r);
  PQfinish (c);
  return n;
}

/* One round: n denials audited to dest. Records per second. */
static double
round_once (const char *dest, long n)
{
  static char pf[600], spool[600];
  snprintf (pf, sizeof pf, "%s/bench.policy", dir);
  snprintf (spool, sizeof spool, "%s/spool", dir);
  FILE *f = fopen (pf, "w");
  if (f == NULL)
    exit (1);
  fputs ("policy \"b\" {\n  allow fs.read on \"/nonexistent\";\n}\n", f);
  fclose (f);
  const char *files[2] = { pf, NULL };
  ward_policy_opts o;
  memset (&o, 0, sizeof o);
  o.policy_files = files;
  o.audit_path = dest;
  o.audit_spool = spool;
  o.audit_fold = 1ull << 40;      /* every denial a row */
  ward_err err;
  if (ward_policy_init (&o, &err) < 0)
    {
      fprintf (stderr, "bench-fleet-audit: %s\n", err.msg);
      exit (1);
    }
  char res[32];
  double t0 = now_s ();
  for (long i = 0; i < n; i++)
    {
      snprintf (res, sizeof res, "r%ld", i);
      ward_authorize (&actor, "process.send", res, &at);
    }
  double tf = now_s ();
  ward_policy_shutdown ();
  double t1 = now_s ();
  if (getenv ("BENCH_DEBUG"))
    fprintf (stderr, "%s: flood %.3f s, end %.3f s\n", dest, tf - t0, t1 - tf);
  wpol_audit_counts c;
  wpol_audit_get_counts (&c);
  if (c.lost || c.written + c.coalesced != (unsigned long long) n)
    {
      fprintf (stderr, "bench-fleet-audit: %llu written, %llu lost of %ld\n",
               (unsigned long long) c.written, (unsigned long long) c.lost, n);
      exit (1);
    }
  return n / (t1 - t0);
}

int
main (int argc, char **argv)
{
  if (argc < 3)
    {
      fprintf (stderr, "usage: bench-fleet-audit CONNINFO DIR [N [ROUNDS]]\n");
      return 2;
    }
  const char *conninfo = argv[1];
  dir = argv[2];
  long n = argc > 3 ? atol (argv[3]) : 200000;
  int rounds = argc > 4 ? atoi (argv[4]) : 3;
  if (n <= 0 || rounds <= 0 || rounds > 50)
    return 2;
  double sq[50], pg[50];
  long long before = pg_rows (conninfo);
  for (int r = 0; r < rounds; r++)
    {
      char db[700];
      snprintf (db, sizeof db, "%s/sqlite-%d.db", dir, r);
      sq[r] = round_once (db, n);
      pg[r] = round_once (conninfo, n);
    }
  long long after = pg_rows (conninfo);
  if (after - before != (long long) n * rounds)
    {
      fprintf (stderr, "bench-fleet-audit: %lld records in PostgreSQL, want %lld\n",
               after - before, (long long) n * rounds);
      return 1;
    }
  qsort (sq, (size_t) rounds, sizeof *sq, cmp_d);
  qsort (pg, (size_t) rounds, sizeof *pg, cmp_d);
  double s = sq[rounds / 2], p = pg[rounds / 2];
  printf ("audit insert rate, %ld distinct denials a round, medians of %d rounds "
          "(alternating), end to end:\n", n, rounds);
  printf ("  %-44s %10.0f records/s\n", "SQLite (--audit FILE)", s);
  printf ("  %-44s %10.0f records/s\n", "PostgreSQL (--audit postgresql://, spool)", p);
  printf ("  %-44s %10.2f\n", "ratio PostgreSQL / SQLite", p / s);
  printf ("  %-44s %10d records/s   met: %s\n", "target (issue 15)", 50000,
          p >= 50000 ? "yes" : "no");
  printf ("  all %lld records of the PostgreSQL rounds arrived, once\n", after - before);
  return 0;
}
