/* audit.c -- the audit writer: a bounded queue filled by the gate (one
 * malloc and a short critical section per record, no system call) and a
 * thread that drains it every flush period, or sooner when the queue is a
 * quarter full or a caller waits, committing each batch in one
 * transaction with multi-row INSERTs.
 *
 * A full queue makes the denied caller wait for room (backpressure); a
 * small reserve stays open to callers that have few records queued, so a
 * flooding process waits without stalling its neighbours. Records are
 * lost only when a commit fails: they are counted, written as a `lost`
 * entry as soon as the database accepts writes again, else into the
 * fallback file DB.lost, which the next run or `ward audit` imports.
 *
 * What a flood can store is bounded, and its cost is the caller's: a
 * resource is packed as its first WPOL_AUDIT_RESOURCE_MAX bytes with its
 * length and SHA-256, and past fold_after denials of one (actor, action)
 * in a run the caller only counts the denial in that pair's entry, which
 * the writer adds to the pair's one `folded` row with its next batch.
 *
 * Commits do not wait for the disk (WAL, synchronous=NORMAL); the WAL is
 * checkpointed, with its fsyncs, by a thread of its own on a second
 * connection, so the writer seldom blocks on them. Passive checkpoints
 * alone never let the WAL start over while the writer keeps committing:
 * past CK_LIMIT pages the writer pauses for one RESTART checkpoint, which
 * bounds the WAL file (and the copy left for the close). On a small file
 * system both limits shrink, so that the WAL leaves the database room.
 *
 * This file: the writer thread, its batches, start and stop; the callers'
 * side is audit_queue.c, the rows audit_row.c, the checkpointer
 * audit_ckpt.c (auditw.h). */
#include "config.h"
#include "auditw.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define BATCH_MAX 8192            /* records a batch takes from the queue */

wpol_aw_state wpol_aw = {
  .lock = PTHREAD_MUTEX_INITIALIZER, .wake = PTHREAD_COND_INITIALIZER,
  .done = PTHREAD_COND_INITIALIZER, .room = PTHREAD_COND_INITIALIZER,
  .ck_wake = PTHREAD_COND_INITIALIZER, .ck_done = PTHREAD_COND_INITIALIZER
};

#ifdef WARD_TEST_HOOKS
static uint64_t fault_lo, fault_hi;     /* WARD_TEST_AUDIT_FAULT */
#endif

/* ---- the writer -------------------------------------------------------- */

/* One batch of the writer and what became of it. */
typedef struct wbatch {
  arec **v;                       /* the records, oldest first */
  size_t n;
  ftake *ft;                      /* the folded counts taken with them */
  size_t nf;
  lost_pend p;                    /* the lost records it writes the entry of */
  size_t nnotes;                  /* the first notices of wpol_aw.notes it writes */
  uint64_t rows, merged;          /* rows inserted, records coalesced into them */
  int full;                       /* the commit failed for a full disk */
  char why[256];                  /* why the commit failed */
} wbatch;

/* The statements prepare_writes made, gone (none made: nothing). */
static void
finalize_writes (void)
{
  sqlite3_finalize (wpol_aw.ins);
  sqlite3_finalize (wpol_aw.ins_many);
  sqlite3_finalize (wpol_aw.ins_fold);
  sqlite3_finalize (wpol_aw.upd_fold);
  wpol_aw.ins = wpol_aw.ins_many = wpol_aw.ins_fold = wpol_aw.upd_fold = NULL;
  wpol_aw.prepared = 0;
}

/* Insert the records of b, coalescing runs of identical ones: 0, or -1. */
static int
insert_records (wbatch *b)
{
  int ok = 1;
  for (size_t i = 0; ok && i < b->n;)
    {
      arow_in g[ROWS];
      int k = 0;
      while (k < ROWS && i < b->n)
        {
          size_t j = i + 1;
          while (j < b->n && wpol_aw_same (b->v[i], b->v[j]))
            j++;
          g[k++] = (arow_in) { b->v[i], (int64_t) (j - i), b->v[j - 1]->ts };
          b->merged += j - i - 1;
          i = j;
        }
      ok = wpol_aw_insert_rows (g, k) == 0;
      b->rows += (uint64_t) k;
    }
  return ok ? 0 : -1;
}

