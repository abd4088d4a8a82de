/* audit_cli.c -- `ward audit [stats|suggest] [OPTIONS]`: the audit records
 * of ward runs as a table for people or NDJSON for tools, counts, and
 * policy rules that would allow the recorded denials (suggest.c). */
#include "config.h"
#include "audit.h"
#include "wpol.h"
#include "wesc.h"
#include "wunit.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char usage_text[] =
  "usage: ward audit [OPTIONS]            the records, oldest first\n"
  "       ward audit stats [OPTIONS]      counts by actor, action, resource and rule\n"
  "       ward audit suggest [OPTIONS]    policy rules that would allow the denials\n"
  "\n"
  "  --audit FILE, --db FILE   the audit database (default: $XDG_STATE_HOME/ward/audit.db,\n"
  "                            else ~/.local/state/ward/audit.db)\n"
  "  --denied                  only denials (enforced, or would-be in permissive mode)\n"
  "  --since WHEN              only records since WHEN: a duration ago (30s, 10m, 2h, 7d)\n"
  "                            or a UTC time (2026-01-02T03:04:05Z, 2026-01-02)\n"
  "  --actor PATTERN           only these actors (glob, as in policy files)\n"
  "  --action PATTERN          only these actions\n"
  "  --resource PATTERN        only these resources\n"
  "  --run N|last              only the records of one `ward run` (its number)\n"
  "  --limit N                 only the N newest records (listing)\n"
  "  --json                    one JSON object per line (listing, stats)\n"
  "  --full                    show long strings whole (else cut at 200 bytes)\n"
  "  --name PREFIX             suggest: name policies PREFIX.ACTOR (default suggested)\n"
  "\n"
  "Entries of lost records (kind lost: records a failed commit could not write)\n"
  "are listed unless a pattern filter is given; a fallback file DB.lost left by\n"
  "a run is imported first. FOLD rows count the denials of an actor and action\n"
  "past the first `ward run --audit-fold` of a run. A resource over 1024 bytes\n"
  "is stored cut, with its length and SHA-256. Control characters in strings\n"
  "are shown escaped (\\n, \\x1b, ...). See ward(1) and doc/writing-policies.md.\n";

typedef struct aopts {
  const char *db, *actor, *action, *resource, *name;
  int denied, json, run_last, full;
  int64_t since, run, limit;      /* 0: none */
} aopts;

static int __attribute__ ((format (printf, 2, 3)))
usage_error (const char *cmd, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  fprintf (stderr, "ward audit%s%s: ", cmd[0] ? " " : "", cmd);
  vfprintf (stderr, fmt, ap);
  va_end (ap);
  fprintf (stderr, "\n(see `ward audit --help`)\n");
  return 2;
}

void
wpol_audit_time (int64_t us, char *buf, size_t size)
{
  time_t t = (time_t) (us / 1000000);
  struct tm tm;
  if (gmtime_r (&t, &tm) == NULL)
    {
      snprintf (buf, size, "?");
      return;
    }
  char d[32];
  strftime (d, sizeof d, "%Y-%m-%dT%H:%M:%S", &tm);
  snprintf (buf, size, "%s.%03dZ", d, (int) (us % 1000000 / 1000));
}

/* "10m" ago, or an absolute UTC time; microseconds since the epoch. */
static int
parse_since (const char *s, int64_t *out)
{
  uint64_t ms;
  size_t n = strlen (s);
  struct timespec now;
  clock_gettime (CLOCK_REALTIME, &now);
  int64_t now_us = (int64_t) now.tv_sec * 1000000 + now.tv_nsec / 1000;
  if (n > 1 && s[n - 1] == 'd' && s[0] >= '0' && s[0] <= '9')
    {
      char *end;
      errno = 0;
      unsigned long long days = strtoull (s, &end, 10);
      if (errno || *end != 'd' || days > 100000)
        return -1;
      *out = now_us - (int64_t) days * 86400 * 1000000;
      return 0;
    }
  if (ward_parse_duration (s, &ms, NULL) == 0 && strchr (s, '-') == NULL)
    {
      if (ms > (uint64_t) now_us / 1000)
        ms = (uint64_t) now_us / 1000;
      *out = now_us - (int64_t) ms * 1000;
      return 0;
    }
  static const char *const fmts[] = { "%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%dT%H:%M:%S",
                                      "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%MZ", "%Y-%m-%d" };
  for (size_t i = 0; i < sizeof fmts / sizeof fmts[0]; i++)
    {
      struct tm tm;
      memset (&tm, 0, sizeof tm);
      const char *end = strptime (s, fmts[i], &tm);
      if (end && *end == '\0')
        {
          *out = (int64_t) timegm (&tm) * 1000000;
          return 0;
        }
    }
  return -1;
}

