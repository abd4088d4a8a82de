/* store.c -- the SQLite policy store: schema and migrations (user_version),
 * WAL, opening and closing, the version counter for cheap polling, reading
 * the stored files back, and the list. Loading and removing are in
 * store_load.c and store_remove.c, the export format in store_export.c,
 * the history (versions, rollback) in store_history.c. */
#include "config.h"
#include "store.h"
#include "pgstore.h"
#include "wpg.h"
#include "wesc.h"
#include "wgrow.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* 1: files and their definitions; 2: the history of versions */
#define SCHEMA_VERSION 2

int
wpol_st_fail (wpol_store *st, ward_err *err, int rc, const char *what)
{
  ward_kind kind = WARD_E_INTERNAL;
  const char *hint = "";
  switch (rc & 0xff)
    {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      kind = WARD_E_UNAVAILABLE;
      hint = " (another process holds the store; try again)";
      break;
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_CANTOPEN:
      kind = WARD_E_INVALID;
      break;
    case SQLITE_NOTADB:
    case SQLITE_CORRUPT:
      kind = WARD_E_INVALID;
      hint = " (the file is damaged or is not a ward policy store)";
      break;
    default:
      break;
    }
  return ward_err_set (err, kind, 0, "policy store `%s`: %s: %s%s", st->path, what,
                       st->db ? sqlite3_errmsg (st->db) : sqlite3_errstr (rc), hint);
}

int
wpol_st_exec (wpol_store *st, const char *sql, ward_err *err, const char *what)
{
  int rc = sqlite3_exec (st->db, sql, NULL, NULL, NULL);
  return rc == SQLITE_OK ? 0 : wpol_st_fail (st, err, rc, what);
}

int
wpol_st_begin_change (wpol_store *st, ward_err *err)
{
  if (!sqlite3_get_autocommit (st->db))
    return 0;
  return wpol_st_exec (st, st->preview || st->readonly ? "BEGIN" : "BEGIN IMMEDIATE", err,
                       "starting the change");
}

void
wpol_st_abort_change (wpol_store *st)
{
  if (!sqlite3_get_autocommit (st->db))
    sqlite3_exec (st->db, "ROLLBACK", NULL, NULL, NULL);
}

static const char schema_v1[] =
  "CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);"
  "INSERT INTO meta VALUES ('version', 0);"
  "CREATE TABLE files (id INTEGER PRIMARY KEY, name TEXT UNIQUE NOT NULL,"
  "  source TEXT NOT NULL, seq INTEGER NOT NULL, loaded_at INTEGER NOT NULL);"
  "CREATE TABLE policies (id INTEGER PRIMARY KEY,"
  "  file_id INTEGER NOT NULL REFERENCES files(id) ON DELETE CASCADE,"
  "  name TEXT UNIQUE NOT NULL, line INTEGER NOT NULL);"
  "CREATE TABLE rules (id INTEGER PRIMARY KEY,"
  "  policy_id INTEGER NOT NULL REFERENCES policies(id) ON DELETE CASCADE,"
  "  seq INTEGER NOT NULL, effect TEXT NOT NULL CHECK (effect IN ('allow','deny')),"
  "  line INTEGER NOT NULL, text TEXT NOT NULL);"
  "CREATE TABLE actors (id INTEGER PRIMARY KEY,"
  "  file_id INTEGER NOT NULL REFERENCES files(id) ON DELETE CASCADE,"
  "  pattern TEXT UNIQUE NOT NULL, line INTEGER NOT NULL, body TEXT NOT NULL);"
  "CREATE TABLE hosts (id INTEGER PRIMARY KEY,"
  "  file_id INTEGER NOT NULL REFERENCES files(id) ON DELETE CASCADE,"
  "  name TEXT UNIQUE NOT NULL, line INTEGER NOT NULL, threads INTEGER NOT NULL,"
  "  sandbox TEXT NOT NULL);"
  "CREATE TABLE sandboxes (id INTEGER PRIMARY KEY,"
  "  file_id INTEGER NOT NULL REFERENCES files(id) ON DELETE CASCADE,"
  "  name TEXT UNIQUE NOT NULL, line INTEGER NOT NULL, body TEXT NOT NULL);"
  "CREATE INDEX rules_policy ON rules(policy_id);";

/* Every version the store has been at: who made it, when, with what, the
 * hash of its content and a copy of every file it held (what a rollback
 * restores). */
