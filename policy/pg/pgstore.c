/* pgstore.c -- the policy store in PostgreSQL (pgstore.h): the mirror
 * copied in and written back around each operation, the version read,
 * and the poller of `ward run` (LISTEN, the periodic check, losing the
 * server and getting it back). */
#include "config.h"
#include "pgstore.h"
#include "store.h"
#include "wpg.h"
#include "audit.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct wpgs {
  PGconn *conn;
  char *conninfo;
  int inside;                     /* in an operation: the code uses the mirror */
  int change;                     /* ... which is a change (a transaction open) */
  int64_t before;                 /* the version the change read */
  pthread_mutex_t conn_lock;      /* conn swapped (the poller) or cut (wpgs_stop) */
  int stopping;                   /* under conn_lock */
};

/* The store tables, parents first, with their columns (the same in both
 * schemas), named in every statement: a table a DBA altered (a column
 * dropped and added again moves it to the end) is still read right. */
static const struct { const char *name; int ncol; const char *cols; } tables[] = {
  { "meta", 2, "key, value" },
  { "files", 5, "id, name, source, seq, loaded_at" },
  { "policies", 4, "id, file_id, name, line" },
  { "rules", 6, "id, policy_id, seq, effect, line, text" },
  { "actors", 5, "id, file_id, pattern, line, body" },
  { "hosts", 6, "id, file_id, name, line, threads, sandbox" },
  { "sandboxes", 5, "id, file_id, name, line, body" },
  { "history", 6, "version, at, \"user\", what, files, hash" },
  { "history_files", 4, "version, seq, name, source" },
};
#define NTABLES (sizeof tables / sizeof tables[0])
#define T_HISTORY 7                 /* index of history in tables[] */
#define T_HISTORY_FILES 8

static int
oom (ward_err *err)
{
  return ward_err_set (err, WARD_E_INTERNAL, ENOMEM, "the policy store");
}

static void
pg_discard (PGconn *c, const char *sql)
{
  PQclear (PQexec (c, sql));
}

wpol_store *
wpgs_open (const char *conninfo, int flags, ward_err *err)
{
  /* the mirror: a private in-memory store of the present schema */
  wpol_store *st = wpol_store_open (":memory:", WPOL_STORE_CREATE, err);
  if (st == NULL)
    return NULL;
  char name[256];
  wpg_display (conninfo, name, sizeof name);
  char *path = strdup (name);
  st->pg = calloc (1, sizeof *st->pg);
  if (st->pg)
    pthread_mutex_init (&st->pg->conn_lock, NULL);
  if (path == NULL || st->pg == NULL || (st->pg->conninfo = strdup (conninfo)) == NULL)
    {
      free (path);
      wpol_store_close (st);
      oom (err);
      return NULL;
    }
  free (st->path);
  st->path = path;
  st->readonly = (flags & WPOL_STORE_READONLY) != 0;
  if ((st->pg->conn = wpg_connect (conninfo, err)) == NULL
      || wpg_schema (st->pg->conn, (flags & WPOL_STORE_CREATE) != 0, WPG_NEED_STORE, err) < 0)
    {
      wpol_store_close (st);
      return NULL;
    }
  return st;
}

void
wpgs_close (wpgs *pg)
{
  if (pg == NULL)
    return;
  if (pg->conn)
    PQfinish (pg->conn);
  pthread_mutex_destroy (&pg->conn_lock);
  free (pg->conninfo);
  free (pg);
}

int
wpgs_inside (const wpol_store *st)
{
  return st->pg->inside;
}

/* ---- the mirror -------------------------------------------------------- */

/* Copy table t from the server into the mirror (emptied first). where:
 * a condition with $1 = arg, or NULL. */
