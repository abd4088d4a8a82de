/* store_history.c -- the history of a policy store: every load, remove
 * and rollback records the version it made (time, user, what, the files it
 * touched, a SHA-256 of the whole content and a copy of every file), so
 * that `ward policy history` lists them and `ward policy rollback` brings
 * one back -- as a new version, which a running ward picks up like any
 * load. A preview (`ward policy diff`) runs a load without writing. */
#include "config.h"
#include "store.h"
#include "pgstore.h"
#include "audit.h"
#include "wesc.h"
#include "wgrow.h"

#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Who makes the change: the effective user's name, else its number. */
static void
user_name (char *buf, size_t size)
{
  struct passwd pw, *res = NULL;
  char tmp[1024];
  if (getpwuid_r (geteuid (), &pw, tmp, sizeof tmp, &res) == 0 && res && res->pw_name)
    snprintf (buf, size, "%s", res->pw_name);
  else
    snprintf (buf, size, "uid %u", (unsigned) geteuid ());
}

/* The SHA-256, in hex, of the store's content: every file's name and
 * source, by name (so the same content in another load order hashes the
 * same), each NUL-terminated. */
static int
content_hash (wpol_store *st, char hex[65], ward_err *err)
{
  sqlite3_stmt *s;
  int rc = sqlite3_prepare_v2 (st->db, "SELECT name, source FROM files ORDER BY name", -1, &s,
                               NULL);
  if (rc != SQLITE_OK)
    return wpol_st_fail (st, err, rc, "hashing the content");
  wpol_buf all = { 0 };
  while ((rc = sqlite3_step (s)) == SQLITE_ROW)
    for (int c = 0; c < 2; c++)
      {
        const char *v = (const char *) sqlite3_column_text (s, c);
        wpol_buf_add (&all, v ? v : "", v ? strlen (v) + 1 : 1);
      }
  sqlite3_finalize (s);
  if (rc != SQLITE_DONE)
    {
      wpol_buf_free (&all);
      return wpol_st_fail (st, err, rc, "hashing the content");
    }
  if (all.oom)
    {
      wpol_buf_free (&all);
      return ward_err_set (err, WARD_E_INTERNAL, ENOMEM, "hashing the content");
    }
  uint8_t d[32];
  wpol_sha256 (all.s ? all.s : "", all.len, d);
  wpol_buf_free (&all);
  for (int i = 0; i < 32; i++)
    snprintf (hex + 2 * i, 3, "%02x", d[i]);
  return 0;
}

int
wpol_st_record (wpol_store *st, const char *what, const char *files, ward_err *err)
{
  sqlite3_stmt *s;
  int rc = sqlite3_prepare_v2 (st->db, "SELECT value FROM meta WHERE key = 'version'", -1, &s,
                               NULL);
  if (rc != SQLITE_OK)
    return wpol_st_fail (st, err, rc, "recording the history");
  rc = sqlite3_step (s);
  int64_t v = rc == SQLITE_ROW ? sqlite3_column_int64 (s, 0) : -1;
  sqlite3_finalize (s);
  if (v < 0)
    return wpol_st_fail (st, err, rc, "recording the history");
  char hex[65], user[256];
  if (content_hash (st, hex, err) < 0)
    return -1;
  user_name (user, sizeof user);
  /* a version number is never reused: a store whose history was cut short
   * by hand (the rows deleted) still records the new one */
  if (wpol_st_bind (st, err, "DELETE FROM history WHERE version >= ?", "i", v) < 0
      || wpol_st_bind (st, err, "INSERT INTO history (version, at, user, what, files, hash)"
                       " VALUES (?, ?, ?, ?, ?, ?)", "iissss", v, (int64_t) time (NULL), user,
                       what, files, hex) < 0
      || wpol_st_bind (st, err, "INSERT INTO history_files (version, seq, name, source)"
                       " SELECT ?, seq, name, source FROM files", "i", v) < 0)
    return -1;
  return 0;
}