static const char schema_v2[] =
  "CREATE TABLE history (version INTEGER PRIMARY KEY, at INTEGER NOT NULL,"
  "  user TEXT NOT NULL, what TEXT NOT NULL, files TEXT NOT NULL, hash TEXT NOT NULL);"
  "CREATE TABLE history_files (version INTEGER NOT NULL"
  "  REFERENCES history(version) ON DELETE CASCADE,"
  "  seq INTEGER NOT NULL, name TEXT NOT NULL, source TEXT NOT NULL,"
  "  PRIMARY KEY (version, seq));";

/* Bring the schema to SCHEMA_VERSION; each step in its own transaction. */
/* The integer (>= 0) the one-row query sql gives, into *out; -1 with err
 * ("WHAT: ...") when there is none. */
static int
query_int (wpol_store *st, const char *sql, const char *what, int *out, ward_err *err)
{
  sqlite3_stmt *s;
  int rc = sqlite3_prepare_v2 (st->db, sql, -1, &s, NULL);
  if (rc != SQLITE_OK)
    return wpol_st_fail (st, err, rc, what);
  rc = sqlite3_step (s);
  *out = rc == SQLITE_ROW ? sqlite3_column_int (s, 0) : -1;
  sqlite3_finalize (s);
  if (*out < 0)
    return wpol_st_fail (st, err, rc, what);
  return 0;
}

static int
migrate (wpol_store *st, ward_err *err)
{
  int version;
  if (query_int (st, "PRAGMA user_version", "reading the schema version", &version, err) < 0)
    return -1;
  if (version > SCHEMA_VERSION)
    return ward_err_set (err, WARD_E_INVALID, 0,
                         "policy store `%s` has schema %d; this ward knows up to %d (upgrade ward)",
                         st->path, version, SCHEMA_VERSION);
  st->schema = version;
  if (version == SCHEMA_VERSION)
    return 0;
  /* A store of an older schema opened read-only is read as it is (its
   * definitions have not changed shape); the first writer upgrades it. */
  if (version > 0 && st->readonly)
    return 0;
  if (version == 0 && st->readonly)
    {
      int ntables;
      if (query_int (st, "SELECT count(*) FROM sqlite_master", "reading the schema", &ntables,
                     err) < 0)
        return -1;
      if (ntables > 0)
        return ward_err_set (err, WARD_E_INVALID, 0,
                             "`%s` is an SQLite database but not a ward policy store", st->path);
      return ward_err_set (err, WARD_E_NOT_FOUND, 0,
                           "policy store `%s` is empty (load a policy into it first)", st->path);
    }
  /* the version again under the write lock: another ward that opened the
   * store at the same time may have migrated it meanwhile */
  if (wpol_st_exec (st, "BEGIN IMMEDIATE", err, "starting the migration") < 0)
    return -1;
  if (query_int (st, "PRAGMA user_version", "reading the schema version", &version, err) < 0)
    goto fail;
  if (version >= SCHEMA_VERSION)
    {
      sqlite3_exec (st->db, "ROLLBACK", NULL, NULL, NULL);
      if (version > SCHEMA_VERSION)
        return ward_err_set (err, WARD_E_INVALID, 0, "policy store `%s` has schema %d; this "
                             "ward knows up to %d (upgrade ward)", st->path, version,
                             SCHEMA_VERSION);
      st->schema = version;
      return 0;
    }
  if (version == 0)
    {
      int ntables;
      if (query_int (st, "SELECT count(*) FROM sqlite_master", "reading the schema", &ntables,
                     err) < 0)
        goto fail;
      if (ntables > 0)
        {
          ward_err_set (err, WARD_E_INVALID, 0,
                        "`%s` is an SQLite database but not a ward policy store", st->path);
          goto fail;
        }
    }
  /* version 0 -> 1; later versions add their steps below */
  if (version < 1 && wpol_st_exec (st, schema_v1, err, "creating the schema") < 0)
    goto fail;
  /* 1 -> 2: the history; a store that held definitions already gets its
   * present state as the first version of it */
  if (version < 2 && wpol_st_exec (st, schema_v2, err, "creating the history") < 0)
    goto fail;
  if (version == 1 && wpol_st_record (st, "(before history)", "", err) < 0)
    goto fail;
  if (wpol_st_exec (st, "PRAGMA user_version = 2", err, "setting the schema version") < 0)
    goto fail;
  if (wpol_st_exec (st, "COMMIT", err, "committing the migration") < 0)
    goto fail;
  st->schema = SCHEMA_VERSION;
  return 0;
fail:
  sqlite3_exec (st->db, "ROLLBACK", NULL, NULL, NULL);
  return -1;
}

