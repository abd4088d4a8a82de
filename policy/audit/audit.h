/* audit.h -- the audit trail (DESIGN 3.2): records of denials (and, with
 * --audit-all, of every decision) queued by the gate and committed in
 * batches by one writer thread into an SQLite database in WAL mode.
 *
 * The queue is bounded: a caller whose record finds it full waits for
 * room (backpressure), so no record is dropped. Records are lost only when
 * a commit fails (disk full, database locked past its timeout); they are
 * counted, reported on stderr and written as an entry of kind "lost" as
 * soon as the database accepts writes again, else into the file DB.lost
 * beside it, which the next run or `ward audit` imports. Consecutive
 * identical records of one batch are coalesced into one with a count.
 * wpol_audit_stop() writes everything queued.
 *
 * Volume is bounded: a resource longer than WPOL_AUDIT_RESOURCE_MAX bytes
 * is stored cut, with its length and SHA-256; past the first fold_after
 * denials of one (actor, action) in a run, further ones are counted on the
 * caller's thread into one summary row of kind "folded" for that pair,
 * never queued one by one. Totals add up: every submitted record is in a
 * row's count (decision or folded) or in a lost entry. */
#ifndef WARD_POLICY_AUDIT_H
#define WARD_POLICY_AUDIT_H

#include <stddef.h>
#include <stdint.h>
#include "engine.h"

/* One decision to record; every pointer is borrowed for the call but
 * res->rule and res->actor, which must stay valid until wpol_audit_stop
 * (the engine's interned locations are). */
typedef struct wpol_audit_in {
  ward_decision decision;         /* what the engine decided */
  int permissive;                 /* the run's mode */
  const wpol_result *res;
  const ward_actor *actor;
  const char *action, *resource;
  const ward_attrs *attrs;
  int quiet;                      /* a `deny quietly` rule decided: only counted */
} wpol_audit_in;

#define WPOL_AUDIT_RESOURCE_MAX 1024    /* bytes of a resource stored */
#define WPOL_AUDIT_FOLD_AFTER 1000      /* default of fold_after */
/* (actor, action) pairs a run folds one by one; past them, new pairs of
 * an action share one summary row with no actor */
#define WPOL_AUDIT_FOLD_PAIRS 3072

typedef struct wpol_audit_opts {
  const char *path;               /* the database file (created when missing) */
  int sync;                       /* --audit-sync: submit waits for the commit */
  size_t queue;                   /* records the queue holds; 0 = 65536 */
  size_t queue_bytes;             /* bytes the queued records hold; 0 = 64 MiB */
  size_t fold_after;              /* denials of one (actor, action) recorded one by
                                     one in a run; 0 = WPOL_AUDIT_FOLD_AFTER */
  unsigned flush_ms;              /* the writer's period; 0 = 100 ms */
  wpol_engine *engine;            /* for store versions (may be NULL) */
  int from_store;                 /* versions come from a store (--db) */
  const char *store;              /* how the run got its policies, for the run row */
  int permissive, audit_all;      /* for the run row */
} wpol_audit_opts;

/* Open (creating the schema) and start the writer. -1 with err when the
 * database cannot be opened for writing. */
int wpol_audit_start (const wpol_audit_opts *o, ward_err *err);
/* wpol_audit_start in two halves, for a caller with other work to do
 * meanwhile: begin starts the writer, which opens the database on its own
 * thread (-1 with err only when the writer cannot start); opened waits
 * for that open, and is 0, or -1 with err (the writer then stopped, as
 * wpol_audit_stop would, and nothing was written). Records submitted in
 * between wait in the queue. */
int wpol_audit_begin (const wpol_audit_opts *o, ward_err *err);
int wpol_audit_opened (ward_err *err);
/* Queue a record (from any thread), waiting while the queue is full. 0,
 * or -1 when it was lost (counted) or the writer is not running; with
 * --audit-sync, -1 also when its commit failed. */
int wpol_audit_submit (const wpol_audit_in *in);
/* Write everything queued, stop the writer, close the database. */
void wpol_audit_stop (void);
/* Queue a row of kind "notice" (note = text, count 1) for the running
 * writer, from any thread: something the run said that a reader of the
 * audit should see beside its records (the policy store lost and back).
 * 0, or -1 when no writer runs or WPOL_AW_NOTES notices already wait. */
int wpol_audit_notice (const char *text);

typedef struct wpol_audit_counts {
  uint64_t submitted;             /* records handed to wpol_audit_submit */
  uint64_t written;               /* rows committed (a coalesced row counts once) */
  uint64_t coalesced;             /* records merged into an earlier row */
  uint64_t folded;                /* denials counted into a summary row (committed) */
  uint64_t lost;                  /* records that could not be written (reported) */
  uint64_t waits;                 /* times a caller waited for room in the queue */
  uint64_t writer_ns;             /* CPU time the writer spent on its batches */
} wpol_audit_counts;
/* The counts of the running writer, else of the last one (until the next start). */
void wpol_audit_get_counts (wpol_audit_counts *c);
/* Tests: hold the writer (1) or let it go (0). */
void wpol_audit_hold (int hold);

/* Import the lost entries of the fallback file PATH.lost into the audit
 * database PATH and remove the file: the number of entries (0 when there
 * is no such file), or -1 with err (the file is kept, nothing imported).
 * An empty or unreadable file, or one that ends in a cut line, is such an
 * error: records were lost in unknown number. */
int wpol_audit_import (const char *path, ward_err *err);

