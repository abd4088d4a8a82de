/* test-store.c -- the SQLite store: a load is one transaction (a bad file
 * changes nothing), versions, reload by the engine, export/load round trip,
 * and clear errors for missing, foreign, corrupt, newer and locked stores. */
#include "config.h"
#include "wpol.h"
#include "tap.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[] = "/tmp/wpol-store-XXXXXX";

static const char *
path (const char *name)
{
  static char buf[8][256];
  static int k;
  k = (k + 1) % 8;
  snprintf (buf[k], sizeof buf[k], "%s/%s", dir, name);
  return buf[k];
}

static void
write_file (const char *name, const char *text)
{
  FILE *f = fopen (path (name), "w");
  fputs (text, f);
  fclose (f);
}

static char *
slurp (FILE *f)
{
  size_t n = 0, cap = 4096;
  char *s = malloc (cap);
  rewind (f);
  size_t r;
  while ((r = fread (s + n, 1, cap - n - 1, f)) > 0)
    {
      n += r;
      if (n + 1 == cap)
        s = realloc (s, cap *= 2);
    }
  s[n] = '\0';
  return s;
}

static char *
export_text (wpol_store *st, int strip_heads)
{
  FILE *f = tmpfile ();
  ward_err err;
  if (wpol_store_export (st, f, &err) < 0)
    {
      fclose (f);
      return strdup ("(export failed)");
    }
  char *s = slurp (f);
  fclose (f);
  if (strip_heads)
    {
      char *o = s;
      for (char *p = s; *p;)
        {
          char *nl = strchr (p, '\n');
          size_t len = nl ? (size_t) (nl - p + 1) : strlen (p);
          if (strncmp (p, "# file: ", 8) != 0)
            {
              memmove (o, p, len);
              o += len;
            }
          p += len;
        }
      *o = '\0';
    }
  return s;
}

static const char A[] =
  "# a.policy\n"
  "policy \"pa\" {\n  allow process.spawn on \"app:*\";\n  deny process.spawn on \"app:secret\";\n}\n\n"
  "actor \"main\" {\n  scope = [\"pa\", \"pb\"];\n}\n\nhost \"ward:sandbox\" {\n  threads = 1;\n  sandbox = \"strict\";\n}\n";
static const char B[] =
  "policy \"pb\" {\n  allow process.send on \"*\" when resource == attr.parent;\n}\n\n"
  "sandbox \"strict\" {\n  namespaces = [user, pid];\n  memory = \"64M\";\n}\n";

static ward_decision
spawn_app (wpol_engine *e, const char *res)
{
  ward_actor a = { "main", NULL, 0, NULL, 0 };
  return wpol_decide (e, &a, "process.spawn", res, NULL).decision;
}