wpol_store *
wpol_store_open (const char *path, int flags, ward_err *err)
{
  if (wpg_is_conninfo (path))
    return wpgs_open (path, flags, err);
  wpol_store *st = calloc (1, sizeof *st);
  if (st == NULL || (st->path = strdup (path)) == NULL)
    {
      free (st);
      ward_err_set (err, WARD_E_INTERNAL, ENOMEM, "opening the policy store");
      return NULL;
    }
  int memory = strcmp (path, ":memory:") == 0;
  st->readonly = (flags & WPOL_STORE_READONLY) != 0;
  if (!memory && !(flags & WPOL_STORE_CREATE) && access (path, F_OK) < 0)
    {
      ward_err_set (err, WARD_E_NOT_FOUND, errno, "policy store `%s`", path);
      goto fail;
    }
  int oflags = st->readonly ? SQLITE_OPEN_READONLY
               : SQLITE_OPEN_READWRITE | ((flags & WPOL_STORE_CREATE) ? SQLITE_OPEN_CREATE : 0);
  int rc = sqlite3_open_v2 (path, &st->db, oflags | SQLITE_OPEN_NOMUTEX, NULL);
  if (rc != SQLITE_OK)
    {
      wpol_st_fail (st, err, rc, "opening");
      goto fail;
    }
  sqlite3_busy_timeout (st->db, 2000);
  sqlite3_extended_result_codes (st->db, 0);
  if (!st->readonly && sqlite3_db_readonly (st->db, "main") == 1)
    {
      ward_err_set (err, WARD_E_INVALID, EACCES, "policy store `%s` is read-only", path);
      goto fail;
    }
  if (migrate (st, err) < 0)
    goto fail;
  if (!st->readonly && !memory)
    {
      /* Switching a new store to WAL takes it whole, and SQLite does not
       * wait on the busy handler for that: while another ward opens the
       * same new store it is busy for a moment; it is asked again for up
       * to the busy timeout (a store in WAL already switches at once). */
      for (int tries = 0;; tries++)
        {
          sqlite3_stmt *s;
          rc = sqlite3_prepare_v2 (st->db, "PRAGMA journal_mode=WAL", -1, &s, NULL);
          if (rc == SQLITE_OK)
            {
              rc = sqlite3_step (s);
              sqlite3_finalize (s);
            }
          if ((rc != SQLITE_BUSY && rc != SQLITE_LOCKED) || tries == 200)
            break;
          sqlite3_sleep (10);
        }
      if (rc != SQLITE_ROW && rc != SQLITE_OK)
        {
          wpol_st_fail (st, err, rc, "switching to WAL");
          goto fail;
        }
    }
  if (wpol_st_exec (st, "PRAGMA foreign_keys = ON", err, "enabling foreign keys") < 0)
    goto fail;
  rc = sqlite3_prepare_v2 (st->db, "SELECT value FROM meta WHERE key = 'version'", -1,
                           &st->version_stmt, NULL);
  if (rc != SQLITE_OK)
    {
      wpol_st_fail (st, err, rc, "reading the version");
      goto fail;
    }
  return st;
fail:
  wpol_store_close (st);
  return NULL;
}

void
wpol_store_close (wpol_store *st)
{
  if (st == NULL)
    return;
  wpgs_close (st->pg);
  sqlite3_finalize (st->version_stmt);
  sqlite3_close (st->db);
  wpol_buf_free (&st->changes);
  free (st->path);
  free (st);
}

int
wpol_store_is_pg (const wpol_store *st)
{
  return st->pg != NULL;
}

int
wpol_store_version (wpol_store *st, uint64_t *version, ward_err *err)
{
  if (st->pg && !wpgs_inside (st))
    return wpgs_version (st, version, err);
  sqlite3_reset (st->version_stmt);
  int rc = sqlite3_step (st->version_stmt);
  if (rc != SQLITE_ROW)
    {
      wpol_st_fail (st, err, rc, "reading the version");
      sqlite3_reset (st->version_stmt);
      return -1;
    }
  *version = (uint64_t) sqlite3_column_int64 (st->version_stmt, 0);
  sqlite3_reset (st->version_stmt);
  return 0;
}

