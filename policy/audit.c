/* audit.c -- the audit writer: a bounded queue filled by the gate (one
 * malloc and a short critical section per record, no system call) and a
 * thread that drains it every flush period, or sooner when the queue is a
 * quarter full or a --audit-sync caller waits, committing each batch in
 * one transaction. */
#include "config.h"
#include "audit.h"
#include "wpol.h"

#include <errno.h>
#include <pthread.h>
#include <pwd.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define BATCH_MAX 8192

/* The strings of a record, packed after it; NOSTR marks a missing one. */
enum { S_ACTOR, S_ACTION, S_RESOURCE, S_PID, S_HOST, S_PARENT, S_TACTOR, S_THOST,
       S_TPARENT, S_SCOPE, S_META, S_N };
#define NOSTR UINT32_MAX

typedef struct arec {
  int64_t ts;                     /* microseconds since the epoch */
  uint64_t generation;
  const wpol_rule_loc *rule;
  const wpol_actor_info *ainfo;
  uint8_t decision, permissive, reason;
  uint16_t nscope, nmeta;         /* request scope names, meta pairs */
  uint32_t off[S_N];
  uint32_t len;
  char data[];
} arec;

static struct {
  pthread_mutex_t lock;
  pthread_cond_t wake, done;
  arec **ring;
  size_t cap, head, n;
  uint64_t enq, committed;        /* queue serials */
  uint64_t lost;                  /* not yet reported */
  int running, stop, waiting, urgent, hold, sync;
  unsigned flush_ms;
  wpol_audit_counts counts;
  pthread_t thread;
  /* the writer's own */
  sqlite3 *db;
  sqlite3_stmt *ins, *ins_run;
  char *path, *store;
  int64_t run_id;
  int permissive, audit_all, from_store;
  wpol_engine *engine;
  uint64_t failed_unreported;
  char failed_why[256];
  int warned;
} aw = { .lock = PTHREAD_MUTEX_INITIALIZER, .wake = PTHREAD_COND_INITIALIZER,
         .done = PTHREAD_COND_INITIALIZER };

/* ---- the default path -------------------------------------------------- */

int
wpol_audit_default_hint (ward_err *err)
{
  static const char hint[] = "; " WPOL_AUDIT_DEFAULT_HINT;
  static const char cut[] = "...";
  if (err == NULL)
    return -1;
  size_t n = strlen (err->msg);
  if (n + sizeof hint > sizeof err->msg)
    {
      n = sizeof err->msg - sizeof hint - (sizeof cut - 1);
      memcpy (err->msg + n, cut, sizeof cut - 1);
      n += sizeof cut - 1;
    }
  memcpy (err->msg + n, hint, sizeof hint);
  return -1;
}

static int
mkdirs (char *path, ward_err *err)
{
  for (char *p = path + 1; *p; p++)
    if (*p == '/')
      {
        *p = '\0';
        int r = mkdir (path, 0700);
        int e = errno;
        *p = '/';
        if (r < 0 && e != EEXIST)
          {
            ward_err_set (err, WARD_E_INVALID, e, "creating the audit directory `%.*s`",
                          (int) (p - path), path);
            return wpol_audit_default_hint (err);
          }
      }
  return 0;
}

int
wpol_audit_default_path (char *buf, size_t size, int make, ward_err *err)
{
  const char *xdg = getenv ("XDG_STATE_HOME"), *home = getenv ("HOME");
  int n;
  if (xdg && xdg[0] == '/')
    n = snprintf (buf, size, "%s/ward/audit.db", xdg);
  else
    {
      if (home == NULL || home[0] != '/')
        {
          struct passwd *pw = getpwuid (getuid ());
          home = pw ? pw->pw_dir : NULL;
        }
      if (home == NULL || home[0] != '/')
        {
          ward_err_set (err, WARD_E_INVALID, 0, "no home directory for the audit database");
          return wpol_audit_default_hint (err);
        }
      n = snprintf (buf, size, "%s/.local/state/ward/audit.db", home);
    }
  if (n < 0 || (size_t) n >= size)
    return ward_err_set (err, WARD_E_INVALID, ENAMETOOLONG, "the audit database path is too long");
  return make ? mkdirs (buf, err) : 0;
}

