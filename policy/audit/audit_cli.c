/* audit_cli.c -- `ward audit [stats|suggest] [OPTIONS]`: the audit records
 * of ward runs as a table for people or NDJSON for tools, counts, and
 * policy rules that would allow the recorded denials (suggest.c). This
 * file: the options, reading the records, and the entry point; what is
 * printed is in audit_show.c. */
#include "config.h"
#include "audit_cli.h"
#include "wpg.h"
#include "wpol.h"
#include "wunit.h"
#include "wgrow.h"
#include "engine.h"
#include "wpg.h"

#include <errno.h>
#include <fnmatch.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char usage_text[] =
  "usage: ward audit [OPTIONS]          the records, oldest first\n"
  "       ward audit stats [OPTIONS]    counts by actor, action, resource,\n"
  "                                     rule (and host: a fleet trail)\n"
  "       ward audit suggest [OPTIONS]  policy rules that would allow the\n"
  "                                     denials\n"
  "\n"
  "  --audit FILE, --db FILE  the audit database (default:\n"
  "                     $XDG_STATE_HOME/ward/audit.db, else\n"
  "                     ~/.local/state/ward/audit.db)\n"
  "  --db postgresql://...  the fleet's trail, every host's records (also\n"
  "                     postgres://, key=value, PG* variables; ward-fleet(7))\n"
  "  --host NAME        only the records of host NAME (exact, or a shell\n"
  "                     pattern: 'web*'); a fleet trail shows a HOST column\n"
  "  --follow           listing: the last --limit (default 10) records,\n"
  "                     then each new one as it is written, one line each,\n"
  "                     until SIGINT or SIGTERM\n"
  "  --denied           only denials (enforced, or would-be in permissive\n"
  "                     mode)\n"
  "  --since WHEN       only records since WHEN: a duration ago (30s, 10m,\n"
  "                     2h, 7d) or a UTC time (2026-01-02T03:04:05Z,\n"
  "                     2026-01-02)\n"
  "  --actor PATTERN    only these actors (glob, as in policy files)\n"
  "  --action PATTERN   only these actions\n"
  "  --resource PATTERN only these resources\n"
  "  --run N|last       only the records of one `ward run` (its number)\n"
  "  --limit N          only the N newest records (listing)\n"
  "  --json             one JSON object per line (listing, stats)\n"
  "  --full             show long strings whole (else cut at 200 bytes)\n"
  "  --name PREFIX      suggest: name policies PREFIX.ACTOR (default\n"
  "                     suggested)\n"
  "  --policy FILE      suggest: leave out what these policy files allow\n"
  "                     now (repeatable; as `ward run --policy FILE` loads\n"
  "                     them)\n"
  "  --policy-db DB     suggest: leave out what the policy store DB allows\n"
  "                     now\n"
  "  --split            suggest: one rule per action (a wrong grant is then\n"
  "                     a line to delete, not a rule to edit)\n"
  "  --interactive      suggest: ask about each rule on the terminal (allow,\n"
  "                     allow wider, deny, skip) and write the answers to...\n"
  "  --output FILE      ... FILE, a new policy file that checks\n"
  "\n"
  "Entries of lost records (kind lost: records a failed commit could not\n"
  "write) are listed unless a pattern filter is given; a fallback file\n"
  "DB.lost left by a run is imported first. FOLD rows count the denials of\n"
  "an actor and action past the first `ward run --audit-fold` of a run. A\n"
  "resource over 1024 bytes is stored cut, with its length and SHA-256.\n"
  "Control characters in strings are shown escaped (\\n, \\x1b, ...).\n"
  "--follow shows a record once, when it is first read: a FOLD row's count\n"
  "grows after that. See ward(1) and doc/writing-policies.md.\n";

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