static int
parse_int (const char *s, int64_t *out)
{
  char *end;
  errno = 0;
  long long v = strtoll (s, &end, 10);
  if (errno || end == s || *end || v <= 0)
    return -1;
  *out = v;
  return 0;
}

static int
parse_opts (int argc, char **argv, const char *cmd, aopts *o)
{
  memset (o, 0, sizeof o[0]);
  for (int i = 0; i < argc; i++)
    {
      const char *a = argv[i], *v = NULL;
      char name[32];
      const char *eq = strchr (a, '=');
      if (strncmp (a, "--", 2) != 0)
        return usage_error (cmd, "unexpected argument `%s`", a);
      snprintf (name, sizeof name, "%.*s", eq ? (int) (eq - a) : (int) strlen (a), a);
      int takes = strcmp (name, "--denied") != 0 && strcmp (name, "--json") != 0
                  && strcmp (name, "--full") != 0;
      if (takes)
        {
          if (eq)
            v = eq + 1;
          else if (i + 1 < argc)
            v = argv[++i];
          else
            return usage_error (cmd, "%s needs a value", name);
        }
      else if (eq)
        return usage_error (cmd, "%s takes no value", name);
      if (strcmp (name, "--db") == 0 || strcmp (name, "--audit") == 0)
        o->db = v;
      else if (strcmp (name, "--denied") == 0)
        o->denied = 1;
      else if (strcmp (name, "--json") == 0)
        o->json = 1;
      else if (strcmp (name, "--full") == 0)
        o->full = 1;
      else if (strcmp (name, "--actor") == 0)
        o->actor = v;
      else if (strcmp (name, "--action") == 0)
        o->action = v;
      else if (strcmp (name, "--resource") == 0)
        o->resource = v;
      else if (strcmp (name, "--name") == 0)
        o->name = v;
      else if (strcmp (name, "--since") == 0)
        {
          if (parse_since (v, &o->since) < 0)
            return usage_error (cmd, "bad --since `%s` (say 30s, 10m, 2h, 7d or "
                                "2026-01-02T03:04:05Z)", v);
        }
      else if (strcmp (name, "--run") == 0)
        {
          if (strcmp (v, "last") == 0)
            o->run_last = 1;
          else if (parse_int (v, &o->run) < 0)
            return usage_error (cmd, "bad --run `%s` (a run number or `last`)", v);
        }
      else if (strcmp (name, "--limit") == 0)
        {
          if (parse_int (v, &o->limit) < 0)
            return usage_error (cmd, "bad --limit `%s`", v);
        }
      else
        return usage_error (cmd, "unknown option `%s`", name);
    }
  return 0;
}

/* ---- reading ----------------------------------------------------------- */

typedef struct rows {
  wpol_arow *v;
  size_t n, cap;
} rows;

static void
rows_free (rows *r)
{
  for (size_t i = 0; i < r->n; i++)
    {
      wpol_arow *w = &r->v[i];
      char **s[] = { &w->kind, &w->decision, &w->mode, &w->actor, &w->actor_meta, &w->scope,
                     &w->action, &w->resource, &w->attrs, &w->pid, &w->host, &w->reason,
                     &w->rule_policy, &w->rule_file, &w->rule_text, &w->note,
                     &w->resource_sha256 };
      for (size_t k = 0; k < sizeof s / sizeof s[0]; k++)
        free (*s[k]);
    }
  free (r->v);
}

static char *
col_dup (sqlite3_stmt *s, int c)
{
  const unsigned char *t = sqlite3_column_text (s, c);
  return t ? strdup ((const char *) t) : NULL;
}

static int
match (const wpol_glob *g, const char *s)
{
  return g == NULL || (s && wpol_glob_match (g, s));
}