/* ---- reading ----------------------------------------------------------- */

void
wpol_st_srcs_free (wpol_st_srcs *s)
{
  for (size_t i = 0; i < s->n; i++)
    {
      free (s->names[i]);
      free (s->texts[i]);
    }
  free (s->names);
  free (s->texts);
  memset (s, 0, sizeof *s);
}

/* Every stored file's name and source, in load order; optionally the
 * version, all in one read transaction. */
int
wpol_st_read_sources (wpol_store *st, wpol_st_srcs *out, uint64_t *version, ward_err *err)
{
  memset (out, 0, sizeof *out);
  int own = sqlite3_get_autocommit (st->db);
  if (own && wpol_st_exec (st, "BEGIN", err, "reading") < 0)
    return -1;
  if (version && wpol_store_version (st, version, err) < 0)
    goto fail;
  sqlite3_stmt *s;
  int rc = sqlite3_prepare_v2 (st->db, "SELECT name, source FROM files ORDER BY seq", -1, &s, NULL);
  if (rc != SQLITE_OK)
    {
      wpol_st_fail (st, err, rc, "reading files");
      goto fail;
    }
  size_t ncap = 0, tcap = 0;
  while ((rc = sqlite3_step (s)) == SQLITE_ROW)
    {
      if (out->n == ncap || out->n == tcap)
        {
          int r1 = WARD_GROW (out->names, ncap, out->n + 1, 8);
          int r2 = WARD_GROW (out->texts, tcap, out->n + 1, 8);
          if (r1 < 0 || r2 < 0)
            {
              sqlite3_finalize (s);
              ward_err_set (err, WARD_E_INTERNAL, ENOMEM, "reading the policy store");
              goto fail;
            }
        }
      const char *name = (const char *) sqlite3_column_text (s, 0);
      const char *text = (const char *) sqlite3_column_text (s, 1);
      out->names[out->n] = strdup (name ? name : "");
      out->texts[out->n] = strdup (text ? text : "");
      out->n++;
      if (out->names[out->n - 1] == NULL || out->texts[out->n - 1] == NULL)
        {
          sqlite3_finalize (s);
          ward_err_set (err, WARD_E_INTERNAL, ENOMEM, "reading the policy store");
          goto fail;
        }
    }
  sqlite3_finalize (s);
  if (rc != SQLITE_DONE)
    {
      wpol_st_fail (st, err, rc, "reading files");
      goto fail;
    }
  if (own)
    wpol_st_exec (st, "COMMIT", NULL, "");
  return 0;
fail:
  if (own)
    sqlite3_exec (st->db, "ROLLBACK", NULL, NULL, NULL);
  wpol_st_srcs_free (out);
  return -1;
}

int
wpol_store_read (wpol_store *st, wpol_file ***files, size_t *n, uint64_t *version,
                 wpol_diags *d, ward_err *err)
{
  WPGS_WRAP (st, 0, -1, err, wpol_store_read (st, files, n, version, d, err));
  wpol_st_srcs s;
  if (wpol_st_read_sources (st, &s, version, err) < 0)
    return -1;
  *files = calloc (s.n + 1, sizeof **files);
  *n = 0;
  if (*files == NULL)
    {
      wpol_st_srcs_free (&s);
      return ward_err_set (err, WARD_E_INTERNAL, ENOMEM, "reading the policy store");
    }
  size_t nerr = 0;
  for (size_t i = 0; i < s.n; i++)
    {
      wpol_file *f = wpol_parse (s.names[i], s.texts[i], strlen (s.texts[i]), d);
      if (f == NULL)
        {
          nerr++;
          continue;
        }
      nerr += f->nerrors;
      (*files)[(*n)++] = f;
    }
  wpol_st_srcs_free (&s);
  if (nerr)
    {
      for (size_t i = 0; i < *n; i++)
        wpol_file_free ((*files)[i]);
      free (*files);
      *files = NULL;
      return ward_err_set (err, WARD_E_INVALID, 0, "policy store `%s` holds a file with errors",
                           st->path);
    }
  return 0;
}

/* ---- writing ----------------------------------------------------------- */

