/* store_load.c -- loading into the policy store: the new files are checked
 * together with the stored ones they leave in place, what changes is put
 * in words for `ward policy load` to show, and everything is written in
 * one transaction (a file with an error changes nothing). */
#include "config.h"
#include "store.h"
#include "pgstore.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- file names -------------------------------------------------------- */

/* Does the file name hold a control character? A store keeps no such
 * name: it could forge a line of `ward policy list` or of an export. */
int
wpol_st_name_has_control (const char *name)
{
  for (const unsigned char *p = (const unsigned char *) name; *p; p++)
    if (*p < 0x20 || *p == 0x7f)
      return 1;
  return 0;
}

/* Report a file name that the store refuses (wpol_st_name_has_control),
 * at where (the file itself, or the export line naming it). */
void
wpol_st_refuse_name (wpol_diags *d, const char *where, unsigned line, const char *name)
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
int
wpol_st_same_file (const char *stored, const char *name)
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

/* ---- the rows of a declaration ----------------------------------------- */

/* A policy: its row, then one row per rule in canonical text; body is
 * the caller's buffer, freed by it. */
static int
store_policy (wpol_store *st, int64_t file_id, const wpol_decl *dc, wpol_buf *body,
              ward_err *err)
{
  int r = wpol_st_bind (st, err, "INSERT INTO policies (file_id, name, line) VALUES (?, ?, ?)",
                        "isi", file_id, dc->name, (int64_t) dc->line);
  if (r < 0)
    return r;
  int64_t pid = sqlite3_last_insert_rowid (st->db);
  for (size_t i = 0; i < dc->nrules && r == 0; i++)
    {
      wpol_buf_free (body);
      wpol_format_rule (dc->rules[i], body);
      r = wpol_st_bind (st, err, "INSERT INTO rules (policy_id, seq, effect, line, text)"
                        " VALUES (?, ?, ?, ?, ?)", "iisis", pid, (int64_t) i,
                        dc->rules[i]->deny ? "deny" : "allow",
                        (int64_t) dc->rules[i]->line, body->s ? body->s : "");
    }
  return r;
}

/* An actor or a sandbox profile: one row with its canonical text. */
static int
store_body (wpol_store *st, int64_t file_id, const wpol_decl *dc, wpol_buf *body,
            ward_err *err)
{
  wpol_format_decl (dc, body);
  return wpol_st_bind (st, err, dc->kind == D_ACTOR
                       ? "INSERT INTO actors (file_id, pattern, line, body) VALUES (?, ?, ?, ?)"
                       : "INSERT INTO sandboxes (file_id, name, line, body) VALUES (?, ?, ?, ?)",
                       "isis", file_id, dc->name, (int64_t) dc->line, body->s ? body->s : "");
}

