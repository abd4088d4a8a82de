/* pgship_batch.c -- one spool of the audit shipper (pgshipw.h): its
 * SQLite connection and run, and its batches, each in one PostgreSQL
 * transaction: COPY of the new rows, the folded rows' new counts, the
 * shipping position, NOTIFY. */
#include "config.h"
#include "pgshipw.h"
#include "wgrow.h"
#include "wpg.h"

#include <errno.h>
#include <inttypes.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BATCH 20000               /* spool rows per PostgreSQL transaction */
#define FLUSH_BYTES (1 << 20)     /* COPY data handed to libpq at a time */
#define PRUNE_ROWS 65536          /* shipped rows that call for pruning a live spool */

/* The columns of the spool read for one row, and those COPY fills. */
#define SPOOL_COLS "serial, kind, ts, ts_last, count, decision, mode, actor, actor_meta," \
  " scope, action, resource, attrs, pid, host, reason, rule_policy, rule_file, rule_line," \
  " rule_text, store_version, note, resource_len, resource_sha256"
#define NSPOOL_COLS 24
#define COPY_SQL "COPY audit (spool_serial, kind, ts, ts_last, count, decision, mode, actor," \
  " actor_meta, scope, action, resource, attrs, pid, host, reason, rule_policy, rule_file," \
  " rule_line, rule_text, store_version, note, resource_len, resource_sha256, run, hostname," \
  " spool) FROM STDIN"

/* ---- COPY text ---------------------------------------------------------- */

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

void
wpg_sp_close (spool *s)
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

void
wpg_sp_free (spool *s)
{
  wpg_sp_close (s);
  free (s->path);
  free (s->name);
  free (s->seen);
  free (s->pend);
  memset (s, 0, sizeof *s);
}

int
wpg_sp_init (spool *s, const char *path)
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

/* The counts of folded rows as shipped are kept in the spool as well
 * (WPG_SHIP_FOLDS_SQL), written after each commit: the count PostgreSQL holds
 * is not readable with a host's grants, and a spool left by a run that
 * ended or died is shipped by another process, which must know what of
 * a folded count is new to say how many records it shipped (without it,
 * the whole count of each folded row was said to be shipped again).
 * Best effort: a write that fails (the writer holding the spool) leaves
 * an older count, and that process says too many by that difference. */
static int
seen_put (spool *s, const fseen *f)
{
  if (WARD_GROW (s->seen, s->capseen, s->nseen + 1, 64) < 0)
    return -1;                    /* forgotten: shipped again, idempotent */
  size_t at = s->nseen;
  while (at > 0 && s->seen[at - 1].serial > f->serial)
    at--;
  memmove (s->seen + at + 1, s->seen + at, (s->nseen - at) * sizeof *s->seen);
  s->seen[at] = *f;
  s->nseen++;
  return 0;
}

/* The folded counts an earlier process shipped from s, into s->seen. */
static void
seen_load (spool *s)
{
  sqlite3_stmt *st;
  if (s->nseen || sqlite3_prepare_v2 (s->db, "SELECT serial, count, ts_last FROM ship_folds"
                                      " ORDER BY serial", -1, &st, NULL) != SQLITE_OK)
    return;                       /* none: a spool of an older ward, or none shipped */
  while (sqlite3_step (st) == SQLITE_ROW)
    {
      fseen f = { sqlite3_column_int64 (st, 0), sqlite3_column_int64 (st, 1),
                  sqlite3_column_int64 (st, 2) };
      if (seen_put (s, &f) < 0)
        break;
    }
  sqlite3_finalize (st);
}

/* After a commit: the folded counts shipped, written into the spool. */
static void
seen_save (spool *s)
{
  if (s->npend == 0)
    return;
  sqlite3_busy_timeout (s->db, 50);
  sqlite3_stmt *st = NULL;
  if (sqlite3_exec (s->db, WPG_SHIP_FOLDS_SQL "; BEGIN", NULL, NULL, NULL) == SQLITE_OK
      && sqlite3_prepare_v2 (s->db, "INSERT OR REPLACE INTO ship_folds (serial, count, ts_last)"
                             " VALUES (?1, ?2, ?3)", -1, &st, NULL) == SQLITE_OK)
    {
      for (size_t i = 0; i < s->npend; i++)
        {
          sqlite3_bind_int64 (st, 1, s->pend[i].serial);
          sqlite3_bind_int64 (st, 2, s->pend[i].count);
          sqlite3_bind_int64 (st, 3, s->pend[i].ts_last);
          sqlite3_step (st);
          sqlite3_reset (st);
        }
      sqlite3_finalize (st);
      sqlite3_exec (s->db, "COMMIT", NULL, NULL, NULL);
    }
  if (!sqlite3_get_autocommit (s->db))
    sqlite3_exec (s->db, "ROLLBACK", NULL, NULL, NULL);
  sqlite3_busy_timeout (s->db, 2000);
}

/* Open s and read its run row: 1 ready, 0 when it holds no run yet (its
 * writer has not opened it), -1 with err. */
int
wpg_sp_open (spool *s, ward_err *err)
{
  if (s->ready)
    return 1;
  if (s->db == NULL)
    {
      if (sqlite3_open_v2 (s->path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL)
          != SQLITE_OK)
        {
          sqlite_fail (s, err, "opening it");
          wpg_sp_close (s);
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
  seen_load (s);
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
      if (seen_put (s, &s->pend[i]) < 0)
        break;
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
    seen_save (s);
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
int
wpg_sp_ship (PGconn *c, spool *s, cbuf *b, int live, int *progress, ward_err *err)
{
  int r = wpg_sp_open (s, err);
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
uint64_t
wpg_sp_waiting (spool *s)
{
  ward_err err;
  if (wpg_sp_open (s, &err) <= 0)
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

void
wpg_sp_remove (const char *path)
{
  static const char *const ext[] = { "", "-wal", "-shm", "-journal" };
  for (size_t i = 0; i < sizeof ext / sizeof *ext; i++)
    {
      char p[4200];
      snprintf (p, sizeof p, "%s%s", path, ext[i]);
      unlink (p);
    }
}
