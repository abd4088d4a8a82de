/* auditdb.h -- the audit database's schema and its fallback file, shared
 * by the writer (audit.c) and kept apart from it (auditdb.c). Internal to
 * the policy library: the contract users see is audit.h. */
#ifndef WARD_POLICY_AUDITDB_H
#define WARD_POLICY_AUDITDB_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>
#include "werr.h"

/* Records that could not be written, not yet in the database. */
typedef struct lost_pend {
  uint64_t n;
  int64_t first, last;            /* times of the first and last lost record */
  char why[256];
} lost_pend;

/* Create the tables, or bring an older audit table to the current schema.
 * Called inside a transaction. 0, or -1. */
int wpol_auditdb_schema (sqlite3 *db);

/* A lost entry: n records of run (0: none known) that could not be
 * written between first and last, and why. 0, or -1. */
int wpol_auditdb_insert_lost (sqlite3 *db, int64_t run, uint64_t n, int64_t first,
                              int64_t last, const char *why);

/* A notice of run at ts (microseconds): text as its note. 0, or -1. */
int wpol_auditdb_insert_notice (sqlite3 *db, int64_t run, int64_t ts, const char *text);

/* "DB.lost" for the database at db (malloc'd), or NULL. */
char *wpol_auditdb_lost_path (const char *db);

/* Append the count of p to the fallback file; on failure -1 with the
 * reason in why. */
int wpol_auditdb_write_fallback (const char *file, int64_t run, const lost_pend *p, char *why,
                                 size_t size);

/* Import the entries of DB.lost beside dbpath into db, then remove the
 * file: the number of entries (0 when there is no file), or -1 with err
 * when the file cannot be read, holds no entry or ends in a cut line (it
 * is then kept). */
int wpol_auditdb_import_lost (sqlite3 *db, const char *dbpath, ward_err *err);

#endif
