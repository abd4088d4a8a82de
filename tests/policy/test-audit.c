/* test-audit.c -- the audit writer (records and their fields, coalescing,
 * a full queue counted and reported, --audit-sync, flushing on stop, the
 * default path, refusing an unwritable database) and the gate wired to the
 * engine (ward_policy_init: files, --deny on top, permissive, audit-all,
 * failing closed). */
#include "config.h"
#include "audit.h"
#include "wpol.h"
#include "tap.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[] = "/tmp/wpol-audit.XXXXXX";

static char *
path_of (const char *name)
{
  static char p[8][512];
  static int i;
  char *b = p[i++ % 8];
  snprintf (b, 512, "%s/%s", dir, name);
  return b;
}

/* One number from the database (SQL returning one integer), or -1. */
static long long
q1 (const char *db, const char *sql)
{
  sqlite3 *h;
  long long v = -1;
  if (sqlite3_open_v2 (db, &h, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK)
    {
      sqlite3_stmt *s;
      if (sqlite3_prepare_v2 (h, sql, -1, &s, NULL) == SQLITE_OK)
        {
          if (sqlite3_step (s) == SQLITE_ROW)
            v = sqlite3_column_int64 (s, 0);
          sqlite3_finalize (s);
        }
      else
        printf ("# %s: %s\n", sql, sqlite3_errmsg (h));
    }
  sqlite3_close (h);
  return v;
}

static char *
qs (const char *db, const char *sql)
{
  sqlite3 *h;
  char *v = NULL;
  if (sqlite3_open_v2 (db, &h, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK)
    {
      sqlite3_stmt *s;
      if (sqlite3_prepare_v2 (h, sql, -1, &s, NULL) == SQLITE_OK)
        {
          if (sqlite3_step (s) == SQLITE_ROW && sqlite3_column_text (s, 0))
            v = strdup ((const char *) sqlite3_column_text (s, 0));
          sqlite3_finalize (s);
        }
    }
  sqlite3_close (h);
  return v;
}

static int
db_is (const char *db, const char *sql, const char *want)
{
  char *got = qs (db, sql);
  int r = got && strcmp (got, want) == 0;
  if (!r)
    printf ("# %s\n#   got %s\n#  want %s\n", sql, got ? got : "(null)", want);
  free (got);
  return r;
}

static const wpol_rule_loc loc = { "pol", "f.policy", 7, 3, 1, "deny process.send on \"*\";" };
static const wpol_actor_info ainfo = { "plug.*", "f.policy", 2, "{\"tier\":\"gold\"}", "[\"pol\"]" };

static void
submit (const char *actor, const char *action, const char *resource, int permissive)
{
  ward_attrs at = { "{ward:main|0x1}", "ward:main", "", "worker", "ward:main", "{ward:main|0x1}" };
  ward_actor a = { actor, NULL, 0, NULL, 0 };
  wpol_result r = { WARD_DENY, WPOL_BY_RULE, &loc, 1, 0, &ainfo };
  wpol_audit_in in = { WARD_DENY, permissive, &r, &a, action, resource, &at };
  wpol_audit_submit (&in);
}

static int
start (const char *db, int sync, size_t queue, unsigned flush_ms)
{
  ward_err err;
  wpol_audit_opts o = { .path = db, .sync = sync, .queue = queue, .flush_ms = flush_ms,
                        .store = "test" };
  if (wpol_audit_start (&o, &err) < 0)
    {
      printf ("# %s\n", err.msg);
      return -1;
    }
  return 0;
}

static void
test_records (void)
{
  const char *db = path_of ("a.db");
  ok (start (db, 0, 0, 0) == 0, "the writer starts on a new database");
  submit ("plug.x", "process.send", "{ward:main|0x2}", 0);
  ward_attrs at = { "{ward:main|0x9}", "ward:main", "{ward:main|0x1}", NULL, NULL, NULL };
  const char *scope[] = { "s1", "s\"2" };
  const char *meta[] = { "k", "v\n" };
  ward_actor a = { "req.actor", meta, 1, scope, 2 };
  wpol_result r = { WARD_DENY, WPOL_NO_MATCH, NULL, 4, 0, NULL };
  wpol_audit_in in = { WARD_DENY, 1, &r, &a, "lua.require", "m\x01od", &at };
  wpol_audit_submit (&in);
  wpol_audit_stop ();
  ok (q1 (db, "SELECT count(*) FROM audit") == 2, "stop writes what was queued (2 rows)");
  ok (db_is (db, "SELECT decision || ' ' || mode || ' ' || actor || ' ' || actor_meta || ' ' || "
              "scope || ' ' || action || ' ' || resource FROM audit WHERE serial = 1",
              "deny enforcing plug.x {\"tier\":\"gold\"} [\"pol\"] process.send {ward:main|0x2}"),
      "decision, mode, actor, its declared meta and scope, action, resource");
  ok (db_is (db, "SELECT attrs FROM audit WHERE serial = 1",
              "{\"pid\":\"{ward:main|0x1}\",\"host\":\"ward:main\",\"parent\":\"\","
              "\"target.actor\":\"worker\",\"target.host\":\"ward:main\","
              "\"target.parent\":\"{ward:main|0x1}\"}"), "attributes as a JSON object");
  ok (db_is (db, "SELECT pid || ' ' || host || ' ' || reason || ' ' || rule_policy || ' ' || "
              "rule_file || ':' || rule_line || ' ' || rule_text || ' v' || store_version "
              "FROM audit WHERE serial = 1",
              "{ward:main|0x1} ward:main rule pol f.policy:7 deny process.send on \"*\"; v1"),
      "caller PID and host, the deciding rule (policy, file:line, text), the version");
  ok (db_is (db, "SELECT mode || ' ' || reason || ' ' || scope || ' ' || actor_meta || ' ' || "
              "resource || ' ' || (rule_policy IS NULL) || ' v' || store_version "
              "FROM audit WHERE serial = 2",
              "permissive no rule matched [\"s1\",\"s\\\"2\"] {\"k\":\"v\\n\"} m\x01od 1 v4"),
      "a would-be denial: the request's scope and meta (JSON-escaped), no rule");
  ok (db_is (db, "SELECT attrs FROM audit WHERE serial = 2",
              "{\"pid\":\"{ward:main|0x9}\",\"host\":\"ward:main\",\"parent\":\"{ward:main|0x1}\"}"),
      "attributes that are not set are left out");
  ok (q1 (db, "SELECT count(*) FROM audit_runs WHERE store = 'test'") == 1
      && q1 (db, "SELECT count(*) FROM audit WHERE run = (SELECT max(id) FROM audit_runs)") == 2,
      "one run row; the records point at it");
  char *attrs = qs (db, "SELECT attrs FROM audit WHERE serial = 1");
  char *tp = attrs ? wpol_json_get (attrs, "target.parent") : NULL, *no = attrs ? wpol_json_get (attrs, "nope") : NULL;
  ok (tp && strcmp (tp, "{ward:main|0x1}") == 0 && no == NULL, "wpol_json_get reads them back");
  free (tp);
  free (attrs);
  char *m = wpol_json_get ("{\"a\":\"x\\\"y\\\\z\\u0001\"}", "a");
  ok (m && strcmp (m, "x\"y\\z\x01") == 0, "... unescaping");
  free (m);
}

static void
test_coalesce_overflow (void)
{
  const char *db = path_of ("b.db");
  ok (start (db, 0, 16, 0) == 0, "a writer with a queue of 16");
  wpol_audit_hold (1);
  for (int i = 0; i < 10; i++)
    submit ("plug.x", "process.send", "{ward:main|0x2}", 0);
  for (int i = 0; i < 90; i++)
    submit ("plug.x", "process.link", i % 2 ? "a" : "b", 0);
  wpol_audit_counts c;
  wpol_audit_get_counts (&c);
  ok (c.submitted == 100 && c.lost == 84, "held, 100 submitted: 16 queued, 84 lost (%llu, %llu)",
      (unsigned long long) c.submitted, (unsigned long long) c.lost);
  wpol_audit_hold (0);
  wpol_audit_stop ();
  ok (q1 (db, "SELECT count FROM audit WHERE action = 'process.send'") == 10,
      "10 identical records in a row: one row with count 10");
  ok (q1 (db, "SELECT count(*) FROM audit WHERE action = 'process.link'") == 6,
      "alternating ones are not coalesced (6 rows)");
  ok (q1 (db, "SELECT count FROM audit WHERE kind = 'overflow'") == 84,
      "an overflow record counts the 84 lost");
  ok (q1 (db, "SELECT sum(count) FROM audit") == 100, "nothing vanished unaccounted (sum 100)");
  char *note = qs (db, "SELECT note FROM audit WHERE kind = 'overflow'");
  ok (note && strstr (note, "84 records lost") != NULL, "with a note: %s", note ? note : "-");
  free (note);
}

static void
test_sync (void)
{
  const char *db = path_of ("c.db");
  ok (start (db, 0, 0, 60000) == 0, "asynchronous, flushing every minute");
  submit ("a", "process.send", "x", 0);
  usleep (100000);
  ok (q1 (db, "SELECT count(*) FROM audit") == 0, "a record is not committed at once");
  wpol_audit_stop ();
  ok (q1 (db, "SELECT count(*) FROM audit") == 1, "... and is on stop");
  ok (start (db, 1, 0, 60000) == 0, "--audit-sync");
  submit ("a", "process.send", "y", 0);
  ok (q1 (db, "SELECT count(*) FROM audit WHERE resource = 'y'") == 1,
      "the record is committed before submit returns");
  wpol_audit_stop ();
  ok (start (db, 0, 4096, 60000) == 0, "asynchronous with a queue of 4096");
  for (int i = 0; i < 1100; i++)
    submit ("a", "process.send", i % 2 ? "p" : "q", 0);
  usleep (300000);
  ok (q1 (db, "SELECT count(*) FROM audit WHERE resource IN ('p', 'q')") >= 1024,
      "a quarter-full queue wakes the writer before its period");
  wpol_audit_stop ();
}

static void
test_paths (void)
{
  char p[1024];
  ward_err err;
  setenv ("XDG_STATE_HOME", path_of ("state"), 1);
  ok (wpol_audit_default_path (p, sizeof p, 1, &err) == 0
      && strcmp (p, path_of ("state/ward/audit.db")) == 0 && access (path_of ("state/ward"), W_OK) == 0,
      "$XDG_STATE_HOME/ward/audit.db, its directory created");
  setenv ("XDG_STATE_HOME", "relative", 1);
  setenv ("HOME", path_of ("home"), 1);
  ok (wpol_audit_default_path (p, sizeof p, 1, &err) == 0
      && strcmp (p, path_of ("home/.local/state/ward/audit.db")) == 0
      && access (path_of ("home/.local/state/ward"), W_OK) == 0,
      "else ~/.local/state/ward/audit.db (a relative XDG_STATE_HOME is ignored)");
  unsetenv ("XDG_STATE_HOME");
  wpol_audit_opts o = { .path = path_of ("missing/dir/a.db") };
  ok (wpol_audit_start (&o, &err) < 0 && strstr (err.msg, "cannot open the audit database"),
      "a database that cannot be created is an error: %s", err.msg);
  FILE *f = fopen (path_of ("junk.db"), "w");
  fputs ("this is not a database, not at all, not even close to one.....", f);
  fclose (f);
  o.path = path_of ("junk.db");
  ok (wpol_audit_start (&o, &err) < 0, "so is a file that is not a database: %s", err.msg);
  if (geteuid () == 0)
    ok (1, "# SKIP read-only file (root ignores file modes)");
  else
    {
      o.path = path_of ("a.db");
      chmod (o.path, 0444);
      ok (wpol_audit_start (&o, &err) < 0, "and a read-only one: %s", err.msg);
      chmod (o.path, 0644);
    }
}

/* ---- the gate ---------------------------------------------------------- */

static void
test_gate (void)
{
  ward_actor main_a = { "main", NULL, 0, NULL, 0 }, other = { "other", NULL, 0, NULL, 0 };
  ward_attrs at = { "{ward:main|0x1}", "ward:main", "", NULL, NULL, NULL };
  ok (ward_authorize (&main_a, "process.send", "x", &at) == WARD_DENY,
      "before ward_policy_init the gate denies");
  const char *pf = path_of ("g.policy");
  FILE *f = fopen (pf, "w");
  fputs ("policy \"g\" {\n  allow process.send on \"x\", \"y\";\n  allow lua.require on \"m\";\n}\n"
         "actor \"main\" { scope = [\"g\"]; role = \"boss\"; }\nactor \"other\" { scope = []; }\n", f);
  fclose (f);
  const char *files[] = { pf, NULL }, *deny[] = { "process.send=y", "lua.require", NULL };
  const char *db = path_of ("g.db");
  ward_policy_opts o = { .deny = deny, .policy_files = files, .audit_path = db };
  ward_err err;
  ok (ward_policy_init (&o, &err) == 0, "ward_policy_init with a policy file");
  ok (ward_authorize (&main_a, "process.send", "x", &at) == WARD_ALLOW, "the file allows");
  ok (ward_authorize (&main_a, "process.send", "y", &at) == WARD_DENY,
      "--deny ACTION=RESOURCE overrides an allow");
  ok (ward_authorize (&main_a, "lua.require", "m", &at) == WARD_DENY, "so does --deny ACTION");
  ok (ward_authorize (&other, "process.send", "x", &at) == WARD_DENY, "an empty scope denies");
  ok (ward_authorize (&main_a, NULL, "x", &at) == WARD_DENY
      && ward_authorize (NULL, "process.send", "x", &at) == WARD_DENY,
      "a malformed request is denied");
  ward_policy_shutdown ();
  ok (q1 (db, "SELECT count(*) FROM audit") == 5, "every denial was recorded (5)");
  ok (db_is (db, "SELECT reason || ' ' || rule_policy || ' ' || rule_file || ':' || rule_line "
              "|| ' ' || rule_text FROM audit WHERE resource = 'y'",
              "--deny --deny command line:1 deny process.send on \"y\";"),
      "a --deny denial names its command-line rule");
  ok (db_is (db, "SELECT actor_meta || ' ' || scope FROM audit WHERE resource = 'm'",
              "{\"role\":\"boss\"} [\"g\"]"), "with the actor declaration's metadata and scope");
  ok (db_is (db, "SELECT reason || ' ' || scope FROM audit WHERE actor = 'other'",
              "no rule matched []"), "an empty scope: no rule matched");
  ok (q1 (db, "SELECT count(*) FROM audit WHERE reason = 'malformed request'") == 2,
      "the malformed requests too");
  ok (ward_authorize (&main_a, "process.send", "x", &at) == WARD_DENY,
      "after ward_policy_shutdown the gate denies again");

  ward_policy_opts p = { .policy_files = files, .audit_path = db, .permissive = 1,
                         .audit_all = 1 };
  ok (ward_policy_init (&p, &err) == 0, "permissive, --audit-all");
  ok (ward_authorize (&other, "process.send", "x", &at) == WARD_ALLOW,
      "permissive: a denial is allowed");
  ok (ward_authorize (&main_a, "process.send", "x", &at) == WARD_ALLOW, "an allow stays one");
  ok (ward_authorize (&main_a, NULL, "x", &at) == WARD_DENY,
      "a malformed request is refused even when permissive");
  ward_policy_shutdown ();
  ok (db_is (db, "SELECT group_concat(decision || '/' || mode, ' ') FROM (SELECT * FROM audit "
              "WHERE run = (SELECT max(id) FROM audit_runs) ORDER BY serial)",
              "deny/permissive allow/permissive deny/permissive"),
      "recorded: the would-be denial, the allowed decision, the malformed request");
  ok (q1 (db, "SELECT permissive + audit_all FROM audit_runs ORDER BY id DESC LIMIT 1") == 2,
      "the run row says permissive and audit-all");

  ward_policy_opts bad = { .policy_files = files, .audit_path = path_of ("no/such/dir/x.db") };
  ok (ward_policy_init (&bad, &err) < 0 && strstr (err.msg, "unaudited"),
      "an audit database that cannot be opened fails the init: %s", err.msg);
  ok (ward_authorize (&main_a, "process.send", "x", &at) == WARD_DENY,
      "... and the gate stays closed");
  const char *nofile[] = { path_of ("nope.policy"), NULL };
  ward_policy_opts nf = { .policy_files = nofile, .audit_path = db };
  ok (ward_policy_init (&nf, &err) < 0, "a missing policy file fails the init: %s", err.msg);
  ward_policy_opts nodb = { .db_path = path_of ("nope.db"), .audit_path = db };
  ok (ward_policy_init (&nodb, &err) < 0 && strstr (err.msg, "ward policy load"),
      "a missing store fails, saying how to make one: %s", err.msg);
}

static void
test_builtin (void)
{
  ward_actor m = { "main", NULL, 0, NULL, 0 }, u = { "untrusted", NULL, 0, NULL, 0 },
             bob = { "bob", NULL, 0, NULL, 0 };
  ward_attrs at = { "{ward:main|0x1}", "ward:main", "", NULL, NULL, NULL };
  ward_policy_opts o = { .audit_path = path_of ("d.db") };
  ward_err err;
  ok (ward_policy_init (&o, &err) == 0, "neither --db nor --policy: the built-in policies");
  static const char *const reqs[][2] = {
    { "process.spawn", "app.workers:resize" }, { "process.spawn.monitored", "a:b" },
    { "process.spawn.linked", "a:b" }, { "process.exec", "a.b.c:d" },
    { "process.host", "ward:main" }, { "process.host", "ward:sandbox" },
    { "process.host", "ward:context.3" }, { "process.send", "{ward:main|0x2}" },
    { "process.terminate", "{ward:main|0x2}" }, { "process.cancel", "{ward:main|0x2}" },
    { "process.monitor", "{ward:main|0x2}" }, { "process.unmonitor", "{ward:main|0x2}" },
    { "process.link", "{ward:main|0x2}" }, { "process.unlink", "{ward:main|0x2}" },
    { "process.context", "context" }, { "process.security", "security" },
    { "process.registry.register", "svc" }, { "process.registry.unregister", "a.b" },
    { "lua.require", "util" }, { "lua.require", "a.b.c" } };
  int all = 1, none = 1;
  size_t nreqs = sizeof reqs / sizeof reqs[0];
  for (size_t i = 0; i < nreqs; i++)
    {
      if (ward_authorize (&m, reqs[i][0], reqs[i][1], &at) != WARD_ALLOW)
        {
          printf ("# main denied: %s on %s\n", reqs[i][0], reqs[i][1]);
          all = 0;
        }
      if (ward_authorize (&bob, reqs[i][0], reqs[i][1], &at) != WARD_DENY)
        {
          printf ("# bob allowed: %s on %s\n", reqs[i][0], reqs[i][1]);
          none = 0;
        }
    }
  ok (all, "main may use the whole API");
  ok (none, "an actor no declaration matches (bob) may use none of it");
  ok (ward_authorize (&u, "process.host", "ward:main", &at) == WARD_DENY
      && ward_authorize (&u, "process.security", "security", &at) == WARD_DENY
      && ward_authorize (&u, "process.host", "ward:sandbox", &at) == WARD_ALLOW,
      "untrusted gets only what untrusted.policy grants");
  ward_policy_shutdown ();
  ok (db_is (path_of ("d.db"), "SELECT store FROM audit_runs",
              "built-in default.policy, untrusted.policy"), "the run row names the source");
  char want[64];
  snprintf (want, sizeof want, "%zu actor `bob` is not declared", nreqs);
  ok (db_is (path_of ("d.db"), "SELECT sum(count) || ' ' || min(reason) || "
             "CASE WHEN min(reason) = max(reason) THEN '' ELSE ' (mixed)' END FROM audit "
             "WHERE actor = 'bob' AND decision = 'deny'", want),
      "every denial of bob is recorded with the reason `actor `bob` is not declared`");

  /* --policy FILE without actor declarations: the run's actor, nobody else */
  const char *pf = path_of ("bare.policy");
  FILE *f = fopen (pf, "w");
  fputs ("policy \"bare\" {\n  allow process.send on \"x\";\n}\n", f);
  fclose (f);
  const char *files[] = { pf, NULL };
  ward_policy_opts po = { .policy_files = files, .audit_path = path_of ("bare.db"),
                          .run_actor = "runner" };
  ward_actor runner = { "runner", NULL, 0, NULL, 0 };
  ok (ward_policy_init (&po, &err) == 0 && ward_authorize (&runner, "process.send", "x", &at) == WARD_ALLOW
      && ward_authorize (&runner, "process.send", "y", &at) == WARD_DENY,
      "a --policy file that declares no actor applies to the run's actor");
  ok (ward_authorize (&m, "process.send", "x", &at) == WARD_DENY
      && ward_authorize (&bob, "process.send", "x", &at) == WARD_DENY,
      "... and to no other actor");
  ward_policy_shutdown ();
}

int
main (void)
{
  plan (10 + 7 + 7 + 5 + 23 + 8);
  if (mkdtemp (dir) == NULL)
    return 1;
  test_records ();
  test_coalesce_overflow ();
  test_sync ();
  test_paths ();
  test_gate ();
  test_builtin ();
  int r = done ();
  char cmd[600];
  snprintf (cmd, sizeof cmd, "rm -rf '%s'", dir);
  if (system (cmd) != 0)
    r = 1;
  return r;
}
