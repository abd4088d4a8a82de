/* pgship.c -- the spool of a run auditing to PostgreSQL and the thread
 * that ships it (pgship.h): the spool's file and lock, one batch in one
 * PostgreSQL transaction (COPY of the new rows, the folded rows' new
 * counts, the shipping position, NOTIFY), the shipper's loop with its
 * backoff and its last pass, and the spools earlier runs left. */
#include "config.h"
#include "pgship.h"
#include "auditdb.h"
#include "wgrow.h"
#include "wpg.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define BATCH 20000               /* spool rows per PostgreSQL transaction */
#define FLUSH_BYTES (1 << 20)     /* COPY data handed to libpq at a time */
#define PERIOD_MS 50              /* the shipper looks at the spool this often */
#define BACKOFF_MIN_MS 100        /* first retry after a failure ... */
#define BACKOFF_MAX_MS 2000       /* ... doubling up to this */
#define CONNECT_MS 10000          /* a connection attempt gives up */
#ifndef PRUNE_ROWS
#define PRUNE_ROWS 65536
#endif
#define PRUNE_ROWS_          /* shipped rows that call for pruning the spool */

/* The columns of the spool read for one row, and those COPY fills. */
#define SPOOL_COLS "serial, kind, ts, ts_last, count, decision, mode, actor, actor_meta," \
  " scope, action, resource, attrs, pid, host, reason, rule_policy, rule_file, rule_line," \
  " rule_text, store_version, note, resource_len, resource_sha256"
#define NSPOOL_COLS 24
#define COPY_SQL "COPY audit (spool_serial, kind, ts, ts_last, count, decision, mode, actor," \
  " actor_meta, scope, action, resource, attrs, pid, host, reason, rule_policy, rule_file," \
  " rule_line, rule_text, store_version, note, resource_len, resource_sha256, run, hostname," \
  " spool) FROM STDIN"

static int64_t
now_ms (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- COPY text ---------------------------------------------------------- */

typedef struct cbuf {
  char *s;
  size_t n, cap;
  int oom;
} cbuf;

static inline char *
room (cbuf *b, size_t more)
{
  if (b->n + more <= b->cap && !b->oom)
    return b->s + b->n;
  if (b->oom || WARD_GROW (b->s, b->cap, b->n + more, 1 << 16) < 0)
    {
      b->oom = 1;
      return NULL;
    }
  return b->s + b->n;
}

/* The length of the valid UTF-8 sequence at s (n bytes left), 0 when
 * there is none: a server in UTF-8 refuses a whole COPY for one bad
 * byte, and a path or name in a record may hold any. */
static size_t
utf8_seq (const unsigned char *s, size_t n)
{
  unsigned c = s[0], cp, min;
  size_t k;
  if (c < 0x80)
    return 1;
  if (c >= 0xc2 && c <= 0xdf)
    k = 2, min = 0x80;
  else if (c >= 0xe0 && c <= 0xef)
    k = 3, min = 0x800;
  else if (c >= 0xf0 && c <= 0xf4)
    k = 4, min = 0x10000;
  else
    return 0;
  if (n < k)
    return 0;
  cp = c & (0x3fu >> (k - 1));
  for (size_t i = 1; i < k; i++)
    {
      if ((s[i] & 0xc0) != 0x80)
        return 0;
      cp = cp << 6 | (s[i] & 0x3f);
    }
  return cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) ? 0 : k;
}

/* One text field of COPY's text format: backslash, tab, newline and
 * carriage return escaped, a byte that is no UTF-8 written as U+FFFD. */
static void
put_text (cbuf *b, const unsigned char *s, size_t n)
{
  char *o = room (b, 3 * n + 1), *o0 = o;
  if (o == NULL)
    return;
  for (size_t i = 0; i < n;)
    {
      unsigned char c = s[i];
      if (c >= 0x20 && c < 0x80 && c != '\\')
        {
          *o++ = (char) c;
          i++;
          continue;
        }
      if (c == '\\' || c == '\t' || c == '\n' || c == '\r')
        {
          *o++ = '\\';
          *o++ = c == '\\' ? '\\' : c == '\t' ? 't' : c == '\n' ? 'n' : 'r';
          i++;
          continue;
        }
      size_t k = utf8_seq (s + i, n - i);
      if (k == 0)
        {
          memcpy (o, "\xef\xbf\xbd", 3);
          o += 3;
          i++;
          continue;
        }
      memcpy (o, s + i, k);
      o += k;
      i += k;
    }
  b->n += (size_t) (o - o0);
}

static void
put_char (cbuf *b, char c)
{
  char *o = room (b, 1);
  if (o)
    {
      *o = c;
      b->n++;
    }
}

static void
put_i64 (cbuf *b, int64_t v)
{
  char tmp[24], *e = tmp + sizeof tmp, *p = e;
  uint64_t u = v < 0 ? 0 - (uint64_t) v : (uint64_t) v;
  do
    *--p = (char) ('0' + u % 10);
  while ((u /= 10) != 0);
  if (v < 0)
    *--p = '-';
  char *o = room (b, (size_t) (e - p));
  if (o)
    {
      memcpy (o, p, (size_t) (e - p));
      b->n += (size_t) (e - p);
    }
}

/* Column i of the spool's row st, as a COPY field. */
static void
put_col (cbuf *b, sqlite3_stmt *st, int i)
{
  switch (sqlite3_column_type (st, i))
    {
    case SQLITE_NULL:
      {
        char *o = room (b, 2);
        if (o)
          {
            memcpy (o, "\\N", 2);
            b->n += 2;
          }
        return;
      }
    case SQLITE_INTEGER:
      put_i64 (b, sqlite3_column_int64 (st, i));
      return;
    default:
      {
        const unsigned char *t = sqlite3_column_text (st, i);
        put_text (b, t ? t : (const unsigned char *) "", (size_t) sqlite3_column_bytes (st, i));
      }
    }
}