/* The per-user default database: $XDG_STATE_HOME/ward/audit.db, else
 * ~/.local/state/ward/audit.db. With mkdirs, create the directories. Its
 * errors (no home, a directory that cannot be made) end with
 * WPOL_AUDIT_DEFAULT_HINT. */
int wpol_audit_default_path (char *buf, size_t size, int mkdirs, ward_err *err);
/* How to proceed when the default database cannot be had: said after
 * every error about it. */
#define WPOL_AUDIT_DEFAULT_HINT "give --audit FILE, or set XDG_STATE_HOME to a writable directory"
/* Append "; " WPOL_AUDIT_DEFAULT_HINT to err's message, cutting the
 * message (not the hint) when they do not fit. Returns -1. */
int wpol_audit_default_hint (ward_err *err);

/* Shared with the `ward audit` command. Kind "lost": count records of the
 * run could not be written, from ts to ts_last, reason says why; kind
 * "folded": count denials of (actor, action) in the run past the first
 * fold_after, from ts to ts_last (actor NULL: of pairs past
 * WPOL_AUDIT_FOLD_PAIRS); kind "notice": what the run said (note), such
 * as its policy store being lost and back; kind "overflow" only in databases of earlier
 * versions (a full queue). resource_len and resource_sha256: the length
 * and digest (hex) of a resource stored cut to WPOL_AUDIT_RESOURCE_MAX
 * bytes, NULL for one stored whole. */
#define WPOL_AUDIT_SCHEMA \
  "CREATE TABLE IF NOT EXISTS audit_runs (id INTEGER PRIMARY KEY," \
  "  started INTEGER NOT NULL, os_pid INTEGER NOT NULL, hostname TEXT NOT NULL," \
  "  store TEXT NOT NULL, permissive INTEGER NOT NULL, audit_all INTEGER NOT NULL);" \
  "CREATE TABLE IF NOT EXISTS audit (serial INTEGER PRIMARY KEY," \
  "  run INTEGER, ts INTEGER NOT NULL, ts_last INTEGER NOT NULL," \
  "  count INTEGER NOT NULL DEFAULT 1," \
  "  kind TEXT NOT NULL CHECK (kind IN ('decision', 'lost', 'folded', 'overflow', 'notice'))," \
  "  decision TEXT, mode TEXT, actor TEXT, actor_meta TEXT, scope TEXT," \
  "  action TEXT, resource TEXT, attrs TEXT, pid TEXT, host TEXT," \
  "  reason TEXT, rule_policy TEXT, rule_file TEXT, rule_line INTEGER," \
  "  rule_text TEXT, store_version INTEGER, note TEXT," \
  "  resource_len INTEGER, resource_sha256 TEXT);" \
  "CREATE INDEX IF NOT EXISTS audit_ts ON audit(ts);"

/* The note of the `folded` row that counts the quiet denials (`deny
 * quietly`) of one actor and action in a run. */
#define WPOL_AUDIT_NOTE_QUIET "quiet: denied by a `deny quietly` rule, counted, not recorded one by one"

/* The note of a decision whose scope was the request's (:with_scope()),
 * not the actor declaration's. */
#define WPOL_AUDIT_NOTE_REQUEST_SCOPE "scope from the request (:with_scope)"

/* ---- `ward audit` ------------------------------------------------------ */

/* One row of the audit table, as read back (strings may be NULL). */
typedef struct wpol_arow {
  int64_t serial, run, ts, ts_last, count, rule_line, store_version;
  int64_t resource_len;           /* 0: the resource is whole */
  char *kind, *decision, *mode, *actor, *actor_meta, *scope, *action, *resource,
       *attrs, *pid, *host, *reason, *rule_policy, *rule_file, *rule_text, *note,
       *resource_sha256;
  char *hostname;                 /* the host of the record: read from a fleet
                                     trail (PostgreSQL), else NULL */
} wpol_arow;

/* Print policy text that would allow the denials among rows (the others
 * are ignored); prefix names the policies ("suggested" -> "suggested.ACTOR").
 * header: a comment line saying where the records came from. flags:
 * WPOL_SUGGEST_SPLIT for one rule per action (a wrong grant is then a
 * line to delete, not a rule to edit). */
#define WPOL_SUGGEST_SPLIT 1u
int wpol_audit_suggest (const wpol_arow *rows, size_t n, const char *prefix,
                        const char *header, unsigned flags, FILE *out, ward_err *err);

/* `ward audit suggest --interactive`: each candidate rule of the denials
 * among rows asked on out and answered on in (allow, allow wider, deny,
 * skip, quit), then the answers written to path as a policy file that
 * parses and checks. 0, or -1 with err (nothing written: the input ended
 * before every question was answered, the text did not check, or the
 * file could not be written). */
int wpol_audit_suggest_ask (const wpol_arow *rows, size_t n, const char *prefix,
                            const char *header, FILE *in, FILE *out, const char *path,
                            ward_err *err);

/* Format microseconds since the epoch as 2026-01-02T03:04:05.678Z. */
void wpol_audit_time (int64_t us, char *buf, size_t size);
/* Read one value of a flat JSON object of strings written by the writer
 * (attrs): a malloc'd copy, or NULL when the key is absent. */
char *wpol_json_get (const char *json, const char *key);
/* The strings of a flat JSON array written by the writer (scope) into v
 * (at most max, each malloc'd): how many, or (size_t) -1 when out of
 * memory or past max (nothing is left in v then). */
size_t wpol_json_strings (const char *json, char **v, size_t max);

/* SHA-256 of len bytes at data (sha256.c): the digest the trail keeps of a
 * resource too long to store whole. */
void wpol_sha256 (const void *data, size_t len, uint8_t out[32]);

#endif