int
main (void)
{
  plan (33);
  if (mkdtemp (dir) == NULL)
    return 99;
  ward_err err;
  wpol_diags d;
  wpol_diags_init (&d);

  wpol_store *st = wpol_store_open (path ("missing.db"), 0, &err);
  ok (st == NULL && err.kind == WARD_E_NOT_FOUND && strstr (err.msg, "missing.db") != NULL,
      "a missing store is NOT_FOUND (%s)", err.msg);

  st = wpol_store_open (path ("s.db"), WPOL_STORE_CREATE, &err);
  ok (st != NULL, "create a store");
  write_file ("a.policy", A);
  write_file ("b.policy", B);
  const char *ab[] = { strdup (path ("a.policy")), strdup (path ("b.policy")) };
  uint64_t v0 = 99, v1 = 99, v;
  wpol_store_version (st, &v0, &err);
  int rc = wpol_store_load_files (st, ab, 2, &d, &err);
  wpol_store_version (st, &v1, &err);
  ok (rc == 0 && v0 == 0 && v1 == 1 && d.nerrors == 0, "load two files: version 0 -> 1");
  {
    sqlite3 *db;
    sqlite3_stmt *s;
    sqlite3_open (path ("s.db"), &db);
    sqlite3_prepare_v2 (db, "PRAGMA journal_mode", -1, &s, NULL);
    sqlite3_step (s);
    is_str ((const char *) sqlite3_column_text (s, 0), "wal", "the store is in WAL mode");
    sqlite3_finalize (s);
    sqlite3_prepare_v2 (db, "SELECT (SELECT count(*) FROM rules) || '/' || (SELECT count(*) FROM policies)"
                        " || '/' || (SELECT count(*) FROM hosts)", -1, &s, NULL);
    sqlite3_step (s);
    is_str ((const char *) sqlite3_column_text (s, 0), "3/2/1", "rules, policies and hosts are stored as rows");
    sqlite3_finalize (s);
    sqlite3_close (db);
  }

  wpol_engine *e = wpol_engine_new (0, &err);
  rc = wpol_engine_load_store (e, st, NULL, &err);
  ok (rc == 0 && spawn_app (e, "app:x") == WARD_ALLOW && spawn_app (e, "app:secret") == WARD_DENY,
      "the engine decides from the store");
  is_int (wpol_engine_reload_if_changed (e, st, &err), 0, "no reload while the version is the same");

  char *before = export_text (st, 0);
  /* a bad new version of a.policy: nothing changes */
  write_file ("a.policy", "policy \"pa\" {\n  allow process.spawn on \"app:*\"\n}\n");
  wpol_diags_free (&d);
  rc = wpol_store_load_files (st, ab, 1, &d, &err);
  wpol_store_version (st, &v, &err);
  char *after = export_text (st, 0);
  ok (rc == -1 && v == 1 && d.nerrors == 1 && strcmp (before, after) == 0,
      "a file with an error changes nothing (version %llu)", (unsigned long long) v);
  free (after);
  /* two files, the second bad: the first is not loaded either */
  write_file ("a.policy", "policy \"pa\" {\n  allow process.spawn on \"other:*\";\n}\n");
  write_file ("c.policy", "policy \"pc\" { allow process.spwan on \"x\"; }\n");
  const char *ac[] = { ab[0], strdup (path ("c.policy")) };
  wpol_diags_free (&d);
  rc = wpol_store_load_files (st, ac, 2, &d, &err);
  after = export_text (st, 0);
  ok (rc == -1 && strcmp (before, after) == 0 && strstr (d.v[0].msg, "process.spwan"),
      "one bad file in a load: no file is loaded");
  free (after);
  /* a clash with another stored file */
  write_file ("c.policy", "policy \"pb\" { allow process.spawn on \"x\"; }\n");
  wpol_diags_free (&d);
  rc = wpol_store_load_files (st, ac + 1, 1, &d, &err);
  after = export_text (st, 0);
  ok (rc == -1 && d.nerrors == 1 && strstr (d.v[0].msg, "already defined") != NULL
      && strcmp (d.v[0].file, path ("c.policy")) == 0 && strcmp (before, after) == 0,
      "a name defined by another stored file is an error in the new file");
  free (after);
  /* a reference to a profile of another stored file is not a warning */
  write_file ("c.policy", "host \"h2\" { sandbox = \"strict\"; }\n");
  wpol_diags_free (&d);
  rc = wpol_store_load_files (st, ac + 1, 1, &d, &err);
  ok (rc == 0 && d.n == 0, "references resolve against the rest of the store");
  free (before);

  /* replace a.policy: the engine picks the change up */
  write_file ("a.policy", "policy \"pa\" {\n  allow process.spawn on \"other:*\";\n}\n"
                          "actor \"main\" { scope = [\"pa\"]; }\nhost \"ward:sandbox\" { threads = 1; }\n");
  rc = wpol_store_load_files (st, ab, 1, NULL, &err);
  wpol_store_version (st, &v, &err);
  int rl = wpol_engine_reload_if_changed (e, st, &err);
  ok (rc == 0 && v == 3 && rl == 1 && spawn_app (e, "app:x") == WARD_DENY
      && spawn_app (e, "other:x") == WARD_ALLOW, "replacing a file: new version, engine reloads");
  is_int (wpol_engine_reload_if_changed (e, st, &err), 0, "... once");
  wpol_engine_free (e);

  /* export, load the export elsewhere, export again */
  char *x1 = export_text (st, 0);
  write_file ("export.policy", x1);
  wpol_store *st2 = wpol_store_open (path ("s2.db"), WPOL_STORE_CREATE, &err);
  const char *ex[] = { strdup (path ("export.policy")) };
  wpol_diags_free (&d);
  rc = wpol_store_load_files (st2, ex, 1, &d, &err);
  char *s1 = export_text (st, 1), *s2 = export_text (st2, 1);
  ok (rc == 0 && d.nerrors == 0, "the export loads into an empty store");
  is_str (s2, s1, "export of (load of export) is the same text");
  wpol_engine *e1 = wpol_engine_new (0, &err), *e2 = wpol_engine_new (0, &err);
  wpol_engine_load_store (e1, st, NULL, &err);
  wpol_engine_load_store (e2, st2, NULL, &err);
  ok (spawn_app (e1, "other:y") == spawn_app (e2, "other:y")
      && spawn_app (e1, "app:y") == spawn_app (e2, "app:y") && spawn_app (e2, "other:y") == WARD_ALLOW,
      "and decides the same");
  wpol_engine_free (e1);
  wpol_engine_free (e2);
  free (x1);
  free (s1);
  free (s2);
  wpol_store_close (st2);

  /* in-memory text and the read-only flag */
  wpol_store *ro = wpol_store_open (path ("s.db"), WPOL_STORE_READONLY, &err);
  rc = wpol_store_load_text (ro, "m.policy", "policy \"m\" {}", 13, NULL, &err);
  ok (ro && rc == -1 && strstr (err.msg, "read-only"), "a store opened read-only refuses loads");
  wpol_store_close (ro);
  wpol_store *mem = wpol_store_open (":memory:", WPOL_STORE_CREATE, &err);
  rc = wpol_store_load_text (mem, "m.policy", "policy \"m\" {}", 13, NULL, &err);
  wpol_store_version (mem, &v, &err);
  ok (mem && rc == 0 && v == 1, "an in-memory store loads text");
  rc = wpol_store_load_text (mem, "n.policy", "policy \"n\" {}\0x", 15, NULL, &err);
  is_int (rc, -1, "text with a NUL byte is refused");
  wpol_store_close (mem);

  /* a locked store: another connection holds the write lock */
  {
    sqlite3 *db;
    sqlite3_open (path ("s.db"), &db);
    sqlite3_exec (db, "BEGIN EXCLUSIVE", NULL, NULL, NULL);
    rc = wpol_store_load_files (st, ab, 1, NULL, &err);
    ok (rc == -1 && err.kind == WARD_E_UNAVAILABLE && strstr (err.msg, "try again"),
        "a locked store is UNAVAILABLE (%s)", err.msg);
    sqlite3_exec (db, "ROLLBACK", NULL, NULL, NULL);
    sqlite3_close (db);
    wpol_store_version (st, &v, &err);
    is_int (v, 3, "... and left as it was");
  }
  wpol_store_close (st);

  /* a file stored by an older ward under the relative name it was typed
   * with: loading it again by any path replaces it, under its canonical path */
  {
    char cwd[4096];
    const char *otext = "policy \"old\" {\n  allow process.send on \"x\";\n}\n";
    write_file ("old.policy", otext);
    wpol_store *m = wpol_store_open (path ("mig.db"), WPOL_STORE_CREATE, &err);
    int moved = getcwd (cwd, sizeof cwd) != NULL && chdir (dir) == 0;
    rc = wpol_store_load_text (m, "old.policy", otext, strlen (otext), NULL, &err);
    const char *op[] = { "./old.policy" };
    rc |= wpol_store_load_files (m, op, 1, NULL, &err);
    const char *ch = wpol_store_changes (m);
    char *x = export_text (m, 0);
    char head[600];
    snprintf (head, sizeof head, "# file: \"%s\"\n", path ("old.policy"));
    ok (moved && rc == 0 && strstr (x, head) && strstr (x, "# file: \"old.policy\"") == NULL
        && strcmp (ch, "") == 0,
        "a relative name stored by an older ward is replaced by the canonical one, no change");
    free (x);
    const char *pol[] = { "old" }, *nope[] = { "nope" };
    rc = wpol_store_remove (m, nope, 1, NULL, &err);
    ok (rc == -1 && err.kind == WARD_E_NOT_FOUND && strstr (err.msg, "`nope` is neither"),
        "removing what the store does not hold: NOT_FOUND (%s)", err.msg);
    rc = wpol_store_remove (m, pol, 1, NULL, &err);
    x = export_text (m, 0);
    ok (rc == 0 && strcmp (wpol_store_changes (m), "- policy \"old\"\n") == 0
        && strstr (x, "\n# file: ") == NULL,
        "removing the last policy of a file takes the file out, and says so");
    free (x);
    wpol_store_close (m);
    if (moved && chdir (cwd) != 0)
      diag ("could not go back to the working directory");
  }

  /* a name with a newline, stored by an older ward: the export quotes it,
   * loading that export refuses it, the list escapes it */
  {
    wpol_store *m = wpol_store_open (path ("nl.db"), WPOL_STORE_CREATE, &err);
    rc = wpol_store_load_text (m, "/x/a\n# file: /x/forged", "policy \"n\" {}\n", 14, NULL, &err);
    ok (rc == -1 && err.kind == WARD_E_INVALID, "a name with a newline is not stored (%s)", err.msg);
    rc = wpol_store_load_text (m, "/x/a", "policy \"n\" {}\n", 14, NULL, &err);
    wpol_store_close (m);
    sqlite3 *db;
    sqlite3_open (path ("nl.db"), &db);
    sqlite3_exec (db, "UPDATE files SET name = '/x/a' || char(10) || '# file: /x/forged'"
                  " || char(10) || 'policy \"evil\" {}'", NULL, NULL, NULL);
    sqlite3_close (db);
    m = wpol_store_open (path ("nl.db"), 0, &err);
    char *x = export_text (m, 0);
    ok (rc == 0 && strstr (x, "\n# file: \"/x/a\\n# file: /x/forged\\npolicy \\\"evil\\\" {}\"\n")
        && strstr (x, "\n# file: /x/forged") == NULL && strstr (x, "\npolicy \"evil\"") == NULL,
        "the export writes such a name quoted, on one line");
    write_file ("nl.policy", x);
    free (x);
    wpol_store *m2 = wpol_store_open (path ("nl2.db"), WPOL_STORE_CREATE, &err);
    const char *np[] = { path ("nl.policy") };
    wpol_diags nd;
    wpol_diags_init (&nd);
    rc = wpol_store_load_files (m2, np, 1, &nd, &err);
    ok (rc == -1 && nd.nerrors == 1 && strstr (nd.v[0].msg, "control character"),
        "loading that export refuses the name");
    wpol_diags_free (&nd);
    wpol_store_close (m2);
    FILE *f = tmpfile ();
    wpol_store_list (m, f, &err);
    x = slurp (f);
    fclose (f);
    ok (strstr (x, "\n/x/a\\n# file: /x/forged\\npolicy \"evil\" {} ") && strstr (x, "\npolicy \"evil")
        == NULL, "the list shows it escaped, on one row");
    free (x);
    wpol_store_close (m);
  }

  /* foreign, corrupt, newer, read-only files */
  write_file ("junk.db", "this is not a database at all, just some text that is long enough..........................................");
  st = wpol_store_open (path ("junk.db"), 0, &err);
  ok (st == NULL && err.kind == WARD_E_INVALID && strstr (err.msg, "not a ward policy store"),
      "a file that is not a database: %s", err.msg);
  {
    sqlite3 *db;
    sqlite3_open (path ("other.db"), &db);
    sqlite3_exec (db, "CREATE TABLE t (x)", NULL, NULL, NULL);
    sqlite3_close (db);
    sqlite3_open (path ("newer.db"), &db);
    sqlite3_exec (db, "PRAGMA user_version = 99", NULL, NULL, NULL);
    sqlite3_close (db);
  }
  st = wpol_store_open (path ("other.db"), 0, &err);
  ok (st == NULL && strstr (err.msg, "not a ward policy store"), "another application's database");
  st = wpol_store_open (path ("newer.db"), 0, &err);
  ok (st == NULL && strstr (err.msg, "schema 99"), "a store from a newer ward: %s", err.msg);
  {
    /* damage a real store's header page: corrupt */
    st = wpol_store_open (path ("c.db"), WPOL_STORE_CREATE, &err);
    wpol_store_load_text (st, "m.policy", "policy \"m\" {}", 13, NULL, &err);
    wpol_store_close (st);
    FILE *f = fopen (path ("c.db"), "r+");
    fseek (f, 0, SEEK_SET);
    fputs ("garbage garbage garbage garbage", f);
    fclose (f);
    st = wpol_store_open (path ("c.db"), 0, &err);
    ok (st == NULL && err.kind == WARD_E_INVALID, "a damaged store: %s", err.msg);
  }
  if (geteuid () == 0)
    ok (1, "# SKIP read-only file (root ignores file modes)");
  else
    {
      chmod (path ("s.db"), 0444);
      st = wpol_store_open (path ("s.db"), 0, &err);
      ok (st == NULL && strstr (err.msg, "read-only"), "a read-only file: %s", err.msg);
      wpol_store_close (st);
    }
  wpol_diags_free (&d);
  free ((char *) ab[0]);
  free ((char *) ab[1]);
  free ((char *) ac[1]);
  free ((char *) ex[0]);
  char cmd[300];
  snprintf (cmd, sizeof cmd, "rm -rf '%s'", dir);
  if (system (cmd) != 0)
    diag ("could not remove the temporary directory");
  return done ();
}