/* ---- a spool ------------------------------------------------------------ */

/* A folded row as last shipped: the writer adds to its count in place. */
typedef struct fseen {
  int64_t serial, count, ts_last;
} fseen;

typedef struct spool {
  char *path;                     /* the file */
  char *name;                     /* its key in audit_spools: the file name less ".db" */
  sqlite3 *db;                    /* the shipper's own connection to it */
  sqlite3_stmt *rows, *folds;
  int ready;                      /* its run row read */
  char *host, *store;             /* of its run row */
  int64_t started, os_pid, permissive, audit_all;
  int64_t shipped;                /* the position in PostgreSQL after our last commit */
  int64_t pruned;                 /* rows below it deleted from the spool */
  uint64_t records;               /* records (counts) shipped by this process */
  fseen *seen;                    /* sorted by serial */
  size_t nseen, capseen;
  fseen *pend;                    /* what the open transaction ships of folded rows */
  size_t npend, cappend;
} spool;

static void
spool_close (spool *s)
{
  sqlite3_finalize (s->rows);
  sqlite3_finalize (s->folds);
  sqlite3_close (s->db);
  s->rows = s->folds = NULL;
  s->db = NULL;
  s->ready = 0;
  free (s->host);
  free (s->store);
  s->host = s->store = NULL;
}

static void
spool_free (spool *s)
{
  spool_close (s);
  free (s->path);
  free (s->name);
  free (s->seen);
  free (s->pend);
  memset (s, 0, sizeof *s);
}

static int
spool_init (spool *s, const char *path)
{
  memset (s, 0, sizeof *s);
  const char *base = strrchr (path, '/');
  base = base ? base + 1 : path;
  size_t n = strlen (base);
  s->path = strdup (path);
  s->name = strndup (base, n > 3 && strcmp (base + n - 3, ".db") == 0 ? n - 3 : n);
  return s->path && s->name ? 0 : -1;
}

static int
sqlite_fail (spool *s, ward_err *err, const char *what)
{
  return ward_err_set (err, WARD_E_INTERNAL, 0, "the audit spool `%s`: %s: %s", s->path, what,
                       s->db ? sqlite3_errmsg (s->db) : "out of memory");
}

/* Open s and read its run row: 1 ready, 0 when it holds no run yet (its
 * writer has not opened it), -1 with err. */
static int
spool_open (spool *s, ward_err *err)
{
  if (s->ready)
    return 1;
  if (s->db == NULL)
    {
      if (sqlite3_open_v2 (s->path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL)
          != SQLITE_OK)
        {
          sqlite_fail (s, err, "opening it");
          spool_close (s);
          return -1;
        }
      sqlite3_busy_timeout (s->db, 2000);
    }
  sqlite3_stmt *st;
  if (sqlite3_prepare_v2 (s->db, "SELECT started, os_pid, hostname, store, permissive,"
                          " audit_all FROM audit_runs ORDER BY id LIMIT 1", -1, &st, NULL)
      != SQLITE_OK)
    return sqlite_fail (s, err, "reading its run");
  int rc = sqlite3_step (st);
  if (rc == SQLITE_ROW)
    {
      s->started = sqlite3_column_int64 (st, 0);
      s->os_pid = sqlite3_column_int64 (st, 1);
      const char *h = (const char *) sqlite3_column_text (st, 2);
      const char *so = (const char *) sqlite3_column_text (st, 3);
      s->host = strdup (h ? h : "");
      s->store = strdup (so ? so : "");
      s->permissive = sqlite3_column_int64 (st, 4);
      s->audit_all = sqlite3_column_int64 (st, 5);
    }
  sqlite3_finalize (st);
  if (rc == SQLITE_DONE)
    return 0;
  if (rc != SQLITE_ROW || s->host == NULL || s->store == NULL
      || sqlite3_prepare_v3 (s->db, "SELECT " SPOOL_COLS " FROM audit WHERE serial > ?1"
                             " ORDER BY serial LIMIT ?2", -1, SQLITE_PREPARE_PERSISTENT,
                             &s->rows, NULL) != SQLITE_OK
      || sqlite3_prepare_v3 (s->db, "SELECT serial, count, ts_last FROM audit"
                             " WHERE kind = 'folded' AND serial <= ?1 ORDER BY serial", -1,
                             SQLITE_PREPARE_PERSISTENT, &s->folds, NULL) != SQLITE_OK)
    {
      sqlite_fail (s, err, "reading it");
      free (s->host);
      free (s->store);
      s->host = s->store = NULL;
      return -1;
    }
  s->ready = 1;
  return 1;
}

/* The folded row serial as last shipped, or NULL. */
static fseen *
seen_find (spool *s, int64_t serial)
{
  size_t lo = 0, hi = s->nseen;
  while (lo < hi)
    {
      size_t mid = (lo + hi) / 2;
      if (s->seen[mid].serial < serial)
        lo = mid + 1;
      else
        hi = mid;
    }
  return lo < s->nseen && s->seen[lo].serial == serial ? &s->seen[lo] : NULL;
}

/* After a commit: the folded rows shipped are known as shipped. */
static void
seen_commit (spool *s)
{
  for (size_t i = 0; i < s->npend; i++)
    {
      fseen *f = seen_find (s, s->pend[i].serial);
      if (f)
        {
          *f = s->pend[i];
          continue;
        }
      if (WARD_GROW (s->seen, s->capseen, s->nseen + 1, 64) < 0)
        return;                   /* forgotten: shipped again, idempotent */
      size_t at = s->nseen;
      while (at > 0 && s->seen[at - 1].serial > s->pend[i].serial)
        at--;
      memmove (s->seen + at + 1, s->seen + at, (s->nseen - at) * sizeof *s->seen);
      s->seen[at] = s->pend[i];
      s->nseen++;
    }
  s->npend = 0;
}