static sqlite3 *
open_db (const aopts *o, const char *cmd, char *path, size_t size)
{
  ward_err err;
  if (o->db)
    snprintf (path, size, "%s", o->db);
  else if (wpol_audit_default_path (path, size, 0, &err) < 0)
    {
      fprintf (stderr, "ward audit: %s\n", err.msg);
      return NULL;
    }
  /* a run that could not write its lost entry left it beside the database */
  if (wpol_audit_import (path, &err) < 0)
    fprintf (stderr, "ward audit%s%s: warning: %s: records were lost and are not counted "
             "below; the file is kept\n", cmd[0] ? " " : "", cmd, err.msg);
  sqlite3 *db = NULL;
  int rc = sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL);
  if (rc != SQLITE_OK)
    {
      fprintf (stderr, "ward audit%s%s: cannot open the audit database `%s`: %s%s\n",
               cmd[0] ? " " : "", cmd, path, db ? sqlite3_errmsg (db) : sqlite3_errstr (rc),
               o->db ? "" : " (no run has been audited there yet; see --audit)");
      sqlite3_close (db);
      return NULL;
    }
  sqlite3_busy_timeout (db, 5000);
  return db;
}

static int
read_rows (sqlite3 *db, const aopts *o, const char *path, rows *out)
{
  char sql[1024];
  int64_t run = o->run;
  sqlite3_stmt *s;
  memset (out, 0, sizeof *out);
  if (sqlite3_prepare_v2 (db, "SELECT max(id) FROM audit_runs", -1, &s, NULL) != SQLITE_OK)
    {
      fprintf (stderr, "ward audit: `%s` is not an audit database: %s\n", path,
               sqlite3_errmsg (db));
      return -1;
    }
  if (sqlite3_step (s) == SQLITE_ROW && o->run_last)
    run = sqlite3_column_int64 (s, 0);
  sqlite3_finalize (s);
  if (o->run_last && run == 0)
    run = -1;                     /* no run yet: nothing matches */
  int patterns = o->actor || o->action || o->resource;
  /* a database no run of this version has written to yet lacks the
   * resource's length and digest: none is cut there */
  int has_len = sqlite3_prepare_v2 (db, "SELECT resource_len FROM audit LIMIT 0", -1, &s,
                                    NULL) == SQLITE_OK;
  sqlite3_finalize (s);
  /* with a pattern: decisions, and the folded rows of the actor and
   * action patterns (they have no resource) */
  snprintf (sql, sizeof sql,
            "SELECT serial, run, ts, ts_last, count, rule_line, store_version, %s, kind,"
            " decision, mode, actor, actor_meta, scope, action, resource, attrs, pid, host,"
            " reason, rule_policy, rule_file, rule_text, note, %s FROM audit WHERE ts >= ?1%s%s%s"
            " ORDER BY serial",
            has_len ? "resource_len" : "NULL", has_len ? "resource_sha256" : "NULL",
            run ? " AND run = ?2" : "",
            o->denied ? " AND (decision = 'deny' OR kind <> 'decision')" : "",
            !patterns ? "" : o->resource ? " AND kind = 'decision'"
            : " AND kind IN ('decision', 'folded')");
  if (sqlite3_prepare_v2 (db, sql, -1, &s, NULL) != SQLITE_OK)
    {
      fprintf (stderr, "ward audit: `%s` is not an audit database: %s\n", path,
               sqlite3_errmsg (db));
      return -1;
    }
  sqlite3_bind_int64 (s, 1, o->since);
  if (run)
    sqlite3_bind_int64 (s, 2, run);
  wpol_arena a = { 0 };
  jmp_buf oom;
  volatile int rc = -1, step = SQLITE_DONE;
  if (setjmp (oom))
    goto done;
  a.oom = &oom;
  const wpol_glob *ga = o->actor ? wpol_glob_compile (&a, o->actor) : NULL;
  const wpol_glob *gc = o->action ? wpol_glob_compile (&a, o->action) : NULL;
  const wpol_glob *gr = o->resource ? wpol_glob_compile (&a, o->resource) : NULL;
  while ((step = sqlite3_step (s)) == SQLITE_ROW)
    {
      const char *actor = (const char *) sqlite3_column_text (s, 11);
      const char *action = (const char *) sqlite3_column_text (s, 14);
      const char *resource = (const char *) sqlite3_column_text (s, 15);
      if (!match (ga, actor) || !match (gc, action) || !match (gr, resource))
        continue;
      if (out->n == out->cap)
        {
          size_t cap = out->cap ? out->cap * 2 : 64;
          wpol_arow *nv = realloc (out->v, cap * sizeof *nv);
          if (nv == NULL)
            goto done;
          out->v = nv;
          out->cap = cap;
        }
      wpol_arow *w = &out->v[out->n++];
      memset (w, 0, sizeof *w);
      int64_t *ints[] = { &w->serial, &w->run, &w->ts, &w->ts_last, &w->count, &w->rule_line,
                          &w->store_version, &w->resource_len };
      for (int c = 0; c < 8; c++)
        *ints[c] = sqlite3_column_int64 (s, c);
      char **strs[] = { &w->kind, &w->decision, &w->mode, &w->actor, &w->actor_meta, &w->scope,
                        &w->action, &w->resource, &w->attrs, &w->pid, &w->host, &w->reason,
                        &w->rule_policy, &w->rule_file, &w->rule_text, &w->note,
                        &w->resource_sha256 };
      for (int c = 0; c < 17; c++)
        *strs[c] = col_dup (s, 8 + c);
    }
  if (step != SQLITE_DONE)
    {
      fprintf (stderr, "ward audit: reading `%s`: %s\n", path, sqlite3_errmsg (db));
      goto done;
    }
  rc = 0;
done:
  if (rc < 0 && step == SQLITE_ROW)
    fprintf (stderr, "ward audit: out of memory\n");
  a.oom = NULL;
  wpol_arena_free (&a);
  sqlite3_finalize (s);
  return rc;
}

