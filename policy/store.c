/* store.c -- the SQLite policy store: schema and migrations (user_version),
 * WAL, one transaction per load (a file with an error changes nothing), a
 * version counter for cheap polling, list and export. */
#include "config.h"
#include "wpol.h"
#include "wesc.h"

#include <ctype.h>
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
  wpol_buf changes;               /* what the last load or remove changed */
  size_t loaded;                  /* files the last load wrote */
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
  wpol_buf_free (&st->changes);
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

/* Does the file name hold a control character? A store keeps no such
 * name: it could forge a line of `ward policy list` or of an export. */
static int
name_has_control (const char *name)
{
  for (const unsigned char *p = (const unsigned char *) name; *p; p++)
    if (*p < 0x20 || *p == 0x7f)
      return 1;
  return 0;
}

/* Report a file name that the store refuses (name_has_control), at where
 * (the file itself, or the export line naming it). */
static void
refuse_name (wpol_diags *d, const char *where, unsigned line, const char *name)
{
  wpol_buf q = { 0 };
  if (strcmp (where, name) != 0)
    {
      wpol_buf_puts (&q, " ");
      wpol_buf_quote (&q, name);
    }
  wpol_diag_add (d, WPOL_ERROR, where, line, line ? 1 : 0, "the file name%s holds a control "
                 "character (a newline, a tab...); a policy store keeps no such name, which "
                 "could forge a line of `ward policy list` or `export`: rename the file",
                 q.oom ? "" : q.s ? q.s : "");
  wpol_buf_free (&q);
}

/* Does the stored file `stored` stand for the file named `name`? The same
 * name; or a name stored, as an older ward did, as typed (relative) that
 * resolves here to the same canonical path. */
static int
same_file (const char *stored, const char *name)
{
  if (strcmp (stored, name) == 0)
    return 1;
  if (stored[0] == '/' || name[0] != '/')
    return 0;
  char *canon = realpath (stored, NULL);
  int same = canon && strcmp (canon, name) == 0;
  free (canon);
  return same;
}

static const char *
kind_word (wpol_dkind k)
{
  return k == D_POLICY ? "policy" : k == D_ACTOR ? "actor" : k == D_HOST ? "host" : "sandbox";
}

/* Canonical text of every declaration of files, keyed "kind\x1fname". */
static int
decl_texts (wpol_file *const *files, size_t n, wpol_htab *h, wpol_arena *a)
{
  for (size_t i = 0; i < n; i++)
    for (size_t k = 0; files[i] && k < files[i]->ndecls; k++)
      {
        const wpol_decl *dc = files[i]->decls[k];
        wpol_buf key = { 0 }, body = { 0 };
        wpol_buf_printf (&key, "%s\x1f%s", kind_word (dc->kind), dc->name);
        wpol_format_decl (dc, &body);
        int bad = key.oom || body.oom
                  || wpol_htab_put (h, wpol_strndup (a, key.s, key.len),
                                    wpol_strndup (a, body.s ? body.s : "", body.len)) < 0;
        wpol_buf_free (&key);
        wpol_buf_free (&body);
        if (bad)
          return -1;
      }
  return 0;
}

static void
change_line (wpol_buf *out, char mark, const char *key)
{
  const char *sep = strchr (key, '\x1f');
  wpol_buf_printf (out, "%c %.*s ", mark, (int) (sep - key), key);
  wpol_buf_quote (out, sep + 1);
  wpol_buf_puts (out, "\n");
}

/* What replacing the files `before` by `after` changes: "+ policy \"a\"",
 * "- policy \"b\"", "~ policy \"c\"" lines, new definitions in file order,
 * then the removed ones. */