static int
pend_add (spool *s, int64_t serial, int64_t count, int64_t ts_last)
{
  if (WARD_GROW (s->pend, s->cappend, s->npend + 1, 64) < 0)
    return -1;
  s->pend[s->npend++] = (fseen) { serial, count, ts_last };
  return 0;
}

/* ---- one batch ---------------------------------------------------------- */

static void
rollback (PGconn *c)
{
  if (PQstatus (c) == CONNECTION_OK && PQtransactionStatus (c) != PQTRANS_IDLE)
    PQclear (PQexec (c, "ROLLBACK"));
}

static int
copy_flush (PGconn *c, cbuf *b, ward_err *err)
{
  if (b->oom)
    return ward_err_set (err, WARD_E_INTERNAL, ENOMEM, "shipping the audit spool");
  if (b->n && PQputCopyData (c, b->s, (int) b->n) != 1)
    return wpg_fail (c, NULL, err, "shipping audit records (COPY)");
  b->n = 0;
  return 0;
}

/* The run's id in PostgreSQL: made the first time. 0, or -1 with err. */
static int
pg_run (PGconn *c, spool *s, int64_t *run, ward_err *err)
{
  char v[4][24];
  snprintf (v[0], sizeof v[0], "%" PRId64, s->started);
  snprintf (v[1], sizeof v[1], "%" PRId64, s->os_pid);
  snprintf (v[2], sizeof v[2], "%" PRId64, s->permissive);
  snprintf (v[3], sizeof v[3], "%" PRId64, s->audit_all);
  const char *p[7] = { s->name, s->host, v[0], v[1], s->store, v[2], v[3] };
  PGresult *r = PQexecParams (c, "INSERT INTO audit_runs (spool, hostname, started, os_pid,"
                              " store, permissive, audit_all) VALUES ($1, $2, $3, $4, $5, $6,"
                              " $7) RETURNING id", 7, NULL, p, NULL, NULL, 0);
  if (PQresultStatus (r) != PGRES_TUPLES_OK || PQntuples (r) != 1)
    {
      wpg_fail (c, r, err, "recording the run in the audit trail");
      PQclear (r);
      return -1;
    }
  *run = strtoll (PQgetvalue (r, 0, 0), NULL, 10);
  PQclear (r);
  return 0;
}

/* The rows of s past the position in PostgreSQL (at most BATCH of them)
 * and the new counts of its folded rows shipped before, in one
 * transaction that moves the position. The rows shipped (0 when there
 * was nothing to ship: no transaction committed but the first, which
 * records the run), *more when there may be more; -1 with err (rolled
 * back). */