static int
pull_table (wpol_store *st, size_t t, const char *where, const char *arg, ward_err *err)
{
  char sql[256], what[96];
  snprintf (what, sizeof what, "reading %s", tables[t].name);
  snprintf (sql, sizeof sql, "SELECT %s FROM %s%s%s", tables[t].cols, tables[t].name,
            where ? " WHERE " : "", where ? where : "");
  const char *params[1] = { arg };
  PGresult *r = PQexecParams (st->pg->conn, sql, where ? 1 : 0, NULL, params, NULL, NULL, 0);
  if (PQresultStatus (r) != PGRES_TUPLES_OK)
    {
      wpg_fail (st->pg->conn, r, err, what);
      PQclear (r);
      return -1;
    }
  int n = snprintf (sql, sizeof sql, "INSERT INTO %s (%s) VALUES (?", tables[t].name,
                    tables[t].cols);
  for (int i = 1; i < tables[t].ncol; i++)
    n += snprintf (sql + n, sizeof sql - (size_t) n, ", ?");
  snprintf (sql + n, sizeof sql - (size_t) n, ")");
  sqlite3_stmt *s;
  int rc = sqlite3_prepare_v2 (st->db, sql, -1, &s, NULL);
  if (rc != SQLITE_OK)
    {
      PQclear (r);
      return wpol_st_fail (st, err, rc, what);
    }
  int rows = PQntuples (r), cols = PQnfields (r) < tables[t].ncol ? PQnfields (r)
                                                                    : tables[t].ncol;
  for (int i = 0; i < rows && rc != -1; i++)
    {
      sqlite3_reset (s);
      sqlite3_clear_bindings (s);
      for (int j = 0; j < cols; j++)
        if (!PQgetisnull (r, i, j))
          sqlite3_bind_text (s, j + 1, PQgetvalue (r, i, j), PQgetlength (r, i, j),
                             SQLITE_STATIC);
      rc = sqlite3_step (s);
      if (rc != SQLITE_DONE)
        {
          wpol_st_fail (st, err, rc, what);
          rc = -1;
        }
    }
  sqlite3_finalize (s);
  PQclear (r);
  return rc == -1 ? -1 : 0;
}

/* Make the mirror what the server holds (in the caller's transaction on
 * the server). */
static int
pull (wpol_store *st, int64_t history_version, ward_err *err)
{
  if (wpol_st_exec (st, "BEGIN; DELETE FROM rules; DELETE FROM policies; DELETE FROM actors;"
                    " DELETE FROM hosts; DELETE FROM sandboxes; DELETE FROM files;"
                    " DELETE FROM history_files; DELETE FROM history; DELETE FROM meta",
                    err, "emptying the mirror") < 0)
    goto fail;
  for (size_t t = 0; t < NTABLES; t++)
    {
      if (t == T_HISTORY_FILES && history_version < 0)
        continue;
      char v[32];
      snprintf (v, sizeof v, "%" PRId64, history_version);
      if (pull_table (st, t, t == T_HISTORY_FILES ? "version = $1" : NULL, v, err) < 0)
        goto fail;
    }
  if (wpol_st_exec (st, "COMMIT", err, "filling the mirror") < 0)
    goto fail;
  return 0;
fail:
  wpol_st_abort_change (st);
  return -1;
}

/* Insert k rows of table t, whose values are vals[0 .. k * ncol), in one
 * statement. */
static int
insert_rows (wpol_store *st, size_t t, const char *const *vals, int k, const char *what,
             ward_err *err)
{
  int nc = tables[t].ncol;
  wpol_buf q = { 0 };
  wpol_buf_printf (&q, "INSERT INTO %s (%s) VALUES ", tables[t].name, tables[t].cols);
  for (int i = 0; i < k; i++)
    for (int j = 0; j < nc; j++)
      wpol_buf_printf (&q, "%s$%d%s", j ? ", " : i ? ", (" : "(", i * nc + j + 1,
                       j + 1 == nc ? ")" : "");
  if (q.oom || q.s == NULL)
    {
      wpol_buf_free (&q);
      return oom (err);
    }
  PGresult *r = PQexecParams (st->pg->conn, q.s, k * nc, NULL, vals, NULL, NULL, 0);
  int ret = PQresultStatus (r) == PGRES_COMMAND_OK ? 0 : wpg_fail (st->pg->conn, r, err, what);
  PQclear (r);
  wpol_buf_free (&q);
  return ret;
}

