/* store.c -- the SQLite policy store: schema and migrations (user_version),
 * WAL, one transaction per load (a file with an error changes nothing), a
 * version counter for cheap polling, list and export. */
#include "config.h"
#include "wpol.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define SCHEMA_VERSION 1

struct wpol_store {
  sqlite3 *db;
  char *path;
  int readonly;
  sqlite3_stmt *version_stmt;
};

static int
db_fail (wpol_store *st, ward_err *err, int rc, const char *what)
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

static int
exec (wpol_store *st, const char *sql, ward_err *err, const char *what)
{
  int rc = sqlite3_exec (st->db, sql, NULL, NULL, NULL);
  return rc == SQLITE_OK ? 0 : db_fail (st, err, rc, what);
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

/* Bring the schema to SCHEMA_VERSION; each step in its own transaction. */
static int
migrate (wpol_store *st, ward_err *err)
{
  sqlite3_stmt *s;
  int rc = sqlite3_prepare_v2 (st->db, "PRAGMA user_version", -1, &s, NULL);
  if (rc != SQLITE_OK)
    return db_fail (st, err, rc, "reading the schema version");
  rc = sqlite3_step (s);
  int version = rc == SQLITE_ROW ? sqlite3_column_int (s, 0) : -1;
  sqlite3_finalize (s);
  if (version < 0)
    return db_fail (st, err, rc, "reading the schema version");
  if (version > SCHEMA_VERSION)
    return ward_err_set (err, WARD_E_INVALID, 0,
                         "policy store `%s` has schema %d; this ward knows up to %d (upgrade ward)",
                         st->path, version, SCHEMA_VERSION);
  if (version == SCHEMA_VERSION)
    return 0;
  if (version == 0)
    {
      rc = sqlite3_prepare_v2 (st->db, "SELECT count(*) FROM sqlite_master", -1, &s, NULL);
      if (rc != SQLITE_OK)
        return db_fail (st, err, rc, "reading the schema");
      rc = sqlite3_step (s);
      int ntables = rc == SQLITE_ROW ? sqlite3_column_int (s, 0) : -1;
      sqlite3_finalize (s);
      if (ntables < 0)
        return db_fail (st, err, rc, "reading the schema");
      if (ntables > 0)
        return ward_err_set (err, WARD_E_INVALID, 0,
                             "`%s` is an SQLite database but not a ward policy store", st->path);
      if (st->readonly)
        return ward_err_set (err, WARD_E_NOT_FOUND, 0,
                             "policy store `%s` is empty (load a policy into it first)", st->path);
    }
  if (exec (st, "BEGIN IMMEDIATE", err, "starting the migration") < 0)
    return -1;
  /* version 0 -> 1; later versions add their steps below */
  if (version < 1 && exec (st, schema_v1, err, "creating the schema") < 0)
    goto fail;
  if (exec (st, "PRAGMA user_version = 1", err, "setting the schema version") < 0)
    goto fail;
  if (exec (st, "COMMIT", err, "committing the migration") < 0)
    goto fail;
  return 0;
fail:
  sqlite3_exec (st->db, "ROLLBACK", NULL, NULL, NULL);
  return -1;
}

wpol_store *
wpol_store_open (const char *path, int flags, ward_err *err)
{
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
      db_fail (st, err, rc, "opening");
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
      sqlite3_stmt *s;
      rc = sqlite3_prepare_v2 (st->db, "PRAGMA journal_mode=WAL", -1, &s, NULL);
      if (rc == SQLITE_OK)
        {
          rc = sqlite3_step (s);
          sqlite3_finalize (s);
        }
      if (rc != SQLITE_ROW && rc != SQLITE_OK)
        {
          db_fail (st, err, rc, "switching to WAL");
          goto fail;
        }
    }
  if (exec (st, "PRAGMA foreign_keys = ON", err, "enabling foreign keys") < 0)
    goto fail;
  rc = sqlite3_prepare_v2 (st->db, "SELECT value FROM meta WHERE key = 'version'", -1,
                           &st->version_stmt, NULL);
  if (rc != SQLITE_OK)
    {
      db_fail (st, err, rc, "reading the version");
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
  sqlite3_finalize (st->version_stmt);
  sqlite3_close (st->db);
  free (st->path);
  free (st);
}

int
wpol_store_version (wpol_store *st, uint64_t *version, ward_err *err)
{
  sqlite3_reset (st->version_stmt);
  int rc = sqlite3_step (st->version_stmt);
  if (rc != SQLITE_ROW)
    {
      db_fail (st, err, rc, "reading the version");
      sqlite3_reset (st->version_stmt);
      return -1;
    }
  *version = (uint64_t) sqlite3_column_int64 (st->version_stmt, 0);
  sqlite3_reset (st->version_stmt);
  return 0;
}

/* ---- reading ----------------------------------------------------------- */

typedef struct srcs {
  char **names, **texts;
  size_t n;
} srcs;

static void
srcs_free (srcs *s)
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
static int
read_sources (wpol_store *st, srcs *out, uint64_t *version, ward_err *err)
{
  memset (out, 0, sizeof *out);
  int own = sqlite3_get_autocommit (st->db);
  if (own && exec (st, "BEGIN", err, "reading") < 0)
    return -1;
  if (version && wpol_store_version (st, version, err) < 0)
    goto fail;
  sqlite3_stmt *s;
  int rc = sqlite3_prepare_v2 (st->db, "SELECT name, source FROM files ORDER BY seq", -1, &s, NULL);
  if (rc != SQLITE_OK)
    {
      db_fail (st, err, rc, "reading files");
      goto fail;
    }
  size_t cap = 0;
  while ((rc = sqlite3_step (s)) == SQLITE_ROW)
    {
      if (out->n == cap)
        {
          cap = cap ? cap * 2 : 8;
          char **nn = realloc (out->names, cap * sizeof *nn);
          if (nn)
            out->names = nn;
          char **nt = realloc (out->texts, cap * sizeof *nt);
          if (nt)
            out->texts = nt;
          if (nn == NULL || nt == NULL)
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
      db_fail (st, err, rc, "reading files");
      goto fail;
    }
  if (own)
    exec (st, "COMMIT", NULL, "");
  return 0;
fail:
  if (own)
    sqlite3_exec (st->db, "ROLLBACK", NULL, NULL, NULL);
  srcs_free (out);
  return -1;
}

int
wpol_store_read (wpol_store *st, wpol_file ***files, size_t *n, uint64_t *version,
                 wpol_diags *d, ward_err *err)
{
  srcs s;
  if (read_sources (st, &s, version, err) < 0)
    return -1;
  *files = calloc (s.n + 1, sizeof **files);
  *n = 0;
  if (*files == NULL)
    {
      srcs_free (&s);
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
  srcs_free (&s);
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

/* ---- loading ----------------------------------------------------------- */

static int
bind_exec (wpol_store *st, ward_err *err, const char *sql, const char *fmt, ...)
{
  sqlite3_stmt *s;
  int rc = sqlite3_prepare_v2 (st->db, sql, -1, &s, NULL);
  if (rc != SQLITE_OK)
    return db_fail (st, err, rc, "preparing a statement");
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
    return db_fail (st, err, rc, "writing");
  return 0;
}

static int
store_decls (wpol_store *st, int64_t file_id, const wpol_file *f, ward_err *err)
{
  for (size_t k = 0; k < f->ndecls; k++)
    {
      const wpol_decl *dc = f->decls[k];
      wpol_buf body = { 0 };
      int r = 0;
      switch (dc->kind)
        {
        case D_POLICY:
          r = bind_exec (st, err, "INSERT INTO policies (file_id, name, line) VALUES (?, ?, ?)",
                         "isi", file_id, dc->name, (int64_t) dc->line);
          if (r < 0)
            break;
          {
            int64_t pid = sqlite3_last_insert_rowid (st->db);
            for (size_t i = 0; i < dc->nrules && r == 0; i++)
              {
                wpol_buf_free (&body);
                wpol_format_rule (dc->rules[i], &body);
                r = bind_exec (st, err, "INSERT INTO rules (policy_id, seq, effect, line, text)"
                               " VALUES (?, ?, ?, ?, ?)", "iisis", pid, (int64_t) i,
                               dc->rules[i]->deny ? "deny" : "allow",
                               (int64_t) dc->rules[i]->line, body.s ? body.s : "");
              }
          }
          break;
        case D_ACTOR:
        case D_SANDBOX:
          wpol_format_decl (dc, &body);
          r = bind_exec (st, err, dc->kind == D_ACTOR
                         ? "INSERT INTO actors (file_id, pattern, line, body) VALUES (?, ?, ?, ?)"
                         : "INSERT INTO sandboxes (file_id, name, line, body) VALUES (?, ?, ?, ?)",
                         "isis", file_id, dc->name, (int64_t) dc->line, body.s ? body.s : "");
          break;
        case D_HOST:
          r = bind_exec (st, err, "INSERT INTO hosts (file_id, name, line, threads, sandbox)"
                         " VALUES (?, ?, ?, ?, ?)", "isiis", file_id, dc->name,
                         (int64_t) dc->line, (int64_t) dc->host.threads, dc->host.sandbox);
          break;
        }
      int oom = body.oom;
      wpol_buf_free (&body);
      if (r < 0)
        return -1;
      if (oom)
        return ward_err_set (err, WARD_E_INTERNAL, ENOMEM, "storing `%s`", f->name);
    }
  return 0;
}

/* Load parsed files (taken) whose texts are texts[]. */
static int
load_parsed (wpol_store *st, wpol_file **nf, const char *const *texts, size_t n,
             wpol_diags *d, ward_err *err)
{
  int ret = -1;
  srcs old = { 0 };
  wpol_file **all = NULL;
  size_t nall = 0;
  if (st->readonly)
    {
      ward_err_set (err, WARD_E_INVALID, 0, "policy store `%s` is open read-only", st->path);
      goto out;
    }
  /* Check the new files together with the stored ones they do not replace,
   * stored first, so that a clash is reported in the new file. */
  if (read_sources (st, &old, NULL, err) < 0)
    goto out;
  all = calloc (old.n + n + 1, sizeof *all);
  if (all == NULL)
    {
      ward_err_set (err, WARD_E_INTERNAL, ENOMEM, "loading policies");
      goto out;
    }
  wpol_diags quiet;
  wpol_diags_init (&quiet);
  for (size_t i = 0; i < old.n; i++)
    {
      size_t j;
      for (j = 0; j < n && strcmp (nf[j]->name, old.names[i]) != 0; j++)
        ;
      if (j < n)
        continue;
      wpol_file *f = wpol_parse (old.names[i], old.texts[i], strlen (old.texts[i]), &quiet);
      if (f)
        all[nall++] = f;
    }
  size_t nold = nall;
  for (size_t i = 0; i < nold; i++)
    all[i]->nerrors = 0;          /* only the new files' errors count */
  for (size_t i = 0; i < n; i++)
    all[nall++] = nf[i];
  wpol_diags tmp;
  wpol_diags_init (&tmp);
  wpol_check (all, nall, &tmp);
  /* keep what concerns the new files */
  for (size_t i = 0; i < tmp.n; i++)
    for (size_t j = 0; j < n; j++)
      if (strcmp (tmp.v[i].file, nf[j]->name) == 0)
        {
          wpol_diag_add (d, tmp.v[i].severity, tmp.v[i].file, tmp.v[i].line, tmp.v[i].col,
                         "%s", tmp.v[i].msg);
          break;
        }
  wpol_diags_free (&tmp);
  wpol_diags_free (&quiet);
  size_t nerr = 0;
  for (size_t j = 0; j < n; j++)
    nerr += nf[j]->nerrors;
  if (nerr)
    {
      ward_err_set (err, WARD_E_INVALID, 0, "%zu error%s: nothing was loaded", nerr,
                    nerr == 1 ? "" : "s");
      goto out;
    }
  if (exec (st, "BEGIN IMMEDIATE", err, "starting the load") < 0)
    goto out;
  for (size_t j = 0; j < n; j++)
    {
      const wpol_file *f = nf[j];
      sqlite3_stmt *s;
      int64_t seq = -1;
      int rc = sqlite3_prepare_v2 (st->db, "SELECT seq FROM files WHERE name = ?", -1, &s, NULL);
      if (rc != SQLITE_OK)
        {
          db_fail (st, err, rc, "loading");
          goto rollback;
        }
      sqlite3_bind_text (s, 1, f->name, -1, SQLITE_TRANSIENT);
      if ((rc = sqlite3_step (s)) == SQLITE_ROW)
        seq = sqlite3_column_int64 (s, 0);
      sqlite3_finalize (s);
      if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        {
          db_fail (st, err, rc, "loading");
          goto rollback;
        }
      if (bind_exec (st, err, "DELETE FROM files WHERE name = ?", "s", f->name) < 0)
        goto rollback;
      if (seq < 0)
        {
          rc = sqlite3_prepare_v2 (st->db, "SELECT coalesce(max(seq), 0) + 1 FROM files", -1,
                                   &s, NULL);
          if (rc != SQLITE_OK)
            {
              db_fail (st, err, rc, "loading");
              goto rollback;
            }
          rc = sqlite3_step (s);
          seq = sqlite3_column_int64 (s, 0);
          sqlite3_finalize (s);
          if (rc != SQLITE_ROW)
            {
              db_fail (st, err, rc, "loading");
              goto rollback;
            }
        }
      if (bind_exec (st, err, "INSERT INTO files (name, source, seq, loaded_at) VALUES (?, ?, ?, ?)",
                     "ssii", f->name, texts[j], seq, (int64_t) time (NULL)) < 0)
        goto rollback;
      if (store_decls (st, sqlite3_last_insert_rowid (st->db), f, err) < 0)
        goto rollback;
    }
  if (exec (st, "UPDATE meta SET value = value + 1 WHERE key = 'version'", err, "bumping the version") < 0
      || exec (st, "COMMIT", err, "committing the load") < 0)
    goto rollback;
  ret = 0;
  goto out;
rollback:
  sqlite3_exec (st->db, "ROLLBACK", NULL, NULL, NULL);
out:
  for (size_t i = 0; i < nall; i++)
    wpol_file_free (all[i]);
  if (all == NULL)
    for (size_t i = 0; i < n; i++)
      wpol_file_free (nf[i]);
  free (all);
  srcs_free (&old);
  return ret;
}

int
wpol_store_load_files (wpol_store *st, const char *const *paths, size_t n, wpol_diags *d,
                       ward_err *err)
{
  wpol_file **nf = calloc (n + 1, sizeof *nf);
  char **texts = calloc (n + 1, sizeof *texts);
  int ret = -1;
  size_t nparsed = 0, nerr = 0;
  if (nf == NULL || texts == NULL)
    {
      ward_err_set (err, WARD_E_INTERNAL, ENOMEM, "loading policies");
      goto out;
    }
  for (size_t i = 0; i < n; i++)
    {
      for (size_t j = 0; j < i; j++)
        if (strcmp (paths[i], paths[j]) == 0)
          {
            wpol_diag_add (d, WPOL_ERROR, paths[i], 0, 0, "file given twice");
            nerr++;
          }
      size_t len;
      ward_err e2;
      texts[i] = wpol_read_file (paths[i], &len, &e2);
      if (texts[i] == NULL)
        {
          wpol_diag_add (d, WPOL_ERROR, paths[i], 0, 0, "%s", e2.msg);
          nerr++;
          continue;
        }
      wpol_file *f = wpol_parse (paths[i], texts[i], len, d);
      if (f == NULL)
        {
          ward_err_set (err, WARD_E_INTERNAL, ENOMEM, "loading policies");
          goto out;
        }
      if (strlen (texts[i]) != len)
        f->nerrors++;             /* NUL bytes: reported by the parser */
      nerr += f->nerrors;
      nf[nparsed++] = f;
    }
  if (nerr)
    {
      ward_err_set (err, WARD_E_INVALID, 0, "%zu error%s: nothing was loaded", nerr,
                    nerr == 1 ? "" : "s");
      goto out;
    }
  ret = load_parsed (st, nf, (const char *const *) texts, nparsed, d, err);
  nparsed = 0;                    /* taken */
out:
  for (size_t i = 0; i < nparsed; i++)
    wpol_file_free (nf[i]);
  for (size_t i = 0; texts && i < n; i++)
    free (texts[i]);
  free (texts);
  free (nf);
  return ret;
}

int
wpol_store_load_text (wpol_store *st, const char *name, const char *text, size_t len,
                      wpol_diags *d, ward_err *err)
{
  wpol_file *f = wpol_parse (name, text, len, d);
  if (f == NULL)
    return ward_err_set (err, WARD_E_INTERNAL, ENOMEM, "loading policies");
  if (f->nerrors || strlen (text) != len)
    {
      size_t nerr = f->nerrors ? f->nerrors : 1;
      wpol_file_free (f);
      return ward_err_set (err, WARD_E_INVALID, 0, "%zu error%s: nothing was loaded", nerr,
                           nerr == 1 ? "" : "s");
    }
  char *copy = strndup (text, len);
  if (copy == NULL)
    {
      wpol_file_free (f);
      return ward_err_set (err, WARD_E_INTERNAL, ENOMEM, "loading policies");
    }
  const char *texts[1] = { copy };
  int r = load_parsed (st, &f, texts, 1, d, err);
  free (copy);
  return r;
}

/* ---- list and export --------------------------------------------------- */

int
wpol_store_export (wpol_store *st, FILE *out, ward_err *err)
{
  wpol_file **files;
  size_t n;
  wpol_diags d;
  wpol_diags_init (&d);
  int r = wpol_store_read (st, &files, &n, NULL, &d, err);
  wpol_diags_free (&d);
  if (r < 0)
    return -1;
  for (size_t i = 0; i < n; i++)
    {
      wpol_buf b = { 0 };
      wpol_format (files[i], &b);
      fprintf (out, "%s# file: %s\n%s", i ? "\n" : "", files[i]->name, b.s ? b.s : "");
      if (b.oom)
        r = ward_err_set (err, WARD_E_INTERNAL, ENOMEM, "exporting");
      wpol_buf_free (&b);
      wpol_file_free (files[i]);
    }
  free (files);
  return r;
}

static int
query_print (wpol_store *st, FILE *out, const char *sql, const char *head, ward_err *err)
{
  sqlite3_stmt *s;
  int rc = sqlite3_prepare_v2 (st->db, sql, -1, &s, NULL);
  if (rc != SQLITE_OK)
    return db_fail (st, err, rc, "listing");
  fprintf (out, "%s\n", head);
  int rows = 0;
  while ((rc = sqlite3_step (s)) == SQLITE_ROW)
    {
      int nc = sqlite3_column_count (s);
      for (int i = 0; i < nc; i++)
        {
          const char *v = (const char *) sqlite3_column_text (s, i);
          fprintf (out, i + 1 < nc ? "%-28s " : "%s\n", v ? v : "");
        }
      rows++;
    }
  sqlite3_finalize (s);
  if (rc != SQLITE_DONE)
    return db_fail (st, err, rc, "listing");
  if (rows == 0)
    fprintf (out, "(none)\n");
  fprintf (out, "\n");
  return 0;
}

int
wpol_store_list (wpol_store *st, FILE *out, ward_err *err)
{
  uint64_t v;
  if (wpol_store_version (st, &v, err) < 0)
    return -1;
  fprintf (out, "policy store %s, version %llu\n\n", st->path, (unsigned long long) v);
  if (exec (st, "BEGIN", err, "listing") < 0)
    return -1;
  int r = query_print (st, out,
                       "SELECT name, (SELECT count(*) FROM policies p WHERE p.file_id = f.id)"
                       " || ' policies', datetime(loaded_at, 'unixepoch') FROM files f ORDER BY seq",
                       "FILES", err);
  if (r == 0)
    r = query_print (st, out,
                     "SELECT p.name, f.name || ':' || p.line, (SELECT count(*) FROM rules r"
                     " WHERE r.policy_id = p.id) || ' rules' FROM policies p JOIN files f"
                     " ON f.id = p.file_id ORDER BY f.seq, p.line", "POLICIES", err);
  if (r == 0)
    r = query_print (st, out,
                     "SELECT a.pattern, f.name || ':' || a.line FROM actors a JOIN files f"
                     " ON f.id = a.file_id ORDER BY f.seq, a.line", "ACTORS", err);
  if (r == 0)
    r = query_print (st, out,
                     "SELECT h.name, f.name || ':' || h.line, 'threads=' || h.threads ||"
                     " CASE WHEN h.sandbox = '' THEN '' ELSE ' sandbox=' || h.sandbox END"
                     " FROM hosts h JOIN files f ON f.id = h.file_id ORDER BY f.seq, h.line",
                     "HOSTS", err);
  if (r == 0)
    r = query_print (st, out,
                     "SELECT s.name, f.name || ':' || s.line FROM sandboxes s JOIN files f"
                     " ON f.id = s.file_id ORDER BY f.seq, s.line", "SANDBOX PROFILES", err);
  sqlite3_exec (st->db, r == 0 ? "COMMIT" : "ROLLBACK", NULL, NULL, NULL);
  return r;
}
