/* audit_pg.c -- `ward audit` on the fleet's trail (PostgreSQL, DESIGN
 * 3.4): the records every host shipped, read into the same rows as a
 * local trail's (audit_show.c prints both), with their hostname.
 *
 * Reading: the filters SQL can apply (time, run, host, denial, kind) go
 * into the query as parameters, never pasted; the patterns are matched
 * here, as for SQLite. One REPEATABLE READ READ ONLY transaction, the
 * rows streamed one by one (single-row mode), not held in one result.
 *
 * Following: LISTEN ward_audit (the shipper notifies after each commit)
 * with a read every second at the latest. Serials come from a sequence,
 * taken when a row is inserted, not when it is committed: a transaction
 * that took serial 10 may commit after one that took 11. So the follower
 * keeps the serials below the highest it has read that it has not seen
 * (gaps), reads them again with the new ones, and forgets a gap only when
 * every transaction that was running when it was noted has ended (the
 * snapshot's xmin has passed the xmax of a snapshot taken GRACE_MS after
 * the gap was noted (a transaction may take a serial a moment before it
 * gets a transaction id): then the serial is either visible or never will
 * be. That state lives here, not in the connection, so a follower that
 * lost its server resumes after it without a duplicate or a gap. */
#include "config.h"
#include "audit_cli.h"
#include "audit.h"
#include "wpol.h"
#include "wgrow.h"
#include "wpg.h"

#include <errno.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define TAIL_DEFAULT 10
#define WAIT_MS 1000              /* the fallback read, without a notification */
/* Reads at most this often however many notifications come: each host's
 * shipper notifies after each batch, and any role that may connect may
 * NOTIFY ward_audit in a loop; one read takes what they all committed. */
#define MIN_READ_MS 100
/* At start, serials this far below the highest are watched for
 * transactions still running then (when there are any). */
#define START_WINDOW 100000
#define MAX_GAPS 200000
#define MAX_PENDING 64
#define GRACE_MS 2000
#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 5000

#define COLS "serial, run, ts, ts_last, count, rule_line, store_version, resource_len, kind," \
  " decision, mode, actor, actor_meta, scope, action, resource, attrs, pid, host, reason," \
  " rule_policy, rule_file, rule_text, note, resource_sha256, hostname"
enum { C_ACTOR = 11, C_ACTION = 14, C_RESOURCE = 15, C_HOSTNAME = 25, C_N = 26 };

/* ---- queries ----------------------------------------------------------- */

/* A query and its parameters, all text. */
typedef struct pgq {
  char sql[2048];
  size_t len;
  const char *v[8];
  char buf[8][32];
  int n;
} pgq;

static void __attribute__ ((format (printf, 2, 3)))
q_add (pgq *q, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  int k = vsnprintf (q->sql + q->len, sizeof q->sql - q->len, fmt, ap);
  va_end (ap);
  if (k > 0)
    q->len += (size_t) k < sizeof q->sql - q->len ? (size_t) k : sizeof q->sql - q->len - 1;
}

/* $N of a new parameter s (kept by pointer) */
static int
q_str (pgq *q, const char *s)
{
  q->v[q->n] = s;
  return ++q->n;
}

static int
q_int (pgq *q, int64_t v)
{
  snprintf (q->buf[q->n], sizeof q->buf[0], "%" PRId64, v);
  return q_str (q, q->buf[q->n]);
}

static int
host_is_pattern (const char *h)
{
  return strpbrk (h, "*?[\\") != NULL;
}

/* The conditions of o that SQL applies, each " AND ...". --run last is
 * the newest run when the query runs. */
static void
q_filters (pgq *q, const wpol_aopts *o)
{
  if (o->since)
    q_add (q, " AND ts >= $%d", q_int (q, o->since));
  if (o->run_last)
    q_add (q, " AND run = (SELECT max(id) FROM " WPG_SCHEMA ".audit_runs)");
  else if (o->run)
    q_add (q, " AND run = $%d", q_int (q, o->run));
  if (o->host && !host_is_pattern (o->host))
    q_add (q, " AND hostname = $%d", q_str (q, o->host));
  if (o->denied)
    q_add (q, " AND (decision = 'deny' OR kind <> 'decision')");
  /* with a pattern: decisions, and the folded rows of the actor and
   * action patterns (they have no resource) */
  if (o->resource)
    q_add (q, " AND kind = 'decision'");
  else if (o->actor || o->action)
    q_add (q, " AND kind IN ('decision', 'folded')");
}

