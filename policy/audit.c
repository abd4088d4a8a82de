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
 * system both limits shrink, so that the WAL leaves the database room. */
#include "config.h"
#include "audit.h"
#include "auditdb.h"
#include "wpol.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <pwd.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#define BATCH_MAX 8192
#define ROWS 16                   /* rows per INSERT statement */
#define NCOL 24                   /* columns of one row of the INSERT */
#define FOLD_SLOTS 4096           /* the (actor, action) table: a power of two */
#define BUCKETS 256               /* callers, by a hash of their PID */
#define SHARE_MAX 64              /* a caller with fewer queued may use the reserve */

/* The strings of a record, packed after it; NOSTR marks a missing one. */
enum { S_ACTOR, S_ACTION, S_RESOURCE, S_PID, S_HOST, S_PARENT, S_TACTOR, S_THOST,
       S_TPARENT, S_SCOPE, S_META, S_N };
#define NOSTR UINT32_MAX

typedef struct arec {
  int64_t ts;                     /* microseconds since the epoch */
  uint64_t generation;
  const wpol_rule_loc *rule;
  const wpol_actor_info *ainfo;
  uint8_t decision, permissive, reason, bucket;
  uint8_t cut;                    /* the resource is stored cut: */
  uint8_t res_sha[32];            /* ... the digest of the whole */
  uint64_t res_len;               /* ... and its length */
  uint16_t nscope, nmeta;         /* request scope names, meta pairs */
  uint32_t off[S_N];
  uint32_t len;
  char data[];
} arec;

/* One (actor, action) pair of the run: how many of its denials were
 * queued one by one, and the ones folded since the writer last took
 * them. Under aw.lock but `row`, the writer's own. */
typedef struct afold {
  char *actor, *action;           /* NULL actor: the pairs past the table's room */
  uint32_t hash;
  uint8_t used, dirty, permissive;
  uint64_t stored, pend;
  int64_t first, last;            /* times of the pending ones */
  int64_t row;                    /* serial of its summary row, 0 = none yet */
} afold;

/* Folded counts a batch writes: taken from the table with the records. */
typedef struct ftake {
  afold *f;
  uint64_t n;
  int64_t first, last, row;
  uint8_t permissive;
} ftake;


static struct {
  pthread_mutex_t lock;
  pthread_cond_t wake, done, room;
  arec **ring;
  size_t cap, limit, reserve;     /* ring slots = limit + reserve */
  size_t head, n, bytes, max_bytes;
  uint32_t share[BUCKETS];        /* records queued per caller bucket */
  uint64_t enq, committed;        /* queue serials */
  int running, stop, waiting, urgent, hold, sync, starved;
  unsigned flush_ms;
  wpol_audit_counts counts;
  lost_pend pend;                 /* guarded by lock */
  afold *folds;                   /* FOLD_SLOTS, open addressing */
  size_t nfolds, fold_after;
  uint32_t *dirty;                /* slots with pending folded counts */
  size_t ndirty;
  ftake *ftakes;                  /* the writer's, FOLD_SLOTS */
  uint64_t gen, gen_done;         /* takes by the writer, and those committed */
  int failing;                    /* the last commit failed (writer's) */
  pthread_t thread;
  /* the checkpointer */
  pthread_t ck_thread;
  pthread_cond_t ck_wake, ck_done;
  sqlite3 *ck_db;
  int ck_running, ck_stop, ck_due;
  int ck_restart;                 /* a RESTART checkpoint is due: the writer waits */
  int ck_next;                    /* WAL pages that call for the next RESTART */
  int ck_pages, ck_limit;         /* CK_PAGES, CK_LIMIT, less on a small file system */
  /* the writer's own */
  sqlite3 *db;
  sqlite3_stmt *ins, *ins_many, *ins_run, *ins_fold, *upd_fold;
  char *path, *store;
  int64_t run_id;
  int permissive, audit_all, from_store;
  wpol_engine *engine;
  arec **batch;
  uint64_t writes;                      /* commits tried */
#ifdef WARD_TEST_HOOKS
  uint64_t fault_lo, fault_hi;          /* WARD_TEST_AUDIT_FAULT */
#endif
} aw = { .lock = PTHREAD_MUTEX_INITIALIZER, .wake = PTHREAD_COND_INITIALIZER,
         .done = PTHREAD_COND_INITIALIZER, .room = PTHREAD_COND_INITIALIZER,
         .ck_wake = PTHREAD_COND_INITIALIZER, .ck_done = PTHREAD_COND_INITIALIZER };

#define CK_PAGES 1000             /* WAL pages that call for a passive checkpoint */
#define CK_LIMIT 4000             /* ... and for one the writer waits for (16 MB) */
#define CK_MIN 16                 /* the least, on a nearly full file system */
static void ck_yield_locked (void);
static int wal_reclaim (void);
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

/* Count n records as lost, from first to last (lock held). */
static void
lose_locked (uint64_t n, int64_t first, int64_t last, const char *why)
{
  if (n == 0)
    return;
  if (aw.pend.n == 0)
    {
      aw.pend.first = first;
      aw.pend.last = last;
      snprintf (aw.pend.why, sizeof aw.pend.why, "%s", why);
    }
  if (first < aw.pend.first)
    aw.pend.first = first;
  if (last > aw.pend.last)
    aw.pend.last = last;
  aw.pend.n += n;
  aw.counts.lost += n;
}

static uint8_t
bucket_of (const char *pid)
{
  uint32_t h = 2166136261u;
  for (const unsigned char *p = (const unsigned char *) (pid ? pid : ""); *p; p++)
    h = (h ^ *p) * 16777619u;
  return (uint8_t) (h ^ (h >> 8) ^ (h >> 16) ^ (h >> 24));
}