/* ---- listing ----------------------------------------------------------- */

static const char *
nz (const char *s)
{
  return s ? s : "-";
}

/* A row that stands for lost records, not for a decision. */
static int
is_lost (const wpol_arow *w)
{
  return w->kind && strcmp (w->kind, "decision") != 0 && strcmp (w->kind, "folded") != 0;
}

/* A row that counts denials of one actor and action not recorded one by one. */
static int
is_folded (const wpol_arow *w)
{
  return w->kind && strcmp (w->kind, "folded") == 0;
}

/* Replace every string of rows [from, n) by its escaped form (wesc.h). */
static int
escape_rows (rows *r, size_t from, size_t max)
{
  for (size_t i = from; i < r->n; i++)
    {
      wpol_arow *w = &r->v[i];
      char **s[] = { &w->kind, &w->decision, &w->mode, &w->actor, &w->actor_meta, &w->scope,
                     &w->action, &w->resource, &w->attrs, &w->pid, &w->host, &w->reason,
                     &w->rule_policy, &w->rule_file, &w->rule_text, &w->note,
                     &w->resource_sha256 };
      for (size_t k = 0; k < sizeof s / sizeof s[0]; k++)
        if (*s[k])
          {
            char *e = ward_esc_str (*s[k], max);
            if (e == NULL)
              return -1;
            free (*s[k]);
            *s[k] = e;
          }
    }
  return 0;
}

/* v as a JSON string that is valid UTF-8 whatever v holds: each byte of
 * invalid UTF-8 is written as U+FFFD. 1 when there was such a byte. */
static int
json_text (wpol_buf *b, const char *v)
{
  const unsigned char *p = (const unsigned char *) v;
  size_t len = strlen (v), i = 0;
  uint32_t cp;
  while (i < len && ward_utf8_seq (p + i, len - i, &cp) > 0)
    i += ward_utf8_seq (p + i, len - i, &cp);
  if (i == len)
    {
      wpol_buf_json (b, v);
      return 0;
    }
  wpol_buf fixed = { 0 };
  for (i = 0; i < len;)
    {
      size_t l = ward_utf8_seq (p + i, len - i, &cp);
      if (l)
        wpol_buf_add (&fixed, v + i, l);
      else
        wpol_buf_puts (&fixed, "\xef\xbf\xbd");
      i += l ? l : 1;
    }
  wpol_buf_json (b, fixed.oom ? "?" : fixed.s);
  wpol_buf_free (&fixed);
  return 1;
}

/* A string field for --json (json_text); when v held invalid UTF-8, the
 * field KEY_hex follows with its exact bytes in hex, so that an invalid
 * byte never reads as the character of the same value (0xff, U+00FF). */