/* ---- the producer side ------------------------------------------------- */

static int64_t
now_us (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_REALTIME, &ts);
  return (int64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void
lose (size_t n)
{
  aw.lost += n;
  aw.counts.lost += n;
}

int
wpol_audit_submit (const wpol_audit_in *in)
{
  const ward_attrs none = { 0 };
  const ward_attrs *a = in->attrs ? in->attrs : &none;
  const ward_actor *ac = in->actor;
  const char *s[S_META] = { ac ? ac->id : NULL, in->action, in->resource, a->pid, a->host,
                            a->parent, a->target_actor, a->target_host, a->target_parent };
  size_t len[S_META], total = 0;
  for (int i = 0; i < S_SCOPE; i++)
    total += (len[i] = s[i] ? strlen (s[i]) + 1 : 0);
  size_t nscope = ac && ac->scope && ac->nscope <= UINT16_MAX ? ac->nscope : 0;
  size_t nmeta = ac && ac->meta && ac->nmeta <= UINT16_MAX / 2 ? ac->nmeta : 0;
  for (size_t i = 0; i < nscope; i++)
    total += (ac->scope[i] ? strlen (ac->scope[i]) : 0) + 1;
  for (size_t i = 0; i < 2 * nmeta; i++)
    total += (ac->meta[i] ? strlen (ac->meta[i]) : 0) + 1;
  arec *r = total < NOSTR ? malloc (sizeof *r + total) : NULL;
  if (r)
    {
      r->ts = now_us ();
      r->generation = in->res ? in->res->generation : 0;
      r->rule = in->res ? in->res->rule : NULL;
      r->ainfo = in->res ? in->res->actor : NULL;
      r->reason = (uint8_t) (in->res ? in->res->reason : WPOL_BAD_REQUEST);
      r->decision = in->decision == WARD_ALLOW;
      r->permissive = !!in->permissive;
      r->nscope = (uint16_t) nscope;
      r->nmeta = (uint16_t) nmeta;
      r->len = (uint32_t) total;
      char *p = r->data;
      for (int i = 0; i < S_SCOPE; i++)
        {
          r->off[i] = s[i] ? (uint32_t) (p - r->data) : NOSTR;
          memcpy (p, s[i] ? s[i] : "", len[i]);
          p += len[i];
        }
      r->off[S_SCOPE] = (uint32_t) (p - r->data);
      for (size_t i = 0; i < nscope; i++)
        {
          const char *v = ac->scope[i] ? ac->scope[i] : "";
          size_t l = strlen (v) + 1;
          memcpy (p, v, l);
          p += l;
        }
      r->off[S_META] = (uint32_t) (p - r->data);
      for (size_t i = 0; i < 2 * nmeta; i++)
        {
          const char *v = ac->meta[i] ? ac->meta[i] : "";
          size_t l = strlen (v) + 1;
          memcpy (p, v, l);
          p += l;
        }
    }
  pthread_mutex_lock (&aw.lock);
  if (!aw.running)
    {
      pthread_mutex_unlock (&aw.lock);
      free (r);
      return -1;
    }
  aw.counts.submitted++;
  if (r == NULL || aw.n == aw.cap)
    {
      lose (1);
      pthread_mutex_unlock (&aw.lock);
      free (r);
      return -1;
    }
  aw.ring[(aw.head + aw.n) % aw.cap] = r;
  aw.n++;
  uint64_t serial = ++aw.enq;
  if (aw.sync)
    {
      aw.urgent = 1;
      pthread_cond_signal (&aw.wake);
      while (aw.committed < serial && aw.running)
        pthread_cond_wait (&aw.done, &aw.lock);
    }
  else if (aw.n == aw.cap / 4 && aw.waiting)
    pthread_cond_signal (&aw.wake);
  pthread_mutex_unlock (&aw.lock);
  return 0;
}

/* ---- the writer -------------------------------------------------------- */

static const char *
str (const arec *r, int i)
{
  return r->off[i] == NOSTR ? NULL : r->data + r->off[i];
}

/* Identical but for the time: coalesced into one row with a count. */
static int
same (const arec *a, const arec *b)
{
  return a->decision == b->decision && a->permissive == b->permissive
         && a->reason == b->reason && a->rule == b->rule && a->ainfo == b->ainfo
         && a->generation == b->generation && a->nscope == b->nscope
         && a->nmeta == b->nmeta && a->len == b->len
         && memcmp (a->off, b->off, sizeof a->off) == 0
         && memcmp (a->data, b->data, a->len) == 0;
}

static wpol_buf breason;         /* the writer's, reused */

static const char *
reason_text (const arec *r)
{
  switch (r->reason)
    {
    case WPOL_NO_MATCH: return "no rule matched";
    case WPOL_BY_RULE: return r->rule && strcmp (r->rule->policy, "--deny") == 0 ? "--deny" : "rule";
    case WPOL_BY_RULE_ERROR: return "condition error (fails closed)";
    case WPOL_UNDECLARED:
      {
        /* the id is the script's choice: no control character in a reason */
        const unsigned char *id = (const unsigned char *) (str (r, S_ACTOR) ? str (r, S_ACTOR) : "");
        breason.len = 0;
        wpol_buf_puts (&breason, "actor `");
        for (; *id; id++)
          if (*id < 0x20 || *id == 0x7f || *id == '\\')
            wpol_buf_printf (&breason, "\\x%02x", *id);
          else
            wpol_buf_add (&breason, (const char *) id, 1);
        wpol_buf_puts (&breason, "` is not declared");
        return breason.oom ? "actor not declared" : breason.s;
      }
    default: return "malformed request";
    }
}

/* Every string bound lives until the step: in the record, in the engine's
 * interned locations, in a literal or in one of the writer's buffers. */
static void
bind_text (int col, const char *s)
{
  if (s)
    sqlite3_bind_text (aw.ins, col, s, -1, SQLITE_STATIC);
  else
    sqlite3_bind_null (aw.ins, col);
}

/* Columns of the insert, in order. */
enum { C_RUN = 1, C_TS, C_TS_LAST, C_COUNT, C_KIND, C_DECISION, C_MODE, C_ACTOR, C_META,
       C_SCOPE, C_ACTION, C_RESOURCE, C_ATTRS, C_PID, C_HOST, C_REASON, C_RPOLICY, C_RFILE,
       C_RLINE, C_RTEXT, C_VERSION, C_NOTE };

static wpol_buf bmeta, bscope, battrs;      /* the writer's, reused */
static uint64_t vgen, vver;                  /* the last generation -> version */

static int
insert_rec (const arec *r, int64_t count, int64_t ts_last)
{
  sqlite3_reset (aw.ins);
  sqlite3_bind_int64 (aw.ins, C_RUN, aw.run_id);
  sqlite3_bind_int64 (aw.ins, C_TS, r->ts);
  sqlite3_bind_int64 (aw.ins, C_TS_LAST, ts_last);
  sqlite3_bind_int64 (aw.ins, C_COUNT, count);
  bind_text (C_KIND, "decision");
  bind_text (C_DECISION, r->decision ? "allow" : "deny");
  bind_text (C_MODE, r->permissive ? "permissive" : "enforcing");
  bind_text (C_ACTOR, str (r, S_ACTOR));
  /* metadata: the request's pairs, then the declaration's fields */
  const char *decl_meta = r->ainfo ? r->ainfo->meta : "{}";
  if (r->nmeta == 0)
    bind_text (C_META, decl_meta);
  else
    {
      wpol_buf *b = &bmeta;
      b->len = 0;
      wpol_buf_puts (b, "{");
      const char *p = r->data + r->off[S_META];
      for (size_t i = 0; i < r->nmeta; i++)
        {
          const char *k = p, *v = k + strlen (k) + 1;
          p = v + strlen (v) + 1;
          wpol_buf_puts (b, i ? "," : "");
          wpol_buf_json (b, k);
          wpol_buf_puts (b, ":");
          wpol_buf_json (b, v);
        }
      if (strcmp (decl_meta, "{}") != 0)
        {
          wpol_buf_puts (b, ",");
          wpol_buf_puts (b, decl_meta + 1);
        }
      else
        wpol_buf_puts (b, "}");
      bind_text (C_META, b->oom ? NULL : b->s);
    }
  /* scope: the request's, else the declaration's, else NULL (every policy) */
  if (r->nscope)
    {
      wpol_buf *b = &bscope;
      b->len = 0;
      wpol_buf_puts (b, "[");
      const char *p = r->data + r->off[S_SCOPE];
      for (size_t i = 0; i < r->nscope; i++)
        {
          wpol_buf_puts (b, i ? "," : "");
          wpol_buf_json (b, p);
          p += strlen (p) + 1;
        }
      wpol_buf_puts (b, "]");
      bind_text (C_SCOPE, b->oom ? NULL : b->s);
    }
  else
    bind_text (C_SCOPE, r->ainfo ? r->ainfo->scope : NULL);
  bind_text (C_ACTION, str (r, S_ACTION));
  bind_text (C_RESOURCE, str (r, S_RESOURCE));
  static const char *const keys[] = { "{\"pid\":", "{\"host\":", "{\"parent\":",
                                      "{\"target.actor\":", "{\"target.host\":",
                                      "{\"target.parent\":" };
  wpol_buf *b = &battrs;
  b->len = 0;
  for (int i = S_PID; i <= S_TPARENT; i++)
    if (str (r, i))
      {
        /* the key with a leading { for the first, a , for the others */
        const char *k = keys[i - S_PID];
        if (b->len)
          wpol_buf_add (b, ",", 1);
        wpol_buf_puts (b, b->len ? k + 1 : k);
        wpol_buf_json (b, str (r, i));
      }
  wpol_buf_puts (b, b->len ? "}" : "{}");
  bind_text (C_ATTRS, b->oom ? NULL : b->s);
  bind_text (C_PID, str (r, S_PID));
  bind_text (C_HOST, str (r, S_HOST));
  bind_text (C_REASON, reason_text (r));
  bind_text (C_RPOLICY, r->rule ? r->rule->policy : NULL);
  bind_text (C_RFILE, r->rule ? r->rule->file : NULL);
  if (r->rule)
    sqlite3_bind_int64 (aw.ins, C_RLINE, r->rule->line);
  else
    sqlite3_bind_null (aw.ins, C_RLINE);
  bind_text (C_RTEXT, r->rule ? r->rule->text : NULL);
  uint64_t v = r->generation;
  if (aw.from_store && aw.engine)
    {
      if (vgen != r->generation)
        {
          vgen = r->generation;
          vver = wpol_engine_store_version (aw.engine, r->generation);
        }
      v = vver;
    }
  sqlite3_bind_int64 (aw.ins, C_VERSION, (int64_t) v);
  /* where the scope came from: ward audit suggest must not turn a scope
   * given at a spawn into the actor's declared one */
  bind_text (C_NOTE, r->nscope ? WPOL_AUDIT_NOTE_REQUEST_SCOPE : NULL);
  int rc = sqlite3_step (aw.ins);
  return rc == SQLITE_DONE ? 0 : -1;
}

static int
insert_overflow (uint64_t n, const char *note)
{
  sqlite3_reset (aw.ins);
  sqlite3_clear_bindings (aw.ins);
  int64_t t = now_us ();
  sqlite3_bind_int64 (aw.ins, C_RUN, aw.run_id);
  sqlite3_bind_int64 (aw.ins, C_TS, t);
  sqlite3_bind_int64 (aw.ins, C_TS_LAST, t);
  sqlite3_bind_int64 (aw.ins, C_COUNT, (int64_t) n);
  bind_text (C_KIND, "overflow");
  bind_text (C_NOTE, note);
  return sqlite3_step (aw.ins) == SQLITE_DONE ? 0 : -1;
}

static int
insert_run (void)
{
  char host[256] = "";
  gethostname (host, sizeof host - 1);
  sqlite3_reset (aw.ins_run);
  sqlite3_bind_int64 (aw.ins_run, 1, now_us ());
  sqlite3_bind_int64 (aw.ins_run, 2, (int64_t) getpid ());
  sqlite3_bind_text (aw.ins_run, 3, host, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (aw.ins_run, 4, aw.store ? aw.store : "", -1, SQLITE_TRANSIENT);
  sqlite3_bind_int (aw.ins_run, 5, aw.permissive);
  sqlite3_bind_int (aw.ins_run, 6, aw.audit_all);
  if (sqlite3_step (aw.ins_run) != SQLITE_DONE)
    return -1;
  aw.run_id = sqlite3_last_insert_rowid (aw.db);
  return 0;
}

/* Commit one batch: records (coalescing runs of identical ones) and the
 * count of records lost since the last batch. On failure everything of
 * the batch is counted as failed and reported by the next one. */
static void
write_batch (arec **v, size_t n, uint64_t lost)
{
  uint64_t rows = 0, merged = 0;
  int ok = sqlite3_exec (aw.db, "BEGIN IMMEDIATE", NULL, NULL, NULL) == SQLITE_OK;
  for (size_t i = 0; ok && i < n;)
    {
      size_t j = i + 1;
      while (j < n && same (v[i], v[j]))
        j++;
      ok = insert_rec (v[i], (int64_t) (j - i), v[j - 1]->ts) == 0;
      rows++;
      merged += j - i - 1;
      i = j;
    }
  if (ok && lost)
    {
      char note[96];
      snprintf (note, sizeof note, "%llu record%s lost: the audit queue was full",
                (unsigned long long) lost, lost == 1 ? "" : "s");
      ok = insert_overflow (lost, note) == 0;
      rows++;
    }
  if (ok && aw.failed_unreported)
    {
      char note[400];
      snprintf (note, sizeof note, "%llu record%s lost: a commit failed: %s",
                (unsigned long long) aw.failed_unreported,
                aw.failed_unreported == 1 ? "" : "s", aw.failed_why);
      ok = insert_overflow (aw.failed_unreported, note) == 0;
      rows++;
    }
  if (ok)
    ok = sqlite3_exec (aw.db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK;
  pthread_mutex_lock (&aw.lock);
  if (ok)
    {
      aw.counts.written += rows;
      aw.counts.coalesced += merged;
      aw.failed_unreported = 0;
    }
  else
    {
      snprintf (aw.failed_why, sizeof aw.failed_why, "%s", sqlite3_errmsg (aw.db));
      aw.failed_unreported += n + lost;
      aw.counts.failed += n + lost;
    }
  pthread_mutex_unlock (&aw.lock);
  if (!ok)
    {
      sqlite3_exec (aw.db, "ROLLBACK", NULL, NULL, NULL);
      if (!aw.warned)
        fprintf (stderr, "ward: audit: cannot write to `%s`: %s (the lost records are "
                 "counted and reported)\n", aw.path, aw.failed_why);
      aw.warned = 1;
    }
  for (size_t i = 0; i < n; i++)
    free (v[i]);
}

static void
deadline_in (struct timespec *ts, unsigned ms)
{
  clock_gettime (CLOCK_REALTIME, ts);
  ts->tv_sec += ms / 1000;
  ts->tv_nsec += (long) (ms % 1000) * 1000000L;
  if (ts->tv_nsec >= 1000000000L)
    {
      ts->tv_sec++;
      ts->tv_nsec -= 1000000000L;
    }
}

static void *
writer (void *unused)
{
  (void) unused;
  arec **batch = malloc (BATCH_MAX * sizeof *batch);
  pthread_mutex_lock (&aw.lock);
  for (;;)
    {
      if ((!aw.stop && !aw.urgent && aw.n < aw.cap / 4) || (aw.hold && !aw.stop))
        {
          struct timespec dl;
          deadline_in (&dl, aw.flush_ms);
          aw.waiting = 1;
          while (((!aw.stop && !aw.urgent && aw.n < aw.cap / 4) || (aw.hold && !aw.stop))
                 && pthread_cond_timedwait (&aw.wake, &aw.lock, &dl) == 0)
            ;
          aw.waiting = 0;
          if (aw.hold && !aw.stop)
            continue;
        }
      size_t take = aw.n < BATCH_MAX ? aw.n : BATCH_MAX;
      if (batch == NULL)
        {
          /* no memory for a batch: account for the records and drop them */
          lose (aw.n);
          for (size_t i = 0; i < aw.n; i++)
            free (aw.ring[(aw.head + i) % aw.cap]);
          aw.head = (aw.head + aw.n) % aw.cap;
          aw.committed += aw.n;
          aw.n = take = 0;
        }
      for (size_t i = 0; i < take; i++)
        batch[i] = aw.ring[(aw.head + i) % aw.cap];
      aw.head = (aw.head + take) % aw.cap;
      aw.n -= take;
      uint64_t upto = aw.committed + take, lost = aw.lost;
      aw.lost = 0;
      aw.urgent = aw.n > 0 && aw.urgent;
      int work = take || lost || aw.failed_unreported;
      pthread_mutex_unlock (&aw.lock);
      if (work)
        write_batch (batch, take, lost);
      pthread_mutex_lock (&aw.lock);
      aw.committed = upto;
      pthread_cond_broadcast (&aw.done);
      if (aw.stop && aw.n == 0 && (aw.lost == 0 || batch == NULL))
        break;
    }
  pthread_mutex_unlock (&aw.lock);
  free (batch);
  return NULL;
}

/* ---- start and stop ---------------------------------------------------- */

static void
close_db (void)
{
  wpol_buf_free (&bmeta);
  wpol_buf_free (&bscope);
  wpol_buf_free (&battrs);
  wpol_buf_free (&breason);
  vgen = vver = 0;
  sqlite3_finalize (aw.ins);
  sqlite3_finalize (aw.ins_run);
  sqlite3_close (aw.db);
  aw.ins = aw.ins_run = NULL;
  aw.db = NULL;
  free (aw.path);
  free (aw.store);
  free (aw.ring);
  aw.path = aw.store = NULL;
  aw.ring = NULL;
}

int
wpol_audit_start (const wpol_audit_opts *o, ward_err *err)
{
  wpol_audit_stop ();
  aw.path = strdup (o->path);
  aw.store = strdup (o->store ? o->store : "");
  aw.cap = o->queue ? o->queue : 65536;
  aw.ring = calloc (aw.cap, sizeof *aw.ring);
  if (aw.path == NULL || aw.store == NULL || aw.ring == NULL)
    {
      close_db ();
      return ward_err_set (err, WARD_E_INTERNAL, ENOMEM, "starting the audit writer");
    }
  int rc = sqlite3_open_v2 (aw.path, &aw.db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE
                            | SQLITE_OPEN_NOMUTEX, NULL);
  if (rc != SQLITE_OK)
    goto fail_open;
  sqlite3_busy_timeout (aw.db, 10000);
  if (sqlite3_db_readonly (aw.db, "main") == 1)
    {
      ward_err_set (err, WARD_E_INVALID, EACCES, "audit database `%s` is read-only", aw.path);
      close_db ();
      return -1;
    }
  /* WAL (readers never block the writer); a commit need not reach the
   * disk before the call goes on, only before a checkpoint */
  if (sqlite3_exec (aw.db, "PRAGMA journal_mode=WAL", NULL, NULL, NULL) != SQLITE_OK
      || sqlite3_exec (aw.db, "PRAGMA synchronous=NORMAL", NULL, NULL, NULL) != SQLITE_OK)
    goto fail_open;
  sqlite3_stmt *s;
  rc = sqlite3_prepare_v2 (aw.db, "SELECT count(*) FROM sqlite_master WHERE name IN "
                           "('audit', 'audit_runs', 'audit_ts')", -1, &s, NULL);
  if (rc != SQLITE_OK)
    goto fail_open;
  int have = sqlite3_step (s) == SQLITE_ROW ? sqlite3_column_int (s, 0) : -1;
  sqlite3_finalize (s);
  /* the schema when missing and the run's row, in one transaction: proves
   * that the run can be audited before it starts */
  if (sqlite3_exec (aw.db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK
      || (have != 3 && sqlite3_exec (aw.db, WPOL_AUDIT_SCHEMA, NULL, NULL, NULL) != SQLITE_OK))
    goto fail_open;
  if (sqlite3_prepare_v2 (aw.db, "INSERT INTO audit_runs (started, os_pid, hostname, store,"
                          " permissive, audit_all) VALUES (?,?,?,?,?,?)", -1, &aw.ins_run,
                          NULL) != SQLITE_OK)
    goto fail_open;
  aw.permissive = o->permissive;
  aw.audit_all = o->audit_all;
  if (insert_run () < 0 || sqlite3_exec (aw.db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
    goto fail_open;
  if (sqlite3_prepare_v2 (aw.db, "INSERT INTO audit (run, ts, ts_last, count, kind, decision,"
                          " mode, actor, actor_meta, scope, action, resource, attrs, pid, host,"
                          " reason, rule_policy, rule_file, rule_line, rule_text, store_version,"
                          " note) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", -1,
                          &aw.ins, NULL) != SQLITE_OK)
    goto fail_open;
  aw.head = aw.n = 0;
  aw.enq = aw.committed = aw.lost = 0;
  aw.stop = aw.urgent = aw.hold = aw.waiting = aw.warned = 0;
  aw.failed_unreported = 0;
  memset (&aw.counts, 0, sizeof aw.counts);
  aw.sync = o->sync;
  aw.flush_ms = o->flush_ms ? o->flush_ms : 100;
  aw.engine = o->engine;
  aw.from_store = o->from_store;
  if ((rc = pthread_create (&aw.thread, NULL, writer, NULL)) != 0)
    {
      close_db ();
      return ward_err_set (err, WARD_E_INTERNAL, rc, "starting the audit writer");
    }
  aw.running = 1;
  return 0;
fail_open:
  {
    const char *m = aw.db ? sqlite3_errmsg (aw.db) : sqlite3_errstr (rc);
    ward_err_set (err, WARD_E_INVALID, 0, "cannot open the audit database `%s`: %s", aw.path, m);
    close_db ();
    return -1;
  }
}

void
wpol_audit_stop (void)
{
  pthread_mutex_lock (&aw.lock);
  int was = aw.running;
  aw.stop = 1;
  aw.hold = 0;
  pthread_cond_signal (&aw.wake);
  pthread_mutex_unlock (&aw.lock);
  if (!was)
    return;
  pthread_join (aw.thread, NULL);
  pthread_mutex_lock (&aw.lock);
  aw.running = 0;
  pthread_cond_broadcast (&aw.done);
  uint64_t failed = aw.failed_unreported;
  pthread_mutex_unlock (&aw.lock);
  if (failed)
    fprintf (stderr, "ward: audit: %llu record%s could not be written to `%s`: %s\n",
             (unsigned long long) failed, failed == 1 ? "" : "s", aw.path, aw.failed_why);
  close_db ();
}

void
wpol_audit_get_counts (wpol_audit_counts *c)
{
  pthread_mutex_lock (&aw.lock);
  *c = aw.counts;
  pthread_mutex_unlock (&aw.lock);
}

void
wpol_audit_hold (int hold)
{
  pthread_mutex_lock (&aw.lock);
  aw.hold = hold;
  pthread_cond_signal (&aw.wake);
  pthread_mutex_unlock (&aw.lock);
}