/* The records, the folded counts and the lost entry of b in one
 * transaction: 1 when committed, else 0 with why (and full) set and the
 * transaction rolled back. */
static int
try_commit (wbatch *b)
{
  b->rows = b->merged = 0;
  b->full = 0;
  b->why[0] = '\0';
  int ok = sqlite3_exec (wpol_aw.db, "BEGIN IMMEDIATE", NULL, NULL, NULL) == SQLITE_OK
           && insert_records (b) == 0;
  for (size_t i = 0; ok && i < b->nf; i++)
    ok = wpol_aw_write_fold (&b->ft[i]) == 0;
  if (ok && b->p.n)
    ok = wpol_auditdb_insert_lost (wpol_aw.db, wpol_aw.run_id, b->p.n, b->p.first, b->p.last,
                                   b->p.why) == 0;
  for (size_t i = 0; ok && i < b->nnotes; i++)
    ok = wpol_auditdb_insert_notice (wpol_aw.db, wpol_aw.run_id, wpol_aw_now_us (),
                                     wpol_aw.notes[i]) == 0;
#ifdef WARD_TEST_HOOKS
  if (ok && wpol_aw.writes >= fault_lo && wpol_aw.writes <= fault_hi)
    {
      ok = 0;
      snprintf (b->why, sizeof b->why, "injected fault (WARD_TEST_AUDIT_FAULT, write %" PRIu64
                ")", wpol_aw.writes);
    }
#endif
  if (ok)
    ok = sqlite3_exec (wpol_aw.db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK;
  wpol_aw.wrote |= ok;
  if (!ok)
    {
      b->full = b->why[0] == '\0' && sqlite3_errcode (wpol_aw.db) == SQLITE_FULL;
      if (b->why[0] == '\0')
        snprintf (b->why, sizeof b->why, "%s", sqlite3_errmsg (wpol_aw.db));
      sqlite3_exec (wpol_aw.db, "ROLLBACK", NULL, NULL, NULL);
    }
  return ok;
}

/* After the commit of b (ok) or its failure: the counts, or the records
 * and counts lost; a line on stderr when the database starts or stops
 * taking writes. */
static void
settle (const wbatch *b, int ok)
{
  uint64_t folded = 0;
  int64_t ffirst = INT64_MAX, flast = 0;
  for (size_t i = 0; i < b->nf; i++)
    {
      folded += b->ft[i].n;
      ffirst = b->ft[i].first < ffirst ? b->ft[i].first : ffirst;
      flast = b->ft[i].last > flast ? b->ft[i].last : flast;
    }
  pthread_mutex_lock (&wpol_aw.lock);
  uint64_t total = 0;
  if (ok)
    {
      wpol_aw.counts.written += b->rows;
      wpol_aw.counts.coalesced += b->merged;
      wpol_aw.counts.folded += folded;
      for (size_t i = 0; i < b->nf; i++)
        b->ft[i].f->row = b->ft[i].row;
      for (size_t i = 0; i < b->nnotes; i++)
        free (wpol_aw.notes[i]);
      memmove (wpol_aw.notes, wpol_aw.notes + b->nnotes,
               (wpol_aw.nnotes - b->nnotes) * sizeof *wpol_aw.notes);
      wpol_aw.nnotes -= b->nnotes;
      wpol_aw.pend.n -= b->p.n;   /* the rest was lost meanwhile, still to write */
      if (wpol_aw.pend.n == 0)
        wpol_aw.pend.first = wpol_aw.pend.last = 0;
    }
  else
    {
      size_t n = b->n;
      int64_t first = n ? b->v[0]->ts : wpol_aw_now_us (), last = n ? b->v[n - 1]->ts : first;
      if (folded)
        {
          first = ffirst < first ? ffirst : first;
          last = flast > last ? flast : last;
        }
      wpol_aw_lose_locked (n + folded, first, last, b->why);
    }
  total = wpol_aw.counts.lost;
  pthread_mutex_unlock (&wpol_aw.lock);
  if (!ok && !wpol_aw.failing)
    fprintf (stderr, "ward: audit: cannot write to `%s`: %s (%" PRIu64 " record%s lost so "
             "far; the count is recorded as soon as the database accepts writes)\n",
             wpol_aw.path, b->why, total, total == 1 ? "" : "s");
  else if (ok && wpol_aw.failing && b->p.n)
    fprintf (stderr, "ward: audit: `%s` accepts writes again: an entry of %" PRIu64 " lost "
             "record%s is in it\n", wpol_aw.path, b->p.n, b->p.n == 1 ? "" : "s");
  wpol_aw.failing = !ok;
}

/* What the writer needs once it has something to write (its thread, the
 * first batch with work): the statements of the records, and the
 * checkpointer. 0, or -1 with why set (the batch is then lost, and said:
 * the statements compile against the schema open_db checked, so only a
 * lack of memory gets here). */
static int
prepare_writes (char *why, size_t whylen)
{
  if (wpol_aw.prepared)
    return 0;
  char *sql1 = NULL, *sqln = NULL;
  int ok = wpol_aw_insert_sql (1, &sql1) == 0 && wpol_aw_insert_sql (ROWS, &sqln) == 0
    && sqlite3_prepare_v2 (wpol_aw.db, sql1, -1, &wpol_aw.ins, NULL) == SQLITE_OK
    && sqlite3_prepare_v3 (wpol_aw.db, sqln, -1, SQLITE_PREPARE_PERSISTENT, &wpol_aw.ins_many,
                           NULL) == SQLITE_OK
    && sqlite3_prepare_v2 (wpol_aw.db, "INSERT INTO audit (run, ts, ts_last, count, kind,"
                           " decision, mode, actor, action, note)"
                           " VALUES (?,?,?,?,'folded','deny',?,?,?,?)",
                           -1, &wpol_aw.ins_fold, NULL) == SQLITE_OK
    && sqlite3_prepare_v2 (wpol_aw.db, "UPDATE audit SET count = count + ?1,"
                           " ts_last = max(ts_last, ?2) WHERE serial = ?3 AND kind = 'folded'",
                           -1, &wpol_aw.upd_fold, NULL) == SQLITE_OK;
  free (sql1);
  free (sqln);
  if (!ok)
    {
      snprintf (why, whylen, "preparing the audit statements: %s",
                sql1 && sqln ? sqlite3_errmsg (wpol_aw.db) : "out of memory");
      finalize_writes ();
      return -1;
    }
  wpol_aw.prepared = 1;
  /* the checkpointer only once the WAL has records to take in: a run
   * that writes nothing but its own row leaves that to the close */
  wpol_aw_ck_start ();
  return 0;
}

/* Commit one batch: records (coalescing runs of identical ones), the
 * folded counts taken with them, and the entry of records lost before,
 * in one transaction. On failure the batch's records and counts are
 * lost: counted, to be written as an entry later. */
static void
write_batch (arec **v, size_t n, ftake *ft, size_t nf)
{
  wbatch b = { .v = v, .n = n, .ft = ft, .nf = nf };
  pthread_mutex_lock (&wpol_aw.lock);
  b.p = wpol_aw.pend;
  b.nnotes = wpol_aw.nnotes;      /* (they stay put: callers only append) */
  pthread_mutex_unlock (&wpol_aw.lock);
  wpol_aw.writes++;
  int ok = prepare_writes (b.why, sizeof b.why) == 0 && try_commit (&b);
  if (!ok && b.full && wpol_aw_wal_reclaim () == 0)
    ok = try_commit (&b);         /* the space the WAL held may be enough */
  settle (&b, ok);
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

/* Nothing to do before the period ends (lock held). */
static int
idle (void)
{
  return (!wpol_aw.stop && !wpol_aw.urgent && !wpol_aw.starved && wpol_aw.n < wpol_aw.limit / 4)
         || (wpol_aw.hold && !wpol_aw.stop);
}

static int open_db (ward_err *err);

/* The writer's first act: the database opened, and what an earlier run
 * could not write imported. 0, or -1 with wpol_aw.open_err; either way
 * said to wpol_audit_opened. */
static int
open_on_thread (void)
{
  ward_err err;
  memset (&err, 0, sizeof err);
  int r = open_db (&err);
  if (r == 0)
    {
      int imported = wpol_auditdb_import_lost (wpol_aw.db, wpol_aw.path, &err);
      if (imported < 0)
        fprintf (stderr, "ward: audit: %s (the file is kept)\n", err.msg);
      else if (imported > 0)
        fprintf (stderr, "ward: audit: %d lost entr%s of an earlier run imported from "
                 "`%s.lost`\n", imported, imported == 1 ? "y" : "ies", wpol_aw.path);
    }
  pthread_mutex_lock (&wpol_aw.lock);
  wpol_aw.opened = r < 0 ? -1 : 1;
  if (r < 0)
    wpol_aw.open_err = err;
  pthread_cond_broadcast (&wpol_aw.done);
  pthread_mutex_unlock (&wpol_aw.lock);
  return r;
}

static void *
writer (void *unused)
{
  (void) unused;
  arec **batch = wpol_aw.batch;
  if (open_on_thread () < 0)
    return NULL;
  pthread_mutex_lock (&wpol_aw.lock);
  for (;;)
    {
      if (idle ())
        {
          struct timespec dl;
          deadline_in (&dl, wpol_aw.flush_ms);
          wpol_aw.waiting = 1;
          while (idle () && pthread_cond_timedwait (&wpol_aw.wake, &wpol_aw.lock, &dl) == 0)
            ;
          wpol_aw.waiting = 0;
          if (wpol_aw.hold && !wpol_aw.stop)
            continue;
        }
      wpol_aw_ck_yield_locked ();
      size_t take = wpol_aw.n < BATCH_MAX ? wpol_aw.n : BATCH_MAX;
      for (size_t i = 0; i < take; i++)
        {
          arec *r = wpol_aw.ring[(wpol_aw.head + i) % wpol_aw.cap];
          batch[i] = r;
          wpol_aw.bytes -= sizeof *r + r->len;
          wpol_aw.share[r->bucket]--;
        }
      wpol_aw.head = (wpol_aw.head + take) % wpol_aw.cap;
      wpol_aw.n -= take;
      if (take && wpol_aw.starved)
        pthread_cond_broadcast (&wpol_aw.room);
      /* and the counts folded meanwhile */
      size_t nf = wpol_aw.ndirty;
      for (size_t i = 0; i < nf; i++)
        {
          afold *f = &wpol_aw.folds[wpol_aw.dirty[i]];
          wpol_aw.ftakes[i] = (ftake) { f, f->pend, f->first, f->last, 0, f->permissive };
          f->pend = 0;
          f->dirty = 0;
        }
      wpol_aw.ndirty = 0;
      uint64_t gen = ++wpol_aw.gen;
      uint64_t upto = wpol_aw.committed + take;
      wpol_aw.urgent = wpol_aw.n > 0 && wpol_aw.urgent;
      int work = take || wpol_aw.pend.n || nf || wpol_aw.nnotes;
      pthread_mutex_unlock (&wpol_aw.lock);
      struct timespec c0, c1;
      clock_gettime (CLOCK_THREAD_CPUTIME_ID, &c0);
      if (work)
        write_batch (batch, take, wpol_aw.ftakes, nf);
      clock_gettime (CLOCK_THREAD_CPUTIME_ID, &c1);
      pthread_mutex_lock (&wpol_aw.lock);
      wpol_aw.counts.writer_ns += (uint64_t) ((c1.tv_sec - c0.tv_sec) * 1000000000LL
                                         + (c1.tv_nsec - c0.tv_nsec));
      wpol_aw.committed = upto;
      wpol_aw.gen_done = gen;
      pthread_cond_broadcast (&wpol_aw.done);
      if (wpol_aw.stop && wpol_aw.n == 0 && !wpol_aw.starved && wpol_aw.ndirty == 0)
        break;
    }
  pthread_mutex_unlock (&wpol_aw.lock);
  return NULL;
}

/* ---- start and stop ---------------------------------------------------- */

static void
close_db (void)
{
  wpol_aw_rows_free ();
  finalize_writes ();
  sqlite3_finalize (wpol_aw.ins_run);
  /* A run that wrote records has them copied into the database, with
   * both files synced, and the WAL removed (SQLite's close). One that
   * wrote nothing but its own row leaves that row in the WAL: the next
   * checkpoint (of a run that writes) takes it in, and such a run costs
   * no fsync at its end. */
  if (wpol_aw.db && !wpol_aw.wrote)
    sqlite3_db_config (wpol_aw.db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);
  sqlite3_close (wpol_aw.db);
  wpol_aw.wrote = 0;
  wpol_aw.ins_run = NULL;
  wpol_aw_folds_free ();
  wpol_aw.db = NULL;
  free (wpol_aw.path);
  free (wpol_aw.store);
  free (wpol_aw.ring);
  free (wpol_aw.batch);
  wpol_aw.path = wpol_aw.store = NULL;
  wpol_aw.ring = wpol_aw.batch = NULL;
}

#ifdef WARD_TEST_HOOKS
/* WARD_TEST_AUDIT_FAULT=N[:M]: the writer's commits N to M (N alone: only
 * N; N: from N on) fail, for tests of lost records. Only in builds with
 * -DWARD_TEST_HOOKS (tests/ward-faults, tests/policy/test-audit): the
 * installed ward has no such hook. */
static void
parse_fault (void)
{
  const char *f = getenv ("WARD_TEST_AUDIT_FAULT");
  fault_lo = UINT64_MAX;
  fault_hi = 0;
  if (f == NULL || *f == '\0')
    return;
  char *end;
  unsigned long long lo = strtoull (f, &end, 10), hi = lo;
  if (*end == ':')
    {
      end++;
      hi = *end ? strtoull (end, &end, 10) : UINT64_MAX;
    }
  if (*end == '\0' && lo > 0)
    {
      fault_lo = lo;
      fault_hi = hi;
    }
}
#endif

/* The state of a new writer: its options, the queue and the fold table.
 * 0, or -1 when out of memory (close_db frees what was had). */
static int
alloc_state (const wpol_audit_opts *o)
{
  wpol_aw.path = strdup (o->path);
  wpol_aw.store = strdup (o->store ? o->store : "");
  wpol_aw.limit = o->queue ? o->queue : 65536;
  wpol_aw.reserve = wpol_aw.limit / 16 > 16 ? wpol_aw.limit / 16 : 16;
  wpol_aw.cap = wpol_aw.limit + wpol_aw.reserve;
  wpol_aw.max_bytes = o->queue_bytes ? o->queue_bytes : (size_t) 64 << 20;
  wpol_aw.ring = calloc (wpol_aw.cap, sizeof *wpol_aw.ring);
  wpol_aw.batch = malloc (BATCH_MAX * sizeof *wpol_aw.batch);
  wpol_aw.folds = calloc (FOLD_SLOTS, sizeof *wpol_aw.folds);
  wpol_aw.dirty = malloc (FOLD_SLOTS * sizeof *wpol_aw.dirty);
  wpol_aw.ftakes = malloc (FOLD_SLOTS * sizeof *wpol_aw.ftakes);
  wpol_aw.nfolds = wpol_aw.ndirty = 0;
  wpol_aw.fold_after = o->fold_after ? o->fold_after : WPOL_AUDIT_FOLD_AFTER;
  return wpol_aw.path == NULL || wpol_aw.store == NULL || wpol_aw.ring == NULL
         || wpol_aw.batch == NULL || wpol_aw.folds == NULL || wpol_aw.dirty == NULL
         || wpol_aw.ftakes == NULL ? -1 : 0;
}

/* Open the database for writing, with its schema and the run's row (the
 * writer's thread, before its loop). 0, or -1 with err (close_db closes
 * what was opened). The statements of the records come with the first
 * batch (prepare_writes): a run that is denied nothing never compiles
 * them. */
static int
open_db (ward_err *err)
{
  int rc = sqlite3_open_v2 (wpol_aw.path, &wpol_aw.db, SQLITE_OPEN_READWRITE
                            | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
  if (rc != SQLITE_OK)
    goto fail;
  sqlite3_busy_timeout (wpol_aw.db, 10000);
  if (sqlite3_db_readonly (wpol_aw.db, "main") == 1)
    return ward_err_set (err, WARD_E_INVALID, EACCES, "audit database `%s` is read-only",
                         wpol_aw.path);
  /* WAL (readers never block the writer); a commit need not reach the
   * disk before the call goes on, only before a checkpoint */
  if (sqlite3_exec (wpol_aw.db, "PRAGMA journal_mode=WAL", NULL, NULL, NULL) != SQLITE_OK
      || sqlite3_exec (wpol_aw.db, "PRAGMA synchronous=NORMAL", NULL, NULL, NULL) != SQLITE_OK)
    goto fail;
  /* the schema when missing and the run's row, in one transaction: proves
   * that the run can be audited before it starts */
  if (sqlite3_exec (wpol_aw.db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK
      || wpol_auditdb_schema (wpol_aw.db) < 0)
    goto fail;
  if (sqlite3_prepare_v2 (wpol_aw.db, "INSERT INTO audit_runs (started, os_pid, hostname, store,"
                          " permissive, audit_all) VALUES (?,?,?,?,?,?)", -1, &wpol_aw.ins_run,
                          NULL) != SQLITE_OK)
    goto fail;
  if (wpol_aw_insert_run () < 0
      || sqlite3_exec (wpol_aw.db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
    goto fail;
  return 0;
fail:
  return ward_err_set (err, WARD_E_INVALID, 0, "cannot open the audit database `%s`: %s",
                       wpol_aw.path, wpol_aw.db ? sqlite3_errmsg (wpol_aw.db)
                       : sqlite3_errstr (rc));
}

/* The queue empty, the counts zero, the writer's options set. */
static void
reset_state (const wpol_audit_opts *o)
{
  wpol_aw.head = wpol_aw.n = wpol_aw.bytes = 0;
  memset (wpol_aw.share, 0, sizeof wpol_aw.share);
  wpol_aw.enq = wpol_aw.committed = wpol_aw.writes = wpol_aw.gen = wpol_aw.gen_done = 0;
  wpol_aw.stop = wpol_aw.urgent = wpol_aw.hold = 0;
  wpol_aw.waiting = wpol_aw.starved = wpol_aw.failing = 0;
  memset (&wpol_aw.pend, 0, sizeof wpol_aw.pend);
  memset (&wpol_aw.counts, 0, sizeof wpol_aw.counts);
#ifdef WARD_TEST_HOOKS
  parse_fault ();
#endif
  wpol_aw.sync = o->sync;
  wpol_aw.flush_ms = o->flush_ms ? o->flush_ms : 100;
  wpol_aw.engine = o->engine;
  wpol_aw.from_store = o->from_store;
}

int
wpol_audit_begin (const wpol_audit_opts *o, ward_err *err)
{
  wpol_audit_stop ();
  if (alloc_state (o) < 0)
    {
      close_db ();
      return ward_err_set (err, WARD_E_INTERNAL, ENOMEM, "starting the audit writer");
    }
  wpol_aw.permissive = o->permissive;
  wpol_aw.audit_all = o->audit_all;
  reset_state (o);
  wpol_aw.opened = 0;
  int rc = pthread_create (&wpol_aw.thread, NULL, writer, NULL);
  if (rc != 0)
    {
      close_db ();
      return ward_err_set (err, WARD_E_INTERNAL, rc, "starting the audit writer");
    }
  wpol_aw.running = 1;
  return 0;
}

int
wpol_audit_opened (ward_err *err)
{
  pthread_mutex_lock (&wpol_aw.lock);
  while (wpol_aw.running && wpol_aw.opened == 0)
    pthread_cond_wait (&wpol_aw.done, &wpol_aw.lock);
  int opened = wpol_aw.running ? wpol_aw.opened : -1;
  ward_err why = wpol_aw.open_err;
  pthread_mutex_unlock (&wpol_aw.lock);
  if (opened > 0)
    return 0;
  if (wpol_aw.running)
    wpol_audit_stop ();               /* the writer has returned: joined */
  else
    ward_err_set (&why, WARD_E_INTERNAL, 0, "the audit writer is not running");
  *err = why;
  return -1;
}

int
wpol_audit_start (const wpol_audit_opts *o, ward_err *err)
{
  return wpol_audit_begin (o, err) < 0 ? -1 : wpol_audit_opened (err);
}

/* The database never opened: what was queued meanwhile is lost, and
 * counted as such (lock held). */
static void
drop_queued_locked (void)
{
  if (wpol_aw.n == 0)
    return;
  int64_t first = wpol_aw.ring[wpol_aw.head]->ts;
  int64_t last = wpol_aw.ring[(wpol_aw.head + wpol_aw.n - 1) % wpol_aw.cap]->ts;
  uint64_t n = wpol_aw.n;
  for (size_t i = 0; i < wpol_aw.n; i++)
    free (wpol_aw.ring[(wpol_aw.head + i) % wpol_aw.cap]);
  wpol_aw.n = wpol_aw.bytes = 0;
  wpol_aw_lose_locked (n, first, last, wpol_aw.open_err.msg);
}

void
wpol_audit_stop (void)
{
  pthread_mutex_lock (&wpol_aw.lock);
  int was = wpol_aw.running;
  wpol_aw.stop = 1;
  wpol_aw.hold = 0;
  pthread_cond_signal (&wpol_aw.wake);
  pthread_mutex_unlock (&wpol_aw.lock);
  if (!was)
    return;
  pthread_join (wpol_aw.thread, NULL);
  wpol_aw_ck_stop ();
  pthread_mutex_lock (&wpol_aw.lock);
  if (wpol_aw.opened < 0)
    drop_queued_locked ();
  wpol_aw.running = 0;
  pthread_cond_broadcast (&wpol_aw.done);
  pthread_cond_broadcast (&wpol_aw.room);
  lost_pend p = wpol_aw.pend;
  memset (&wpol_aw.pend, 0, sizeof wpol_aw.pend);
  for (size_t i = 0; i < wpol_aw.nnotes; i++)
    free (wpol_aw.notes[i]);
  wpol_aw.nnotes = 0;
  pthread_mutex_unlock (&wpol_aw.lock);
  if (p.n)
    {
      /* the database never took them back: the file beside it */
      char *file = wpol_auditdb_lost_path (wpol_aw.path), why[256] = "out of memory";
      if (file && wpol_auditdb_write_fallback (file, wpol_aw.run_id, &p, why, sizeof why) == 0)
        fprintf (stderr, "ward: audit: %" PRIu64 " record%s could not be written to `%s` (%s); "
                 "the count is in `%s`, imported by the next `ward run` or `ward audit` "
                 "on that database\n", p.n, p.n == 1 ? "" : "s", wpol_aw.path, p.why, file);
      else
        fprintf (stderr, "ward: audit: %" PRIu64 " record%s could not be written to `%s` (%s), "
                 "nor their count to `%s.lost` (%s)\n", p.n, p.n == 1 ? "" : "s", wpol_aw.path,
                 p.why, wpol_aw.path, why);
      free (file);
    }
  close_db ();
}

int
wpol_audit_notice (const char *text)
{
  pthread_mutex_lock (&wpol_aw.lock);
  int ok = wpol_aw.running && !wpol_aw.stop && wpol_aw.nnotes < WPOL_AW_NOTES;
  char *copy = ok ? strdup (text) : NULL;
  if (copy)
    {
      wpol_aw.notes[wpol_aw.nnotes++] = copy;
      wpol_aw.urgent = 1;
      pthread_cond_signal (&wpol_aw.wake);
    }
  pthread_mutex_unlock (&wpol_aw.lock);
  return copy ? 0 : -1;
}

void
wpol_audit_get_counts (wpol_audit_counts *c)
{
  pthread_mutex_lock (&wpol_aw.lock);
  *c = wpol_aw.counts;
  pthread_mutex_unlock (&wpol_aw.lock);
}

void
wpol_audit_hold (int hold)
{
  pthread_mutex_lock (&wpol_aw.lock);
  wpol_aw.hold = hold;
  pthread_cond_signal (&wpol_aw.wake);
  pthread_mutex_unlock (&wpol_aw.lock);
}