static void
json_str (wpol_buf *b, const char *key, const char *v)
{
  wpol_buf_printf (b, ",\"%s\":", key);
  if (v == NULL)
    {
      wpol_buf_puts (b, "null");
      return;
    }
  if (!json_text (b, v))
    return;
  wpol_buf_printf (b, ",\"%s_hex\":\"", key);
  const unsigned char *p = (const unsigned char *) v;
  for (size_t i = 0; p[i]; i++)
    wpol_buf_printf (b, "%02x", p[i]);
  wpol_buf_puts (b, "\"");
}

/* A JSON object the writer stored (attrs, actor_meta, scope), for --json.
 * The writer escapes a byte of invalid UTF-8 as \u0080..\u00ff (it writes
 * those characters themselves as UTF-8): here such an escape becomes
 * \ufffd, as in json_str; the exact bytes are in the KEY_hex fields. */
static void
json_stored (wpol_buf *b, const char *key, const char *v, const char *none)
{
  wpol_buf_printf (b, ",\"%s\":", key);
  if (v == NULL)
    {
      wpol_buf_puts (b, none);
      return;
    }
  const char *run = v, *p = v;
  while (*p)
    {
      if (*p != '\\')
        {
          p++;
          continue;
        }
      if (p[1] == 'u' && p[2] == '0' && p[3] == '0' && strchr ("89abcdefABCDEF", p[4])
          && p[4] && p[5])
        {
          wpol_buf_add (b, run, (size_t) (p - run));
          wpol_buf_puts (b, "\\ufffd");
          p += 6;
          run = p;
        }
      else
        p += p[1] ? 2 : 1;        /* an escape pair: its second byte is no escape */
    }
  wpol_buf_add (b, run, (size_t) (p - run));
}

static void
print_json (const wpol_arow *w, FILE *out)
{
  wpol_buf b = { 0 };
  char t[40], tl[40];
  wpol_audit_time (w->ts, t, sizeof t);
  wpol_audit_time (w->ts_last, tl, sizeof tl);
  wpol_buf_printf (&b, "{\"serial\":%lld,\"run\":%lld,\"time\":\"%s\",\"time_last\":\"%s\","
                   "\"ts_us\":%lld,\"count\":%lld", (long long) w->serial, (long long) w->run,
                   t, tl, (long long) w->ts, (long long) w->count);
  json_str (&b, "kind", w->kind);
  if (is_lost (w))
    {
      json_str (&b, "reason", w->reason);
      json_str (&b, "note", w->note);
    }
  else if (is_folded (w))
    {
      json_str (&b, "decision", w->decision);
      json_str (&b, "mode", w->mode);
      json_str (&b, "actor", w->actor);
      json_str (&b, "action", w->action);
      json_str (&b, "note", w->note);
    }
  else
    {
      json_str (&b, "decision", w->decision);
      json_str (&b, "mode", w->mode);
      json_str (&b, "actor", w->actor);
      json_stored (&b, "actor_meta", w->actor_meta, "{}");
      json_stored (&b, "scope", w->scope, "null");
      if (w->note)                /* the scope's origin (WPOL_AUDIT_NOTE_...) */
        json_str (&b, "note", w->note);
      json_str (&b, "action", w->action);
      json_str (&b, "resource", w->resource);
      if (w->resource_len > 0)      /* stored cut: its whole length and digest */
        {
          wpol_buf_printf (&b, ",\"resource_len\":%lld", (long long) w->resource_len);
          json_str (&b, "resource_sha256", w->resource_sha256);
        }
      json_stored (&b, "attrs", w->attrs, "{}");
      json_str (&b, "pid", w->pid);
      json_str (&b, "host", w->host);
      json_str (&b, "reason", w->reason);
      if (w->rule_policy)
        {
          wpol_buf_puts (&b, ",\"rule\":{\"policy\":");
          wpol_buf_json (&b, w->rule_policy);
          wpol_buf_puts (&b, ",\"file\":");
          wpol_buf_json (&b, nz (w->rule_file));
          wpol_buf_printf (&b, ",\"line\":%lld,\"text\":", (long long) w->rule_line);
          wpol_buf_json (&b, nz (w->rule_text));
          wpol_buf_puts (&b, "}");
        }
      else
        wpol_buf_puts (&b, ",\"rule\":null");
      wpol_buf_printf (&b, ",\"store_version\":%lld", (long long) w->store_version);
    }
  wpol_buf_puts (&b, "}\n");
  if (b.s)
    fputs (b.s, out);
  wpol_buf_free (&b);
}

