/* auditdb.c -- the audit database's default path, its schema (created, or
 * migrated from an older table) and the fallback file DB.lost: what a run
 * could not commit is counted there, and imported by the next run or
 * `ward audit`. */
#include "config.h"
#include "audit.h"
#include "auditdb.h"
#include "wpol.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pwd.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A lost entry: n records of run that could not be written, and why. */
int
wpol_auditdb_insert_lost (sqlite3 *db, int64_t run, uint64_t n, int64_t first, int64_t last,
                          const char *why)
{
  sqlite3_stmt *st;
  if (sqlite3_prepare_v2 (db, "INSERT INTO audit (run, ts, ts_last, count, kind, reason, note)"
                          " VALUES (?,?,?,?,'lost',?,?)", -1, &st, NULL) != SQLITE_OK)
    return -1;
  char note[400];
  snprintf (note, sizeof note, "%" PRIu64 " record%s could not be written: %s", n,
            n == 1 ? "" : "s", why);
  if (run)
    sqlite3_bind_int64 (st, 1, run);
  sqlite3_bind_int64 (st, 2, first);
  sqlite3_bind_int64 (st, 3, last);
  sqlite3_bind_int64 (st, 4, (int64_t) n);
  sqlite3_bind_text (st, 5, why, -1, SQLITE_STATIC);
  sqlite3_bind_text (st, 6, note, -1, SQLITE_STATIC);
  int rc = sqlite3_step (st);
  sqlite3_finalize (st);
  return rc == SQLITE_DONE ? 0 : -1;
}

int
wpol_auditdb_insert_notice (sqlite3 *db, int64_t run, int64_t ts, const char *text)
{
  sqlite3_stmt *st;
  if (sqlite3_prepare_v2 (db, "INSERT INTO audit (run, ts, ts_last, count, kind, note)"
                          " VALUES (?,?,?,1,'notice',?)", -1, &st, NULL) != SQLITE_OK)
    return -1;
  if (run)
    sqlite3_bind_int64 (st, 1, run);
  sqlite3_bind_int64 (st, 2, ts);
  sqlite3_bind_int64 (st, 3, ts);
  sqlite3_bind_text (st, 4, text, -1, SQLITE_TRANSIENT);
  int rc = sqlite3_step (st);
  sqlite3_finalize (st);
  return rc == SQLITE_DONE ? 0 : -1;
}

/* Create the tables, or bring an older audit table (without the `lost`
 * or `folded` kinds, without the resource's length and digest; or one
 * without the `notice` kind) to the current schema. Called inside a
 * transaction. */
#define OLD_COLUMNS "serial, run, ts, ts_last, count, kind, decision, mode, actor, actor_meta," \
  " scope, action, resource, attrs, pid, host, reason, rule_policy, rule_file, rule_line," \
  " rule_text, store_version, note"

int
wpol_auditdb_schema (sqlite3 *db)
{
  sqlite3_stmt *s;
  if (sqlite3_prepare_v2 (db, "SELECT sql FROM sqlite_master WHERE type = 'table' AND "
                          "name = 'audit'", -1, &s, NULL) != SQLITE_OK)
    return -1;
  int old = 0;                    /* 1: before `folded`; 2: before `notice` */
  if (sqlite3_step (s) == SQLITE_ROW)
    {
      const char *sql = (const char *) sqlite3_column_text (s, 0);
      old = sql == NULL || strstr (sql, "'folded'") == NULL ? 1
            : strstr (sql, "'notice'") == NULL ? 2 : 0;
    }
  sqlite3_finalize (s);
  if (old && sqlite3_exec (db, "ALTER TABLE audit RENAME TO audit_v1;"
                           "DROP INDEX IF EXISTS audit_ts;", NULL, NULL, NULL) != SQLITE_OK)
    return -1;
  if (sqlite3_exec (db, WPOL_AUDIT_SCHEMA, NULL, NULL, NULL) != SQLITE_OK)
    return -1;
  if (old == 1 && sqlite3_exec (db, "INSERT INTO audit (" OLD_COLUMNS ") SELECT " OLD_COLUMNS
                                " FROM audit_v1; DROP TABLE audit_v1;", NULL, NULL, NULL)
                  != SQLITE_OK)
    return -1;
  if (old == 2 && sqlite3_exec (db, "INSERT INTO audit (" OLD_COLUMNS ", resource_len,"
                                " resource_sha256) SELECT " OLD_COLUMNS ", resource_len,"
                                " resource_sha256 FROM audit_v1; DROP TABLE audit_v1;",
                                NULL, NULL, NULL) != SQLITE_OK)
    return -1;
  return 0;
}