void
wpol_store_preview (wpol_store *st, int on)
{
  st->preview = on;
}

/* A store whose schema predates the history (opened read-only) has none. */
static int
need_history (wpol_store *st, ward_err *err)
{
  if (st->schema >= 2)
    return 0;
  return ward_err_set (err, WARD_E_INVALID, 0, "policy store `%s` has schema %d, which keeps "
                       "no history; any load or rollback by this ward upgrades it", st->path,
                       st->schema);
}

/* One version as a JSON object (the whole hash, the files as an array). */
static void
history_json (sqlite3_stmt *s, int first, FILE *out)
{
  wpol_buf b = { 0 };
  static const char *const keys[] = { "time", "user", "hash", "what" };
  wpol_buf_printf (&b, "%s\n  {\"version\": %lld", first ? "" : ",",
                   (long long) sqlite3_column_int64 (s, 0));
  for (int c = 0; c < 4; c++)
    {
      const char *v = (const char *) sqlite3_column_text (s, c + 1);
      wpol_buf_printf (&b, ", \"%s\": ", keys[c]);
      wpol_buf_json (&b, v ? v : "");
    }
  wpol_buf_puts (&b, ", \"files\": [");
  const char *files = (const char *) sqlite3_column_text (s, 5);
  for (const char *p = files; p && *p;)
    {
      const char *e = strchr (p, '\n');
      size_t len = e ? (size_t) (e - p) : strlen (p);
      char *one = strndup (p, len);
      if (p != files)
        wpol_buf_puts (&b, ", ");
      wpol_buf_json (&b, one ? one : "");
      free (one);
      p = e ? e + 1 : p + len;
    }
  wpol_buf_puts (&b, "]}");
  fputs (b.oom ? "" : b.s, out);
  wpol_buf_free (&b);
}

int
wpol_store_history (wpol_store *st, int json, FILE *out, ward_err *err)
{
  WPGS_WRAP (st, 0, -1, err, wpol_store_history (st, json, out, err));
  if (need_history (st, err) < 0)
    return -1;
  sqlite3_stmt *s;
  int rc = sqlite3_prepare_v2 (st->db, "SELECT version, strftime('%Y-%m-%dT%H:%M:%SZ', at,"
                               " 'unixepoch'), user, hash, what, files FROM history"
                               " ORDER BY version", -1, &s, NULL);
  if (rc != SQLITE_OK)
    return wpol_st_fail (st, err, rc, "reading the history");
  if (json)
    {
      int n = 0;
      fputs ("[", out);
      while ((rc = sqlite3_step (s)) == SQLITE_ROW)
        history_json (s, n++ == 0, out);
      sqlite3_finalize (s);
      fputs (n ? "\n]\n" : "]\n", out);
      return rc == SQLITE_DONE ? 0 : wpol_st_fail (st, err, rc, "reading the history");
    }
  fprintf (out, "%-8s %-20s %-12s %-16s %-20s %s\n", "VERSION", "TIME (UTC)", "USER", "HASH",
           "WHAT", "FILES");
  int rows = 0;
  while ((rc = sqlite3_step (s)) == SQLITE_ROW)
    {
      /* user, what and file names come from outside: escaped, so that
       * none forges a row */
      char *f[5];
      for (int c = 0; c < 5; c++)
        {
          const char *v = (const char *) sqlite3_column_text (s, c + 1);
          f[c] = c == 4 ? NULL : ward_esc_str (v ? v : "", 0);
        }
      fprintf (out, "%-8lld %-20s %-12s %-16.16s %-20s ", (long long) sqlite3_column_int64 (s, 0),
               f[0] ? f[0] : "?", f[1] ? f[1] : "?", f[2] ? f[2] : "?", f[3] ? f[3] : "?");
      const char *files = (const char *) sqlite3_column_text (s, 5);
      if (files == NULL || *files == '\0')
        fputs ("-", out);
      for (const char *p = files; p && *p;)
        {
          const char *e = strchr (p, '\n');
          size_t len = e ? (size_t) (e - p) : strlen (p);
          char *one = strndup (p, len);
          if (p != files)
            fputs (", ", out);
          ward_esc_fputs (one ? one : "?", 0, out);
          free (one);
          p = e ? e + 1 : p + len;
        }
      fputc ('\n', out);
      for (int c = 0; c < 4; c++)
        free (f[c]);
      rows++;
    }
  sqlite3_finalize (s);
  if (rc != SQLITE_DONE)
    return wpol_st_fail (st, err, rc, "reading the history");
  if (rows == 0)
    fputs ("(no version yet: load a policy)\n", out);
  return 0;
}