static void
rule_desc (const wpol_arow *w, char *buf, size_t size)
{
  if (w->rule_policy && w->rule_file)
    snprintf (buf, size, "%s:%lld (%s)", w->rule_file, (long long) w->rule_line,
              w->rule_policy);
  else
    snprintf (buf, size, "%s", nz (w->reason));
}

static int
cmd_list (const aopts *o, rows *r, FILE *out)
{
  size_t from = o->limit && (size_t) o->limit < r->n ? r->n - (size_t) o->limit : 0;
  if (o->json)
    {
      for (size_t i = from; i < r->n; i++)
        print_json (&r->v[i], out);
      return 0;
    }
  /* every string may come from a script: escaped, long ones cut */
  if (escape_rows (r, from, o->full ? 0 : WARD_ESC_MAX) < 0)
    {
      fprintf (stderr, "ward audit: out of memory\n");
      return 1;
    }
  /* widths of the variable columns */
  size_t wa = 5, wc = 6, wr = 8, wp = 6;
  for (size_t i = from; i < r->n; i++)
    {
      const wpol_arow *w = &r->v[i];
      size_t l;
      if ((l = strlen (nz (w->actor))) > wa && l < 40) wa = l;
      if ((l = strlen (nz (w->action))) > wc && l < 40) wc = l;
      if ((l = strlen (nz (w->resource))) > wr && l < 48) wr = l;
      if ((l = strlen (nz (w->pid))) > wp && l < 40) wp = l;
    }
  fprintf (out, "%-6s %-24s %-4s %-5s %-10s %-*s %-*s %-*s %-*s %s\n", "SERIAL", "TIME (UTC)",
           "RUN", "DEC", "MODE", (int) wa, "ACTOR", (int) wc, "ACTION", (int) wr, "RESOURCE",
           (int) wp, "CALLER", "RULE");
  for (size_t i = from; i < r->n; i++)
    {
      const wpol_arow *w = &r->v[i];
      char t[40], rule[512], cnt[64] = "";
      wpol_audit_time (w->ts, t, sizeof t);
      if (is_lost (w))
        {
          char tl[40];
          wpol_audit_time (w->ts_last, tl, sizeof tl);
          fprintf (out, "%-6lld %-24s %-4lld %-5s %s (from %s to %s)\n", (long long) w->serial,
                   t, (long long) w->run, "LOST", nz (w->note), t + 11, tl + 11);
          continue;
        }
      if (is_folded (w))
        {
          char tl[40];
          wpol_audit_time (w->ts_last, tl, sizeof tl);
          fprintf (out, "%-6lld %-24s %-4lld %-5s %-10s %-*s %-*s x%lld more denials until %s "
                   "(%s)\n", (long long) w->serial, t, (long long) w->run, "FOLD", nz (w->mode),
                   (int) wa, w->actor ? w->actor : "(other actors)", (int) wc, nz (w->action),
                   (long long) w->count, tl + 11, nz (w->note));
          continue;
        }
      rule_desc (w, rule, sizeof rule);
      if (w->count > 1)
        {
          char tl[40];
          wpol_audit_time (w->ts_last, tl, sizeof tl);
          snprintf (cnt, sizeof cnt, "  (x%lld until %s)", (long long) w->count, tl + 11);
        }
      char cut[128] = "";
      if (w->resource_len > 0)
        snprintf (cut, sizeof cut, "  (resource cut: %lld bytes, sha256 %.16s...)",
                  (long long) w->resource_len, nz (w->resource_sha256));
      fprintf (out, "%-6lld %-24s %-4lld %-5s %-10s %-*s %-*s %-*s %-*s %s%s%s\n",
               (long long) w->serial, t, (long long) w->run, nz (w->decision), nz (w->mode),
               (int) wa, nz (w->actor), (int) wc, nz (w->action), (int) wr, nz (w->resource),
               (int) wp, nz (w->pid), rule, cnt, cut);
    }
  if (r->n == 0)
    fprintf (out, "(no records)\n");
  return 0;
}

/* ---- stats ------------------------------------------------------------- */

typedef struct tally {
  char *key;
  int64_t n;
} tally;

typedef struct tallies {
  tally *v;
  size_t n, cap;
  wpol_htab idx;                  /* key -> index + 1 */
} tallies;