/* Room for r (lock held): below the limits; else in the reserve for a
 * caller with few records queued; a record always fits an empty queue. */
static int
fits (const arec *r)
{
  size_t sz = sizeof *r + r->len;
  if (aw.n == 0)
    return 1;
  if (aw.n < aw.limit && aw.bytes + sz <= aw.max_bytes)
    return 1;
  return aw.n < aw.cap && aw.bytes + sz <= aw.max_bytes + aw.max_bytes / 16
         && aw.share[r->bucket] < SHARE_MAX;
}

static arec *
pack (const wpol_audit_in *in)
{
  const ward_attrs none = { 0 };
  const ward_attrs *a = in->attrs ? in->attrs : &none;
  const ward_actor *ac = in->actor;
  const char *s[S_META] = { ac ? ac->id : NULL, in->action, in->resource, a->pid, a->host,
                            a->parent, a->target_actor, a->target_host, a->target_parent };
  size_t len[S_META], total = 0;
  for (int i = 0; i < S_SCOPE; i++)
    total += (len[i] = s[i] ? strlen (s[i]) + 1 : 0);
  /* a long resource: its first bytes (not ending inside a UTF-8
   * sequence), its length and its digest, computed here on the
   * caller's thread */
  size_t rlen = len[S_RESOURCE] ? len[S_RESOURCE] - 1 : 0, keep = rlen;
  if (rlen > WPOL_AUDIT_RESOURCE_MAX)
    {
      keep = WPOL_AUDIT_RESOURCE_MAX;
      for (int k = 0; k < 3 && ((unsigned char) s[S_RESOURCE][keep] & 0xc0) == 0x80; k++)
        keep--;
      total -= rlen - keep;
      len[S_RESOURCE] = keep + 1;
    }
  size_t nscope = ac && ac->scope && ac->nscope <= UINT16_MAX ? ac->nscope : 0;
  size_t nmeta = ac && ac->meta && ac->nmeta <= UINT16_MAX / 2 ? ac->nmeta : 0;
  for (size_t i = 0; i < nscope; i++)
    total += (ac->scope[i] ? strlen (ac->scope[i]) : 0) + 1;
  for (size_t i = 0; i < 2 * nmeta; i++)
    total += (ac->meta[i] ? strlen (ac->meta[i]) : 0) + 1;
  arec *r = total < NOSTR ? malloc (sizeof *r + total) : NULL;
  if (r == NULL)
    return NULL;
  r->ts = now_us ();
  r->generation = in->res ? in->res->generation : 0;
  r->rule = in->res ? in->res->rule : NULL;
  r->ainfo = in->res ? in->res->actor : NULL;
  r->reason = (uint8_t) (in->res ? in->res->reason : WPOL_BAD_REQUEST);
  r->decision = in->decision == WARD_ALLOW;
  r->permissive = !!in->permissive;
  r->bucket = bucket_of (a->pid);
  r->nscope = (uint16_t) nscope;
  r->nmeta = (uint16_t) nmeta;
  r->len = (uint32_t) total;
  r->cut = keep < rlen;
  r->res_len = r->cut ? rlen : 0;
  memset (r->res_sha, 0, sizeof r->res_sha);
  if (r->cut)
    wpol_sha256 (s[S_RESOURCE], rlen, r->res_sha);
  char *p = r->data;
  for (int i = 0; i < S_SCOPE; i++)
    {
      r->off[i] = s[i] ? (uint32_t) (p - r->data) : NOSTR;
      if (len[i])
        {
          memcpy (p, s[i], len[i] - 1);
          p[len[i] - 1] = '\0';
        }
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
  return r;
}

/* ---- folding ----------------------------------------------------------- */

static uint32_t
pair_hash (const char *actor, const char *action)
{
  uint32_t h = 2166136261u;
  for (const unsigned char *p = (const unsigned char *) (actor ? actor : ""); *p; p++)
    h = (h ^ *p) * 16777619u;
  h = (h ^ (actor ? 1u : 2u)) * 16777619u;
  for (const unsigned char *p = (const unsigned char *) action; *p; p++)
    h = (h ^ *p) * 16777619u;
  return h;
}

/* The entry of (actor, action) (lock held), made when missing; a new pair
 * past WPOL_AUDIT_FOLD_PAIRS gets the shared entry of its action (actor
 * NULL). NULL when there is no room or memory: the record is then
 * queued one by one, as it would be unfolded. */
static afold *
fold_find (const char *actor, const char *action)
{
  for (int shared = 0; shared < 2; shared++)
    {
      const char *a = shared ? NULL : actor ? actor : "";
      uint32_t h = pair_hash (a, action);
      for (size_t i = h & (FOLD_SLOTS - 1), k = 0; k < FOLD_SLOTS;
           i = (i + 1) & (FOLD_SLOTS - 1), k++)
        {
          afold *f = &aw.folds[i];
          if (!f->used)
            {
              if (!shared && aw.nfolds >= WPOL_AUDIT_FOLD_PAIRS)
                break;          /* no room for a pair of its own */
              if (aw.nfolds >= FOLD_SLOTS - 1)
                return NULL;
              f->action = strdup (action);
              f->actor = a ? strdup (a) : NULL;
              if (f->action == NULL || (a && f->actor == NULL))
                {
                  free (f->action);
                  free (f->actor);
                  f->action = f->actor = NULL;
                  return NULL;
                }
              f->used = 1;
              f->hash = h;
              aw.nfolds++;
              return f;
            }
          if (f->hash == h && (f->actor == NULL) == (a == NULL)
              && (a == NULL || strcmp (f->actor, a) == 0) && strcmp (f->action, action) == 0)
            return f;
        }
    }
  return NULL;
}

static void
folds_free (void)
{
  if (aw.folds)
    for (size_t i = 0; i < FOLD_SLOTS; i++)
      {
        free (aw.folds[i].actor);
        free (aw.folds[i].action);
      }
  free (aw.folds);
  free (aw.dirty);
  free (aw.ftakes);
  aw.folds = NULL;
  aw.dirty = NULL;
  aw.ftakes = NULL;
  aw.nfolds = aw.ndirty = 0;
}

/* A denial of a pair past its fold_after (lock held): counted into its
 * summary, nothing queued. With --audit-sync the caller waits for the
 * commit of the count, as for a record. */
static int
fold_locked (afold *f, int permissive)
{
  int64_t t = now_us ();
  aw.counts.submitted++;
  if (f->pend++ == 0)
    {
      f->first = t;
      f->permissive = (uint8_t) permissive;
    }
  f->last = t;
  if (!f->dirty)
    {
      f->dirty = 1;
      aw.dirty[aw.ndirty++] = (uint32_t) (f - aw.folds);
    }
  if (!aw.sync)
    return 0;
  uint64_t want = aw.gen + 1, lost0 = aw.counts.lost;
  aw.urgent = 1;
  pthread_cond_signal (&aw.wake);
  while (aw.gen_done < want && aw.running)
    pthread_cond_wait (&aw.done, &aw.lock);
  return aw.counts.lost != lost0 || aw.gen_done < want ? -1 : 0;
}

int
wpol_audit_submit (const wpol_audit_in *in)
{
  if (in->decision != WARD_ALLOW && in->action)
    {
      /* the pair first: a denial that folds costs no record at all */
      pthread_mutex_lock (&aw.lock);
      if (!aw.running)
        {
          pthread_mutex_unlock (&aw.lock);
          return -1;
        }
      afold *f = fold_find (in->actor ? in->actor->id : NULL, in->action);
      if (f && f->stored >= aw.fold_after)
        {
          int rc = fold_locked (f, in->permissive);
          pthread_mutex_unlock (&aw.lock);
          return rc;
        }
      if (f)
        f->stored++;
      pthread_mutex_unlock (&aw.lock);
    }
  arec *r = pack (in);
  pthread_mutex_lock (&aw.lock);
  if (!aw.running)
    {
      pthread_mutex_unlock (&aw.lock);
      free (r);
      return -1;
    }
  aw.counts.submitted++;
  if (r == NULL)
    {
      int64_t t = now_us ();
      lose_locked (1, t, t, "out of memory for the record");
      pthread_mutex_unlock (&aw.lock);
      return -1;
    }
  if (!fits (r))
    {
      /* backpressure: the caller waits for the writer to make room */
      aw.counts.waits++;
      aw.starved++;
      aw.urgent = 1;
      pthread_cond_signal (&aw.wake);
      while (aw.running && !fits (r))
        pthread_cond_wait (&aw.room, &aw.lock);
      aw.starved--;
      if (!aw.running)
        {
          int64_t t = now_us ();
          lose_locked (1, t, t, "the audit writer had stopped");
          pthread_mutex_unlock (&aw.lock);
          free (r);
          return -1;
        }
    }
  aw.ring[(aw.head + aw.n) % aw.cap] = r;
  aw.n++;
  aw.bytes += sizeof *r + r->len;
  aw.share[r->bucket]++;
  uint64_t serial = ++aw.enq, lost0 = aw.counts.lost;
  int rc = 0;
  if (aw.sync)
    {
      aw.urgent = 1;
      pthread_cond_signal (&aw.wake);
      while (aw.committed < serial && aw.running)
        pthread_cond_wait (&aw.done, &aw.lock);
      rc = aw.counts.lost != lost0 ? -1 : 0;
    }
  else if (aw.n == aw.limit / 4 && aw.waiting)
    pthread_cond_signal (&aw.wake);
  pthread_mutex_unlock (&aw.lock);
  return rc;
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
         && a->nmeta == b->nmeta && a->len == b->len && a->cut == b->cut
         && a->res_len == b->res_len && memcmp (a->res_sha, b->res_sha, sizeof a->res_sha) == 0
         && memcmp (a->off, b->off, sizeof a->off) == 0
         && memcmp (a->data, b->data, a->len) == 0;
}

/* The writer's buffers, one set per row of a statement, reused. */
static wpol_buf breason[ROWS], bmeta[ROWS], bscope[ROWS], battrs[ROWS];
static char bsha[ROWS][65];
static uint64_t vgen, vver;                  /* the last generation -> version */

static const char *
reason_text (const arec *r, wpol_buf *b)
{
  switch (r->reason)
    {
    case WPOL_NO_MATCH: return "no rule matched";
    case WPOL_BY_RULE: return r->rule && strcmp (r->rule->policy, "--deny") == 0 ? "--deny" : "rule";
    case WPOL_BY_RULE_ERROR: return "condition error (fails closed)";
    case WPOL_UNDECLARED:
      /* the id as it is: every text view escapes it (wesc.h) */
      b->len = 0;
      wpol_buf_printf (b, "actor `%s` is not declared", str (r, S_ACTOR) ? str (r, S_ACTOR) : "");
      return b->oom ? "actor not declared" : b->s;
    default: return "malformed request";
    }
}

/* Every string bound lives until the step: in the record, in the engine's
 * interned locations, in a literal or in one of the writer's buffers. */
static void
bind_text (sqlite3_stmt *st, int col, const char *s)
{
  if (s)
    sqlite3_bind_text (st, col, s, -1, SQLITE_STATIC);
  else
    sqlite3_bind_null (st, col);
}

/* Columns of one row of the insert, in order. */
enum { C_RUN = 1, C_TS, C_TS_LAST, C_COUNT, C_KIND, C_DECISION, C_MODE, C_ACTOR, C_META,
       C_SCOPE, C_ACTION, C_RESOURCE, C_ATTRS, C_PID, C_HOST, C_REASON, C_RPOLICY, C_RFILE,
       C_RLINE, C_RTEXT, C_VERSION, C_NOTE, C_RESLEN, C_RESSHA };
_Static_assert (C_RESSHA == NCOL, "the insert has NCOL columns");

/* Bind record r as row k of statement st (its columns from k * NCOL + 1). */
static void
bind_rec (sqlite3_stmt *st, int k, const arec *r, int64_t count, int64_t ts_last)
{
  int o = k * NCOL;
  sqlite3_bind_int64 (st, o + C_RUN, aw.run_id);
  sqlite3_bind_int64 (st, o + C_TS, r->ts);
  sqlite3_bind_int64 (st, o + C_TS_LAST, ts_last);
  sqlite3_bind_int64 (st, o + C_COUNT, count);
  bind_text (st, o + C_KIND, "decision");
  bind_text (st, o + C_DECISION, r->decision ? "allow" : "deny");
  bind_text (st, o + C_MODE, r->permissive ? "permissive" : "enforcing");
  bind_text (st, o + C_ACTOR, str (r, S_ACTOR));
  /* metadata: the request's pairs, then the declaration's fields */
  const char *decl_meta = r->ainfo ? r->ainfo->meta : "{}";
  if (r->nmeta == 0)
    bind_text (st, o + C_META, decl_meta);
  else
    {
      wpol_buf *b = &bmeta[k];
      b->len = 0;
      wpol_buf_puts (b, "{");
      const char *p = r->data + r->off[S_META];
      for (size_t i = 0; i < r->nmeta; i++)
        {
          const char *key = p, *v = key + strlen (key) + 1;
          p = v + strlen (v) + 1;
          wpol_buf_puts (b, i ? "," : "");
          wpol_buf_json (b, key);
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
      bind_text (st, o + C_META, b->oom ? NULL : b->s);
    }
  /* scope: the request's, else the declaration's, else NULL (every policy) */
  if (r->nscope)
    {
      wpol_buf *b = &bscope[k];
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
      bind_text (st, o + C_SCOPE, b->oom ? NULL : b->s);
    }
  else
    bind_text (st, o + C_SCOPE, r->ainfo ? r->ainfo->scope : NULL);
  bind_text (st, o + C_ACTION, str (r, S_ACTION));
  bind_text (st, o + C_RESOURCE, str (r, S_RESOURCE));
  static const char *const keys[] = { "{\"pid\":", "{\"host\":", "{\"parent\":",
                                      "{\"target.actor\":", "{\"target.host\":",
                                      "{\"target.parent\":" };
  wpol_buf *b = &battrs[k];
  b->len = 0;
  for (int i = S_PID; i <= S_TPARENT; i++)
    if (str (r, i))
      {
        /* the key with a leading { for the first, a , for the others */
        const char *key = keys[i - S_PID];
        if (b->len)
          wpol_buf_add (b, ",", 1);
        wpol_buf_puts (b, b->len ? key + 1 : key);
        wpol_buf_json (b, str (r, i));
      }
  wpol_buf_puts (b, b->len ? "}" : "{}");
  bind_text (st, o + C_ATTRS, b->oom ? NULL : b->s);
  bind_text (st, o + C_PID, str (r, S_PID));
  bind_text (st, o + C_HOST, str (r, S_HOST));
  bind_text (st, o + C_REASON, reason_text (r, &breason[k]));
  bind_text (st, o + C_RPOLICY, r->rule ? r->rule->policy : NULL);
  bind_text (st, o + C_RFILE, r->rule ? r->rule->file : NULL);
  if (r->rule)
    sqlite3_bind_int64 (st, o + C_RLINE, r->rule->line);
  else
    sqlite3_bind_null (st, o + C_RLINE);
  bind_text (st, o + C_RTEXT, r->rule ? r->rule->text : NULL);
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
  sqlite3_bind_int64 (st, o + C_VERSION, (int64_t) v);
  /* where the scope came from: ward audit suggest must not turn a scope
   * given at a spawn into the actor's declared one */
  bind_text (st, o + C_NOTE, r->nscope ? WPOL_AUDIT_NOTE_REQUEST_SCOPE : NULL);
  if (r->cut)
    {
      static const char hex[] = "0123456789abcdef";
      for (int i = 0; i < 32; i++)
        {
          bsha[k][2 * i] = hex[r->res_sha[i] >> 4];
          bsha[k][2 * i + 1] = hex[r->res_sha[i] & 15];
        }
      bsha[k][64] = '\0';
      sqlite3_bind_int64 (st, o + C_RESLEN, (int64_t) r->res_len);
      bind_text (st, o + C_RESSHA, bsha[k]);
    }
  else
    {
      sqlite3_bind_null (st, o + C_RESLEN);
      sqlite3_bind_null (st, o + C_RESSHA);
    }
}

/* One row to insert: a record standing for count identical ones. */
typedef struct arow_in {
  const arec *r;
  int64_t count, ts_last;
} arow_in;

/* Insert k rows: ROWS of them with the multi-row statement, else one by one. */
static int
insert_rows (const arow_in *g, int k)
{
  if (k == ROWS)
    {
      sqlite3_reset (aw.ins_many);
      for (int j = 0; j < k; j++)
        bind_rec (aw.ins_many, j, g[j].r, g[j].count, g[j].ts_last);
      return sqlite3_step (aw.ins_many) == SQLITE_DONE ? 0 : -1;
    }
  for (int j = 0; j < k; j++)
    {
      sqlite3_reset (aw.ins);
      bind_rec (aw.ins, 0, g[j].r, g[j].count, g[j].ts_last);
      if (sqlite3_step (aw.ins) != SQLITE_DONE)
        return -1;
    }
  return 0;
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

/* The folded count of t into its pair's summary row: a new row the
 * first time (its serial in t->row), else added to the row. */
static int
write_fold (ftake *t)
{
  afold *f = t->f;
  if (f->row)
    {
      sqlite3_reset (aw.upd_fold);
      sqlite3_bind_int64 (aw.upd_fold, 1, (int64_t) t->n);
      sqlite3_bind_int64 (aw.upd_fold, 2, t->last);
      sqlite3_bind_int64 (aw.upd_fold, 3, f->row);
      if (sqlite3_step (aw.upd_fold) != SQLITE_DONE)
        return -1;
      if (sqlite3_changes (aw.db) == 1)
        {
          t->row = f->row;
          return 0;
        }
      /* the row is gone (deleted by hand): a new one */
    }
  char note[160];
  if (f->actor)
    snprintf (note, sizeof note, "past the first %zu denials of this actor and action in "
              "the run: counted, not recorded one by one", aw.fold_after);
  else
    snprintf (note, sizeof note, "denials of this action by actors past the first %d "
              "(actor, action) pairs of the run: counted, not recorded one by one",
              WPOL_AUDIT_FOLD_PAIRS);
  sqlite3_stmt *st = aw.ins_fold;
  sqlite3_reset (st);
  sqlite3_bind_int64 (st, 1, aw.run_id);
  sqlite3_bind_int64 (st, 2, t->first);
  sqlite3_bind_int64 (st, 3, t->last);
  sqlite3_bind_int64 (st, 4, (int64_t) t->n);
  bind_text (st, 5, t->permissive ? "permissive" : "enforcing");
  bind_text (st, 6, f->actor);
  bind_text (st, 7, f->action);
  sqlite3_bind_text (st, 8, note, -1, SQLITE_TRANSIENT);
  if (sqlite3_step (st) != SQLITE_DONE)
    return -1;
  t->row = sqlite3_last_insert_rowid (aw.db);
  return 0;
}

/* Commit one batch: records (coalescing runs of identical ones), the
 * folded counts taken with them, and the entry of records lost before,
 * in one transaction. On failure the batch's records and counts are
 * lost: counted, to be written as an entry later. */
static void
write_batch (arec **v, size_t n, ftake *ft, size_t nf)
{
  pthread_mutex_lock (&aw.lock);
  lost_pend p = aw.pend;
  pthread_mutex_unlock (&aw.lock);
  uint64_t rows = 0, merged = 0;
  char why[256] = "";
  int retried = 0;
  aw.writes++;
again:;
  int ok = sqlite3_exec (aw.db, "BEGIN IMMEDIATE", NULL, NULL, NULL) == SQLITE_OK;
  for (size_t i = 0; ok && i < n;)
    {
      arow_in g[ROWS];
      int k = 0;
      while (k < ROWS && i < n)
        {
          size_t j = i + 1;
          while (j < n && same (v[i], v[j]))
            j++;
          g[k++] = (arow_in) { v[i], (int64_t) (j - i), v[j - 1]->ts };
          merged += j - i - 1;
          i = j;
        }
      ok = insert_rows (g, k) == 0;
      rows += (uint64_t) k;
    }
  uint64_t folded = 0;
  int64_t ffirst = INT64_MAX, flast = 0;
  for (size_t i = 0; i < nf; i++)
    {
      folded += ft[i].n;
      ffirst = ft[i].first < ffirst ? ft[i].first : ffirst;
      flast = ft[i].last > flast ? ft[i].last : flast;
      if (ok)
        ok = write_fold (&ft[i]) == 0;
    }
  if (ok && p.n)
    ok = wpol_auditdb_insert_lost (aw.db, aw.run_id, p.n, p.first, p.last, p.why) == 0;
#ifdef WARD_TEST_HOOKS
  if (ok && aw.writes >= aw.fault_lo && aw.writes <= aw.fault_hi)
    {
      ok = 0;
      snprintf (why, sizeof why, "injected fault (WARD_TEST_AUDIT_FAULT, write %" PRIu64 ")",
                aw.writes);
    }
#endif
  if (ok)
    ok = sqlite3_exec (aw.db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK;
  if (!ok)
    {
      int full = why[0] == '\0' && sqlite3_errcode (aw.db) == SQLITE_FULL;
      if (why[0] == '\0')
        snprintf (why, sizeof why, "%s", sqlite3_errmsg (aw.db));
      sqlite3_exec (aw.db, "ROLLBACK", NULL, NULL, NULL);
      if (full && !retried && wal_reclaim () == 0)
        {
          retried = 1;            /* the space the WAL held may be enough */
          rows = merged = 0;
          why[0] = '\0';
          goto again;
        }
    }
  pthread_mutex_lock (&aw.lock);
  uint64_t total = 0;
  if (ok)
    {
      aw.counts.written += rows;
      aw.counts.coalesced += merged;
      aw.counts.folded += folded;
      for (size_t i = 0; i < nf; i++)
        ft[i].f->row = ft[i].row;
      aw.pend.n -= p.n;           /* the rest was lost meanwhile, still to write */
      if (aw.pend.n == 0)
        aw.pend.first = aw.pend.last = 0;
    }
  else
    {
      int64_t first = n ? v[0]->ts : now_us (), last = n ? v[n - 1]->ts : first;
      if (folded)
        {
          first = ffirst < first ? ffirst : first;
          last = flast > last ? flast : last;
        }
      lose_locked (n + folded, first, last, why);
    }
  total = aw.counts.lost;
  pthread_mutex_unlock (&aw.lock);
  if (!ok && !aw.failing)
    fprintf (stderr, "ward: audit: cannot write to `%s`: %s (%" PRIu64 " record%s lost so "
             "far; the count is recorded as soon as the database accepts writes)\n",
             aw.path, why, total, total == 1 ? "" : "s");
  else if (ok && aw.failing && p.n)
    fprintf (stderr, "ward: audit: `%s` accepts writes again: an entry of %" PRIu64 " lost "
             "record%s is in it\n", aw.path, p.n, p.n == 1 ? "" : "s");
  aw.failing = !ok;
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
  return (!aw.stop && !aw.urgent && !aw.starved && aw.n < aw.limit / 4)
         || (aw.hold && !aw.stop);
}

static void *
writer (void *unused)
{
  (void) unused;
  arec **batch = aw.batch;
  pthread_mutex_lock (&aw.lock);
  for (;;)
    {
      if (idle ())
        {
          struct timespec dl;
          deadline_in (&dl, aw.flush_ms);
          aw.waiting = 1;
          while (idle () && pthread_cond_timedwait (&aw.wake, &aw.lock, &dl) == 0)
            ;
          aw.waiting = 0;
          if (aw.hold && !aw.stop)
            continue;
        }
      ck_yield_locked ();
      size_t take = aw.n < BATCH_MAX ? aw.n : BATCH_MAX;
      for (size_t i = 0; i < take; i++)
        {
          arec *r = aw.ring[(aw.head + i) % aw.cap];
          batch[i] = r;
          aw.bytes -= sizeof *r + r->len;
          aw.share[r->bucket]--;
        }
      aw.head = (aw.head + take) % aw.cap;
      aw.n -= take;
      if (take && aw.starved)
        pthread_cond_broadcast (&aw.room);
      /* and the counts folded meanwhile */
      size_t nf = aw.ndirty;
      for (size_t i = 0; i < nf; i++)
        {
          afold *f = &aw.folds[aw.dirty[i]];
          aw.ftakes[i] = (ftake) { f, f->pend, f->first, f->last, 0, f->permissive };
          f->pend = 0;
          f->dirty = 0;
        }
      aw.ndirty = 0;
      uint64_t gen = ++aw.gen;
      uint64_t upto = aw.committed + take;
      aw.urgent = aw.n > 0 && aw.urgent;
      int work = take || aw.pend.n || nf;
      pthread_mutex_unlock (&aw.lock);
      struct timespec c0, c1;
      clock_gettime (CLOCK_THREAD_CPUTIME_ID, &c0);
      if (work)
        write_batch (batch, take, aw.ftakes, nf);
      clock_gettime (CLOCK_THREAD_CPUTIME_ID, &c1);
      pthread_mutex_lock (&aw.lock);
      aw.counts.writer_ns += (uint64_t) ((c1.tv_sec - c0.tv_sec) * 1000000000LL
                                         + (c1.tv_nsec - c0.tv_nsec));
      aw.committed = upto;
      aw.gen_done = gen;
      pthread_cond_broadcast (&aw.done);
      if (aw.stop && aw.n == 0 && !aw.starved && aw.ndirty == 0)
        break;
    }
  pthread_mutex_unlock (&aw.lock);
  return NULL;
}

/* ---- the checkpointer ------------------------------------------------- */

/* After each commit of the writer (its thread): a WAL of CK_PAGES pages
 * or more wakes the checkpointer; one of ck_next pages or more asks for a
 * RESTART, which the writer waits for before its next batch (this hook
 * replaces SQLite's own autocheckpoint). */
static int
wal_grew (void *unused, sqlite3 *db, const char *name, int pages)
{
  (void) unused, (void) db, (void) name;
  if (pages >= aw.ck_pages)
    {
      pthread_mutex_lock (&aw.lock);
      if (pages >= aw.ck_next)
        aw.ck_restart = 1;
      if (!aw.ck_due)
        {
          aw.ck_due = 1;
          pthread_cond_signal (&aw.ck_wake);
        }
      pthread_mutex_unlock (&aw.lock);
    }
  return SQLITE_OK;
}

/* The writer, before a batch (lock held): while a RESTART is due, stay
 * out of the database so that it gets the write lock and completes. */
static void
ck_yield_locked (void)
{
  while (aw.ck_restart && aw.ck_running)
    pthread_cond_wait (&aw.ck_done, &aw.lock);
}

/* PASSIVE checkpoints never stop the writer, but while it commits they
 * never catch up with the end of the WAL, so the WAL never starts over.
 * A RESTART (the writer waiting) copies what the passive ones left and
 * makes the next commit write from the WAL's start. When a reader keeps
 * it from finishing (busy past the timeout), the next one is asked for
 * CK_LIMIT pages later, so that a long reader does not stall every batch. */
static void *
checkpointer (void *unused)
{
  (void) unused;
  pthread_mutex_lock (&aw.lock);
  for (;;)
    {
      while (!aw.ck_due && !aw.ck_stop)
        pthread_cond_wait (&aw.ck_wake, &aw.lock);
      if (aw.ck_stop)
        break;
      aw.ck_due = 0;
      int restart = aw.ck_restart;
      pthread_mutex_unlock (&aw.lock);
      int log = 0, done = 0;
      int rc = sqlite3_wal_checkpoint_v2 (aw.ck_db, NULL, restart ? SQLITE_CHECKPOINT_RESTART
                                          : SQLITE_CHECKPOINT_PASSIVE, &log, &done);
      pthread_mutex_lock (&aw.lock);
      if (restart)
        {
          aw.ck_next = rc == SQLITE_OK ? aw.ck_limit : (log > 0 ? log : 0) + aw.ck_limit;
          aw.ck_restart = 0;
          pthread_cond_broadcast (&aw.ck_done);
        }
    }
  aw.ck_restart = 0;
  pthread_cond_broadcast (&aw.ck_done);
  pthread_mutex_unlock (&aw.lock);
  return NULL;
}

/* After a commit failed for a full disk (the writer, no transaction
 * open): copy the WAL into the database and truncate it, so the space
 * its frames held can take the retry. 0 when the WAL was emptied. */
static int
wal_reclaim (void)
{
  int log = 0, done = 0;
  int rc = sqlite3_wal_checkpoint_v2 (aw.db, NULL, SQLITE_CHECKPOINT_TRUNCATE, &log, &done);
  return rc == SQLITE_OK && log == 0 ? 0 : -1;
}

/* A second connection and its thread; without them (no memory, no
 * thread), SQLite's own autocheckpoint in the writer does the work. */
static void
start_checkpointer (void)
{
  /* the connection must have read the database to know it is in WAL
   * mode: a checkpoint on a fresh one does nothing */
  if (sqlite3_open_v2 (aw.path, &aw.ck_db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL)
      != SQLITE_OK
      || sqlite3_exec (aw.ck_db, "PRAGMA journal_mode", NULL, NULL, NULL) != SQLITE_OK)
    {
      sqlite3_close (aw.ck_db);
      aw.ck_db = NULL;
      return;
    }
  sqlite3_busy_timeout (aw.ck_db, 1000);
  /* the WAL may hold no more than an eighth of the free space: a database
   * on a small file system must have room to take the WAL's pages in */
  struct statvfs fs;
  int64_t free_pages = statvfs (aw.path, &fs) == 0
                       ? (int64_t) ((uint64_t) fs.f_bavail * fs.f_frsize / 4096) : CK_LIMIT * 8;
  aw.ck_pages = free_pages / 8 < CK_PAGES ? (int) (free_pages / 8) : CK_PAGES;
  if (aw.ck_pages < CK_MIN)
    aw.ck_pages = CK_MIN;
  aw.ck_limit = aw.ck_pages * (CK_LIMIT / CK_PAGES);
  aw.ck_stop = aw.ck_due = aw.ck_restart = 0;
  aw.ck_next = aw.ck_limit;
  if (pthread_create (&aw.ck_thread, NULL, checkpointer, NULL) != 0)
    {
      sqlite3_close (aw.ck_db);
      aw.ck_db = NULL;
      return;
    }
  aw.ck_running = 1;
  sqlite3_wal_hook (aw.db, wal_grew, NULL);
}

static void
stop_checkpointer (void)
{
  if (!aw.ck_running)
    return;
  pthread_mutex_lock (&aw.lock);
  aw.ck_stop = 1;
  pthread_cond_signal (&aw.ck_wake);
  pthread_mutex_unlock (&aw.lock);
  pthread_join (aw.ck_thread, NULL);
  pthread_mutex_lock (&aw.lock);
  aw.ck_running = 0;
  pthread_mutex_unlock (&aw.lock);
  sqlite3_close (aw.ck_db);
  aw.ck_db = NULL;
}

/* ---- start and stop ---------------------------------------------------- */

static void
close_db (void)
{
  for (int k = 0; k < ROWS; k++)
    {
      wpol_buf_free (&bmeta[k]);
      wpol_buf_free (&bscope[k]);
      wpol_buf_free (&battrs[k]);
      wpol_buf_free (&breason[k]);
    }
  vgen = vver = 0;
  sqlite3_finalize (aw.ins);
  sqlite3_finalize (aw.ins_many);
  sqlite3_finalize (aw.ins_run);
  sqlite3_finalize (aw.ins_fold);
  sqlite3_finalize (aw.upd_fold);
  sqlite3_close (aw.db);
  aw.ins = aw.ins_many = aw.ins_run = aw.ins_fold = aw.upd_fold = NULL;
  folds_free ();
  aw.db = NULL;
  free (aw.path);
  free (aw.store);
  free (aw.ring);
  free (aw.batch);
  aw.path = aw.store = NULL;
  aw.ring = aw.batch = NULL;
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
  aw.fault_lo = UINT64_MAX;
  aw.fault_hi = 0;
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
      aw.fault_lo = lo;
      aw.fault_hi = hi;
    }
}
#endif

static int
insert_sql (int rows, char **out)
{
  wpol_buf b = { 0 };
  wpol_buf_puts (&b, "INSERT INTO audit (run, ts, ts_last, count, kind, decision, mode, actor,"
                 " actor_meta, scope, action, resource, attrs, pid, host, reason, rule_policy,"
                 " rule_file, rule_line, rule_text, store_version, note, resource_len,"
                 " resource_sha256) VALUES ");
  for (int k = 0; k < rows; k++)
    {
      wpol_buf_puts (&b, k ? ",(" : "(");
      for (int c = 0; c < NCOL; c++)
        wpol_buf_puts (&b, c ? ",?" : "?");
      wpol_buf_puts (&b, ")");
    }
  if (b.oom)
    {
      wpol_buf_free (&b);
      return -1;
    }
  *out = b.s;
  return 0;
}

int
wpol_audit_start (const wpol_audit_opts *o, ward_err *err)
{
  wpol_audit_stop ();
  aw.path = strdup (o->path);
  aw.store = strdup (o->store ? o->store : "");
  aw.limit = o->queue ? o->queue : 65536;
  aw.reserve = aw.limit / 16 > 16 ? aw.limit / 16 : 16;
  aw.cap = aw.limit + aw.reserve;
  aw.max_bytes = o->queue_bytes ? o->queue_bytes : (size_t) 64 << 20;
  aw.ring = calloc (aw.cap, sizeof *aw.ring);
  aw.batch = malloc (BATCH_MAX * sizeof *aw.batch);
  aw.folds = calloc (FOLD_SLOTS, sizeof *aw.folds);
  aw.dirty = malloc (FOLD_SLOTS * sizeof *aw.dirty);
  aw.ftakes = malloc (FOLD_SLOTS * sizeof *aw.ftakes);
  aw.nfolds = aw.ndirty = 0;
  aw.fold_after = o->fold_after ? o->fold_after : WPOL_AUDIT_FOLD_AFTER;
  char *sql1 = NULL, *sqln = NULL;
  if (aw.path == NULL || aw.store == NULL || aw.ring == NULL || aw.batch == NULL
      || aw.folds == NULL || aw.dirty == NULL || aw.ftakes == NULL
      || insert_sql (1, &sql1) < 0 || insert_sql (ROWS, &sqln) < 0)
    {
      free (sql1);
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
      free (sql1);
      free (sqln);
      close_db ();
      return -1;
    }
  /* WAL (readers never block the writer); a commit need not reach the
   * disk before the call goes on, only before a checkpoint */
  if (sqlite3_exec (aw.db, "PRAGMA journal_mode=WAL", NULL, NULL, NULL) != SQLITE_OK
      || sqlite3_exec (aw.db, "PRAGMA synchronous=NORMAL", NULL, NULL, NULL) != SQLITE_OK)
    goto fail_open;
  /* the schema when missing and the run's row, in one transaction: proves
   * that the run can be audited before it starts */
  if (sqlite3_exec (aw.db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK
      || wpol_auditdb_schema (aw.db) < 0)
    goto fail_open;
  if (sqlite3_prepare_v2 (aw.db, "INSERT INTO audit_runs (started, os_pid, hostname, store,"
                          " permissive, audit_all) VALUES (?,?,?,?,?,?)", -1, &aw.ins_run,
                          NULL) != SQLITE_OK)
    goto fail_open;
  aw.permissive = o->permissive;
  aw.audit_all = o->audit_all;
  if (insert_run () < 0 || sqlite3_exec (aw.db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
    goto fail_open;
  if (sqlite3_prepare_v2 (aw.db, sql1, -1, &aw.ins, NULL) != SQLITE_OK
      || sqlite3_prepare_v3 (aw.db, sqln, -1, SQLITE_PREPARE_PERSISTENT, &aw.ins_many,
                             NULL) != SQLITE_OK
      || sqlite3_prepare_v2 (aw.db, "INSERT INTO audit (run, ts, ts_last, count, kind, decision,"
                             " mode, actor, action, note) VALUES (?,?,?,?,'folded','deny',?,?,?,?)",
                             -1, &aw.ins_fold, NULL) != SQLITE_OK
      || sqlite3_prepare_v2 (aw.db, "UPDATE audit SET count = count + ?1, ts_last = max(ts_last,"
                             " ?2) WHERE serial = ?3 AND kind = 'folded'", -1, &aw.upd_fold, NULL)
         != SQLITE_OK)
    goto fail_open;
  free (sql1);
  free (sqln);
  sql1 = sqln = NULL;
  /* what an earlier run could not write: into the database now */
  int imported = wpol_auditdb_import_lost (aw.db, aw.path, err);
  if (imported < 0)
    fprintf (stderr, "ward: audit: %s (the file is kept)\n", err->msg);
  else if (imported > 0)
    fprintf (stderr, "ward: audit: %d lost entr%s of an earlier run imported from `%s.lost`\n",
             imported, imported == 1 ? "y" : "ies", aw.path);
  aw.head = aw.n = aw.bytes = 0;
  memset (aw.share, 0, sizeof aw.share);
  aw.enq = aw.committed = aw.writes = aw.gen = aw.gen_done = 0;
  aw.stop = aw.urgent = aw.hold = aw.waiting = aw.starved = aw.failing = 0;
  memset (&aw.pend, 0, sizeof aw.pend);
  memset (&aw.counts, 0, sizeof aw.counts);
#ifdef WARD_TEST_HOOKS
  parse_fault ();
#endif
  aw.sync = o->sync;
  aw.flush_ms = o->flush_ms ? o->flush_ms : 100;
  aw.engine = o->engine;
  aw.from_store = o->from_store;
  start_checkpointer ();
  if ((rc = pthread_create (&aw.thread, NULL, writer, NULL)) != 0)
    {
      stop_checkpointer ();
      close_db ();
      return ward_err_set (err, WARD_E_INTERNAL, rc, "starting the audit writer");
    }
  aw.running = 1;
  return 0;
fail_open:
  {
    const char *m = aw.db ? sqlite3_errmsg (aw.db) : sqlite3_errstr (rc);
    ward_err_set (err, WARD_E_INVALID, 0, "cannot open the audit database `%s`: %s", aw.path, m);
    free (sql1);
    free (sqln);
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
  stop_checkpointer ();
  pthread_mutex_lock (&aw.lock);
  aw.running = 0;
  pthread_cond_broadcast (&aw.done);
  pthread_cond_broadcast (&aw.room);
  lost_pend p = aw.pend;
  memset (&aw.pend, 0, sizeof aw.pend);
  pthread_mutex_unlock (&aw.lock);
  if (p.n)
    {
      /* the database never took them back: the file beside it */
      char *file = wpol_auditdb_lost_path (aw.path), why[256] = "out of memory";
      if (file && wpol_auditdb_write_fallback (file, aw.run_id, &p, why, sizeof why) == 0)
        fprintf (stderr, "ward: audit: %" PRIu64 " record%s could not be written to `%s` (%s); "
                 "the count is in `%s`, imported by the next `ward run` or `ward audit` "
                 "on that database\n", p.n, p.n == 1 ? "" : "s", aw.path, p.why, file);
      else
        fprintf (stderr, "ward: audit: %" PRIu64 " record%s could not be written to `%s` (%s), "
                 "nor their count to `%s.lost` (%s)\n", p.n, p.n == 1 ? "" : "s", aw.path,
                 p.why, aw.path, why);
      free (file);
    }
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