char *
wpol_auditdb_lost_path (const char *db)
{
  size_t n = strlen (db);
  char *p = malloc (n + sizeof ".lost");
  if (p)
    {
      memcpy (p, db, n);
      memcpy (p + n, ".lost", sizeof ".lost");
    }
  return p;
}

/* Append the pending entry to DB.lost, one line in one write:
 * lost TAB run TAB count TAB first TAB last TAB why. */
int
wpol_auditdb_write_fallback (const char *file, int64_t run, const lost_pend *p, char *why, size_t size)
{
  char line[512], reason[256];
  size_t i = 0;
  for (const unsigned char *c = (const unsigned char *) p->why; *c && i < sizeof reason - 1;
       c++)
    reason[i++] = *c < 0x20 || *c == 0x7f ? ' ' : (char) *c;
  reason[i] = '\0';
  int n = snprintf (line, sizeof line, "lost\t%" PRId64 "\t%" PRIu64 "\t%" PRId64 "\t%" PRId64
                    "\t%s\n", run, p->n, p->first, p->last, reason);
  int fd = open (file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0 || write (fd, line, (size_t) n) != n || fsync (fd) < 0)
    {
      snprintf (why, size, "%s", strerror (errno ? errno : EIO));
      if (fd >= 0)
        close (fd);
      return -1;
    }
  return close (fd);
}

/* Import the entries of DB.lost into db (its own transaction), then remove
 * the file. An entry already there (same run, time and count) is not
 * inserted twice. The number of entries, or -1 with err. A file that
 * cannot be read, holds no entry or ends in a cut line is the only trace
 * of records lost in unknown number: an error, and the file is kept. */