/* Write the mirror's rows of table t (those the condition where selects,
 * when not NULL) to the server, PUSH_ROWS to a statement (one round trip
 * each, not one a row: a store of 10k rules is written in 0.2 s). */
#define PUSH_ROWS 256
static int
push_table (wpol_store *st, size_t t, const char *where, ward_err *err)
{
  char sql[256], what[96];
  snprintf (what, sizeof what, "writing %s", tables[t].name);
  snprintf (sql, sizeof sql, "SELECT %s FROM %s%s%s", tables[t].cols, tables[t].name,
            where ? " WHERE " : "", where ? where : "");
  sqlite3_stmt *s;
  int rc = sqlite3_prepare_v2 (st->db, sql, -1, &s, NULL);
  if (rc != SQLITE_OK)
    return wpol_st_fail (st, err, rc, what);
  int nc = tables[t].ncol, k = 0, ret = 0;
  char **vals = calloc ((size_t) (PUSH_ROWS * nc), sizeof *vals);
  if (vals == NULL)
    ret = oom (err);
  while (ret == 0)
    {
      rc = sqlite3_step (s);
      if (rc == SQLITE_ROW)
        {
          for (int j = 0; j < nc; j++)
            {
              const char *v = (const char *) sqlite3_column_text (s, j);
              if ((vals[k * nc + j] = strdup (v ? v : "")) == NULL)
                ret = oom (err);
            }
          k++;
        }
      if (ret == 0 && k > 0 && (rc != SQLITE_ROW || k == PUSH_ROWS))
        ret = insert_rows (st, t, (const char *const *) vals, k, what, err);
      if (vals && (ret < 0 || rc != SQLITE_ROW || k == PUSH_ROWS))
        {
          for (int i = 0; i < k * nc; i++)
            free (vals[i]);
          memset (vals, 0, (size_t) (k * nc) * sizeof *vals);
          k = 0;
        }
      if (rc != SQLITE_ROW)
        break;
    }
  if (ret == 0 && rc != SQLITE_DONE)
    ret = wpol_st_fail (st, err, rc, what);
  free (vals);
  sqlite3_finalize (s);
  return ret;
}

/* The change moved the mirror from version before to now: replace the
 * files and their definitions, add the new history, set the version and
 * tell every ward listening. */
static int
push (wpol_store *st, int64_t before, int64_t now, ward_err *err)
{
  char cond[64], b[32], v[32];
  snprintf (b, sizeof b, "%" PRId64, before);
  snprintf (v, sizeof v, "%" PRId64, now);
  snprintf (cond, sizeof cond, "version > %" PRId64, before);
  const char *p1[1] = { b };
  PGresult *r = PQexecParams (st->pg->conn, "DELETE FROM history WHERE version > $1", 1, NULL,
                              p1, NULL, NULL, 0);
  int ok = PQresultStatus (r) == PGRES_COMMAND_OK;
  if (!ok)
    wpg_fail (st->pg->conn, r, err, "writing the history");
  PQclear (r);
  if (!ok || wpg_exec (st->pg->conn, err, "replacing the files", "DELETE FROM files") < 0)
    return -1;
  for (size_t t = 1; t < T_HISTORY; t++)
    if (push_table (st, t, NULL, err) < 0)
      return -1;
  if (push_table (st, T_HISTORY, cond, err) < 0 || push_table (st, T_HISTORY_FILES, cond, err) < 0)
    return -1;
  const char *p2[1] = { v };
  r = PQexecParams (st->pg->conn, "UPDATE meta SET value = $1 WHERE key = 'version'", 1, NULL,
                    p2, NULL, NULL, 0);
  ok = PQresultStatus (r) == PGRES_COMMAND_OK;
  if (!ok)
    wpg_fail (st->pg->conn, r, err, "writing the version");
  PQclear (r);
  if (!ok)
    return -1;
  r = PQexecParams (st->pg->conn, "SELECT pg_notify('" WPG_CHANNEL_POLICY "', $1)", 1, NULL, p2,
                    NULL, NULL, 0);
  ok = PQresultStatus (r) == PGRES_TUPLES_OK;
  if (!ok)
    wpg_fail (st->pg->conn, r, err, "announcing the change");
  PQclear (r);
  return ok ? 0 : -1;
}