static int64_t
ship_batch (PGconn *c, spool *s, cbuf *b, int *more, ward_err *err)
{
  *more = 0;
  s->npend = 0;
  char *lname = PQescapeLiteral (c, s->name, strlen (s->name));
  char *lhost = PQescapeLiteral (c, s->host, strlen (s->host));
  char *sql = NULL;
  PGresult *r = NULL;
  int64_t n = -1, last = 0;
  uint64_t recs = 0;
  int reading = 0;
  if (lname == NULL || lhost == NULL)
    {
      wpg_fail (c, NULL, err, "quoting the spool's name");
      goto out;
    }
  b->n = 0;
  {
    size_t len = 400 + 2 * strlen (lname) + strlen (lhost);
    if ((sql = malloc (len)) == NULL)
      {
        ward_err_set (err, WARD_E_INTERNAL, ENOMEM, "shipping the audit spool");
        goto out;
      }
    snprintf (sql, len, "BEGIN; INSERT INTO audit_spools (spool, hostname) VALUES (%s, %s)"
              " ON CONFLICT (spool) DO NOTHING; SELECT s.shipped, r.id FROM audit_spools s"
              " LEFT JOIN audit_runs r ON r.spool = s.spool WHERE s.spool = %s"
              " FOR UPDATE OF s", lname, lhost, lname);
  }
  r = PQexec (c, sql);
  if (PQresultStatus (r) != PGRES_TUPLES_OK || PQntuples (r) != 1)
    {
      wpg_fail (c, r, err, "locking the spool's position in the audit trail");
      goto out;
    }
  int64_t shipped = strtoll (PQgetvalue (r, 0, 0), NULL, 10), run = 0;
  int new_run = PQgetisnull (r, 0, 1);
  if (!new_run)
    run = strtoll (PQgetvalue (r, 0, 1), NULL, 10);
  PQclear (r);
  r = NULL;
  if (new_run && pg_run (c, s, &run, err) < 0)
    goto out;
  /* one snapshot of the spool for the rows and the folded counts */
  if (sqlite3_exec (s->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
    {
      sqlite_fail (s, err, "reading it");
      goto out;
    }
  reading = 1;
  sqlite3_reset (s->rows);
  sqlite3_bind_int64 (s->rows, 1, shipped);
  sqlite3_bind_int (s->rows, 2, BATCH);
  int rc, copying = 0;
  int64_t k = 0;
  char tail[64];
  int tl = snprintf (tail, sizeof tail, "\t%" PRId64 "\t", run);
  while ((rc = sqlite3_step (s->rows)) == SQLITE_ROW)
    {
      if (!copying)
        {
          r = PQexec (c, COPY_SQL);
          if (PQresultStatus (r) != PGRES_COPY_IN)
            {
              wpg_fail (c, r, err, "shipping audit records (COPY)");
              goto out;
            }
          PQclear (r);
          r = NULL;
          copying = 1;
        }
      last = sqlite3_column_int64 (s->rows, 0);
      const char *kind = (const char *) sqlite3_column_text (s->rows, 1);
      int64_t count = sqlite3_column_int64 (s->rows, 4);
      if (kind && strcmp (kind, "folded") == 0
          && pend_add (s, last, count, sqlite3_column_int64 (s->rows, 3)) < 0)
        {
          ward_err_set (err, WARD_E_INTERNAL, ENOMEM, "shipping the audit spool");
          goto copy_abort;
        }
      recs += (uint64_t) count;
      for (int i = 0; i < NSPOOL_COLS; i++)
        {
          if (i)
            put_char (b, '\t');
          put_col (b, s->rows, i);
        }
      char *o = room (b, (size_t) tl);
      if (o)
        {
          memcpy (o, tail, (size_t) tl);
          b->n += (size_t) tl;
        }
      put_text (b, (const unsigned char *) s->host, strlen (s->host));
      put_char (b, '\t');
      put_text (b, (const unsigned char *) s->name, strlen (s->name));
      put_char (b, '\n');
      k++;
      if ((b->n >= FLUSH_BYTES || b->oom) && copy_flush (c, b, err) < 0)
        goto copy_abort;
    }
  if (rc != SQLITE_DONE)
    {
      sqlite_fail (s, err, "reading its records");
      goto copy_abort;
    }
  if (copying)
    {
      if (copy_flush (c, b, err) < 0)
        goto copy_abort;
      if (PQputCopyEnd (c, NULL) != 1)
        {
          wpg_fail (c, NULL, err, "shipping audit records (COPY)");
          goto out;
        }
      r = PQgetResult (c);
      if (PQresultStatus (r) != PGRES_COMMAND_OK)
        {
          wpg_fail (c, r, err, "shipping audit records (COPY)");
          goto out;
        }
      PQclear (r);
      while ((r = PQgetResult (c)) != NULL)
        PQclear (r);
    }
  *more = k == BATCH;
  /* the folded rows shipped before, whose count the writer raised since */
  size_t nrows_pend = s->npend;
  b->n = 0;
  sqlite3_reset (s->folds);
  sqlite3_bind_int64 (s->folds, 1, shipped);
  while ((rc = sqlite3_step (s->folds)) == SQLITE_ROW)
    {
      int64_t serial = sqlite3_column_int64 (s->folds, 0);
      int64_t count = sqlite3_column_int64 (s->folds, 1);
      int64_t ts_last = sqlite3_column_int64 (s->folds, 2);
      fseen *f = seen_find (s, serial);
      if (f && f->count == count && f->ts_last == ts_last)
        continue;
      if (pend_add (s, serial, count, ts_last) < 0)
        b->oom = 1;
      recs += (uint64_t) (count - (f ? f->count : 0));
      char row[96];
      int rl = snprintf (row, sizeof row, "%s(%" PRId64 ",%" PRId64 ",%" PRId64 ")",
                         s->npend - 1 > nrows_pend ? "," : "", serial, count, ts_last);
      char *o = room (b, (size_t) rl);
      if (o)
        {
          memcpy (o, row, (size_t) rl);
          b->n += (size_t) rl;
        }
    }
  if (rc != SQLITE_DONE)
    {
      sqlite_fail (s, err, "reading its folded counts");
      goto out;
    }
  sqlite3_reset (s->rows);
  sqlite3_reset (s->folds);
  sqlite3_exec (s->db, "COMMIT", NULL, NULL, NULL);
  reading = 0;
  if (b->oom)
    {
      ward_err_set (err, WARD_E_INTERNAL, ENOMEM, "shipping the audit spool");
      goto out;
    }
  if (k == 0 && s->npend == 0 && !new_run)
    {
      rollback (c);
      s->shipped = shipped;
      n = 0;
      goto out;
    }
  {
    int64_t to = k ? last : shipped;
    size_t len = b->n + 400 + 2 * strlen (lname) + strlen (lhost);
    char *fin = malloc (len);
    if (fin == NULL)
      {
        ward_err_set (err, WARD_E_INTERNAL, ENOMEM, "shipping the audit spool");
        goto out;
      }
    int o = 0;
    if (s->npend > nrows_pend)
      o = snprintf (fin, len, "UPDATE audit a SET count = v.c, ts_last = v.t FROM (VALUES %.*s)"
                    " v(s, c, t) WHERE a.spool = %s AND a.spool_serial = v.s; ", (int) b->n,
                    b->s, lname);
    snprintf (fin + o, len - (size_t) o, "UPDATE audit_spools SET shipped = %" PRId64 ","
              " updated = now() WHERE spool = %s; NOTIFY " WPG_CHANNEL_AUDIT ", %s; COMMIT",
              to, lname, lhost);
    r = PQexec (c, fin);
    free (fin);
    if (PQresultStatus (r) != PGRES_COMMAND_OK)
      {
        wpg_fail (c, r, err, "committing audit records");
        goto out;
      }
    s->shipped = to;
    s->records += recs;
    seen_commit (s);
    n = k;
  }
  goto out;
copy_abort:
  PQputCopyEnd (c, "ward: the spool could not be read");
  while ((r = PQgetResult (c)) != NULL)
    PQclear (r);
out:
  /* no statement left running: a read snapshot held on would keep the
   * writer's checkpoints from emptying the WAL */
  if (reading)
    {
      sqlite3_reset (s->rows);
      sqlite3_reset (s->folds);
      sqlite3_exec (s->db, "ROLLBACK", NULL, NULL, NULL);
    }
  PQclear (r);
  if (n < 0)
    rollback (c);
  PQfreemem (lname);
  PQfreemem (lhost);
  free (sql);
  return n;
}

/* Shipped rows that nothing needs again (folded rows stay: the writer adds
 * to them; the last row stays: SQLite numbers the next after it), gone
 * from a live spool, so that it stays small. Only once caught up: during
 * a flood the DELETE would hold the writer back (the flood took twice as
 * long); skipped when the writer holds the spool: the next time will do. */
static void
prune (spool *s)
{
  if (s->shipped - s->pruned < PRUNE_ROWS)
    return;
  char sql[160];
  snprintf (sql, sizeof sql, "DELETE FROM audit WHERE serial < %" PRId64 " AND serial >= %"
            PRId64 " AND kind <> 'folded'", s->shipped, s->pruned);
  sqlite3_busy_timeout (s->db, 0);
  if (sqlite3_exec (s->db, sql, NULL, NULL, NULL) == SQLITE_OK)
    s->pruned = s->shipped;
  sqlite3_busy_timeout (s->db, 2000);
}

/* Ship s until it is caught up (all that the spool held when its last
 * batch read it): 1, or 0 when it holds no run yet, or -1 with err.
 * *progress: rows or counts were shipped. A live spool is pruned. */
static int
ship_spool (PGconn *c, spool *s, cbuf *b, int live, int *progress, ward_err *err)
{
  int r = spool_open (s, err);
  if (r <= 0)
    return r;
  for (;;)
    {
      int more;
      uint64_t before = s->records;
      int64_t k = ship_batch (c, s, b, &more, err);
      if (k < 0)
        return -1;
      if (k > 0 || s->records != before)
        *progress = 1;
      if (!more)
        {
          if (live)
            prune (s);
          return 1;
        }
    }
}

/* Records in s not (yet) in PostgreSQL, as far as this process knows. */
static uint64_t
waiting (spool *s)
{
  ward_err err;
  if (spool_open (s, &err) <= 0)
    return 0;
  uint64_t n = 0;
  sqlite3_stmt *st;
  if (sqlite3_prepare_v2 (s->db, "SELECT coalesce(sum(count), 0) FROM audit WHERE serial > ?1",
                          -1, &st, NULL) == SQLITE_OK)
    {
      sqlite3_bind_int64 (st, 1, s->shipped);
      if (sqlite3_step (st) == SQLITE_ROW)
        n = (uint64_t) sqlite3_column_int64 (st, 0);
      sqlite3_finalize (st);
    }
  sqlite3_reset (s->folds);
  sqlite3_bind_int64 (s->folds, 1, s->shipped);
  while (sqlite3_step (s->folds) == SQLITE_ROW)
    {
      fseen *f = seen_find (s, sqlite3_column_int64 (s->folds, 0));
      int64_t count = sqlite3_column_int64 (s->folds, 1);
      n += (uint64_t) (count - (f ? f->count : 0));
    }
  sqlite3_reset (s->folds);
  return n;
}

static void
remove_spool (const char *path)
{
  static const char *const ext[] = { "", "-wal", "-shm", "-journal" };
  for (size_t i = 0; i < sizeof ext / sizeof *ext; i++)
    {
      char p[4200];
      snprintf (p, sizeof p, "%s%s", path, ext[i]);
      unlink (p);
    }
}

/* ---- connecting --------------------------------------------------------- */

static struct {
  pthread_mutex_t lock;
  pthread_cond_t cond;
  pthread_t thread;
  int running, final, exited, abort;
  int sock;                       /* the open connection's socket, -1 none */
  int shipped_all;                /* the last pass found nothing left */
  int64_t deadline;               /* the last pass gives up past it (now_ms) */
  char *conninfo, *dir;
  char server[256];               /* the server, for people */
  spool live;
  int lockfd;                     /* the spool's flock */
  int away;                       /* said that the trail spools */
  ward_err why;                   /* the last failure */
} sh = { .lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER, .sock = -1,
         .lockfd = -1 };

static int
aborted (void)
{
  return __atomic_load_n (&sh.abort, __ATOMIC_RELAXED);
}

static void
no_notices (void *arg, const char *msg)
{
  (void) arg;
  (void) msg;
}

/* PQerrorMessage on one line. */
static void
one_line (const char *m, char *buf, size_t size)
{
  size_t o = 0;
  for (; *m && o + 3 < size; m++)
    {
      if (*m == '\n')
        {
          if (m[1] == '\0')
            break;
          buf[o++] = ';';
          buf[o++] = ' ';
        }
      else
        buf[o++] = (unsigned char) *m < 0x20 ? ' ' : *m;
    }
  buf[o] = '\0';
}

/* wpg_connect, but polled: a stopping run gives up at once, and the
 * attempt after CONNECT_MS. */
static PGconn *
ship_connect (const char *conninfo, ward_err *err)
{
  char name[256], msg[400];
  wpg_display (conninfo, name, sizeof name);
  const char *const keys[] = { "fallback_application_name", "dbname", NULL };
  const char *const vals[] = { "ward", conninfo, NULL };
  PGconn *c = PQconnectStartParams (keys, vals, 1);
  if (c == NULL)
    {
      ward_err_set (err, WARD_E_INTERNAL, ENOMEM, "connecting to %s", name);
      return NULL;
    }
  PostgresPollingStatusType st = PQstatus (c) == CONNECTION_BAD ? PGRES_POLLING_FAILED
                                 : PGRES_POLLING_WRITING;
  int64_t end = now_ms () + CONNECT_MS;
  const char *timeout = NULL;
  while (st != PGRES_POLLING_OK && st != PGRES_POLLING_FAILED)
    {
      struct pollfd p = { PQsocket (c), st == PGRES_POLLING_READING ? POLLIN : POLLOUT, 0 };
      int r = poll (&p, 1, 100);
      if (r > 0)
        st = PQconnectPoll (c);
      else if (r < 0 && errno != EINTR)
        st = PGRES_POLLING_FAILED;
      else if (aborted () || now_ms () > end)
        {
          timeout = aborted () ? "the run ends" : "timeout expired";
          break;
        }
    }
  if (st != PGRES_POLLING_OK)
    {
      one_line (timeout ? timeout : PQerrorMessage (c), msg, sizeof msg);
      ward_err_set (err, WARD_E_UNAVAILABLE, 0, "cannot connect to %s: %s", name, msg);
      PQfinish (c);
      return NULL;
    }
  PQsetNoticeProcessor (c, no_notices, NULL);
  if (wpg_exec (c, err, "setting up the connection", "SET search_path TO " WPG_SCHEMA ";"
                " SET client_min_messages TO warning; SET client_encoding TO 'UTF8'") < 0)
    {
      PQfinish (c);
      return NULL;
    }
  /* the audit tables: there, or made (when this role may) */
  ward_err e2;
  if (wpg_schema (c, 0, WPG_NEED_AUDIT, err) < 0 && PQstatus (c) == CONNECTION_OK
      && wpg_schema (c, 1, WPG_NEED_AUDIT, &e2) < 0)
    {
      PQfinish (c);
      return NULL;
    }
  ward_err_clear (err);
  return c;
}

/* ---- the spools of earlier runs ----------------------------------------- */

/* Ship the spool at path, when no process holds it, then remove it: the
 * records shipped (0 also when it is held), or -1 with err. */
static long long
ship_left (PGconn *c, const char *path, cbuf *b, ward_err *err)
{
  int fd = open (path, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0)
    return 0;                     /* gone meanwhile */
  struct stat a, z;
  if (flock (fd, LOCK_EX | LOCK_NB) < 0 || fstat (fd, &a) < 0 || stat (path, &z) < 0
      || a.st_ino != z.st_ino || a.st_dev != z.st_dev || !S_ISREG (a.st_mode))
    {
      close (fd);                 /* a live run's, or shipped and removed by another */
      return 0;
    }
  /* what its run could not write into it, first: a lost entry in it */
  ward_err e;
  if (wpol_audit_import (path, &e) < 0)
    {
      close (fd);
      return ward_err_set (err, e.kind, 0, "%s", e.msg);
    }
  spool s;
  if (spool_init (&s, path) < 0)
    {
      close (fd);
      return ward_err_set (err, WARD_E_INTERNAL, ENOMEM, "shipping `%s`", path);
    }
  int progress = 0, r = ship_spool (c, &s, b, 0, &progress, err);
  long long n = (long long) s.records;
  spool_free (&s);
  if (r >= 0)                     /* shipped, or a spool its run never opened */
    remove_spool (path);
  close (fd);
  return r < 0 ? -1 : n;
}

static long long
ship_leftovers_on (PGconn *c, const char *dir, const char *skip, ward_err *err)
{
  DIR *d = opendir (dir);
  if (d == NULL)
    return errno == ENOENT ? 0 : ward_err_set (err, WARD_E_INVALID, errno, "reading the "
                                               "audit spool directory `%s`", dir);
  cbuf b = { 0 };
  long long total = 0;
  int failed = 0;
  struct dirent *e;
  while ((e = readdir (d)) != NULL)
    {
      size_t n = strlen (e->d_name);
      if (e->d_name[0] == '.' || n < 4 || strcmp (e->d_name + n - 3, ".db") != 0)
        continue;
      char path[4200];
      snprintf (path, sizeof path, "%s/%s", dir, e->d_name);
      if (skip && strcmp (path, skip) == 0)
        continue;
      long long k = ship_left (c, path, &b, failed ? NULL : err);
      if (k < 0)
        failed = 1;
      else
        total += k;
      if (PQstatus (c) != CONNECTION_OK)
        break;
    }
  closedir (d);
  free (b.s);
  return failed ? -1 : total;
}

int
wpg_spool_default_dir (char *buf, size_t size, int make, ward_err *err)
{
  ward_err e;
  char db[4096];
  if (wpol_audit_default_path (db, sizeof db, make, &e) < 0)
    {
      /* its hint names --audit FILE: here the choice is the spool's */
      char *h = strstr (e.msg, "; " WPOL_AUDIT_DEFAULT_HINT);
      if (h)
        *h = '\0';
      return ward_err_set (err, e.kind, 0, "%s (the audit spool); give --audit-spool DIR, or "
                           "set XDG_STATE_HOME to a writable directory", e.msg);
    }
  char *slash = strrchr (db, '/');
  *slash = '\0';
  if (snprintf (buf, size, "%s/spool", db) >= (int) size)
    return ward_err_set (err, WARD_E_INVALID, ENAMETOOLONG, "the audit spool directory");
  if (make && mkdir (buf, 0700) < 0 && errno != EEXIST)
    return ward_err_set (err, WARD_E_INVALID, errno, "creating the audit spool directory "
                         "`%s` (give --audit-spool DIR, or set XDG_STATE_HOME to a writable "
                         "directory)", buf);
  return 0;
}

long long
wpg_ship_leftovers (const char *conninfo, const char *dir, ward_err *err)
{
  char def[4096];
  if (dir == NULL)
    {
      if (wpg_spool_default_dir (def, sizeof def, 0, err) < 0)
        return -1;
      dir = def;
    }
  PGconn *c = ship_connect (conninfo, err);
  if (c == NULL)
    return -1;
  long long n = ship_leftovers_on (c, dir, NULL, err);
  PQfinish (c);
  return n;
}

/* ---- the shipper -------------------------------------------------------- */

static void
drop_conn (PGconn **c)
{
  if (*c == NULL)
    return;
  pthread_mutex_lock (&sh.lock);
  sh.sock = -1;
  pthread_mutex_unlock (&sh.lock);
  PQfinish (*c);
  *c = NULL;
}

/* One pass: connected (the leftovers of earlier runs shipped on the first
 * connection), the live spool shipped up to what it holds. 1 caught up, 0
 * not yet (no run row), -1 with sh.why. */
static int
pass (PGconn **c, cbuf *b, int *leftovers, int *progress)
{
  ward_err err;
  if (*c == NULL)
    {
      *c = ship_connect (sh.conninfo, &err);
      if (*c == NULL)
        {
          sh.why = err;
          return -1;
        }
      pthread_mutex_lock (&sh.lock);
      sh.sock = PQsocket (*c);
      pthread_mutex_unlock (&sh.lock);
    }
  int r = ship_spool (*c, &sh.live, b, 1, progress, &err);
  if (r >= 0 && !*leftovers)
    {
      *leftovers = 1;
      ward_err le;
      long long k = ship_leftovers_on (*c, sh.dir, sh.live.path, &le);
      if (k < 0 && PQstatus (*c) != CONNECTION_OK)
        *leftovers = 0;           /* the server went away: the next connection */
      else if (k < 0)
        fprintf (stderr, "ward: audit: a spool of an earlier run could not be shipped (it is "
                 "kept): %s\n", le.msg);
      else if (k > 0)
        fprintf (stderr, "ward: audit: %lld record%s of earlier runs shipped to %s from their "
                 "spools\n", k, k == 1 ? "" : "s", sh.server);
    }
  if (r < 0)
    {
      sh.why = err;
      drop_conn (c);
    }
  return r;
}

static void *
shipper (void *unused)
{
  (void) unused;
  PGconn *c = NULL;
  cbuf b = { 0 };
  unsigned backoff = 0;
  int leftovers = 0;
  int64_t dv = -1;                /* the spool's data_version when last caught up */
  pthread_mutex_lock (&sh.lock);
  for (;;)
    {
      int final = sh.final;
      pthread_mutex_unlock (&sh.lock);
      /* nothing new in the spool since the last pass caught up: no pass */
      int64_t v = -1;
      if (sh.live.db)
        {
          sqlite3_stmt *st;
          if (sqlite3_prepare_v2 (sh.live.db, "PRAGMA data_version", -1, &st, NULL) == SQLITE_OK)
            {
              if (sqlite3_step (st) == SQLITE_ROW)
                v = sqlite3_column_int64 (st, 0);
              sqlite3_finalize (st);
            }
        }
      int r = 1, progress = 0;
      if (v < 0 || v != dv || c == NULL || final)
        r = pass (&c, &b, &leftovers, &progress);
      pthread_mutex_lock (&sh.lock);
      if (r < 0)
        {
          if (!sh.away)
            fprintf (stderr, "ward: audit: %s; the audit trail is spooling to `%s` and is "
                     "shipped when the server is back\n", sh.why.msg, sh.live.path);
          sh.away = 1;
          backoff = backoff ? backoff * 2 : BACKOFF_MIN_MS;
          if (backoff > BACKOFF_MAX_MS)
            backoff = BACKOFF_MAX_MS;
        }
      else
        {
          if (sh.away)
            fprintf (stderr, "ward: audit: shipping the audit trail to %s again\n", sh.server);
          sh.away = 0;
          backoff = 0;
          dv = r > 0 ? v : -1;
          if (progress)
            sh.deadline = now_ms () + WPG_SHIP_FINAL_MS;
        }
      /* r == 0 at the end: the writer never opened it, nothing to ship */
      if (final && r >= 0)
        {
          sh.shipped_all = 1;
          break;
        }
      if (final && now_ms () > sh.deadline)
        break;
      if (!sh.final || r < 0)
        {
          struct timespec ts;
          clock_gettime (CLOCK_REALTIME, &ts);
          unsigned ms = r < 0 ? backoff : PERIOD_MS;
          ts.tv_sec += ms / 1000;
          ts.tv_nsec += (long) (ms % 1000) * 1000000L;
          if (ts.tv_nsec >= 1000000000L)
            {
              ts.tv_sec++;
              ts.tv_nsec -= 1000000000L;
            }
          int was = sh.final;
          while (sh.final == was && !aborted ()
                 && pthread_cond_timedwait (&sh.cond, &sh.lock, &ts) == 0)
            ;
        }
      if (aborted ())
        break;
    }
  sh.exited = 1;
  pthread_cond_broadcast (&sh.cond);
  pthread_mutex_unlock (&sh.lock);
  drop_conn (&c);
  free (b.s);
  return NULL;
}

/* ---- start and stop ----------------------------------------------------- */

/* A new spool in dir, locked (sh.lockfd) before it is given its name, so
 * that no other process takes it for one left by a dead run; its schema
 * made, so that its writer and shipper find it. Its path into path. */
static int
make_spool (const char *dir, char *path, size_t size, ward_err *err)
{
  char host[256] = "", tmp[4200];
  gethostname (host, sizeof host - 1);
  for (char *p = host; *p; p++)
    if (*p == '/' || *p == '\\' || (unsigned char) *p < 0x21)
      *p = '_';
  unsigned rnd = 0;
  int ufd = open ("/dev/urandom", O_RDONLY | O_CLOEXEC);
  if (ufd >= 0)
    {
      if (read (ufd, &rnd, sizeof rnd) != (ssize_t) sizeof rnd)
        rnd = 0;
      close (ufd);
    }
  struct timespec ts;
  clock_gettime (CLOCK_REALTIME, &ts);
  rnd ^= (unsigned) ts.tv_nsec;
  int n = snprintf (path, size, "%s/%s-%ld-%lld-%08x.db", dir, host, (long) getpid (),
                    (long long) ts.tv_sec, rnd);
  snprintf (tmp, sizeof tmp, "%s/.%s-%ld-%08x.new", dir, host, (long) getpid (), rnd);
  if (n < 0 || (size_t) n >= size)
    return ward_err_set (err, WARD_E_INVALID, ENAMETOOLONG, "the audit spool's path");
  int fd = open (tmp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0)
    return ward_err_set (err, WARD_E_INVALID, errno, "cannot create the audit spool in `%s`",
                         dir);
  if (flock (fd, LOCK_EX) < 0 || rename (tmp, path) < 0)
    {
      int e = errno;
      unlink (tmp);
      close (fd);
      return ward_err_set (err, WARD_E_INVALID, e, "cannot create the audit spool `%s`", path);
    }
  sh.lockfd = fd;
  sqlite3 *db = NULL;
  int ok = sqlite3_open_v2 (path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL)
             == SQLITE_OK
           && sqlite3_exec (db, "PRAGMA synchronous=OFF; BEGIN", NULL, NULL, NULL) == SQLITE_OK
           && wpol_auditdb_schema (db) == 0
           /* the shipper reads the folded rows again each pass */
           && sqlite3_exec (db, "CREATE INDEX IF NOT EXISTS audit_folded ON audit(serial)"
                            " WHERE kind = 'folded'; COMMIT", NULL, NULL, NULL) == SQLITE_OK;
  if (!ok)
    ward_err_set (err, WARD_E_INVALID, 0, "cannot create the audit spool `%s`: %s", path,
                  db ? sqlite3_errmsg (db) : "out of memory");
  sqlite3_close (db);
  if (!ok)
    {
      remove_spool (path);
      close (fd);
      sh.lockfd = -1;
      return -1;
    }
  return 0;
}

static void
reset (void)
{
  spool_free (&sh.live);
  free (sh.conninfo);
  free (sh.dir);
  sh.conninfo = sh.dir = NULL;
  if (sh.lockfd >= 0)
    close (sh.lockfd);
  sh.lockfd = -1;
  sh.running = sh.final = sh.exited = sh.abort = sh.shipped_all = sh.away = 0;
  sh.sock = -1;
}

int
wpg_ship_start (const wpol_audit_opts *o, const char *conninfo, const char *spool_dir,
                int later, ward_err *err)
{
  wpg_ship_stop ();
  char dir[4096], path[4200];
  int bad = 0;
  if (spool_dir)
    {
      if (snprintf (dir, sizeof dir, "%s", spool_dir) >= (int) sizeof dir)
        return ward_err_set (err, WARD_E_INVALID, ENAMETOOLONG, "--audit-spool");
      if (mkdir (dir, 0700) < 0 && errno != EEXIST)
        bad = ward_err_set (err, WARD_E_INVALID, errno, "cannot create the audit spool "
                            "directory `%s`", dir);
    }
  else
    bad = wpg_spool_default_dir (dir, sizeof dir, 1, err);
  if (bad < 0 || make_spool (dir, path, sizeof path, err) < 0)
    {
      wpg_display (conninfo, sh.server, sizeof sh.server);
      ward_err_prefix (err, "the audit trail to %s goes through a local spool", sh.server);
      return -1;
    }
  wpol_audit_opts wo = *o;
  wo.path = path;
  /* a store in PostgreSQL is named in the run's row without credentials */
  char store[600], sname[256];
  if (o->store && strncmp (o->store, "store ", 6) == 0 && wpg_is_conninfo (o->store + 6))
    {
      snprintf (store, sizeof store, "store %s", wpg_display (o->store + 6, sname, sizeof sname));
      wo.store = store;
    }
  if (spool_init (&sh.live, path) < 0 || (sh.conninfo = strdup (conninfo)) == NULL
      || (sh.dir = strdup (dir)) == NULL)
    {
      remove_spool (path);
      reset ();
      return ward_err_set (err, WARD_E_INTERNAL, ENOMEM, "starting the audit shipper");
    }
  wpg_display (conninfo, sh.server, sizeof sh.server);
  if ((later ? wpol_audit_begin (&wo, err) : wpol_audit_start (&wo, err)) < 0)
    {
      remove_spool (path);
      reset ();
      return -1;
    }
  int rc = pthread_create (&sh.thread, NULL, shipper, NULL);
  if (rc != 0)
    {
      wpol_audit_stop ();
      remove_spool (path);
      reset ();
      return ward_err_set (err, WARD_E_INTERNAL, rc, "starting the audit shipper");
    }
  sh.running = 1;
  return 0;
}

void
wpg_ship_stop (void)
{
  if (!sh.running)
    return;
  wpol_audit_stop ();
  /* what the writer could not write into the spool: its count, in it */
  ward_err e;
  if (wpol_audit_import (sh.live.path, &e) < 0)
    fprintf (stderr, "ward: audit: %s\n", e.msg);
  pthread_mutex_lock (&sh.lock);
  sh.final = 1;
  /* a server already away gets one more try, not a wait */
  sh.deadline = now_ms () + (sh.away ? 0 : WPG_SHIP_FINAL_MS);
  pthread_cond_broadcast (&sh.cond);
  while (!sh.exited)
    {
      struct timespec ts;
      clock_gettime (CLOCK_REALTIME, &ts);
      ts.tv_nsec += 100 * 1000000L;
      if (ts.tv_nsec >= 1000000000L)
        {
          ts.tv_sec++;
          ts.tv_nsec -= 1000000000L;
        }
      pthread_cond_timedwait (&sh.cond, &sh.lock, &ts);
      /* a server that hangs: the connection cut, the transaction undone */
      if (!sh.exited && now_ms () > sh.deadline + 500)
        {
          __atomic_store_n (&sh.abort, 1, __ATOMIC_RELAXED);
          if (sh.sock >= 0)
            shutdown (sh.sock, SHUT_RDWR);
          pthread_cond_broadcast (&sh.cond);
        }
    }
  int all = sh.shipped_all;
  pthread_mutex_unlock (&sh.lock);
  pthread_join (sh.thread, NULL);
  char lost[4300];
  snprintf (lost, sizeof lost, "%s.lost", sh.live.path);
  if (all && access (lost, F_OK) < 0)
    {
      spool_close (&sh.live);
      remove_spool (sh.live.path);
    }
  else
    {
      uint64_t n = waiting (&sh.live);
      spool_close (&sh.live);
      fprintf (stderr, "ward: audit: %s: %" PRIu64 " record%s of this run wait in the spool "
               "`%s` (not lost): the next `ward run` auditing to %s ships them\n",
               sh.why.msg[0] ? sh.why.msg : "the audit trail could not be shipped", n,
               n == 1 ? "" : "s", sh.live.path, sh.server);
    }
  reset ();
}
