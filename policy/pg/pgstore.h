/* pgstore.h -- the policy store in PostgreSQL (DESIGN 3.4): what the
 * store's files (policy/store) and `ward run`'s poller (run.c) call when
 * wpol_store_open was given a connection string (wpg_is_conninfo).
 *
 * The store logic is written once, for SQLite. A PostgreSQL store keeps a
 * private in-memory SQLite store beside its connection, the mirror, and
 * every operation of the wpol_store_* contract runs on the mirror between
 * wpgs_enter and wpgs_leave:
 *   - a read (list, export, history, the engine's load) copies the store
 *     tables into the mirror in one REPEATABLE READ transaction;
 *   - a change (load, remove, rollback) opens a transaction, takes the
 *     store's advisory lock (WPG_LOCK_STORE) before its first read, copies
 *     the tables in, lets the SQLite code change the mirror and, when the
 *     version moved, writes the files, definitions and new history rows
 *     back, NOTIFYs ward_policy with the new version and commits: two
 *     changes from two hosts are serialised as two BEGIN IMMEDIATEs are
 *     on one file.
 * wpol_store_version outside an operation is one indexed read of meta. */
#ifndef WARD_POLICY_PGSTORE_H
#define WARD_POLICY_PGSTORE_H

#include <stdint.h>
#include "engine.h"

typedef struct wpgs wpgs;

/* Open the store at conninfo: connect, check the schema (create or
 * migrate it with WPOL_STORE_CREATE; else it must hold the store tables
 * and be no newer than this ward) and make the mirror. The store's path is
 * the server's display name (wpg_display: never a password), so that
 * every message of the store code names it so. NULL with err. */
wpol_store *wpgs_open (const char *conninfo, int flags, ward_err *err);
void wpgs_close (wpgs *pg);

/* Is st inside an operation (the SQLite code then works on the mirror)? */
int wpgs_inside (const wpol_store *st);
/* Start an operation: a read (change 0) or a change (1). history_version
 * >= 0 also copies that version's files from the history (a rollback's).
 * 0, or -1 with err (nothing open then). */
int wpgs_enter (wpol_store *st, int change, int64_t history_version, ward_err *err);
/* End it: r is what the operation returned. A change that succeeded and
 * moved the version is written back and committed (-1 with err when that
 * fails: nothing changed); anything else rolls back. Returns r, or -1. */
int wpgs_leave (wpol_store *st, int r, ward_err *err);
/* An operation that waits on a lock of a store table (someone's ALTER
 * TABLE in an open transaction) fails after WPGS_LOCK_MS (ms) instead of
 * waiting for ever, unless the session sets a lock_timeout of its own. */
#define WPGS_LOCK_MS 5000
/* The store's version: one read of meta. 0, or -1 with err. */
int wpgs_version (wpol_store *st, uint64_t *version, ward_err *err);

/* Run the poller of `ward run` on this store until wake_fd is readable:
 * LISTEN ward_policy and reload e on a notification; check the version
 * every WPGS_CHECK_MS as well, for a notification missed. When the
 * connection is lost (or that check goes unanswered), e keeps deciding with what it loaded (said once on
 * stderr and once in the audit), and the connection is made again with
 * backoff (100 ms doubling to 5 s); back, it LISTENs again, reloads when
 * the version moved and says so once. */
#define WPGS_CHECK_MS 1000
/* A server that does not answer that check within WPGS_ANSWER_MS (a
 * network gone, which TCP reports only much later) is taken as lost. */
#define WPGS_ANSWER_MS 3000
void wpgs_watch (wpol_store *st, wpol_engine *e, int wake_fd);
/* From another thread, after writing to wake_fd: make a query of the
 * poller that waits for a server that does not answer (a network gone,
 * a server stopped) fail at once, so that wpgs_watch returns. */
void wpgs_stop (wpol_store *st);

/* A store operation on a PostgreSQL store, outside one, runs as
 * wpgs_enter; call (which calls the function again, now inside);
 * wpgs_leave. Put first in each wpol_store_* function that reads or
 * changes the store. */
#define WPGS_WRAP(st, change, hv, err, call)                             \
  do                                                                     \
    {                                                                    \
      if (wpol_store_is_pg (st) && !wpgs_inside (st))                    \
        {                                                                \
          if (wpgs_enter ((st), (change), (hv), (err)) < 0)              \
            return -1;                                                   \
          return wpgs_leave ((st), (call), (err));                       \
        }                                                                \
    }                                                                    \
  while (0)

#endif