/* The first and last version of the history, for an error message. */
static void
history_range (wpol_store *st, long long *lo, long long *hi)
{
  sqlite3_stmt *s;
  *lo = *hi = -1;
  if (sqlite3_prepare_v2 (st->db, "SELECT min(version), max(version) FROM history", -1, &s,
                          NULL) != SQLITE_OK)
    return;
  if (sqlite3_step (s) == SQLITE_ROW && sqlite3_column_type (s, 0) != SQLITE_NULL)
    {
      *lo = sqlite3_column_int64 (s, 0);
      *hi = sqlite3_column_int64 (s, 1);
    }
  sqlite3_finalize (s);
}

int
wpol_store_rollback (wpol_store *st, uint64_t to, wpol_diags *d, ward_err *err)
{
  WPGS_WRAP (st, 1, (int64_t) to, err, wpol_store_rollback (st, to, d, err));
  if (need_history (st, err) < 0)
    return -1;
  wpol_st_srcs snap = { 0 }, now = { 0 };
  wpol_file **nf = NULL;
  const char **drop = NULL;
  size_t ndrop = 0, nparsed = 0;
  int ret = -1;
  /* the files of version `to`, in their load order, and the files stored
   * now (which go unless `to` held them), read in the transaction that
   * writes the result: a load that lands meanwhile would survive it */
  if (wpol_st_begin_change (st, err) < 0)
    return -1;
  sqlite3_stmt *s;
  int rc = sqlite3_prepare_v2 (st->db, "SELECT (SELECT count(*) FROM history WHERE version = ?1)",
                               -1, &s, NULL);
  if (rc != SQLITE_OK)
    {
      wpol_st_fail (st, err, rc, "reading the history");
      sqlite3_exec (st->db, "ROLLBACK", NULL, NULL, NULL);
      return -1;
    }
  sqlite3_bind_int64 (s, 1, (int64_t) to);
  rc = sqlite3_step (s);
  int known = rc == SQLITE_ROW && sqlite3_column_int (s, 0) > 0;
  sqlite3_finalize (s);
  if (!known)
    {
      long long lo, hi;
      history_range (st, &lo, &hi);
      sqlite3_exec (st->db, "ROLLBACK", NULL, NULL, NULL);
      if (lo < 0)
        return ward_err_set (err, WARD_E_NOT_FOUND, 0, "policy store `%s` has no version %llu "
                             "(its history is empty)", st->path, (unsigned long long) to);
      return ward_err_set (err, WARD_E_NOT_FOUND, 0, "policy store `%s` has no version %llu "
                           "(its history holds %lld to %lld: see `ward policy history`)",
                           st->path, (unsigned long long) to, lo, hi);
    }
  rc = sqlite3_prepare_v2 (st->db, "SELECT name, source FROM history_files WHERE version = ?"
                           " ORDER BY seq", -1, &s, NULL);
  if (rc != SQLITE_OK)
    {
      wpol_st_fail (st, err, rc, "reading the history");
      sqlite3_exec (st->db, "ROLLBACK", NULL, NULL, NULL);
      return -1;
    }
  sqlite3_bind_int64 (s, 1, (int64_t) to);
  size_t cap = 0, tcap = 0;
  while ((rc = sqlite3_step (s)) == SQLITE_ROW)
    {
      const char *name = (const char *) sqlite3_column_text (s, 0);
      const char *text = (const char *) sqlite3_column_text (s, 1);
      if (WARD_GROW (snap.names, cap, snap.n + 1, 8) < 0
          || WARD_GROW (snap.texts, tcap, snap.n + 1, 8) < 0)
        break;
      snap.names[snap.n] = strdup (name ? name : "");
      snap.texts[snap.n] = strdup (text ? text : "");
      snap.n++;
      if (snap.names[snap.n - 1] == NULL || snap.texts[snap.n - 1] == NULL)
        break;
    }
  sqlite3_finalize (s);
  int read_ok = rc == SQLITE_DONE;
  if (read_ok && wpol_st_read_sources (st, &now, NULL, err) < 0)
    goto out;
  if (!read_ok)
    {
      if (rc == SQLITE_ROW)
        ward_err_set (err, WARD_E_INTERNAL, ENOMEM, "reading the history");
      else
        wpol_st_fail (st, err, rc, "reading the history");
      goto out;
    }
  /* a load never stores a name twice nor one with a control character:
   * a version that holds one was written by other hands */
  for (size_t i = 0; i < snap.n; i++)
    {
      int bad = wpol_st_name_has_control (snap.names[i]);
      for (size_t j = 0; j < i && !bad; j++)
        bad = strcmp (snap.names[i], snap.names[j]) == 0;
      if (bad)
        {
          ward_err_set (err, WARD_E_INVALID, 0, "version %llu of policy store `%s` is damaged "
                        "(a file name repeated or with a control character): nothing was "
                        "changed", (unsigned long long) to, st->path);
          goto out;
        }
    }
  /* parse them (a copy in the history was loaded once: an error here
   * means the store was damaged, and nothing changes) */
  nf = calloc (snap.n + 1, sizeof *nf);
  drop = calloc (now.n + 1, sizeof *drop);
  if (nf == NULL || drop == NULL)
    {
      ward_err_set (err, WARD_E_INTERNAL, ENOMEM, "rolling back");
      goto out;
    }
  size_t nerr = 0;
  for (; nparsed < snap.n; nparsed++)
    {
      nf[nparsed] = wpol_parse (snap.names[nparsed], snap.texts[nparsed],
                                strlen (snap.texts[nparsed]), d);
      if (nf[nparsed] == NULL)
        {
          ward_err_set (err, WARD_E_INTERNAL, ENOMEM, "rolling back");
          goto out;
        }
      nerr += nf[nparsed]->nerrors;
    }
  if (nerr)
    {
      ward_err_set (err, WARD_E_INVALID, 0, "version %llu of policy store `%s` holds a file "
                    "with errors: nothing was changed", (unsigned long long) to, st->path);
      goto out;
    }
  /* the files stored now that version `to` did not hold go */
  for (size_t i = 0; i < now.n; i++)
    {
      size_t j;
      for (j = 0; j < snap.n && strcmp (now.names[i], snap.names[j]) != 0; j++)
        ;
      if (j == snap.n)
        drop[ndrop++] = now.names[i];
    }
  char what[64];
  snprintf (what, sizeof what, "rollback to %llu", (unsigned long long) to);
  st->what = what;
  /* wpol_st_load_parsed takes the parsed files */
  nparsed = 0;
  ret = wpol_st_load_parsed (st, nf, (const char *const *) snap.texts, snap.n,
                             ndrop ? drop : (const char *const *) now.names, ndrop, d, err);
  st->what = NULL;
out:
  wpol_st_abort_change (st);
  for (size_t i = 0; i < nparsed; i++)
    wpol_file_free (nf[i]);
  free (nf);
  free (drop);
  wpol_st_srcs_free (&snap);
  wpol_st_srcs_free (&now);
  return ret;
}