int
wpol_auditdb_import_lost (sqlite3 *db, const char *dbpath, ward_err *err)
{
  char *file = wpol_auditdb_lost_path (dbpath);
  if (file == NULL)
    return ward_err_set (err, WARD_E_INTERNAL, ENOMEM, "importing lost entries");
  FILE *f = fopen (file, "re");
  if (f == NULL)
    {
      int e = errno;
      free (file);
      return e == ENOENT ? 0 : ward_err_set (err, WARD_E_INVALID, e, "reading `%s.lost`",
                                              dbpath);
    }
  int count = 0, lineno = 0, ok = sqlite3_exec (db, "BEGIN IMMEDIATE", NULL, NULL, NULL) == SQLITE_OK
                                  && wpol_auditdb_schema (db) == 0;
  char line[1024];
  while (ok && fgets (line, sizeof line, f))
    {
      lineno++;
      char why[512];
      long long run, first, last;
      unsigned long long n;
      size_t len = strcspn (line, "\n");
      int whole = line[len] == '\n';
      line[len] = '\0';
      why[0] = '\0';
      if (!whole
          || sscanf (line, "lost\t%lld\t%llu\t%lld\t%lld\t%511[^\n]", &run, &n, &first, &last, why) < 4)
        {
          fclose (f);
          sqlite3_exec (db, "ROLLBACK", NULL, NULL, NULL);
          ward_err_set (err, WARD_E_INVALID, 0, "`%s` line %d is not a%s lost entry (records "
                        "were lost in unknown number)", file, lineno,
                        whole ? "" : " whole");
          free (file);
          return -1;
        }
      sqlite3_stmt *s;
      ok = sqlite3_prepare_v2 (db, "SELECT count(*) FROM audit WHERE kind = 'lost' AND "
                               "run IS ?1 AND ts = ?2 AND count = ?3", -1, &s, NULL) == SQLITE_OK;
      if (!ok)
        break;
      if (run)
        sqlite3_bind_int64 (s, 1, run);
      sqlite3_bind_int64 (s, 2, first);
      sqlite3_bind_int64 (s, 3, (int64_t) n);
      int have = sqlite3_step (s) == SQLITE_ROW ? sqlite3_column_int (s, 0) : 0;
      sqlite3_finalize (s);
      if (!have)
        ok = wpol_auditdb_insert_lost (db, run, n, first, last, why[0] ? why : "unknown") == 0;
      count++;
    }
  if (ok && (ferror (f) || count == 0))
    {
      int e = ferror (f) ? (errno ? errno : EIO) : 0;
      fclose (f);
      sqlite3_exec (db, "ROLLBACK", NULL, NULL, NULL);
      if (e)
        ward_err_set (err, WARD_E_INVALID, e, "reading `%s`", file);
      else
        ward_err_set (err, WARD_E_INVALID, 0, "`%s` is empty: a run lost records and could "
                      "not write how many (remove the file once noted)", file);
      free (file);
      return -1;
    }
  fclose (f);
  if (ok)
    ok = sqlite3_exec (db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK;
  if (!ok)
    {
      ward_err_set (err, WARD_E_INVALID, 0, "importing `%s` into the audit database: %s", file,
                    sqlite3_errmsg (db));
      sqlite3_exec (db, "ROLLBACK", NULL, NULL, NULL);
      free (file);
      return -1;
    }
  if (unlink (file) < 0 && errno != ENOENT)
    {
      ward_err_set (err, WARD_E_INVALID, errno, "removing `%s` after importing it", file);
      free (file);
      return -1;
    }
  free (file);
  return count;
}

int
wpol_audit_import (const char *path, ward_err *err)
{
  char *file = wpol_auditdb_lost_path (path);
  if (file == NULL)
    return ward_err_set (err, WARD_E_INTERNAL, ENOMEM, "importing lost entries");
  int there = access (file, F_OK) == 0;
  free (file);
  if (!there)
    return 0;
  sqlite3 *db = NULL;
  int rc = sqlite3_open_v2 (path, &db, SQLITE_OPEN_READWRITE, NULL);
  if (rc != SQLITE_OK)
    {
      ward_err_set (err, WARD_E_INVALID, 0, "opening `%s` to import `%s.lost`: %s", path, path,
                    db ? sqlite3_errmsg (db) : sqlite3_errstr (rc));
      sqlite3_close (db);
      return -1;
    }
  sqlite3_busy_timeout (db, 10000);
  rc = wpol_auditdb_import_lost (db, path, err);
  sqlite3_close (db);
  return rc;
}

/* ---- the default path -------------------------------------------------- */

int
wpol_audit_default_hint (ward_err *err)
{
  static const char hint[] = "; " WPOL_AUDIT_DEFAULT_HINT;
  static const char cut[] = "...";
  if (err == NULL)
    return -1;
  size_t n = strlen (err->msg);
  if (n + sizeof hint > sizeof err->msg)
    {
      n = sizeof err->msg - sizeof hint - (sizeof cut - 1);
      memcpy (err->msg + n, cut, sizeof cut - 1);
      n += sizeof cut - 1;
    }
  memcpy (err->msg + n, hint, sizeof hint);
  return -1;
}

static int
mkdirs (char *path, ward_err *err)
{
  for (char *p = path + 1; *p; p++)
    if (*p == '/')
      {
        *p = '\0';
        int r = mkdir (path, 0700);
        int e = errno;
        *p = '/';
        if (r < 0 && e != EEXIST)
          {
            ward_err_set (err, WARD_E_INVALID, e, "creating the audit directory `%.*s`",
                          (int) (p - path), path);
            return wpol_audit_default_hint (err);
          }
      }
  return 0;
}

int
wpol_audit_default_path (char *buf, size_t size, int make, ward_err *err)
{
  const char *xdg = getenv ("XDG_STATE_HOME"), *home = getenv ("HOME");
  int n;
  if (xdg && xdg[0] == '/')
    n = snprintf (buf, size, "%s/ward/audit.db", xdg);
  else
    {
      if (home == NULL || home[0] != '/')
        {
          struct passwd *pw = getpwuid (getuid ());
          home = pw ? pw->pw_dir : NULL;
        }
      if (home == NULL || home[0] != '/')
        {
          ward_err_set (err, WARD_E_INVALID, 0, "no home directory for the audit database");
          return wpol_audit_default_hint (err);
        }
      n = snprintf (buf, size, "%s/.local/state/ward/audit.db", home);
    }
  if (n < 0 || (size_t) n >= size)
    return ward_err_set (err, WARD_E_INVALID, ENAMETOOLONG, "the audit database path is too long");
  return make ? mkdirs (buf, err) : 0;
}