/* ---- rows -------------------------------------------------------------- */

/* The patterns matched here. */
typedef struct pats {
  wpol_arena a;
  const wpol_glob *actor, *action, *resource;
} pats;

static int
pats_compile (pats *p, const wpol_aopts *o)
{
  jmp_buf oom;
  memset (p, 0, sizeof *p);
  if (setjmp (oom))
    {
      p->a.oom = NULL;
      fprintf (stderr, "ward audit: out of memory\n");
      return -1;
    }
  p->a.oom = &oom;
  p->actor = o->actor ? wpol_glob_compile (&p->a, o->actor) : NULL;
  p->action = o->action ? wpol_glob_compile (&p->a, o->action) : NULL;
  p->resource = o->resource ? wpol_glob_compile (&p->a, o->resource) : NULL;
  p->a.oom = NULL;
  return 0;
}

static const char *
val (const PGresult *r, int i, int c)
{
  return PQgetisnull (r, i, c) ? NULL : PQgetvalue (r, i, c);
}

static int
pmatch (const wpol_glob *g, const char *s)
{
  return g == NULL || (s && wpol_glob_match (g, s));
}

/* Row i of r passes the patterns of o. */
static int
row_matches (const pats *p, const wpol_aopts *o, const PGresult *r, int i)
{
  return pmatch (p->actor, val (r, i, C_ACTOR)) && pmatch (p->action, val (r, i, C_ACTION))
         && pmatch (p->resource, val (r, i, C_RESOURCE))
         && wpol_acli_host_match (o, val (r, i, C_HOSTNAME));
}

/* Row i of r appended to out: 0, or -1 out of memory (said). */
static int
row_add (const PGresult *r, int i, wpol_arows *out)
{
  if (WARD_GROW (out->v, out->cap, out->n + 1, 64) < 0)
    goto oom;
  wpol_arow *w = &out->v[out->n];
  memset (w, 0, sizeof *w);
  int64_t *ints[WPOL_AROW_NINTS];
  wpol_acli_row_ints (w, ints);
  for (int c = 0; c < WPOL_AROW_NINTS; c++)
    *ints[c] = PQgetisnull (r, i, c) ? 0 : strtoll (PQgetvalue (r, i, c), NULL, 10);
  char **strs[WPOL_AROW_NSTRS];
  wpol_acli_row_strs (w, strs);
  out->n++;                       /* freed with the others when a copy fails */
  for (int c = 0; c < WPOL_AROW_NSTRS; c++)
    {
      const char *v = val (r, i, 8 + c);
      if (v && (*strs[c] = strdup (v)) == NULL)
        goto oom;
    }
  return 0;
oom:
  fprintf (stderr, "ward audit: out of memory\n");
  return -1;
}

/* ---- connecting -------------------------------------------------------- */

static void
say (const char *cmd, const char *msg)
{
  fprintf (stderr, "ward audit%s%s: %s\n", cmd[0] ? " " : "", cmd, msg);
}

/* A connection to o->db with a ward schema that holds the audit trail;
 * NULL, said on stderr. */
static PGconn *
connect_trail (const wpol_aopts *o, const char *cmd)
{
  ward_err err;
  PGconn *c = wpg_connect (o->db, &err);
  if (c == NULL || wpg_schema (c, 0, WPG_NEED_AUDIT, &err) < 0)
    {
      say (cmd, err.msg);
      PQfinish (c);
      return NULL;
    }
  return c;
}

