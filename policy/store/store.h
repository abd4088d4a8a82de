/* store.h -- what the files of the policy store share: the store
 * itself (an SQLite file; or a PostgreSQL database, whose operations run
 * on an in-memory SQLite mirror: policy/pg/pgstore.h), its error and statement helpers, the stored sources and the one
 * transaction that loads and removes. Internal to the policy library: the
 * contract users see is engine.h (wpol_store_*). */
#ifndef WARD_POLICY_STORE_H
#define WARD_POLICY_STORE_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>
#include "wpol.h"

/* Every stored file, parsed, in load order, with the version they were read
 * at (one read transaction). The caller frees files[] and each file. */
int wpol_store_read (wpol_store *st, wpol_file ***files, size_t *n, uint64_t *version,
                     wpol_diags *d, ward_err *err);

struct wpol_store {
  sqlite3 *db;
  char *path;
  int readonly;
  sqlite3_stmt *version_stmt;
  wpol_buf changes;               /* what the last load or remove changed */
  size_t loaded;                  /* files the last load wrote */
  int schema;                     /* its schema (older when opened read-only) */
  int preview;                    /* loads check and compute, write nothing */
  const char *what;               /* how the history names the next change */
  struct wpgs *pg;                /* a PostgreSQL store: db is its mirror */
};

/* Record the store's present version in its history, in the caller's
 * transaction: time, user, what (e.g. "load"), files (names joined by
 * '\n'), the hash of the content and a copy of every file. 0, or -1. */
int wpol_st_record (wpol_store *st, const char *what, const char *files, ward_err *err);

/* Set err from SQLite's result rc of doing `what`, with a hint when the
 * store is busy or damaged. Returns -1. */
int wpol_st_fail (wpol_store *st, ward_err *err, int rc, const char *what);
/* Run sql (no result rows): 0, or -1 with err. */
int wpol_st_exec (wpol_store *st, const char *sql, ward_err *err, const char *what);
/* Run sql once with its parameters bound from the arguments, one per
 * letter of fmt: 's' a const char *, 'i' an int64_t. 0, or -1 with err. */
int wpol_st_bind (wpol_store *st, ward_err *err, const char *sql, const char *fmt, ...);

/* Every stored file's name and source (malloc'd), in load order. */
typedef struct wpol_st_srcs {
  char **names, **texts;
  size_t n;
} wpol_st_srcs;

void wpol_st_srcs_free (wpol_st_srcs *s);
/* Read the stored sources, and the version when it is not NULL, in one
 * read transaction (or in the caller's). 0, or -1 with err. */
int wpol_st_read_sources (wpol_store *st, wpol_st_srcs *out, uint64_t *version, ward_err *err);

/* Start the transaction of a change that reads the store before writing
 * it (a load, a remove, a rollback): it holds the write lock from the first
 * read (BEGIN IMMEDIATE), so that no other change lands between what was
 * read and checked and what is written; a preview only reads. When the
 * caller already holds one, nothing. 0, or -1 with err. */
int wpol_st_begin_change (wpol_store *st, ward_err *err);
/* Roll back the transaction a failed change left open, if any. */
void wpol_st_abort_change (wpol_store *st);

/* Load parsed files (taken) whose texts are texts[], and remove the stored
 * files named drop[] in the same transaction, checking the result as a
 * whole (against the store read in that transaction: in the caller's
 * wpol_st_begin_change, else its own). 0, or -1 with err (and what was
 * wrong in d); nothing changes then. */
int wpol_st_load_parsed (wpol_store *st, wpol_file **nf, const char *const *texts, size_t n,
                         const char *const *drop, size_t ndrop, wpol_diags *d, ward_err *err);

/* Does the file name hold a control character? A store keeps no such
 * name: it could forge a line of `ward policy list` or of an export. */
int wpol_st_name_has_control (const char *name);
/* Report a file name that the store refuses (wpol_st_name_has_control), at
 * where (the file itself, or the export line naming it). */
void wpol_st_refuse_name (wpol_diags *d, const char *where, unsigned line, const char *name);
/* Does the stored file `stored` stand for the file named `name`? The same
 * name; or a name stored, as an older ward did, as typed (relative) that
 * resolves here to the same canonical path. */
int wpol_st_same_file (const char *stored, const char *name);

#endif