/* "10m" ago, or an absolute UTC time; microseconds since the epoch. */
static int
parse_since (const char *s, int64_t *out)
{
  uint64_t ms;
  struct timespec now;
  clock_gettime (CLOCK_REALTIME, &now);
  int64_t now_us = (int64_t) now.tv_sec * 1000000 + now.tv_nsec / 1000;
  if (ward_parse_duration (s, &ms, NULL) == 0)
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

/* Every option of `ward audit`, for a "did you mean". */
static const char *const option_names[] = {
  "--db", "--audit", "--denied", "--json", "--full", "--actor", "--action", "--resource",
  "--name", "--since", "--run", "--limit", "--policy", "--policy-db", "--split",
  "--interactive", "--output", "--host", "--follow", "--help", NULL };

/* The usage error of an option ward audit does not have, with the
 * nearest one when a letter or two is off (as the policy language does). */
static int
unknown_option (const char *cmd, const char *name)
{
  const char *sug = wpol_suggest (name, option_names);
  if (sug)
    return usage_error (cmd, "unknown option `%s`; did you mean `%s`?", name, sug);
  return usage_error (cmd, "unknown option `%s`", name);
}

static int
known_option (const char *name)
{
  for (size_t i = 0; option_names[i]; i++)
    if (strcmp (name, option_names[i]) == 0)
      return 1;
  return 0;
}

/* Set the option name in o, with its value v (NULL for a flag): 0, or the
 * exit status of a usage error. */
static int
set_opt (const char *name, const char *v, const char *cmd, wpol_aopts *o)
{
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
  else if (strcmp (name, "--host") == 0)
    o->host = v;
  else if (strcmp (name, "--follow") == 0)
    o->follow = 1;
  else if (strcmp (name, "--action") == 0)
    o->action = v;
  else if (strcmp (name, "--resource") == 0)
    o->resource = v;
  else if (strcmp (name, "--name") == 0)
    o->name = v;
  else if (strcmp (name, "--policy") == 0)
    {
      if (o->npolicies == WPOL_ACLI_MAX_POLICIES)
        return usage_error (cmd, "more than %d --policy files", WPOL_ACLI_MAX_POLICIES);
      o->policies[o->npolicies++] = v;
    }
  else if (strcmp (name, "--policy-db") == 0)
    o->policy_db = v;
  else if (strcmp (name, "--split") == 0)
    o->split = 1;
  else if (strcmp (name, "--interactive") == 0)
    o->interactive = 1;
  else if (strcmp (name, "--output") == 0)
    o->output = v;
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
    return unknown_option (cmd, name);
  return 0;
}

/* An option that takes no value. */
static int
is_flag (const char *name)
{
  static const char *const flags[] = { "--denied", "--json", "--full", "--split",
                                       "--interactive", "--follow", NULL };
  for (size_t i = 0; flags[i]; i++)
    if (strcmp (name, flags[i]) == 0)
      return 1;
  return 0;
}

/* The options of argv into o (`--name value` or `--name=value`): 0, or
 * the exit status of a usage error. */
static int
parse_opts (int argc, char **argv, const char *cmd, wpol_aopts *o)
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
      if (!known_option (name))
        return unknown_option (cmd, name);
      int takes = !is_flag (name);
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
      int rc = set_opt (name, v, cmd, o);
      if (rc)
        return rc;
    }
  return 0;
}

/* ---- reading ----------------------------------------------------------- */

void
wpol_acli_row_ints (wpol_arow *w, int64_t *v[WPOL_AROW_NINTS])
{
  int64_t *ints[WPOL_AROW_NINTS] = { &w->serial, &w->run, &w->ts, &w->ts_last, &w->count,
                                     &w->rule_line, &w->store_version, &w->resource_len };
  memcpy (v, ints, sizeof ints);
}

void
wpol_acli_row_strs (wpol_arow *w, char **s[WPOL_AROW_NSTRS])
{
  char **strs[WPOL_AROW_NSTRS] = {
    &w->kind, &w->decision, &w->mode, &w->actor, &w->actor_meta, &w->scope, &w->action,
    &w->resource, &w->attrs, &w->pid, &w->host, &w->reason, &w->rule_policy, &w->rule_file,
    &w->rule_text, &w->note, &w->resource_sha256, &w->hostname
  };
  memcpy (s, strs, sizeof strs);
}