/* --run N names a run of the trail: 0, or -1 said. */
static int
check_run (PGconn *c, const wpol_aopts *o, const char *cmd)
{
  if (!o->run)
    return 0;
  char n[32], name[256];
  snprintf (n, sizeof n, "%" PRId64, o->run);
  const char *v[1] = { n };
  PGresult *r = PQexecParams (c, "SELECT (SELECT count(*) FROM " WPG_SCHEMA ".audit_runs"
                              " WHERE id = $1), (SELECT coalesce(max(id), 0) FROM "
                              WPG_SCHEMA ".audit_runs)", 1, NULL, v, NULL, NULL, 0);
  if (PQresultStatus (r) != PGRES_TUPLES_OK || PQntuples (r) != 1)
    {
      ward_err err;
      wpg_fail (c, r, &err, "reading the runs");
      PQclear (r);
      say (cmd, err.msg);
      return -1;
    }
  int found = atoi (PQgetvalue (r, 0, 0)) > 0;
  long long max = strtoll (PQgetvalue (r, 0, 1), NULL, 10);
  PQclear (r);
  if (found)
    return 0;
  wpg_conn_name (c, name, sizeof name);
  if (max > 0)
    fprintf (stderr, "ward audit%s%s: there is no run %s in %s (its runs are numbered up to "
             "%lld; `--run last` is the newest)\n", cmd[0] ? " " : "", cmd, n, name, max);
  else
    fprintf (stderr, "ward audit%s%s: there is no run %s in %s: no run has been recorded "
             "there\n", cmd[0] ? " " : "", cmd, n, name);
  return -1;
}

/* Run q in single-row mode; each row that passes the patterns goes to
 * out (when keep says so); *top gets the highest serial (first column)
 * of all rows. 0, or -1 with err (lost: the connection is gone). */
static int
stream (PGconn *c, const pgq *q, const pats *p, const wpol_aopts *o, wpol_arows *out,
        int (*keep) (void *, const PGresult *, int), void *arg, ward_err *err)
{
  if (!PQsendQueryParams (c, q->sql, q->n, NULL, q->v, NULL, NULL, 0))
    return wpg_fail (c, NULL, err, "reading the audit trail");
  PQsetSingleRowMode (c);
  int rc = 0;
  PGresult *r;
  while ((r = PQgetResult (c)) != NULL)
    {
      ExecStatusType st = PQresultStatus (r);
      if (st == PGRES_SINGLE_TUPLE && rc == 0)
        {
          if ((keep == NULL || keep (arg, r, 0)) && row_matches (p, o, r, 0)
              && row_add (r, 0, out) < 0)
            {
              ward_err_set (err, WARD_E_INTERNAL, ENOMEM, "reading the audit trail");
              rc = -1;
            }
        }
      else if (st != PGRES_SINGLE_TUPLE && st != PGRES_TUPLES_OK && rc == 0)
        rc = wpg_fail (c, r, err, "reading the audit trail");
      PQclear (r);
    }
  return rc;
}

/* ---- reading ----------------------------------------------------------- */