static void
tally_add (tallies *t, const char *key, int64_t n)
{
  void *at = wpol_htab_get (&t->idx, key);
  if (at)
    {
      t->v[(size_t) (uintptr_t) at - 1].n += n;
      return;
    }
  if (t->n == t->cap)
    {
      size_t cap = t->cap ? t->cap * 2 : 16;
      tally *nv = realloc (t->v, cap * sizeof *nv);
      if (nv == NULL)
        return;
      t->v = nv;
      t->cap = cap;
    }
  char *k = strdup (key);
  if (k == NULL || wpol_htab_put (&t->idx, k, (void *) (uintptr_t) (t->n + 1)) < 0)
    {
      free (k);
      return;
    }
  t->v[t->n++] = (tally) { k, n };
}

static int
tally_cmp (const void *a, const void *b)
{
  const tally *x = a, *y = b;
  if (x->n != y->n)
    return x->n < y->n ? 1 : -1;
  return strcmp (x->key, y->key);
}

static void
tallies_free (tallies *t)
{
  wpol_htab_free (&t->idx);
  for (size_t i = 0; i < t->n; i++)
    free (t->v[i].key);
  free (t->v);
}

static int
cmd_stats (const aopts *o, rows *r, FILE *out)
{
  enum { T_ACTOR, T_ACTION, T_RESOURCE, T_RULE, T_N };
  static const char *const names[] = { "actor", "action", "resource", "rule" };
  tallies t[T_N];
  memset (t, 0, sizeof t);
  int64_t total = 0, denied = 0, would = 0, allowed = 0, lost = 0, rowsn = 0, folded = 0;
  for (size_t i = 0; i < r->n; i++)
    {
      const wpol_arow *w = &r->v[i];
      if (is_lost (w))
        {
          lost += w->count;
          continue;
        }
      rowsn++;
      total += w->count;
      if (is_folded (w))
        folded += w->count;
      int deny = w->decision && strcmp (w->decision, "deny") == 0;
      if (!deny)
        allowed += w->count;
      else if (w->mode && strcmp (w->mode, "permissive") == 0)
        would += w->count;
      else
        denied += w->count;
      char rule[512];
      rule_desc (w, rule, sizeof rule);
      tally_add (&t[T_ACTOR], is_folded (w) && !w->actor ? "(other actors)" : nz (w->actor),
                 w->count);
      tally_add (&t[T_ACTION], nz (w->action), w->count);
      tally_add (&t[T_RESOURCE], is_folded (w) ? "(folded: not recorded one by one)"
                 : nz (w->resource), w->count);
      tally_add (&t[T_RULE], is_folded (w) ? "(folded: not recorded one by one)" : rule,
                 w->count);
    }
  for (int k = 0; k < T_N; k++)
    if (t[k].n)                   /* none: v is NULL, which qsort may not get */
      qsort (t[k].v, t[k].n, sizeof *t[k].v, tally_cmp);
  if (o->json)
    {
      wpol_buf b = { 0 };
      wpol_buf_printf (&b, "{\"records\":%lld,\"rows\":%lld,\"denied\":%lld,\"would_deny\":%lld,"
                       "\"allowed\":%lld,\"lost\":%lld,\"folded\":%lld", (long long) total,
                       (long long) rowsn, (long long) denied, (long long) would,
                       (long long) allowed, (long long) lost, (long long) folded);
      for (int k = 0; k < T_N; k++)
        {
          wpol_buf_printf (&b, ",\"by_%s\":{", names[k]);
          for (size_t i = 0; i < t[k].n; i++)
            {
              wpol_buf_puts (&b, i ? "," : "");
              json_text (&b, t[k].v[i].key);
              wpol_buf_printf (&b, ":%lld", (long long) t[k].v[i].n);
            }
          wpol_buf_puts (&b, "}");
        }
      wpol_buf_puts (&b, "}\n");
      if (b.s)
        fputs (b.s, out);
      wpol_buf_free (&b);
    }
  else
    {
      fprintf (out, "%lld records: %lld denied, %lld would-be denials (permissive), "
               "%lld allowed; %lld lost (records that could not be written)\n",
               (long long) total, (long long) denied, (long long) would, (long long) allowed,
               (long long) lost);
      if (folded)
        fprintf (out, "%lld of those denials folded: counted past the first of their actor "
                 "and action in a run, not recorded one by one\n", (long long) folded);
      for (int k = 0; k < T_N; k++)
        {
          fprintf (out, "\nby %s:\n", names[k]);
          size_t shown = t[k].n < 20 ? t[k].n : 20;
          for (size_t i = 0; i < shown; i++)
            {
              fprintf (out, "  %8lld  ", (long long) t[k].v[i].n);
              ward_esc_fputs (t[k].v[i].key, o->full ? 0 : WARD_ESC_MAX, out);
              fputc ('\n', out);
            }
          if (t[k].n > shown)
            fprintf (out, "  ... and %zu more\n", t[k].n - shown);
        }
    }
  for (int k = 0; k < T_N; k++)
    tallies_free (&t[k]);
  return 0;
}