void
wpol_acli_rows_free (wpol_arows *r)
{
  for (size_t i = 0; i < r->n; i++)
    {
      char **s[WPOL_AROW_NSTRS];
      wpol_acli_row_strs (&r->v[i], s);
      for (size_t k = 0; k < WPOL_AROW_NSTRS; k++)
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

int
wpol_acli_host_match (const wpol_aopts *o, const char *h)
{
  return o->host == NULL || (h && fnmatch (o->host, h, 0) == 0);
}

sqlite3 *
wpol_acli_open_db (const wpol_aopts *o, const char *cmd, char *path, size_t size)
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

/* The statement that selects the rows o asks for (the patterns apart),
 * its parameters bound, into *out: 0, or -1 (said on stderr). */
static int
select_rows (sqlite3 *db, const wpol_aopts *o, const char *path, sqlite3_stmt **out)
{
  char sql[1024];
  int64_t run = o->run;
  sqlite3_stmt *s;
  if (sqlite3_prepare_v2 (db, "SELECT max(id) FROM audit_runs", -1, &s, NULL) != SQLITE_OK)
    {
      fprintf (stderr, "ward audit: `%s` is not an audit database: %s\n", path,
               sqlite3_errmsg (db));
      return -1;
    }
  int64_t maxrun = sqlite3_step (s) == SQLITE_ROW ? sqlite3_column_int64 (s, 0) : 0;
  if (o->run_last)
    run = maxrun;
  sqlite3_finalize (s);
  if (o->run_last && run == 0)
    run = -1;                     /* no run yet: nothing matches */
  else if (o->run)
    {
      /* a run that does not exist is a mistake, not an empty answer */
      int found = 0;
      if (sqlite3_prepare_v2 (db, "SELECT 1 FROM audit_runs WHERE id = ?1", -1, &s, NULL)
          == SQLITE_OK)
        {
          sqlite3_bind_int64 (s, 1, run);
          found = sqlite3_step (s) == SQLITE_ROW;
        }
      sqlite3_finalize (s);
      if (!found)
        {
          if (maxrun > 0)
            fprintf (stderr, "ward audit: there is no run %lld in `%s` (its runs are numbered "
                     "1 to %lld; `--run last` is the newest)\n", (long long) run, path,
                     (long long) maxrun);
          else
            fprintf (stderr, "ward audit: there is no run %lld in `%s`: no run has been "
                     "recorded there\n", (long long) run, path);
          return -1;
        }
    }
  int patterns = o->actor || o->action || o->resource;
  /* a database no run of this version has written to yet lacks the
   * resource's length and digest: none is cut there */
  int has_len = sqlite3_prepare_v2 (db, "SELECT resource_len FROM audit LIMIT 0", -1, &s,
                                    NULL) == SQLITE_OK;
  sqlite3_finalize (s);
  /* with a pattern: decisions, and the folded rows of the actor and
   * action patterns (they have no resource) */
  /* --host: the hostname of the record's run (a local trail has one
   * per run), matched here. The listing's --limit, when nothing is left
   * to match here: only the newest rows are read. */
  int tail = o->tail && o->limit && !patterns && !o->host;
  snprintf (sql, sizeof sql,
            "%sSELECT serial, run, ts, ts_last, count, rule_line, store_version, %s, kind,"
            " decision, mode, actor, actor_meta, scope, action, resource, attrs, pid, host,"
            " reason, rule_policy, rule_file, rule_text, note, %s, %s FROM audit"
            " WHERE ts >= ?1%s%s%s%s ORDER BY serial%s",
            tail ? "SELECT * FROM (" : "",
            has_len ? "resource_len" : "NULL", has_len ? "resource_sha256" : "NULL",
            o->host ? "(SELECT hostname FROM audit_runs WHERE id = audit.run)" : "NULL",
            run ? " AND run = ?2" : "", o->after ? " AND serial > ?3" : "",
            o->denied ? " AND (decision = 'deny' OR kind <> 'decision')" : "",
            !patterns ? "" : o->resource ? " AND kind = 'decision'"
            : " AND kind IN ('decision', 'folded')",
            tail ? " DESC LIMIT ?4) ORDER BY serial" : "");
  if (sqlite3_prepare_v2 (db, sql, -1, &s, NULL) != SQLITE_OK)
    {
      fprintf (stderr, "ward audit: `%s` is not an audit database: %s\n", path,
               sqlite3_errmsg (db));
      return -1;
    }
  sqlite3_bind_int64 (s, 1, o->since);
  if (run)
    sqlite3_bind_int64 (s, 2, run);
  if (o->after)
    sqlite3_bind_int64 (s, 3, o->after);
  if (tail)
    sqlite3_bind_int64 (s, 4, o->limit);
  *out = s;
  return 0;
}

/* The current row of s into w (its strings malloc'd). */
static void
row_from (sqlite3_stmt *s, wpol_arow *w)
{
  memset (w, 0, sizeof *w);
  int64_t *ints[WPOL_AROW_NINTS];
  wpol_acli_row_ints (w, ints);
  for (int c = 0; c < WPOL_AROW_NINTS; c++)
    *ints[c] = sqlite3_column_int64 (s, c);
  char **strs[WPOL_AROW_NSTRS];
  wpol_acli_row_strs (w, strs);
  for (int c = 0; c < WPOL_AROW_NSTRS; c++)
    *strs[c] = col_dup (s, 8 + c);
}

int
wpol_acli_read_rows (sqlite3 *db, const wpol_aopts *o, const char *path, wpol_arows *out,
                     int64_t *last)
{
  sqlite3_stmt *s;
  memset (out, 0, sizeof *out);
  if (select_rows (db, o, path, &s) < 0)
    return -1;
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
      if (last)
        *last = sqlite3_column_int64 (s, 0);
      if (!wpol_acli_host_match (o, (const char *) sqlite3_column_text (s, 8 + WPOL_AROW_NSTRS - 1)))
        continue;
      const char *actor = (const char *) sqlite3_column_text (s, 11);
      const char *action = (const char *) sqlite3_column_text (s, 14);
      const char *resource = (const char *) sqlite3_column_text (s, 15);
      if (!match (ga, actor) || !match (gc, action) || !match (gr, resource))
        continue;
      if (WARD_GROW (out->v, out->cap, out->n + 1, 64) < 0)
        goto done;
      row_from (s, &out->v[out->n++]);
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

/* ---- entry point ------------------------------------------------------- */

/* The command (argv[1] when it is no option) into *cmd, "" for the
 * listing, and where its options start into *first. -1 to go on, else
 * the exit status: of --help or `help`, or of an unknown command. */
static int
pick_command (int argc, char **argv, const char **cmd, int *first)
{
  *cmd = "";
  *first = 1;
  for (int i = 1; i < argc; i++)
    if (strcmp (argv[i], "--help") == 0 || strcmp (argv[i], "-h") == 0)
      {
        fputs (usage_text, stdout);
        return 0;
      }
  if (argc <= 1 || argv[1][0] == '-')
    return -1;
  *cmd = argv[1];
  *first = 2;
  if (strcmp (*cmd, "stats") != 0 && strcmp (*cmd, "suggest") != 0
      && strcmp (*cmd, "list") != 0 && strcmp (*cmd, "help") != 0)
    {
      static const char *const cmds[] = { "stats", "suggest", "list", NULL };
      const char *sug = wpol_suggest (*cmd, cmds);
      fprintf (stderr, "ward audit: unknown command `%s`%s%s%s\n%s", *cmd,
               sug ? "; did you mean `" : "", sug ? sug : "", sug ? "`?" : "", usage_text);
      return 2;
    }
  if (strcmp (*cmd, "help") == 0)
    {
      fputs (usage_text, stdout);
      return 0;
    }
  return -1;
}

/* ---- suggest against the current policy -------------------------------- */

/* The engine of --policy FILE... or --policy-db DB, as `ward run` would
 * load it; NULL (said on stderr) when it does not load. */
static wpol_engine *
policy_engine (const wpol_aopts *o)
{
  ward_err err;
  wpol_engine *e = wpol_engine_new ((size_t) -1, &err);
  if (e == NULL)
    {
      fprintf (stderr, "ward audit suggest: %s\n", err.msg);
      return NULL;
    }
  wpol_diags d;
  wpol_diags_init (&d);
  int r;
  if (o->policy_db)
    {
      wpol_store *st = wpol_store_open (o->policy_db, WPOL_STORE_READONLY, &err);
      r = st ? wpol_engine_load_store (e, st, &d, &err) : -1;
      wpol_store_close (st);
    }
  else
    {
      r = wpol_engine_set_run_actor (e, "main", &err);
      if (r == 0)
        r = wpol_engine_load_files (e, o->policies, o->npolicies, &d, &err);
    }
  if (r < 0)
    {
      wpol_diags_print (&d, stderr);
      fprintf (stderr, "ward audit suggest: the current policy does not load: %s\n", err.msg);
      wpol_engine_free (e);
      e = NULL;
    }
  wpol_diags_free (&d);
  return e;
}

/* Does the engine e allow the request of the denial w now? The request is
 * rebuilt from the record: actor, action, resource, attributes, and the
 * scope when the request gave it (else the current declaration's
 * applies). The actor's metadata is not passed: a condition on it then
 * fails (which keeps the denial), never grants. Anything missing: no. */
static int
allowed_now (wpol_engine *e, const wpol_arow *w)
{
  if (w->actor == NULL || w->action == NULL || w->resource == NULL || w->resource_len > 0)
    return 0;
  static const char *const keys[] = { "pid", "host", "parent", "target.actor", "target.host",
                                       "target.parent", "path", "address" };
  char *v[8] = { 0 };
  for (size_t i = 0; i < 8 && w->attrs; i++)
    v[i] = wpol_json_get (w->attrs, keys[i]);
  ward_attrs at = { v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7] };
  const char *scope[WPOL_ACLI_MAX_POLICIES];
  char *names[WPOL_ACLI_MAX_POLICIES];
  size_t ns = 0;
  int bad = 0;
  if (w->note && strcmp (w->note, WPOL_AUDIT_NOTE_REQUEST_SCOPE) == 0 && w->scope)
    {
      ns = wpol_json_strings (w->scope, names, WPOL_ACLI_MAX_POLICIES);
      if (ns == 0 || ns == (size_t) -1)
        {
          bad = 1;                /* a request scope we cannot read: keep the denial */
          ns = 0;
        }
      for (size_t i = 0; i < ns; i++)
        scope[i] = names[i];
    }
  int yes = 0;
  if (!bad)
    {
      ward_actor a = { w->actor, NULL, 0, scope, ns };
      wpol_result r = wpol_decide (e, &a, w->action, w->resource, &at);
      yes = r.decision == WARD_ALLOW;
    }
  for (size_t i = 0; i < ns; i++)
    free (names[i]);
  for (size_t i = 0; i < 8; i++)
    free (v[i]);
  return yes;
}

/* Leave out of r the denials the current policy allows (freeing them):
 * how many denials (counts, not rows) were left out. */
static int64_t
drop_allowed (wpol_engine *e, wpol_arows *r)
{
  int64_t dropped = 0;
  size_t k = 0;
  for (size_t i = 0; i < r->n; i++)
    {
      wpol_arow *w = &r->v[i];
      int denial = w->kind && strcmp (w->kind, "decision") == 0 && w->decision
                   && strcmp (w->decision, "deny") == 0;
      if (denial && allowed_now (e, w))
        {
          dropped += w->count;
          char **s[WPOL_AROW_NSTRS];
          wpol_acli_row_strs (w, s);
          for (size_t j = 0; j < WPOL_AROW_NSTRS; j++)
            free (*s[j]);
          continue;
        }
      r->v[k++] = *w;
    }
  r->n = k;
  return dropped;
}

/* `ward audit suggest`: the rules, after a header that says where the
 * denials come from and which of them no rule below covers. */
static int
cmd_suggest (const wpol_aopts *o, wpol_arows *r, const char *path)
{
  char header[4600], lost[160] = "", fold[200] = "", known[600] = "";
  long long nlost = 0, nfold = 0;
  if (o->npolicies || o->policy_db)
    {
      wpol_engine *e = policy_engine (o);
      if (e == NULL)
        return 1;
      long long dropped = drop_allowed (e, r);
      wpol_engine_free (e);
      char pdb[256];              /* a connection string without its password */
      const char *pname = o->policy_db == NULL ? o->policies[0]
                          : wpg_is_conninfo (o->policy_db)
                          ? wpg_display (o->policy_db, pdb, sizeof pdb) : o->policy_db;
      snprintf (known, sizeof known, ";\n# %lld denial%s left out: the current policy (%s%s) "
                "allows %s now", dropped, dropped == 1 ? "" : "s",
                o->policy_db ? "--policy-db " : "--policy ", pname, dropped == 1 ? "it" : "them");
      fprintf (stderr, "ward audit suggest: %lld denial%s left out: the current policy "
               "allows %s\n", dropped, dropped == 1 ? "" : "s", dropped == 1 ? "it" : "them");
    }
  for (size_t i = 0; i < r->n; i++)
    if (wpol_acli_is_lost (&r->v[i]))
      nlost += r->v[i].count;
    else if (wpol_acli_is_quiet (&r->v[i]))
      ;                           /* a deny rule decided them: nothing to suggest */
    else if (wpol_acli_is_folded (&r->v[i]))
      nfold += r->v[i].count;
  if (nfold)
    snprintf (fold, sizeof fold, ";\n# %lld more denial%s %s folded (counted, not recorded "
              "one by one): no rule below covers what %s asked", nfold,
              nfold == 1 ? "" : "s", nfold == 1 ? "was" : "were", nfold == 1 ? "it" : "they");
  /* what was never written cannot be suggested: say so */
  if (nlost)
    snprintf (lost, sizeof lost, ";\n# %lld more record%s could not be written (LOST in "
              "`ward audit`): no rule below covers what %s held", nlost,
              nlost == 1 ? "" : "s", nlost == 1 ? "it" : "they");
  snprintf (header, sizeof header, "from the denials recorded in %s%s%s%s%s%s%s%s%s%s%s%s%s",
            path, o->host ? " (--host " : "", o->host ? o->host : "", o->host ? ")" : "",
            o->since ? " (--since)" : "", o->run || o->run_last ? " (--run)" : "",
            o->actor ? " (--actor " : "", o->actor ? o->actor : "", o->actor ? ")" : "",
            o->action || o->resource ? " (filtered)" : "", lost, fold, known);
  ward_err err;
  int rc;
  if (o->interactive)
    rc = wpol_audit_suggest_ask (r->v, r->n, o->name ? o->name : "suggested", header, stdin,
                                 stdout, o->output, &err);
  else
    rc = wpol_audit_suggest (r->v, r->n, o->name ? o->name : "suggested", header,
                             o->split ? WPOL_SUGGEST_SPLIT : 0, stdout, &err);
  if (rc < 0)
    fprintf (stderr, "ward audit suggest: %s\n", err.msg);
  return rc < 0 ? 1 : 0;
}

int
ward_audit_cli (int argc, char **argv)
{
  const char *cmd;
  int first;
  /* (main has starred the passwords of argv: a follower that runs for
   * days shows none in `ps`) */
  int rc = pick_command (argc, argv, &cmd, &first);
  if (rc >= 0)
    return rc;
  wpol_aopts o;
  rc = parse_opts (argc - first, argv + first, cmd, &o);
  if (rc)
    return rc;
  int suggest = strcmp (cmd, "suggest") == 0;
  if (suggest)
    o.denied = 1;
  else if (o.npolicies || o.policy_db || o.split || o.interactive || o.output)
    return usage_error (cmd, "%s is an option of `ward audit suggest`",
                        o.npolicies ? "--policy" : o.policy_db ? "--policy-db"
                        : o.split ? "--split" : o.interactive ? "--interactive" : "--output");
  if (o.output && !o.interactive)
    return usage_error (cmd, "--output goes with --interactive (else the text is printed)");
  if (o.interactive && o.output == NULL)
    return usage_error (cmd, "--interactive needs --output FILE (the policy file it writes)");
  if (o.interactive && access (o.output, F_OK) == 0)
    return usage_error (cmd, "`%s` exists: --interactive writes a new file (remove it, "
                        "or name another)", o.output);
  if (o.interactive && !isatty (0))
    return usage_error (cmd, "--interactive asks on a terminal, and standard input is none");
  if (o.npolicies && o.policy_db)
    return usage_error (cmd, "give either --policy FILE or --policy-db DB, not both");
  if (o.follow && cmd[0] && strcmp (cmd, "list") != 0)
    return usage_error (cmd, "--follow goes with the listing (`ward audit --follow`)");
  o.fleet = o.db && wpg_is_conninfo (o.db);
  o.tail = !cmd[0] || strcmp (cmd, "list") == 0;
  if (o.follow)
    return o.fleet ? wpol_acli_pg_follow (&o) : wpol_acli_follow (&o);
  char path[4096];
  wpol_arows r;
  if (o.fleet)
    {
      if (wpol_acli_pg_read (&o, cmd, &r, path, sizeof path) < 0)
        {
          wpol_acli_rows_free (&r);
          return 1;
        }
    }
  else
    {
      sqlite3 *db = wpol_acli_open_db (&o, cmd, path, sizeof path);
      if (db == NULL)
        return 1;
      if (wpol_acli_read_rows (db, &o, path, &r, NULL) < 0)
        {
          wpol_acli_rows_free (&r);
          sqlite3_close (db);
          return 1;
        }
      sqlite3_close (db);
    }
  if (strcmp (cmd, "stats") == 0)
    rc = wpol_acli_stats (&o, &r, stdout);
  else if (suggest)
    rc = cmd_suggest (&o, &r, path);
  else
    rc = wpol_acli_list (&o, &r, stdout);
  wpol_acli_rows_free (&r);
  return rc;
}