int
wpol_st_bind (wpol_store *st, ward_err *err, const char *sql, const char *fmt, ...)
{
  sqlite3_stmt *s;
  int rc = sqlite3_prepare_v2 (st->db, sql, -1, &s, NULL);
  if (rc != SQLITE_OK)
    return wpol_st_fail (st, err, rc, "preparing a statement");
  va_list ap;
  va_start (ap, fmt);
  for (int i = 0; fmt[i]; i++)
    {
      if (fmt[i] == 's')
        {
          const char *v = va_arg (ap, const char *);
          sqlite3_bind_text (s, i + 1, v, -1, SQLITE_TRANSIENT);
        }
      else
        sqlite3_bind_int64 (s, i + 1, va_arg (ap, int64_t));
    }
  va_end (ap);
  rc = sqlite3_step (s);
  sqlite3_finalize (s);
  if (rc != SQLITE_DONE && rc != SQLITE_ROW)
    return wpol_st_fail (st, err, rc, "writing");
  return 0;
}

/* ---- the list ---------------------------------------------------------- */

static int
query_print (wpol_store *st, FILE *out, const char *sql, const char *head, ward_err *err)
{
  sqlite3_stmt *s;
  int rc = sqlite3_prepare_v2 (st->db, sql, -1, &s, NULL);
  if (rc != SQLITE_OK)
    return wpol_st_fail (st, err, rc, "listing");
  fprintf (out, "%s\n", head);
  int rows = 0;
  while ((rc = sqlite3_step (s)) == SQLITE_ROW)
    {
      int nc = sqlite3_column_count (s);
      for (int i = 0; i < nc; i++)
        {
          /* names come from files and paths: escaped, so none forges a row */
          const char *v = (const char *) sqlite3_column_text (s, i);
          char *e = ward_esc_str (v ? v : "", 0);
          fprintf (out, i + 1 < nc ? "%-28s " : "%s\n", e ? e : "(out of memory)");
          free (e);
        }
      rows++;
    }
  sqlite3_finalize (s);
  if (rc != SQLITE_DONE)
    return wpol_st_fail (st, err, rc, "listing");
  if (rows == 0)
    fprintf (out, "(none)\n");
  fprintf (out, "\n");
  return 0;
}

int
wpol_store_list (wpol_store *st, FILE *out, ward_err *err)
{
  WPGS_WRAP (st, 0, -1, err, wpol_store_list (st, out, err));
  uint64_t v;
  if (wpol_store_version (st, &v, err) < 0)
    return -1;
  fputs ("policy store ", out);
  ward_esc_fputs (st->path, 0, out);
  fprintf (out, ", version %llu\n\n", (unsigned long long) v);
  if (wpol_st_exec (st, "BEGIN", err, "listing") < 0)
    return -1;
  static const struct { const char *title, *sql; } sections[] = {
    { "FILES", "SELECT name, (SELECT count(*) FROM policies p WHERE p.file_id = f.id)"
      " || ' policies', datetime(loaded_at, 'unixepoch') FROM files f ORDER BY seq" },
    { "POLICIES", "SELECT p.name, f.name || ':' || p.line, (SELECT count(*) FROM rules r"
      " WHERE r.policy_id = p.id) || ' rules' FROM policies p JOIN files f"
      " ON f.id = p.file_id ORDER BY f.seq, p.line" },
    { "ACTORS", "SELECT a.pattern, f.name || ':' || a.line FROM actors a JOIN files f"
      " ON f.id = a.file_id ORDER BY f.seq, a.line" },
    { "HOSTS", "SELECT h.name, f.name || ':' || h.line, 'threads=' || h.threads ||"
      " CASE WHEN h.sandbox = '' THEN '' ELSE ' sandbox=' || h.sandbox END"
      " FROM hosts h JOIN files f ON f.id = h.file_id ORDER BY f.seq, h.line" },
    { "SANDBOX PROFILES", "SELECT s.name, f.name || ':' || s.line FROM sandboxes s JOIN files f"
      " ON f.id = s.file_id ORDER BY f.seq, s.line" },
  };
  int r = 0;
  for (size_t i = 0; r == 0 && i < sizeof sections / sizeof sections[0]; i++)
    r = query_print (st, out, sections[i].sql, sections[i].title, err);
  sqlite3_exec (st->db, r == 0 ? "COMMIT" : "ROLLBACK", NULL, NULL, NULL);
  return r;
}