static int
diff_files (wpol_file *const *before, size_t nb, wpol_file *const *after, size_t na,
            wpol_buf *out)
{
  wpol_htab hb = { 0 }, ha = { 0 };
  wpol_arena a = { 0 };
  jmp_buf oom;
  volatile int r = -1;
  if (setjmp (oom))
    goto done;
  a.oom = &oom;
  if (decl_texts (before, nb, &hb, &a) < 0 || decl_texts (after, na, &ha, &a) < 0)
    goto done;
  wpol_buf key = { 0 };
  for (int pass = 0; pass < 2; pass++)
    {
      wpol_file *const *fs = pass ? before : after;
      size_t nf = pass ? nb : na;
      for (size_t i = 0; i < nf; i++)
        for (size_t k = 0; fs[i] && k < fs[i]->ndecls; k++)
          {
            const wpol_decl *dc = fs[i]->decls[k];
            key.len = 0;
            wpol_buf_printf (&key, "%s\x1f%s", kind_word (dc->kind), dc->name);
            if (key.oom)
              {
                wpol_buf_free (&key);
                goto done;
              }
            const char *was = wpol_htab_get (&hb, key.s), *is = wpol_htab_get (&ha, key.s);
            if (pass == 0 && was == NULL)
              change_line (out, '+', key.s);
            else if (pass == 0 && strcmp (was, is) != 0)
              change_line (out, '~', key.s);
            else if (pass == 1 && is == NULL)
              change_line (out, '-', key.s);
          }
    }
  wpol_buf_free (&key);
  r = out->oom ? -1 : 0;
done:
  a.oom = NULL;
  wpol_htab_free (&hb);
  wpol_htab_free (&ha);
  wpol_arena_free (&a);
  return r;
}

/* Load parsed files (taken) whose texts are texts[], and remove the stored
 * files named drop[] in the same transaction. */