/* ---- entry point ------------------------------------------------------- */

int
ward_audit_cli (int argc, char **argv)
{
  const char *cmd = "";
  int first = 1;
  for (int i = 1; i < argc; i++)
    if (strcmp (argv[i], "--help") == 0 || strcmp (argv[i], "-h") == 0)
      {
        fputs (usage_text, stdout);
        return 0;
      }
  if (argc > 1 && argv[1][0] != '-')
    {
      cmd = argv[1];
      first = 2;
      if (strcmp (cmd, "stats") != 0 && strcmp (cmd, "suggest") != 0
          && strcmp (cmd, "list") != 0 && strcmp (cmd, "help") != 0)
        {
          static const char *const cmds[] = { "stats", "suggest", "list", NULL };
          const char *sug = wpol_suggest (cmd, cmds);
          fprintf (stderr, "ward audit: unknown command `%s`%s%s%s\n%s", cmd,
                   sug ? "; did you mean `" : "", sug ? sug : "", sug ? "`?" : "", usage_text);
          return 2;
        }
      if (strcmp (cmd, "help") == 0)
        {
          fputs (usage_text, stdout);
          return 0;
        }
    }
  aopts o;
  int rc = parse_opts (argc - first, argv + first, cmd, &o);
  if (rc)
    return rc;
  int suggest = strcmp (cmd, "suggest") == 0;
  if (suggest)
    o.denied = 1;
  char path[4096];
  sqlite3 *db = open_db (&o, cmd, path, sizeof path);
  if (db == NULL)
    return 1;
  rows r;
  if (read_rows (db, &o, path, &r) < 0)
    {
      rows_free (&r);
      sqlite3_close (db);
      return 1;
    }
  sqlite3_close (db);
  if (strcmp (cmd, "stats") == 0)
    rc = cmd_stats (&o, &r, stdout);
  else if (suggest)
    {
      char header[4600], lost[160] = "", fold[200] = "";
      long long nlost = 0, nfold = 0;
      for (size_t i = 0; i < r.n; i++)
        if (is_lost (&r.v[i]))
          nlost += r.v[i].count;
        else if (is_folded (&r.v[i]))
          nfold += r.v[i].count;
      if (nfold)
        snprintf (fold, sizeof fold, ";\n# %lld more denial%s %s folded (counted, not recorded "
                  "one by one): no rule below covers what %s asked", nfold,
                  nfold == 1 ? "" : "s", nfold == 1 ? "was" : "were", nfold == 1 ? "it" : "they");
      /* what was never written cannot be suggested: say so */
      if (nlost)
        snprintf (lost, sizeof lost, ";\n# %lld more record%s could not be written (LOST in "
                  "`ward audit`): no rule below covers what %s held", nlost,
                  nlost == 1 ? "" : "s", nlost == 1 ? "it" : "they");
      snprintf (header, sizeof header, "from the denials recorded in %s%s%s%s%s%s%s%s%s", path,
                o.since ? " (--since)" : "", o.run || o.run_last ? " (--run)" : "",
                o.actor ? " (--actor " : "", o.actor ? o.actor : "", o.actor ? ")" : "",
                o.action || o.resource ? " (filtered)" : "", lost, fold);
      ward_err err;
      rc = wpol_audit_suggest (r.v, r.n, o.name ? o.name : "suggested", header, stdout, &err);
      if (rc < 0)
        fprintf (stderr, "ward audit suggest: %s\n", err.msg);
      rc = rc < 0 ? 1 : 0;
    }
  else
    rc = cmd_list (&o, &r, stdout);
  rows_free (&r);
  return rc;
}
