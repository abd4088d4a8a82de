/* auditw.h -- what the files of the audit writer share: its records, its
 * fold table and its state (audit.c: start, stop and the writer thread;
 * audit_queue.c: the callers' side; audit_row.c: the rows of a batch;
 * audit_ckpt.c: the checkpointer). Internal to the policy library: the
 * contract users see is audit.h. No WARD_TEST_HOOKS here: the hooks stay
 * in audit.c, the one file the test programs compile again with them. */
#ifndef WARD_POLICY_AUDITW_H
#define WARD_POLICY_AUDITW_H

#include <pthread.h>
#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>
#include "audit.h"
#include "auditdb.h"
#include "wpol.h"

#define ROWS 16                   /* rows per INSERT statement */
#define FOLD_SLOTS 4096           /* the (actor, action) table: a power of two */
#define BUCKETS 256               /* callers, by a hash of their PID */
#define WPOL_AW_NOTES 16          /* notices waiting for the writer */

/* The strings of a record, packed after it; NOSTR marks a missing one. */
enum { S_ACTOR, S_ACTION, S_RESOURCE, S_PID, S_HOST, S_PARENT, S_TACTOR, S_THOST,
       S_TPARENT, S_PATH, S_ADDRESS, S_SCOPE, S_META, S_N };
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
 * them. Under wpol_aw.lock but `row`, the writer's own. */
typedef struct afold {
  char *actor, *action;           /* NULL actor: the pairs past the table's room */
  uint32_t hash;
  uint8_t used, dirty, permissive;
  uint8_t quiet;                  /* counts the quiet denials of the pair */
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

/* The writer's state, one per process: the queue and the fold table
 * (under lock), the checkpointer, and what only the writer thread
 * touches. Defined in audit.c. */
typedef struct wpol_aw_state {
  pthread_mutex_t lock;
  pthread_cond_t wake, done, room;
  arec **ring;
  size_t cap, limit, reserve;     /* ring slots = limit + reserve */
  size_t head, n, bytes, max_bytes;
  uint32_t share[BUCKETS];        /* records queued per caller bucket */
  uint64_t enq, committed;        /* queue serials */
  int running, stop, waiting, urgent, hold, sync, starved;
  int opened;                     /* the writer's open: 0 under way, 1 done, -1 failed */
  ward_err open_err;              /* why it failed */
  unsigned flush_ms;
  wpol_audit_counts counts;
  lost_pend pend;                 /* guarded by lock */
  char *notes[WPOL_AW_NOTES];     /* notices to write (lock; the writer frees) */
  size_t nnotes;
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
  int prepared;                   /* ins .. upd_fold made (the writer's first batch) */
  int wrote;                      /* a batch was committed: the close checkpoints */
  char *path, *store;
  int64_t run_id;
  int permissive, audit_all, from_store;
  wpol_engine *engine;
  arec **batch;
  uint64_t writes;                      /* commits tried */
} wpol_aw_state;

extern wpol_aw_state wpol_aw;

/* ---- audit_queue.c ---- */

/* Microseconds since the epoch. */
int64_t wpol_aw_now_us (void);
/* Count n records as lost, from first to last (lock held). */
void wpol_aw_lose_locked (uint64_t n, int64_t first, int64_t last, const char *why);
/* Free the fold table and the writer's takes of it. */
void wpol_aw_folds_free (void);

/* ---- audit_row.c ---- */

/* One row to insert: a record standing for count identical ones. */
typedef struct arow_in {
  const arec *r;
  int64_t count, ts_last;
} arow_in;

/* Identical but for the time: coalesced into one row with a count. */
int wpol_aw_same (const arec *a, const arec *b);
/* Insert k rows: ROWS of them with the multi-row statement, else one by one. */
int wpol_aw_insert_rows (const arow_in *g, int k);
/* The run's row; its id into wpol_aw.run_id. */
int wpol_aw_insert_run (void);
/* The folded count of t into its pair's summary row. */
int wpol_aw_write_fold (ftake *t);
/* The INSERT of rows rows of the audit table (malloc'd into *out): 0, or -1. */
int wpol_aw_insert_sql (int rows, char **out);
/* Free the buffers the rows were bound from. */
void wpol_aw_rows_free (void);

/* ---- audit_ckpt.c ---- */

/* Start the checkpointer (its connection and thread), or leave the work
 * to SQLite's autocheckpoint when it cannot be had. */
void wpol_aw_ck_start (void);
void wpol_aw_ck_stop (void);
/* The writer, before a batch (lock held): wait while a RESTART is due. */
void wpol_aw_ck_yield_locked (void);
/* Copy the WAL into the database and truncate it (the writer, no
 * transaction open): 0 when the WAL was emptied. */
int wpol_aw_wal_reclaim (void);

#endif
