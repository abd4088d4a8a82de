/* pgshipw.h -- what the files of the audit shipper share (pgship.c: the
 * thread, its connections, leftovers, start and stop; pgship_batch.c: a
 * spool and its batches). Internal to the policy library: the contract
 * users see is pgship.h. */
#ifndef WARD_POLICY_PGSHIPW_H
#define WARD_POLICY_PGSHIPW_H

#include <libpq-fe.h>
#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>
#include "werr.h"

/* COPY data being built (grown by WARD_GROW; oom once memory ran out). */
typedef struct cbuf {
  char *s;
  size_t n, cap;
  int oom;
} cbuf;

/* A folded row as last shipped: the writer adds to its count in place. */
typedef struct fseen {
  int64_t serial, count, ts_last;
} fseen;

/* One spool being shipped. */
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

/* The spool's table of the folded counts shipped (pgship_batch.c says
 * why): made with the spool, so that no schema change meets its writer
 * mid-run, and by the shipper in spools of older wards. */
#define WPG_SHIP_FOLDS_SQL "CREATE TABLE IF NOT EXISTS ship_folds (serial INTEGER PRIMARY" \
  " KEY, count INTEGER NOT NULL, ts_last INTEGER)"

/* s for the spool file at path (its name in audit_spools: the file name
 * less ".db"): 0, or -1 when out of memory. */
int wpg_sp_init (spool *s, const char *path);
/* Close its SQLite connection (wpg_sp_open opens it again). */
void wpg_sp_close (spool *s);
void wpg_sp_free (spool *s);
/* Open s and read its run row: 1 ready, 0 when it holds no run yet (its
 * writer has not opened it), -1 with err. */
int wpg_sp_open (spool *s, ward_err *err);
/* Ship s over c until it is caught up (all that the spool held when its
 * last batch read it): 1, or 0 when it holds no run yet, or -1 with err
 * (the batch in flight rolled back). *progress: something was shipped. A
 * live spool is pruned once caught up. */
int wpg_sp_ship (PGconn *c, spool *s, cbuf *b, int live, int *progress, ward_err *err);
/* Records in s not (yet) in PostgreSQL, as far as this process knows. */
uint64_t wpg_sp_waiting (spool *s);
/* Remove the spool file at path and SQLite's files beside it. */
void wpg_sp_remove (const char *path);

#endif