/* ---- operations -------------------------------------------------------- */

static int
mirror_version (wpol_store *st, int64_t *v, ward_err *err)
{
  uint64_t u;
  st->pg->inside = 1;
  int r = wpol_store_version (st, &u, err);
  *v = (int64_t) u;
  return r;
}

/* The schema, in the operation's transaction: a newer ward may have
 * migrated it since the store was opened (a running ward lives long), and
 * what a newer schema means this ward does not know: it reads nothing
 * from it (a running ward keeps the policies it loaded). */
static int
schema_known (wpgs *pg, ward_err *err)
{
  PGresult *r = PQexec (pg->conn, "SELECT coalesce(max(version), 0) FROM schema_migrations");
  if (PQresultStatus (r) != PGRES_TUPLES_OK || PQntuples (r) != 1)
    {
      wpg_fail (pg->conn, r, err, "reading the schema version");
      PQclear (r);
      return -1;
    }
  long v = strtol (PQgetvalue (r, 0, 0), NULL, 10);
  PQclear (r);
  if (v <= WPG_SCHEMA_VERSION)
    return 0;
  char name[256];
  wpg_conn_name (pg->conn, name, sizeof name);
  return ward_err_set (err, WARD_E_INVALID, 0, "the ward schema in %s has version %ld; this "
                       "ward knows up to %d (upgrade ward)", name, v, WPG_SCHEMA_VERSION);
}

#define WPGS_LOCK_STR2(x) #x
#define WPGS_LOCK_STR(x) WPGS_LOCK_STR2 (x)
#define LOCK_TIMEOUT "SELECT set_config('lock_timeout', '" WPGS_LOCK_STR (WPGS_LOCK_MS) "', true)" \
  " WHERE current_setting('lock_timeout') = '0'"

int
wpgs_enter (wpol_store *st, int change, int64_t history_version, ward_err *err)
{
  wpgs *pg = st->pg;
  change = change && !st->preview && !st->readonly;
  /* A lock someone holds on a store table (a DBA's ALTER TABLE left in an
   * open transaction) makes the operation fail after WPGS_LOCK_MS rather
   * than wait for ever, unless the session sets its own lock_timeout; a
   * change waits as long as it must for another change (the advisory
   * lock is taken before). */
  if (wpg_exec (pg->conn, err, change ? "starting the change" : "reading",
                change ? "BEGIN; SELECT pg_advisory_xact_lock(" WPG_LOCK_STORE "); " LOCK_TIMEOUT
                : "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; " LOCK_TIMEOUT) < 0)
    {
      if (PQtransactionStatus (pg->conn) != PQTRANS_IDLE)
        pg_discard (pg->conn, "ROLLBACK");
      return -1;
    }
  if (schema_known (pg, err) < 0 || pull (st, history_version, err) < 0
      || (change && mirror_version (st, &pg->before, err) < 0)
      || (!change && wpg_exec (pg->conn, err, "reading", "COMMIT") < 0))
    {
      pg->inside = 0;
      pg_discard (pg->conn, "ROLLBACK");
      return -1;
    }
  pg->change = change;
  pg->inside = 1;
  return 0;
}

int
wpgs_leave (wpol_store *st, int r, ward_err *err)
{
  wpgs *pg = st->pg;
  int64_t now = 0;
  if (pg->change && r == 0 && mirror_version (st, &now, err) < 0)
    r = -1;
  pg->inside = 0;
  if (!pg->change)
    return r;
  pg->change = 0;
  if (r == 0 && now != pg->before
      && (push (st, pg->before, now, err) < 0
          || wpg_exec (pg->conn, err, "committing the change", "COMMIT") < 0))
    r = -1;
  if (PQtransactionStatus (pg->conn) != PQTRANS_IDLE)
    pg_discard (pg->conn, "ROLLBACK");
  return r;
}