static int
load_parsed (wpol_store *st, wpol_file **nf, const char *const *texts, size_t n,
             const char *const *drop, size_t ndrop, wpol_diags *d, ward_err *err)
{
  int ret = -1;
  srcs old = { 0 };
  wpol_file **all = NULL, **gone = NULL;
  size_t nall = 0, ngone = 0;
  char **gone_names = NULL;
  st->changes.len = 0;
  st->loaded = 0;
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
  gone = calloc (old.n + 1, sizeof *gone);
  gone_names = calloc (old.n + 1, sizeof *gone_names);
  if (all == NULL || gone == NULL || gone_names == NULL)
    {
      ward_err_set (err, WARD_E_INTERNAL, ENOMEM, "loading policies");
      goto out;
    }
  wpol_diags quiet;
  wpol_diags_init (&quiet);
  for (size_t i = 0; i < old.n; i++)
    {
      size_t j, k;
      for (j = 0; j < n && !same_file (old.names[i], nf[j]->name); j++)
        ;
      for (k = 0; k < ndrop && strcmp (old.names[i], drop[k]) != 0; k++)
        ;
      wpol_file *f = wpol_parse (old.names[i], old.texts[i], strlen (old.texts[i]), &quiet);
      if (j < n || k < ndrop)
        {
          /* replaced or removed: what it held is the "before" of the diff */
          gone[ngone] = f;
          gone_names[ngone++] = old.names[i];
          continue;
        }
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
  /* keep what concerns the new files; after a removal, what it leaves
   * behind too (an actor whose scope names a removed policy) */
  int removal = drop != NULL;
  for (size_t i = 0; i < tmp.n; i++)
    for (size_t j = 0; j < n + (size_t) removal; j++)
      if (j == n || strcmp (tmp.v[i].file, nf[j]->name) == 0)
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
  if (diff_files (gone, ngone, nf, n, &st->changes) < 0)
    {
      ward_err_set (err, WARD_E_INTERNAL, ENOMEM, "loading policies");
      goto out;
    }
  if (exec (st, "BEGIN IMMEDIATE", err, "starting the load") < 0)
    goto out;
  for (size_t k = 0; k < ngone; k++)
    {
      size_t j;
      for (j = 0; j < n && !same_file (gone_names[k], nf[j]->name); j++)
        ;
      if (j == n && bind_exec (st, err, "DELETE FROM files WHERE name = ?", "s", gone_names[k]) < 0)
        goto rollback;
    }
  for (size_t j = 0; j < n; j++)
    {
      const wpol_file *f = nf[j];
      sqlite3_stmt *s;
      int64_t seq = -1;
      /* the file it replaces: the same canonical name, or the same file
       * stored under the name it was typed with */
      const char *was = f->name;
      for (size_t k = 0; k < ngone; k++)
        if (same_file (gone_names[k], f->name))
          was = gone_names[k];
      int rc = sqlite3_prepare_v2 (st->db, "SELECT seq FROM files WHERE name = ?", -1, &s, NULL);
      if (rc != SQLITE_OK)
        {
          db_fail (st, err, rc, "loading");
          goto rollback;
        }
      sqlite3_bind_text (s, 1, was, -1, SQLITE_TRANSIENT);
      if ((rc = sqlite3_step (s)) == SQLITE_ROW)
        seq = sqlite3_column_int64 (s, 0);
      sqlite3_finalize (s);
      if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        {
          db_fail (st, err, rc, "loading");
          goto rollback;
        }
      if (bind_exec (st, err, "DELETE FROM files WHERE name = ?", "s", was) < 0)
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
  st->loaded = n;
  goto out;
rollback:
  sqlite3_exec (st->db, "ROLLBACK", NULL, NULL, NULL);
out:
  if (ret < 0)
    st->changes.len = 0;
  for (size_t i = 0; i < nall; i++)
    wpol_file_free (all[i]);
  if (all == NULL)
    for (size_t i = 0; i < n; i++)
      wpol_file_free (nf[i]);
  for (size_t i = 0; i < ngone; i++)
    wpol_file_free (gone[i]);
  free (all);
  free (gone);
  free (gone_names);
  srcs_free (&old);
  return ret;
}

/* The first line of `ward policy export`: a file that starts with it is an
 * export. Each `# file: "NAME"` line (NAME written as a policy string)
 * begins a section that load restores under NAME. In a section, a line
 * that starts with `# file:` or `#\` is written with `#\` before it and
 * restored without, so that no content reads as a section head. Export,
 * load, export is a fixed point. */
static const char export_head[] =
  "# ward policy export 2: `ward policy load` restores each `# file:` section under its name\n";
/* The head of the first export format, still loaded: `# file: NAME` with
 * the name as it is, and content lines as they are. */
static const char export_head_v1[] =
  "# ward policy export: `ward policy load` restores each `# file:` section under its name\n";
static const char file_head[] = "# file:";
static const char line_esc[] = "#\\";

#define STARTS(p, n, lit) ((size_t) (n) >= sizeof lit - 1 && memcmp (p, lit, sizeof lit - 1) == 0)

/* Decode the policy string s[0..n) (quotes included, nothing after them)
 * into out: 0, or -1 when it is not one. */
static int
unquote (const char *s, size_t n, wpol_buf *out)
{
  if (n < 2 || s[0] != '"' || s[n - 1] != '"')
    return -1;
  for (size_t i = 1; i < n - 1; i++)
    {
      char c = s[i];
      if (c == '"')
        return -1;
      if (c == '\\')
        {
          if (++i >= n - 1)
            return -1;
          switch (s[i])
            {
            case '"': c = '"'; break;
            case '\\': c = '\\'; break;
            case 'n': c = '\n'; break;
            case 't': c = '\t'; break;
            case 'r': c = '\r'; break;
            case 'x':
              {
                unsigned v;
                char hex[3] = { 0 };
                if (i + 2 >= n - 1 || !isxdigit ((unsigned char) s[i + 1])
                    || !isxdigit ((unsigned char) s[i + 2]))
                  return -1;
                memcpy (hex, s + i + 1, 2);
                v = (unsigned) strtoul (hex, NULL, 16);
                if (v == 0)
                  return -1;
                c = (char) v;
                i += 2;
                break;
              }
            default:
              return -1;
            }
        }
      wpol_buf_add (out, &c, 1);
    }
  if (out->s == NULL)
    wpol_buf_add (out, "", 0);
  return 0;
}

typedef struct unit {
  char *name, *text;
  size_t len;
} unit;

typedef struct units {
  unit *v;
  size_t n, cap;
} units;

static int
units_add (units *u, const char *name, const char *text, size_t len)
{
  if (u->n == u->cap)
    {
      size_t cap = u->cap ? u->cap * 2 : 8;
      unit *nv = realloc (u->v, cap * sizeof *nv);
      if (nv == NULL)
        return -1;
      u->v = nv;
      u->cap = cap;
    }
  unit *x = &u->v[u->n];
  x->name = strdup (name);
  x->text = malloc (len + 1);
  x->len = len;
  if (x->name == NULL || x->text == NULL)
    {
      free (x->name);
      free (x->text);
      return -1;
    }
  memcpy (x->text, text, len);
  x->text[len] = '\0';
  u->n++;
  return 0;
}

static void
units_free (units *u)
{
  for (size_t i = 0; i < u->n; i++)
    {
      free (u->v[i].name);
      free (u->v[i].text);
    }
  free (u->v);
}

/* Split an export (whose head line, of format v, ends at text + skip) into
 * its files. Returns the number of errors (reported in d under path), or
 * -1 when out of memory. */
static int
split_export (const char *path, const char *text, size_t len, size_t skip, int v,
              units *u, wpol_diags *d)
{
  const char *p = text + skip, *end = text + len;
  wpol_buf name = { 0 }, body = { 0 };
  int in_section = 0, refused = 0, nerr = 0, ret;
  unsigned line = 1;
  for (;;)
    {
      const char *eol = memchr (p, '\n', (size_t) (end - p));
      const char *next = eol ? eol + 1 : end;
      size_t ll = (size_t) ((eol ? eol : end) - p);
      /* format 1 knows `# file: ` heads only; format 2 takes every line
       * that starts with `# file:` for one, and refuses it when malformed */
      int head = p == end || (v == 1 ? STARTS (p, ll, "# file: ") : STARTS (p, ll, file_head));
      line++;
      if (head && in_section)
        {
          /* the section ends before this head, without the blank line
           * export puts between files */
          size_t blen = body.len;
          if (p < end && blen >= 2 && body.s[blen - 1] == '\n' && body.s[blen - 2] == '\n')
            blen--;
          if (name.oom || body.oom
              || units_add (u, name.s, body.s ? body.s : "", blen) < 0)
            goto oom;
          in_section = 0;
        }
      if (p == end)
        break;
      if (head)
        {
          const char *n = p + sizeof file_head - 1;
          size_t nl = ll - (sizeof file_head - 1);
          wpol_buf_free (&name);
          wpol_buf_free (&body);
          refused = 1;            /* the lines of a refused section */
          if (v == 1)
            {
              n++, nl--;          /* the space */
              wpol_buf_add (&name, n, nl);
            }
          int bad = nl == 0 || (v == 1 ? 0 : *n != ' ' || unquote (n + 1, nl - 1, &name) < 0);
          if (!bad && name.s && name.len == 0)
            bad = 1;
          if (bad)
            {
              wpol_diag_add (d, WPOL_ERROR, path, line, 1, v == 1
                             ? "a `# file:` line without a name"
                             : "a `# file:` line must name its file as one quoted string, "
                               "as in `# file: \"/etc/ward/app.policy\"`");
              nerr++;
            }
          else if (name.s && !name.oom && (name_has_control (name.s) || strlen (name.s) != name.len))
            {
              refuse_name (d, path, line, name.s);
              nerr++;
            }
          else
            in_section = 1, refused = 0;
        }
      else if (in_section)
        {
          if (v == 2 && STARTS (p, ll, line_esc))
            wpol_buf_add (&body, p + sizeof line_esc - 1, (size_t) (next - p) - (sizeof line_esc - 1));
          else
            wpol_buf_add (&body, p, (size_t) (next - p));
        }
      else if (!refused && strspn (p, " \t\r") < ll)
        {
          wpol_diag_add (d, WPOL_ERROR, path, line, 1, "an export holds nothing but "
                         "`# file:` sections; this line is before the first one");
          nerr++;
        }
      p = next;
    }
  ret = nerr;
  goto out;
oom:
  ret = -1;
out:
  wpol_buf_free (&name);
  wpol_buf_free (&body);
  return ret;
}

int
wpol_store_load_files (wpol_store *st, const char *const *paths, size_t n, wpol_diags *d,
                       ward_err *err)
{
  units u = { 0 };
  size_t nerr = 0;
  int ret = -1;
  wpol_file **nf = NULL;
  const char **texts = NULL;
  size_t nparsed = 0;
  for (size_t i = 0; i < n; i++)
    {
      size_t len;
      ward_err e2;
      char *text = wpol_read_file (paths[i], &len, &e2);
      if (text == NULL)
        {
          wpol_diag_add (d, WPOL_ERROR, paths[i], 0, 0, "%s", e2.msg);
          nerr++;
          continue;
        }
      /* a file is known by its canonical path, whatever directory it is
       * loaded from and however it is spelled */
      char *canon = realpath (paths[i], NULL);
      int r;
      int v = strlen (text) != len ? 0 : STARTS (text, len, export_head) ? 2
              : STARTS (text, len, export_head_v1) ? 1 : 0;
      if (canon == NULL)
        {
          wpol_diag_add (d, WPOL_ERROR, paths[i], 0, 0, "cannot resolve the path: %s",
                         strerror (errno));
          nerr++;
          r = 0;
        }
      else if (name_has_control (canon))
        {
          refuse_name (d, strcmp (paths[i], canon) == 0 ? canon : paths[i], 0, canon);
          nerr++;
          r = 0;
        }
      else if (v)
        {
          r = split_export (canon, text, len, v == 2 ? sizeof export_head - 1
                            : sizeof export_head_v1 - 1, v, &u, d);
          if (r > 0)
            nerr += (size_t) r;
        }
      else
        r = units_add (&u, canon, text, len);
      free (canon);
      free (text);
      if (r < 0)
        {
          ward_err_set (err, WARD_E_INTERNAL, ENOMEM, "loading policies");
          goto out;
        }
    }
  for (size_t i = 0; i < u.n; i++)
    for (size_t j = 0; j < i; j++)
      if (strcmp (u.v[i].name, u.v[j].name) == 0)
        {
          wpol_diag_add (d, WPOL_ERROR, u.v[i].name, 0, 0, "file given twice");
          nerr++;
          break;
        }
  nf = calloc (u.n + 1, sizeof *nf);
  texts = calloc (u.n + 1, sizeof *texts);
  if (nf == NULL || texts == NULL)
    {
      ward_err_set (err, WARD_E_INTERNAL, ENOMEM, "loading policies");
      goto out;
    }
  for (size_t i = 0; i < u.n; i++)
    {
      wpol_file *f = wpol_parse (u.v[i].name, u.v[i].text, u.v[i].len, d);
      if (f == NULL)
        {
          ward_err_set (err, WARD_E_INTERNAL, ENOMEM, "loading policies");
          goto out;
        }
      if (strlen (u.v[i].text) != u.v[i].len)
        f->nerrors++;             /* NUL bytes: reported by the parser */
      nerr += f->nerrors;
      texts[nparsed] = u.v[i].text;
      nf[nparsed++] = f;
    }
  if (nerr)
    {
      ward_err_set (err, WARD_E_INVALID, 0, "%zu error%s: nothing was loaded", nerr,
                    nerr == 1 ? "" : "s");
      goto out;
    }
  ret = load_parsed (st, nf, texts, nparsed, NULL, 0, d, err);
  nparsed = 0;                    /* taken */
out:
  for (size_t i = 0; i < nparsed; i++)
    wpol_file_free (nf[i]);
  free (nf);
  free (texts);
  units_free (&u);
  return ret;
}

int
wpol_store_load_text (wpol_store *st, const char *name, const char *text, size_t len,
                      wpol_diags *d, ward_err *err)
{
  if (name_has_control (name))
    {
      refuse_name (d, name, 0, name);
      return ward_err_set (err, WARD_E_INVALID, 0, "1 error: nothing was loaded");
    }
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
  int r = load_parsed (st, &f, texts, 1, NULL, 0, d, err);
  free (copy);
  return r;
}

const char *
wpol_store_changes (wpol_store *st)
{
  return st->changes.len && !st->changes.oom ? st->changes.s : "";
}

size_t
wpol_store_loaded (wpol_store *st)
{
  return st->loaded;
}

/* The absolute form of path, from the working directory, with `.`, `..`
 * and repeated slashes taken out lexically; NULL when out of memory or
 * the working directory is gone. */
static char *
lexical_path (const char *path)
{
  char *cwd = path[0] == '/' ? strdup ("") : getcwd (NULL, 0);
  if (cwd == NULL)
    return NULL;
  size_t cl = strcmp (cwd, "/") == 0 ? 0 : strlen (cwd), pl = strlen (path);
  char *out = malloc (cl + pl + 3);
  if (out == NULL)
    {
      free (cwd);
      return NULL;
    }
  memcpy (out, cwd, cl);
  size_t n = cl;
  free (cwd);
  for (const char *p = path; *p;)
    {
      const char *e = strchr (p, '/');
      size_t l = e ? (size_t) (e - p) : strlen (p);
      if (l == 2 && p[0] == '.' && p[1] == '.')
        {
          while (n > 0 && out[n - 1] != '/')
            n--;
          if (n > 0)
            n--;                  /* the slash: "/a/b" -> "/a", "/a" -> "" (the root) */
        }
      else if (l > 0 && !(l == 1 && p[0] == '.'))
        {
          out[n++] = '/';
          memcpy (out + n, p, l);
          n += l;
        }
      p += l + (e != NULL);
    }
  if (n == 0)
    out[n++] = '/';
  out[n] = '\0';
  return out;
}

/* The canonical path of a file that may no longer exist: its real path;
 * else its directory's real path and its last name; else its lexical
 * absolute path. NULL when out of memory. */
static char *
canonical_or_lexical (const char *path)
{
  char *c = realpath (path, NULL);
  if (c)
    return c;
  char *lex = lexical_path (path);
  if (lex == NULL)
    return NULL;
  char *slash = strrchr (lex, '/');
  if (slash > lex && slash[1])
    {
      *slash = '\0';
      char *dir = realpath (lex, NULL);
      *slash = '/';
      if (dir)
        {
          c = malloc (strlen (dir) + strlen (slash) + 1);
          if (c)
            {
              strcpy (c, dir);
              strcat (c, strcmp (dir, "/") == 0 ? slash + 1 : slash);
            }
          free (dir);
          if (c)
            {
              free (lex);
              return c;
            }
        }
    }
  return lex;
}

/* Index of the stored file that `what` names (as stored, or as a path that
 * resolves to it, or did before the file was renamed or removed), or -1. */
static ssize_t
find_file (const srcs *old, const char *what)
{
  char *canon = canonical_or_lexical (what);
  ssize_t found = -1;
  for (size_t i = 0; i < old->n && found < 0; i++)
    if (strcmp (old->names[i], what) == 0 || (canon && same_file (old->names[i], canon)))
      found = (ssize_t) i;
  free (canon);
  return found;
}

int
wpol_store_remove (wpol_store *st, const char *const *what, size_t n, wpol_diags *d,
                   ward_err *err)
{
  srcs old = { 0 };
  int ret = -1;
  wpol_diags quiet;
  wpol_diags_init (&quiet);
  wpol_file **parsed = NULL, **nf = NULL;
  char **texts = NULL;
  const char **drop = NULL;
  int *touched = NULL;            /* per stored file: 1 it goes, 2 a policy of it goes */
  size_t nnew = 0, ndrop = 0;
  st->changes.len = 0;
  if (read_sources (st, &old, NULL, err) < 0)
    return -1;
  parsed = calloc (old.n + 1, sizeof *parsed);
  nf = calloc (old.n + 1, sizeof *nf);
  texts = calloc (old.n + 1, sizeof *texts);
  drop = calloc (old.n + 1, sizeof *drop);
  touched = calloc (old.n + 1, sizeof *touched);
  if (parsed == NULL || nf == NULL || texts == NULL || drop == NULL || touched == NULL)
    {
      ward_err_set (err, WARD_E_INTERNAL, ENOMEM, "removing");
      goto out;
    }
  for (size_t i = 0; i < old.n; i++)
    if ((parsed[i] = wpol_parse (old.names[i], old.texts[i], strlen (old.texts[i]), &quiet))
        == NULL)
      {
        ward_err_set (err, WARD_E_INTERNAL, ENOMEM, "removing");
        goto out;
      }
  /* each argument: a stored file, else a policy of one */
  for (size_t k = 0; k < n; k++)
    {
      ssize_t fi = find_file (&old, what[k]);
      if (fi >= 0)
        {
          touched[fi] = 1;
          continue;
        }
      int found = 0;
      for (size_t i = 0; i < old.n && !found; i++)
        {
          wpol_file *f = parsed[i];
          for (size_t j = 0; j < f->ndecls; j++)
            if (f->decls[j]->kind == D_POLICY && strcmp (f->decls[j]->name, what[k]) == 0)
              {
                memmove (f->decls + j, f->decls + j + 1, (f->ndecls - j - 1) * sizeof *f->decls);
                f->ndecls--;
                if (touched[i] == 0)
                  touched[i] = 2;
                found = 1;
                break;
              }
        }
      if (!found)
        {
          ward_err_set (err, WARD_E_NOT_FOUND, 0, "`%s` is neither a file nor a policy of "
                        "policy store `%s` (`ward policy list --db %s` shows what it holds)",
                        what[k], st->path, st->path);
          goto out;
        }
    }
  for (size_t i = 0; i < old.n; i++)
    {
      if (touched[i] == 1 || (touched[i] == 2 && parsed[i]->ndecls == 0))
        drop[ndrop++] = old.names[i];
      else if (touched[i] == 2)
        {
          /* the file without the removed policies, in canonical form */
          wpol_buf b = { 0 };
          wpol_format (parsed[i], &b);
          if (b.oom || (texts[nnew] = b.s ? b.s : strdup ("")) == NULL
              || (nf[nnew] = wpol_parse (old.names[i], texts[nnew], strlen (texts[nnew]), d))
                 == NULL)
            {
              if (texts[nnew] == NULL)
                wpol_buf_free (&b);
              ward_err_set (err, WARD_E_INTERNAL, ENOMEM, "removing");
              goto out;
            }
          nnew++;
        }
    }
  ret = load_parsed (st, nf, (const char *const *) texts, nnew, drop, ndrop, d, err);
  nnew = 0;                       /* taken */
out:
  for (size_t i = 0; i < nnew; i++)
    wpol_file_free (nf[i]);
  for (size_t i = 0; texts && i < old.n; i++)
    free (texts[i]);
  for (size_t i = 0; parsed && i < old.n; i++)
    wpol_file_free (parsed[i]);
  free (parsed);
  free (nf);
  free (texts);
  free (drop);
  free (touched);
  wpol_diags_free (&quiet);
  srcs_free (&old);
  return ret;
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
  fputs (export_head, out);
  for (size_t i = 0; i < n; i++)
    {
      wpol_buf b = { 0 }, x = { 0 };
      wpol_format (files[i], &b);
      /* the head: the name quoted, so that no name spans lines */
      wpol_buf_printf (&x, "%s%s ", i ? "\n" : "", file_head);
      wpol_buf_quote (&x, files[i]->name);
      wpol_buf_puts (&x, "\n");
      for (const char *p = b.s, *end = b.s + b.len; p && p < end;)
        {
          const char *eol = memchr (p, '\n', (size_t) (end - p));
          const char *next = eol ? eol + 1 : end;
          if (STARTS (p, next - p, file_head) || STARTS (p, next - p, line_esc))
            wpol_buf_puts (&x, line_esc);
          wpol_buf_add (&x, p, (size_t) (next - p));
          p = next;
        }
      if (b.oom || x.oom)
        r = ward_err_set (err, WARD_E_INTERNAL, ENOMEM, "exporting");
      else
        fwrite (x.s, 1, x.len, out);
      wpol_buf_free (&b);
      wpol_buf_free (&x);
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
  fputs ("policy store ", out);
  ward_esc_fputs (st->path, 0, out);
  fprintf (out, ", version %llu\n\n", (unsigned long long) v);
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