static int
store_host (wpol_store *st, int64_t file_id, const wpol_decl *dc, ward_err *err)
{
  return wpol_st_bind (st, err, "INSERT INTO hosts (file_id, name, line, threads, sandbox)"
                       " VALUES (?, ?, ?, ?, ?)", "isiis", file_id, dc->name,
                       (int64_t) dc->line, (int64_t) dc->host.threads, dc->host.sandbox);
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
          r = store_policy (st, file_id, dc, &body, err);
          break;
        case D_ACTOR:
        case D_SANDBOX:
          r = store_body (st, file_id, dc, &body, err);
          break;
        case D_HOST:
          r = store_host (st, file_id, dc, err);
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

/* ---- what changes ------------------------------------------------------ */

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

/* The lines of the canonical text was that are not in is (a line that
 * occurs k times more in was, k times), each after "    MARK ", in the
 * order of was; counted in a hash table (keys in a), so a policy of many
 * rules costs its size. -1 when out of memory. */
static int
lines_missing (wpol_buf *out, char mark, const char *was, const char *is, wpol_arena *a)
{
  wpol_htab h = { 0 };
  int r = -1;
  for (int pass = 0; pass < 2; pass++)
    for (const char *p = pass ? was : is; *p;)
      {
        const char *e = strchr (p, '\n');
        size_t len = e ? (size_t) (e - p) : strlen (p);
        void **slot = wpol_htab_ref (&h, wpol_strndup (a, p, len));
        if (slot == NULL)
          goto done;
        uintptr_t left = (uintptr_t) *slot;
        if (pass == 0)
          *slot = (void *) (left + 1);        /* the lines of is, counted */
        else if (left > 0)
          *slot = (void *) (left - 1);        /* kept: one of them used up */
        else
          wpol_buf_printf (out, "    %c %.*s\n", mark, (int) len, p);
        if (e == NULL)
          break;
        p = e + 1;
      }
  r = 0;
done:
  wpol_htab_free (&h);
  return r;
}

/* What replacing the files `before` by `after` changes: "+ policy \"a\"",
 * "- policy \"b\"", "~ policy \"c\"" lines, new definitions in file order,
 * then the removed ones. In detail, each `~` is followed by the lines of
 * the canonical text that went ("    - ...") and came ("    + ..."): for a
 * policy, its rules removed and added (a changed rule is both). */
static int
diff_files (wpol_file *const *before, size_t nb, wpol_file *const *after, size_t na,
            int detail, wpol_buf *out)
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
              {
                change_line (out, '~', key.s);
                if (detail && (lines_missing (out, '-', was, is, &a) < 0
                               || lines_missing (out, '+', is, was, &a) < 0))
                  {
                    wpol_buf_free (&key);
                    goto done;
                  }
              }
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

/* ---- the load ---------------------------------------------------------- */

/* The stored files of one load: those it keeps, then the new ones (all),
 * and those it replaces or removes (gone), whose names are in old. */
typedef struct load_set {
  wpol_file **all, **gone;
  size_t nall, ngone;
  char **gone_names;
} load_set;

/* Parse the stored files old: a file that a new one (nf) replaces or that
 * drop[] names goes to gone, being the "before" of the diff; the others
 * to all. */
static void
split_stored (const wpol_st_srcs *old, wpol_file *const *nf, size_t n, const char *const *drop,
              size_t ndrop, load_set *ls)
{
  wpol_diags quiet;
  wpol_diags_init (&quiet);
  for (size_t i = 0; i < old->n; i++)
    {
      size_t j, k;
      for (j = 0; j < n && !wpol_st_same_file (old->names[i], nf[j]->name); j++)
        ;
      for (k = 0; k < ndrop && strcmp (old->names[i], drop[k]) != 0; k++)
        ;
      wpol_file *f = wpol_parse (old->names[i], old->texts[i], strlen (old->texts[i]), &quiet);
      if (j < n || k < ndrop)
        {
          /* replaced or removed: what it held is the "before" of the diff */
          ls->gone[ls->ngone] = f;
          ls->gone_names[ls->ngone++] = old->names[i];
          continue;
        }
      if (f)
        ls->all[ls->nall++] = f;
    }
  wpol_diags_free (&quiet);
}

/* Check the new files nf after the stored ones the load keeps, so that a
 * clash is reported in the new file; nf joins ls->all. Report in d what
 * concerns the new files, and after a removal what it leaves behind too
 * (an actor whose scope names a removed policy). The number of errors in
 * the new files. */
static size_t
check_new (load_set *ls, wpol_file *const *nf, size_t n, int removal, wpol_diags *d)
{
  size_t nold = ls->nall;
  for (size_t i = 0; i < nold; i++)
    ls->all[i]->nerrors = 0;      /* only the new files' errors count */
  for (size_t i = 0; i < n; i++)
    ls->all[ls->nall++] = nf[i];
  wpol_diags tmp;
  wpol_diags_init (&tmp);
  wpol_check (ls->all, ls->nall, &tmp);
  wpol_analyse (ls->all, ls->nall, &tmp);
  for (size_t i = 0; i < tmp.n; i++)
    for (size_t j = 0; j < n + (size_t) removal; j++)
      if (j == n || strcmp (tmp.v[i].file, nf[j]->name) == 0)
        {
          wpol_diag_add (d, tmp.v[i].severity, tmp.v[i].file, tmp.v[i].line, tmp.v[i].col,
                         "%s", tmp.v[i].msg);
          break;
        }
  wpol_diags_free (&tmp);
  size_t nerr = 0;
  for (size_t j = 0; j < n; j++)
    nerr += nf[j]->nerrors;
  return nerr;
}

/* The seq of the stored file named name into *seq, or -1 there when there
 * is none. */
static int
stored_seq (wpol_store *st, const char *name, int64_t *seq, ward_err *err)
{
  sqlite3_stmt *s;
  *seq = -1;
  int rc = sqlite3_prepare_v2 (st->db, "SELECT seq FROM files WHERE name = ?", -1, &s, NULL);
  if (rc != SQLITE_OK)
    return wpol_st_fail (st, err, rc, "loading");
  sqlite3_bind_text (s, 1, name, -1, SQLITE_TRANSIENT);
  if ((rc = sqlite3_step (s)) == SQLITE_ROW)
    *seq = sqlite3_column_int64 (s, 0);
  sqlite3_finalize (s);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    return wpol_st_fail (st, err, rc, "loading");
  return 0;
}

/* The seq after every stored file's, into *seq. */
static int
next_seq (wpol_store *st, int64_t *seq, ward_err *err)
{
  sqlite3_stmt *s;
  int rc = sqlite3_prepare_v2 (st->db, "SELECT coalesce(max(seq), 0) + 1 FROM files", -1,
                               &s, NULL);
  if (rc != SQLITE_OK)
    return wpol_st_fail (st, err, rc, "loading");
  rc = sqlite3_step (s);
  *seq = sqlite3_column_int64 (s, 0);
  sqlite3_finalize (s);
  if (rc != SQLITE_ROW)
    return wpol_st_fail (st, err, rc, "loading");
  return 0;
}

/* Write the new file f, whose source is text, in place of the stored one
 * it replaces (keeping its place in the load order), else last. */
static int
write_file (wpol_store *st, const wpol_file *f, const char *text, const load_set *ls,
            ward_err *err)
{
  int64_t seq;
  /* the file it replaces: the same canonical name, or the same file
   * stored under the name it was typed with */
  const char *was = f->name;
  for (size_t k = 0; k < ls->ngone; k++)
    if (wpol_st_same_file (ls->gone_names[k], f->name))
      was = ls->gone_names[k];
  if (stored_seq (st, was, &seq, err) < 0
      || wpol_st_bind (st, err, "DELETE FROM files WHERE name = ?", "s", was) < 0)
    return -1;
  if (seq < 0 && next_seq (st, &seq, err) < 0)
    return -1;
  if (wpol_st_bind (st, err, "INSERT INTO files (name, source, seq, loaded_at)"
                    " VALUES (?, ?, ?, ?)", "ssii", f->name, text, seq,
                    (int64_t) time (NULL)) < 0)
    return -1;
  return store_decls (st, sqlite3_last_insert_rowid (st->db), f, err);
}

/* The transaction of a load: the removed files out, the new ones in, the
 * version bumped. Rolled back on failure. */
static int
write_load (wpol_store *st, wpol_file *const *nf, const char *const *texts, size_t n,
            const load_set *ls, ward_err *err)
{
  /* (in the transaction wpol_st_load_parsed began before reading) */
  for (size_t k = 0; k < ls->ngone; k++)
    {
      size_t j;
      for (j = 0; j < n && !wpol_st_same_file (ls->gone_names[k], nf[j]->name); j++)
        ;
      if (j == n && wpol_st_bind (st, err, "DELETE FROM files WHERE name = ?", "s",
                                  ls->gone_names[k]) < 0)
        goto rollback;
    }
  for (size_t j = 0; j < n; j++)
    if (write_file (st, nf[j], texts[j], ls, err) < 0)
      goto rollback;
  /* the files the change touched, for the history: written, then removed */
  wpol_buf names = { 0 };
  for (size_t j = 0; j < n; j++)
    wpol_buf_printf (&names, "%s%s", names.len ? "\n" : "", nf[j]->name);
  for (size_t k = 0; k < ls->ngone; k++)
    {
      size_t j;
      for (j = 0; j < n && !wpol_st_same_file (ls->gone_names[k], nf[j]->name); j++)
        ;
      if (j == n)
        wpol_buf_printf (&names, "%s%s", names.len ? "\n" : "", ls->gone_names[k]);
    }
  int bad = names.oom;
  if (bad)
    ward_err_set (err, WARD_E_INTERNAL, ENOMEM, "recording the history");
  if (bad
      || wpol_st_exec (st, "UPDATE meta SET value = value + 1 WHERE key = 'version'", err,
                       "bumping the version") < 0
      || wpol_st_record (st, st->what ? st->what : "load", names.s ? names.s : "", err) < 0
      || wpol_st_exec (st, "COMMIT", err, "committing the load") < 0)
    {
      wpol_buf_free (&names);
      goto rollback;
    }
  wpol_buf_free (&names);
  return 0;
rollback:
  sqlite3_exec (st->db, "ROLLBACK", NULL, NULL, NULL);
  return -1;
}

int
wpol_st_load_parsed (wpol_store *st, wpol_file **nf, const char *const *texts, size_t n,
                     const char *const *drop, size_t ndrop, wpol_diags *d, ward_err *err)
{
  if (wpol_store_is_pg (st) && !wpgs_inside (st))
    {
      if (wpgs_enter (st, 1, -1, err) < 0)
        {
          for (size_t i = 0; i < n; i++)    /* taken, as on every failure */
            wpol_file_free (nf[i]);
          return -1;
        }
      return wpgs_leave (st, wpol_st_load_parsed (st, nf, texts, n, drop, ndrop, d, err), err);
    }
  int ret = -1;
  wpol_st_srcs old = { 0 };
  load_set ls = { 0 };
  st->changes.len = 0;
  st->loaded = 0;
  if (st->readonly && !st->preview)
    {
      ward_err_set (err, WARD_E_INVALID, 0, "policy store `%s` is open read-only", st->path);
      goto out;
    }
  /* Check the new files together with the stored ones they do not replace,
   * stored first, so that a clash is reported in the new file: as stored
   * in the transaction that writes them */
  if (wpol_st_begin_change (st, err) < 0 || wpol_st_read_sources (st, &old, NULL, err) < 0)
    goto out;
  ls.all = calloc (old.n + n + 1, sizeof *ls.all);
  ls.gone = calloc (old.n + 1, sizeof *ls.gone);
  ls.gone_names = calloc (old.n + 1, sizeof *ls.gone_names);
  if (ls.all == NULL || ls.gone == NULL || ls.gone_names == NULL)
    {
      ward_err_set (err, WARD_E_INTERNAL, ENOMEM, "loading policies");
      goto out;
    }
  split_stored (&old, nf, n, drop, ndrop, &ls);
  size_t nerr = check_new (&ls, nf, n, drop != NULL, d);
  if (nerr)
    {
      ward_err_set (err, WARD_E_INVALID, 0, "%zu error%s: nothing was loaded", nerr,
                    nerr == 1 ? "" : "s");
      goto out;
    }
  if (diff_files (ls.gone, ls.ngone, nf, n, st->preview, &st->changes) < 0)
    {
      ward_err_set (err, WARD_E_INTERNAL, ENOMEM, "loading policies");
      goto out;
    }
  if (!st->preview && write_load (st, nf, texts, n, &ls, err) < 0)
    goto out;
  ret = 0;
  st->loaded = n;
out:
  if (ret < 0)
    st->changes.len = 0;
  wpol_st_abort_change (st);     /* (a preview's read, or what failed) */
  for (size_t i = 0; i < ls.nall; i++)
    wpol_file_free (ls.all[i]);
  if (ls.all == NULL)
    for (size_t i = 0; i < n; i++)
      wpol_file_free (nf[i]);
  for (size_t i = 0; i < ls.ngone; i++)
    wpol_file_free (ls.gone[i]);
  free (ls.all);
  free (ls.gone);
  free (ls.gone_names);
  wpol_st_srcs_free (&old);
  return ret;
}

int
wpol_store_load_text (wpol_store *st, const char *name, const char *text, size_t len,
                      wpol_diags *d, ward_err *err)
{
  if (wpol_st_name_has_control (name))
    {
      wpol_st_refuse_name (d, name, 0, name);
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
  int r = wpol_st_load_parsed (st, &f, texts, 1, NULL, 0, d, err);
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