int
wpgs_version (wpol_store *st, uint64_t *version, ward_err *err)
{
  PGresult *r = PQexec (st->pg->conn, "SELECT value FROM meta WHERE key = 'version'");
  if (PQresultStatus (r) != PGRES_TUPLES_OK || PQntuples (r) != 1)
    {
      wpg_fail (st->pg->conn, r, err, "reading the version");
      PQclear (r);
      return -1;
    }
  *version = strtoull (PQgetvalue (r, 0, 0), NULL, 10);
  PQclear (r);
  return 0;
}

/* ---- the poller of `ward run` ------------------------------------------ */

/* Wait up to ms for the connection's socket (sock >= 0) or wake_fd. 1 when
 * woken (stop), else 0. */
static int
wait_for (int sock, int wake_fd, int ms)
{
  struct pollfd fds[2] = { { .fd = wake_fd, .events = POLLIN }, { .fd = sock, .events = POLLIN } };
  int r = poll (fds, sock >= 0 ? 2 : 1, ms);
  return r > 0 && (fds[0].revents & (POLLIN | POLLHUP)) != 0;
}

static int64_t
now_ms (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Say text once on stderr and in the audit. */
static void
say (const char *text)
{
  fprintf (stderr, "ward: %s\n", text);
  wpol_audit_notice (text);
}

void
wpgs_stop (wpol_store *st)
{
  if (st == NULL || st->pg == NULL)
    return;
  pthread_mutex_lock (&st->pg->conn_lock);
  st->pg->stopping = 1;
  /* shutdown, not close: the fd stays the connection's until PQfinish */
  if (st->pg->conn && PQsocket (st->pg->conn) >= 0)
    shutdown (PQsocket (st->pg->conn), SHUT_RDWR);
  pthread_mutex_unlock (&st->pg->conn_lock);
}

static int
stopping (wpgs *pg)
{
  pthread_mutex_lock (&pg->conn_lock);
  int r = pg->stopping;
  pthread_mutex_unlock (&pg->conn_lock);
  return r;
}

static int
listen_on (wpgs *pg, ward_err *err)
{
  return wpg_exec (pg->conn, err, "listening for changes", "LISTEN " WPG_CHANNEL_POLICY);
}

/* Wait until conn's answer is in, for WPGS_ANSWER_MS at most: 0; 1 when
 * woken (stop); -1 with err when the connection failed or the server
 * did not answer. */
static int
await_answer (wpgs *pg, int wake_fd, int64_t deadline, ward_err *err)
{
  while (PQisBusy (pg->conn))
    {
      int64_t left = deadline - now_ms ();
      if (left <= 0)
        {
          char name[256];
          wpg_conn_name (pg->conn, name, sizeof name);
          return ward_err_set (err, WARD_E_UNAVAILABLE, 0, "%s: reading the version: no "
                               "answer in %d ms", name, WPGS_ANSWER_MS);
        }
      if (wait_for (PQsocket (pg->conn), wake_fd, (int) left))
        return 1;
      if (!PQconsumeInput (pg->conn))
        return wpg_fail (pg->conn, NULL, err, "reading the version");
    }
  return 0;
}

/* The periodic check's question, asked without waiting on the server for
 * long: a network gone (no answer, no error either until TCP gives up)
 * is taken as a lost connection. 0 answered, 1 woken (stop), -1 with err. */
static int
probe (wpgs *pg, int wake_fd, ward_err *err)
{
  if (!PQsendQuery (pg->conn, "SELECT value FROM meta WHERE key = 'version'"))
    return wpg_fail (pg->conn, NULL, err, "reading the version");
  int64_t deadline = now_ms () + WPGS_ANSWER_MS;
  int ret = 0;
  for (;;)
    {
      int w = await_answer (pg, wake_fd, deadline, err);
      if (w != 0)
        return w;
      PGresult *r = PQgetResult (pg->conn);
      if (r == NULL)
        return ret;
      if (PQresultStatus (r) != PGRES_TUPLES_OK && ret == 0)
        ret = wpg_fail (pg->conn, r, err, "reading the version");
      PQclear (r);
    }
}

void
wpgs_watch (wpol_store *st, wpol_engine *e, int wake_fd)
{
  wpgs *pg = st->pg;
  ward_err err;
  char text[WARD_ERR_MSG_MAX + 200];
  int lost = 0, warned = 0, backoff = 100;
  int64_t next_check = now_ms () + WPGS_CHECK_MS;
  if (listen_on (pg, &err) < 0)
    lost = -1;                      /* said below, as a loss */
  else if (wpol_engine_reload_if_changed (e, st, &err) < 0 && err.kind == WARD_E_UNAVAILABLE)
    lost = -1;
  for (;;)
    {
      if (lost && stopping (pg))
        return;                   /* (cut by wpgs_stop: nothing was lost) */
      if (lost)
        {
          if (lost < 0)
            {
              uint64_t v = wpol_engine_store_version (e, wpol_engine_generation (e));
              snprintf (text, sizeof text, "the policy store is lost (%s); the policies "
                        "loaded (version %" PRIu64 ") stay in force until it is back",
                        err.msg, v);
              say (text);
              lost = 1;
              backoff = 100;
            }
          if (wait_for (-1, wake_fd, backoff))
            return;
          backoff = backoff * 2 > 5000 ? 5000 : backoff * 2;
          /* (a connection attempt a stop cuts short: a server stopped, or
           * a network gone, holds one for its whole connect timeout) */
          int woken;
          PGconn *c = wpg_connect_wake (pg->conninfo, wake_fd, &woken, &err);
          if (woken)
            return;
          if (c == NULL)
            continue;
          pthread_mutex_lock (&pg->conn_lock);
          PQfinish (pg->conn);
          pg->conn = c;
          if (pg->stopping)
            shutdown (PQsocket (c), SHUT_RDWR);
          pthread_mutex_unlock (&pg->conn_lock);
          int r = listen_on (pg, &err);
          if (r == 0)
            r = wpol_engine_reload_if_changed (e, st, &err);
          if (r < 0 && err.kind == WARD_E_UNAVAILABLE)
            continue;
          lost = 0;
          uint64_t v = wpol_engine_store_version (e, wpol_engine_generation (e));
          char name[256];
          snprintf (text, sizeof text, "the policy store %s is back (version %" PRIu64 ")",
                    wpg_conn_name (c, name, sizeof name), v);
          say (text);
          if (r < 0)
            {
              fprintf (stderr, "ward: reloading the policy store failed (the policies loaded "
                       "before stay in force): %s\n", err.msg);
              warned = 1;
            }
          next_check = now_ms () + WPGS_CHECK_MS;
          continue;
        }
      int64_t left = next_check - now_ms ();
      if (wait_for (PQsocket (pg->conn), wake_fd, left > 0 ? (int) left : 0))
        return;
      int notified = 0;
      if (PQconsumeInput (pg->conn) == 0 || PQstatus (pg->conn) != CONNECTION_OK)
        {
          wpg_fail (pg->conn, NULL, &err, "listening for changes");
          lost = -1;
          continue;
        }
      PGnotify *n;
      while ((n = PQnotifies (pg->conn)) != NULL)
        {
          notified = 1;
          PQfreemem (n);
        }
      if (!notified && now_ms () < next_check)
        continue;
      next_check = now_ms () + WPGS_CHECK_MS;
      /* the periodic check: a server that does not answer is lost */
      int p = notified ? 0 : probe (pg, wake_fd, &err);
      if (p > 0)
        return;
      if (p < 0 && err.kind == WARD_E_UNAVAILABLE)
        {
          lost = -1;
          continue;
        }
      int r = wpol_engine_reload_if_changed (e, st, &err);
      if (r < 0 && (err.kind == WARD_E_UNAVAILABLE || PQstatus (pg->conn) != CONNECTION_OK))
        {
          lost = -1;
          continue;
        }
      if (r < 0 && !warned)
        fprintf (stderr, "ward: reloading the policy store failed (the policies loaded "
                 "before stay in force): %s\n", err.msg);
      warned = r < 0;
    }
}