int
wpol_acli_pg_read (const wpol_aopts *o, const char *cmd, wpol_arows *out, char *name,
                   size_t size)
{
  memset (out, 0, sizeof *out);
  wpg_display (o->db, name, size);
  pats p;
  if (pats_compile (&p, o) < 0)
    return -1;
  PGconn *c = connect_trail (o, cmd);
  int rc = -1;
  ward_err err;
  if (c == NULL)
    goto done;
  if (wpg_exec (c, &err, "starting a read", "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
      < 0)
    {
      say (cmd, err.msg);
      goto done;
    }
  if (check_run (c, o, cmd) < 0)
    goto done;
  pgq q = { .len = 0, .n = 0 };
  /* the listing's --limit: only the newest rows are read, when no
   * pattern is left to match here */
  int tail = o->limit && o->tail && !o->actor && !o->action && !o->resource
             && !(o->host && host_is_pattern (o->host));
  q_add (&q, "SELECT " COLS " FROM %s" WPG_SCHEMA ".audit WHERE true",
         tail ? "(SELECT * FROM " : "");
  q_filters (&q, o);
  if (tail)
    q_add (&q, " ORDER BY serial DESC LIMIT $%d) newest", q_int (&q, o->limit));
  q_add (&q, " ORDER BY serial");
  if (stream (c, &q, &p, o, out, NULL, NULL, &err) < 0)
    {
      say (cmd, err.msg);
      goto done;
    }
  rc = 0;
done:
  wpol_arena_free (&p.a);
  PQfinish (c);
  return rc;
}

/* ---- following --------------------------------------------------------- */

/* Gaps noted up to serial top, forgotten once every transaction that may
 * hold one has ended: when a snapshot's xmin reaches xmax, the xmax of
 * the first snapshot taken GRACE_MS after noted (0 until then). */
typedef struct pending {
  int64_t top, noted;
  uint64_t xmax;
} pending;

typedef struct follow {
  int64_t top;                    /* the highest serial read */
  int64_t *gaps;                  /* serials below top not seen, ascending */
  size_t ngaps, cap;
  pending pend[MAX_PENDING];
  size_t npend;
  int64_t oldtop;                 /* top when this read began */
  int added;                      /* this read noted gaps */
  int full;                       /* MAX_GAPS reached: said once */
} follow;

static int64_t
now_ms (void)
{
  struct timespec t;
  clock_gettime (CLOCK_MONOTONIC, &t);
  return (int64_t) t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* Note serials (from, to) as gaps. */
static void
gaps_add (follow *f, int64_t from, int64_t to)
{
  for (int64_t s = from + 1; s < to; s++)
    {
      if (f->ngaps >= MAX_GAPS || WARD_GROW (f->gaps, f->cap, f->ngaps + 1, 64) < 0)
        {
          if (!f->full)
            fprintf (stderr, "ward audit: warning: more than %d serials not yet seen; "
                     "records committed late below serial %lld may be missed\n", MAX_GAPS,
                     (long long) to);
          f->full = 1;
          return;
        }
      f->gaps[f->ngaps++] = s;
      f->added = 1;
    }
}

/* A row read: a gap filled, or past the top. Rows come in serial order,
 * gaps first. Returns whether the filters of SQL (last column) pass. */
static int
follow_row (void *arg, const PGresult *r, int i)
{
  follow *f = arg;
  int64_t s = strtoll (PQgetvalue (r, i, 0), NULL, 10);
  if (s <= f->oldtop)
    {
      size_t lo = 0, hi = f->ngaps;
      while (lo < hi)
        {
          size_t mid = (lo + hi) / 2;
          if (f->gaps[mid] < s)
            lo = mid + 1;
          else
            hi = mid;
        }
      if (lo < f->ngaps && f->gaps[lo] == s)
        f->gaps[lo] = -1;         /* seen: removed after the read */
    }
  else if (s > f->top)
    {
      gaps_add (f, f->top, s);
      f->top = s;
    }
  return PQgetvalue (r, i, C_N)[0] == 't';
}

/* Remove the gaps seen (-1) and those at or below top. */
static void
gaps_prune (follow *f, int64_t top)
{
  size_t k = 0;
  for (size_t i = 0; i < f->ngaps; i++)
    if (f->gaps[i] > top)
      f->gaps[k++] = f->gaps[i];
  f->ngaps = k;
}

/* The gaps as a PostgreSQL array literal (malloc'd), or NULL. */
static char *
gaps_text (const follow *f)
{
  size_t size = 3 + f->ngaps * 21;
  char *t = malloc (size), *p = t;
  if (t == NULL)
    return NULL;
  *p++ = '{';
  for (size_t i = 0; i < f->ngaps; i++)
    p += snprintf (p, size - (size_t) (p - t), "%s%lld", i ? "," : "",
                   (long long) f->gaps[i]);
  *p++ = '}';
  *p = '\0';
  return t;
}

/* The current snapshot's xmin and xmax, and the highest serial in it. */
static int
snapshot (PGconn *c, uint64_t *xmin, uint64_t *xmax, int64_t *max, ward_err *err)
{
  PGresult *r = PQexec (c, "SELECT pg_snapshot_xmin(s)::text, pg_snapshot_xmax(s)::text,"
                        " (SELECT coalesce(max(serial), 0) FROM " WPG_SCHEMA ".audit)"
                        " FROM pg_current_snapshot() s");
  if (PQresultStatus (r) != PGRES_TUPLES_OK || PQntuples (r) != 1)
    {
      wpg_fail (c, r, err, "reading the audit trail");
      PQclear (r);
      return -1;
    }
  *xmin = strtoull (PQgetvalue (r, 0, 0), NULL, 10);
  *xmax = strtoull (PQgetvalue (r, 0, 1), NULL, 10);
  *max = strtoll (PQgetvalue (r, 0, 2), NULL, 10);
  PQclear (r);
  return 0;
}

/* Forget the gaps no transaction can fill any more (see the top), and
 * note those this read found. */
static void
horizon (follow *f, uint64_t xmin, uint64_t xmax)
{
  int64_t now = now_ms ();
  size_t done = 0;
  for (size_t i = 0; i < f->npend; i++)
    {
      pending *e = &f->pend[i];
      if (e->xmax == 0 && now - e->noted >= GRACE_MS)
        e->xmax = xmax;
      if (e->xmax && xmin >= e->xmax && i == done)
        {
          gaps_prune (f, e->top);
          done++;
        }
    }
  memmove (f->pend, f->pend + done, (f->npend - done) * sizeof f->pend[0]);
  f->npend -= done;
  if (f->ngaps == 0)
    f->npend = 0;
  if (!f->added)
    return;
  if (f->npend == MAX_PENDING)
    f->npend--;                   /* merged into a later one: later is safe */
  f->pend[f->npend++] = (pending) { f->top, now, 0 };
  f->added = 0;
}

static int
begin_read (PGconn *c, ward_err *err)
{
  return wpg_exec (c, err, "starting a read", "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
}

static void
end_read (PGconn *c)
{
  PGresult *r = PQexec (c, "ROLLBACK");
  PQclear (r);
}

/* The first read: the last --limit matching records, and the serials
 * near the top not visible yet (START_WINDOW). */
static int
follow_start (PGconn *c, follow *f, const pats *p, const wpol_aopts *o, wpol_arows *out,
              ward_err *err)
{
  uint64_t xmin, xmax;
  int64_t max;
  int rc = -1;
  if (begin_read (c, err) < 0)
    return -1;
  if (snapshot (c, &xmin, &xmax, &max, err) < 0)
    goto done;
  pgq q = { .len = 0, .n = 0 };
  q_add (&q, "SELECT " COLS " FROM (SELECT * FROM " WPG_SCHEMA ".audit WHERE true");
  q_filters (&q, o);
  q_add (&q, " ORDER BY serial DESC LIMIT $%d) newest ORDER BY serial", q_int (&q, o->limit));
  if (o->actor || o->action || o->resource || (o->host && host_is_pattern (o->host)))
    {
      /* a pattern is matched here: every row is read, the newest kept */
      q = (pgq) { .len = 0, .n = 0 };
      q_add (&q, "SELECT " COLS " FROM " WPG_SCHEMA ".audit WHERE true");
      q_filters (&q, o);
      q_add (&q, " ORDER BY serial");
    }
  if (stream (c, &q, p, o, out, NULL, NULL, err) < 0)
    goto done;
  /* the serials a transaction running now holds */
  pgq w = { .len = 0, .n = 0 };
  f->top = max > START_WINDOW ? max - START_WINDOW : 0;
  q_add (&w, "SELECT serial FROM " WPG_SCHEMA ".audit WHERE serial > $%d ORDER BY serial",
         q_int (&w, f->top));
  PGresult *r = PQexecParams (c, w.sql, w.n, NULL, w.v, NULL, NULL, 0);
  if (PQresultStatus (r) != PGRES_TUPLES_OK)
    {
      wpg_fail (c, r, err, "reading the audit trail");
      PQclear (r);
      goto done;
    }
  for (int i = 0; i < PQntuples (r); i++)
    {
      int64_t s = strtoll (PQgetvalue (r, i, 0), NULL, 10);
      gaps_add (f, f->top, s);
      f->top = s;
    }
  PQclear (r);
  gaps_add (f, f->top, max + 1);
  f->top = max;
  horizon (f, xmin, xmax);
  rc = 0;
done:
  end_read (c);
  return rc;
}

/* A later read: the rows of the gaps and past the top. */
static int
follow_read (PGconn *c, follow *f, const pats *p, const wpol_aopts *o, wpol_arows *out,
             ward_err *err)
{
  uint64_t xmin, xmax;
  int64_t max;
  int rc = -1;
  char *gaps = NULL;
  if (begin_read (c, err) < 0)
    return -1;
  if (snapshot (c, &xmin, &xmax, &max, err) < 0)
    goto done;
  if (max <= f->top && f->ngaps == 0)
    {
      horizon (f, xmin, xmax);
      rc = 0;
      goto done;
    }
  if ((gaps = gaps_text (f)) == NULL)
    {
      ward_err_set (err, WARD_E_INTERNAL, ENOMEM, "following the audit trail");
      goto done;
    }
  pgq q = { .len = 0, .n = 0 };
  int top = q_int (&q, f->top), g = q_str (&q, gaps);
  q_add (&q, "SELECT " COLS ", (true");
  q_filters (&q, o);
  q_add (&q, ") FROM " WPG_SCHEMA ".audit WHERE serial > $%d OR serial = ANY($%d::bigint[])"
         " ORDER BY serial", top, g);
  f->oldtop = f->top;
  if (stream (c, &q, p, o, out, follow_row, f, err) < 0)
    goto done;
  gaps_prune (f, 0);              /* those seen */
  horizon (f, xmin, xmax);
  rc = 0;
done:
  free (gaps);
  end_read (c);
  return rc;
}

static int
listen_on (PGconn *c, ward_err *err)
{
  return wpg_exec (c, err, "listening for new records", "LISTEN " WPG_CHANNEL_AUDIT);
}

/* Connect again after a loss, with backoff: the new connection, or NULL
 * when a signal or a closed output stops us meanwhile. */
static PGconn *
reconnect (const wpol_aopts *o, const char *name)
{
  int ms = BACKOFF_MIN_MS;
  while (wpol_acli_follow_wait (-1, ms) >= 0)
    {
      ward_err err;
      PGconn *c = wpg_connect (o->db, &err);
      if (c && listen_on (c, &err) == 0)
        {
          fprintf (stderr, "ward audit: reconnected to %s; following on\n", name);
          return c;
        }
      PQfinish (c);
      ms = ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : ms * 2;
    }
  return NULL;
}

int
wpol_acli_pg_follow (const wpol_aopts *o0)
{
  wpol_aopts o = *o0;
  wpol_acols cols = { 0 };
  o.cols = &cols;
  o.limit = o0->limit ? o0->limit : TAIL_DEFAULT;
  char name[256];
  wpg_display (o.db, name, sizeof name);
  wpol_acli_follow_signals ();
  pats p;
  if (pats_compile (&p, &o) < 0)
    return 1;
  follow f;
  memset (&f, 0, sizeof f);
  ward_err err;
  int rc = 1, started = 0;
  PGconn *c = connect_trail (&o, "");
  if (c == NULL)
    goto done;
  wpol_acli_follow_cut (PQsocket (c));
  if (listen_on (c, &err) < 0)
    {
      say ("", err.msg);
      goto done;
    }
  if (check_run (c, &o, "") < 0)
    goto done;
  int64_t read_at = 0;
  for (;;)
    {
      wpol_arows r = { 0 };
      read_at = now_ms ();
      int got = started ? follow_read (c, &f, &p, &o, &r, &err)
                        : follow_start (c, &f, &p, &o, &r, &err);
      if (got == 0)
        {
          started = 1;
          o.limit = 0;
          int gone = wpol_acli_follow_print (&o, &r) < 0;
          wpol_acli_rows_free (&r);
          if (gone)
            break;
        }
      else
        {
          wpol_acli_rows_free (&r);
          if (wpol_acli_stopping ())
            goto stop;            /* the read cut by the signal */
          if (PQstatus (c) != CONNECTION_BAD)
            {
              say ("", err.msg);
              goto done;
            }
          fprintf (stderr, "ward audit: %s; reconnecting\n", err.msg);
          wpol_acli_follow_cut (-1);
          PQfinish (c);
          if ((c = reconnect (&o, name)) == NULL)
            break;
          wpol_acli_follow_cut (PQsocket (c));
          continue;
        }
      /* a notification may have come in with the last results */
      int ready = 0;
      PGnotify *n;
      while ((n = PQnotifies (c)) != NULL)
        {
          ready = 1;
          PQfreemem (n);
        }
      while (!ready)
        {
          int w = wpol_acli_follow_wait (PQsocket (c), WAIT_MS);
          if (w < 0)
            goto stop;
          if (w == 0)
            break;                /* the fallback read */
          if (!PQconsumeInput (c))
            break;                /* lost: the read says so */
          while ((n = PQnotifies (c)) != NULL)
            {
              ready = 1;
              PQfreemem (n);
            }
        }
      /* a flood of notifications: one read per MIN_READ_MS */
      int64_t early = read_at + MIN_READ_MS - now_ms ();
      if (ready && early > 0 && wpol_acli_follow_wait (-1, (int) early) < 0)
        goto stop;
    }
stop:
  rc = 0;
done:
  wpol_acli_follow_cut (-1);
  PQfinish (c);
  wpol_arena_free (&p.a);
  free (f.gaps);
  return rc;
}
