/* test-audit.c -- the audit writer (records and their fields, coalescing,
 * a full queue making the caller wait while a neighbour goes on, failed
 * commits counted and written as a lost entry or into DB.lost, an older
 * schema brought up to date, long resources cut with their length and
 * SHA-256, denials folded per (actor, action) and run with every count
 * adding up, --audit-sync, flushing on stop, the default
 * path, refusing an unwritable database), the escaping of text views
 * (wesc.h) and the gate wired to the engine (ward_policy_init: files,
 * --deny on top, permissive, audit-all, failing closed). */
#include "config.h"
#include "audit.h"
#include "wpol.h"
#include "wesc.h"
#include "tap.h"

#include <pthread.h>
#include <unistd.h>
#include <sqlite3.h>
#include <time.h>
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

static const wpol_rule_loc loc = { "pol", "f.policy", 7, 3, 1, "deny process.send on \"*\";", 0 };
static const wpol_actor_info ainfo = { "plug.*", "f.policy", 2, "{\"tier\":\"gold\"}", "[\"pol\"]" };

static int
submit_as (const char *pid, const char *actor, const char *action, const char *resource,
           int permissive)
{
  ward_attrs at = { pid, "ward:main", "", "worker", "ward:main", "{ward:main|0x1}" };
  ward_actor a = { actor, NULL, 0, NULL, 0 };
  wpol_result r = { WARD_DENY, WPOL_BY_RULE, &loc, 1, 0, &ainfo };
  wpol_audit_in in = { WARD_DENY, permissive, &r, &a, action, resource, &at, 0 };
  return wpol_audit_submit (&in);
}

static int
submit (const char *actor, const char *action, const char *resource, int permissive)
{
  return submit_as ("{ward:main|0x1}", actor, action, resource, permissive);
}

/* Seconds to wait for an event before giving up: generous, and scaled by
 * WARD_TEST_TIMEOUT_SCALE on slow machines. */
static double
deadline_s (double base)
{
  const char *e = getenv ("WARD_TEST_TIMEOUT_SCALE");
  double k = e ? atof (e) : 1;
  return base * (k > 0 ? k : 1);
}

static double
mono_s (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Wait until the writer's counts satisfy pred (polled), or the deadline. */
static int
wait_counts (int (*pred) (const wpol_audit_counts *, long), long arg, double secs)
{
  double until = mono_s () + deadline_s (secs);
  for (;;)
    {
      wpol_audit_counts c;
      wpol_audit_get_counts (&c);
      if (pred (&c, arg))
        return 1;
      if (mono_s () > until)
        return 0;
      usleep (2000);
    }
}

static int
waits_at_least (const wpol_audit_counts *c, long n)
{
  return c->waits >= (uint64_t) n;
}

/* fold_after of the next start: the tests of the queue want every record
 * one by one; those of folding set it */
static size_t fold_after = (size_t) 1 << 40;

static int
start (const char *db, int sync, size_t queue, unsigned flush_ms)
{
  ward_err err;
  wpol_audit_opts o = { .path = db, .sync = sync, .queue = queue, .flush_ms = flush_ms,
                        .store = "test", .fold_after = fold_after };
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
  is_int (start (db, 0, 0, 0), 0, "the writer starts on a new database");
  submit ("plug.x", "process.send", "{ward:main|0x2}", 0);
  ward_attrs at = { "{ward:main|0x9}", "ward:main", "{ward:main|0x1}", NULL, NULL, NULL };
  const char *scope[] = { "s1", "s\"2" };
  const char *meta[] = { "k", "v\n" };
  ward_actor a = { "req.actor", meta, 1, scope, 2 };
  wpol_result r = { WARD_DENY, WPOL_NO_MATCH, NULL, 4, 0, NULL };
  wpol_audit_in in = { WARD_DENY, 1, &r, &a, "lua.require", "m\x01od", &at, 0 };
  wpol_audit_submit (&in);
  wpol_audit_stop ();
  is_int (q1 (db, "SELECT count(*) FROM audit"), 2, "stop writes what was queued (2 rows)");
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
  is_str (m, "x\"y\\z\x01", "... unescaping");
  free (m);
}

static int
exists (const char *path)
{
  return access (path, F_OK) == 0;
}

/* A run that records nothing leaves its row in the WAL (no checkpoint, no
 * fsync at its end); the next run that writes takes it in at its close. */
static void
test_quiet_close (void)
{
  const char *db = path_of ("quiet.db");
  char wal[4200];
  snprintf (wal, sizeof wal, "%s-wal", db);
  is_int (start (db, 0, 0, 0), 0, "a run that records nothing");
  wpol_audit_stop ();
  ok (exists (wal), "... leaves its WAL at its close (no checkpoint)");
  is_int (q1 (db, "SELECT count(*) FROM audit_runs"), 1, "... and its run row is readable");
  is_int (start (db, 0, 0, 0), 0, "a second such run");
  wpol_audit_stop ();
  is_int (q1 (db, "SELECT count(*) FROM audit_runs"), 2, "... adds its row");
  is_int (start (db, 0, 0, 0), 0, "a run that records a denial");
  submit ("plug.x", "process.send", "{ward:main|0x2}", 0);
  wpol_audit_stop ();
  ok (!exists (wal), "... copies the WAL into the database and removes it at its close");
  is_int (q1 (db, "SELECT count(*) FROM audit_runs"), 3, "... with every run row");
  is_int (q1 (db, "SELECT count(*) FROM audit WHERE run = 3"), 1, "... and its record");
}

/* The flooder: 10 identical records, then 90 alternating ones. */
static void *
flood (void *unused)
{
  (void) unused;
  for (int i = 0; i < 10; i++)
    submit_as ("{ward:main|0xf1}", "plug.x", "process.send", "{ward:main|0x2}", 0);
  for (int i = 0; i < 90; i++)
    submit_as ("{ward:main|0xf1}", "plug.x", "process.link", i % 2 ? "a" : "b", 0);
  return NULL;
}

static void
test_backpressure (void)
{
  const char *db = path_of ("b.db");
  is_int (start (db, 0, 64, 0), 0, "a writer with a queue of 64 (and a reserve of 16)");
  wpol_audit_hold (1);
  pthread_t t;
  pthread_create (&t, NULL, flood, NULL);
  ok (wait_counts (waits_at_least, 1, 30), "held, a flooding caller fills the queue and waits");
  wpol_audit_counts c;
  wpol_audit_get_counts (&c);
  ok (c.submitted == 65 && c.lost == 0,
      "... at its 65th record, none lost (submitted %llu, lost %llu)",
      (unsigned long long) c.submitted, (unsigned long long) c.lost);
  is_int (submit_as ("{ward:main|0x77}", "other", "process.send", "n", 0), 0,
          "a neighbour with nothing queued is not stalled: the reserve takes its record");
  wpol_audit_get_counts (&c);
  ok (c.waits == 1 && c.submitted == 66, "... without waiting (waits %llu)",
      (unsigned long long) c.waits);
  wpol_audit_hold (0);
  pthread_join (t, NULL);
  wpol_audit_stop ();
  wpol_audit_get_counts (&c);
  ok (c.submitted == 101 && c.lost == 0, "let go, the flooder finishes: 101 records, 0 lost");
  is_int (q1 (db, "SELECT count FROM audit WHERE action = 'process.send' AND actor = 'plug.x'"), 10,
          "10 identical records in a row: one row with count 10");
  is_int (q1 (db, "SELECT count(*) FROM audit WHERE action = 'process.link'"), 90,
          "alternating ones are not coalesced (90 rows)");
  ok (q1 (db, "SELECT sum(count) FROM audit") == 101
      && q1 (db, "SELECT count(*) FROM audit WHERE kind <> 'decision'") == 0,
      "every record is there (sum 101), no lost entry");
  ok (q1 (db, "SELECT min(serial) FROM audit WHERE actor = 'other'")
      < q1 (db, "SELECT max(serial) FROM audit WHERE actor = 'plug.x'"),
      "the neighbour's record went in before the flooder's last ones");
}

static int
lost_file_has (const char *db, const char *want)
{
  char p[600], line[512] = "";
  snprintf (p, sizeof p, "%s.lost", db);
  FILE *f = fopen (p, "r");
  if (f == NULL)
    return 0;
  int r = fgets (line, sizeof line, f) && strstr (line, want);
  if (!r)
    printf ("# %s: %s", p, line);
  fclose (f);
  return r;
}

static void
test_lost (void)
{
  const char *db = path_of ("l.db");
  /* --audit-sync: one commit per record, none in between (a long period) */
  setenv ("WARD_TEST_AUDIT_FAULT", "2:3", 1);
  is_int (start (db, 1, 0, 600000), 0, "WARD_TEST_AUDIT_FAULT=2:3: commits 2 and 3 fail");
  int r1 = submit ("a", "process.send", "one", 0), r2 = submit ("a", "process.send", "two", 0);
  int r3 = submit ("a", "process.send", "three", 0), r4 = submit ("a", "process.send", "four", 0);
  ok (r1 == 0 && r2 < 0 && r3 < 0 && r4 == 0,
      "--audit-sync: a record whose commit failed is reported to the caller (%d %d %d %d)",
      r1, r2, r3, r4);
  wpol_audit_counts c;
  wpol_audit_get_counts (&c);
  is_int (c.lost, 2, "2 records counted lost (%llu)", (unsigned long long) c.lost);
  wpol_audit_stop ();
  ok (db_is (db, "SELECT group_concat(resource, ' ') FROM (SELECT resource FROM audit WHERE "
             "kind = 'decision' ORDER BY serial)", "one four"), "the others are written");
  is_int (q1 (db, "SELECT count FROM audit WHERE kind = 'lost'"), 2,
          "the next commit wrote a lost entry of 2 records");
  ok (db_is (db, "SELECT reason FROM audit WHERE kind = 'lost'",
             "injected fault (WARD_TEST_AUDIT_FAULT, write 2)"), "... with the reason");
  ok (q1 (db, "SELECT (ts <= ts_last) + (ts >= (SELECT ts FROM audit WHERE resource = 'one'))"
          " + (ts_last <= (SELECT ts FROM audit WHERE resource = 'four')) FROM audit "
          "WHERE kind = 'lost'") == 3, "... and the times of the first and last lost record");
  ok (access (path_of ("l.db.lost"), F_OK) < 0, "no fallback file was needed");

  /* the database never accepts writes again: DB.lost */
  const char *db2 = path_of ("m.db");
  setenv ("WARD_TEST_AUDIT_FAULT", "2:", 1);
  is_int (start (db2, 1, 0, 600000), 0, "WARD_TEST_AUDIT_FAULT=2: every commit from 2 on fails");
  submit ("a", "process.send", "one", 0);
  submit ("a", "process.send", "two", 0);
  submit ("a", "process.send", "three", 0);
  wpol_audit_stop ();
  ok (lost_file_has (db2, "\t2\t"), "stop writes the count of 2 into DB.lost");
  is_int (q1 (db2, "SELECT count(*) FROM audit WHERE kind = 'lost'"), 0, "... not into the database");
  unsetenv ("WARD_TEST_AUDIT_FAULT");
  is_int (start (db2, 0, 0, 0), 0, "the next run on the database");
  wpol_audit_stop ();
  ok (q1 (db2, "SELECT count FROM audit WHERE kind = 'lost'") == 2
      && access (path_of ("m.db.lost"), F_OK) < 0, "... imports DB.lost and removes it");
  char p[600];
  snprintf (p, sizeof p, "%s.lost", db2);
  FILE *f = fopen (p, "w");
  fputs ("lost\t1\t7\t1000\t2000\tdisk full\n", f);
  fclose (f);
  ward_err err;
  ok (wpol_audit_import (db2, &err) == 1 && q1 (db2, "SELECT count(*) FROM audit WHERE "
                                               "kind = 'lost' AND count = 7") == 1,
      "wpol_audit_import (ward audit) imports an entry");
  f = fopen (p, "w");
  fputs ("lost\t1\t7\t1000\t2000\tdisk full\n", f);
  fclose (f);
  ok (wpol_audit_import (db2, &err) == 1 && q1 (db2, "SELECT count(*) FROM audit WHERE "
                                               "kind = 'lost' AND count = 7") == 1,
      "... once: an entry already there is not counted twice");
  f = fopen (p, "w");
  fputs ("garbage\n", f);
  fclose (f);
  ok (wpol_audit_import (db2, &err) < 0 && access (p, F_OK) == 0,
      "a file that is not lost entries is an error and is kept: %s", err.msg);
  f = fopen (p, "w");             /* what a full disk leaves: the file, no line */
  fclose (f);
  ok (wpol_audit_import (db2, &err) < 0 && access (p, F_OK) == 0 && strstr (err.msg, "is empty"),
      "an empty file is an error (records lost in unknown number) and is kept: %s", err.msg);
  long long before = q1 (db2, "SELECT count(*) FROM audit WHERE kind = 'lost'");
  f = fopen (p, "w");
  fputs ("lost\t1\t9\t3000\t4000\tx\nlost\t1\t7\t1000\t20", f);
  fclose (f);
  ok (wpol_audit_import (db2, &err) < 0 && access (p, F_OK) == 0
      && q1 (db2, "SELECT count(*) FROM audit WHERE kind = 'lost'") == before,
      "so is a line cut short, imported in no part: %s", err.msg);
  unlink (p);
}

static void
test_migrate (void)
{
  const char *db = path_of ("old.db");
  sqlite3 *h;
  sqlite3_open (db, &h);
  int rc = sqlite3_exec (h, "CREATE TABLE audit_runs (id INTEGER PRIMARY KEY, started INTEGER "
                         "NOT NULL, os_pid INTEGER NOT NULL, hostname TEXT NOT NULL, store TEXT "
                         "NOT NULL, permissive INTEGER NOT NULL, audit_all INTEGER NOT NULL);"
                         "CREATE TABLE audit (serial INTEGER PRIMARY KEY, run INTEGER, ts INTEGER "
                         "NOT NULL, ts_last INTEGER NOT NULL, count INTEGER NOT NULL DEFAULT 1, "
                         "kind TEXT NOT NULL CHECK (kind IN ('decision', 'overflow')), decision "
                         "TEXT, mode TEXT, actor TEXT, actor_meta TEXT, scope TEXT, action TEXT, "
                         "resource TEXT, attrs TEXT, pid TEXT, host TEXT, reason TEXT, rule_policy"
                         " TEXT, rule_file TEXT, rule_line INTEGER, rule_text TEXT, store_version"
                         " INTEGER, note TEXT); CREATE INDEX audit_ts ON audit(ts);"
                         "INSERT INTO audit (ts, ts_last, kind, count, note) VALUES "
                         "(1, 1, 'overflow', 5, 'old');", NULL, NULL, NULL);
  sqlite3_close (h);
  ok (rc == SQLITE_OK && start (db, 0, 0, 0) == 0, "a database of the earlier schema opens");
  wpol_audit_stop ();
  char p[600];
  snprintf (p, sizeof p, "%s.lost", db);
  FILE *f = fopen (p, "w");
  fputs ("lost\t1\t3\t1000\t2000\tdisk full\n", f);
  fclose (f);
  ward_err err;
  is_int (wpol_audit_import (db, &err), 1, "its table takes lost entries now");
  ok (q1 (db, "SELECT count(*) FROM audit WHERE kind = 'overflow' AND count = 5 AND serial = 1") == 1
      && q1 (db, "SELECT count(*) FROM sqlite_master WHERE name IN ('audit_ts', 'audit_v1')") == 1,
      "the old rows are kept, the index rebuilt, the old table gone");

  /* the schema before folding: 'lost' but not 'folded', no resource digest */
  const char *db2 = path_of ("old2.db");
  sqlite3_open (db2, &h);
  rc = sqlite3_exec (h, "CREATE TABLE audit_runs (id INTEGER PRIMARY KEY, started INTEGER "
                     "NOT NULL, os_pid INTEGER NOT NULL, hostname TEXT NOT NULL, store TEXT "
                     "NOT NULL, permissive INTEGER NOT NULL, audit_all INTEGER NOT NULL);"
                     "CREATE TABLE audit (serial INTEGER PRIMARY KEY, run INTEGER, ts INTEGER "
                     "NOT NULL, ts_last INTEGER NOT NULL, count INTEGER NOT NULL DEFAULT 1, "
                     "kind TEXT NOT NULL CHECK (kind IN ('decision', 'lost', 'overflow')), "
                     "decision TEXT, mode TEXT, actor TEXT, actor_meta TEXT, scope TEXT, action "
                     "TEXT, resource TEXT, attrs TEXT, pid TEXT, host TEXT, reason TEXT, "
                     "rule_policy TEXT, rule_file TEXT, rule_line INTEGER, rule_text TEXT, "
                     "store_version INTEGER, note TEXT); CREATE INDEX audit_ts ON audit(ts);"
                     "INSERT INTO audit (ts, ts_last, kind, count, note) VALUES "
                     "(1, 1, 'lost', 4, 'old');", NULL, NULL, NULL);
  sqlite3_close (h);
  fold_after = 1;
  ok (rc == SQLITE_OK && start (db2, 0, 0, 0) == 0, "a database of the schema before folding opens");
  for (int i = 0; i < 3; i++)
    submit ("a", "process.send", "x", 0);
  wpol_audit_stop ();
  fold_after = (size_t) 1 << 40;
  ok (q1 (db2, "SELECT count(*) FROM audit WHERE serial = 1 AND kind = 'lost' AND count = 4") == 1
      && q1 (db2, "SELECT count FROM audit WHERE kind = 'folded'") == 2
      && q1 (db2, "SELECT count(resource_len) FROM audit") == 0,
      "its rows are kept, and it takes folded rows and the resource's length");

  /* the schema before notices: every kind but 'notice' */
  const char *db3 = path_of ("old3.db");
  sqlite3_open (db3, &h);
  rc = sqlite3_exec (h, "CREATE TABLE audit_runs (id INTEGER PRIMARY KEY, started INTEGER "
                     "NOT NULL, os_pid INTEGER NOT NULL, hostname TEXT NOT NULL, store TEXT "
                     "NOT NULL, permissive INTEGER NOT NULL, audit_all INTEGER NOT NULL);"
                     "CREATE TABLE audit (serial INTEGER PRIMARY KEY, run INTEGER, ts INTEGER "
                     "NOT NULL, ts_last INTEGER NOT NULL, count INTEGER NOT NULL DEFAULT 1, "
                     "kind TEXT NOT NULL CHECK (kind IN ('decision', 'lost', 'folded', "
                     "'overflow')), decision TEXT, mode TEXT, actor TEXT, actor_meta TEXT, "
                     "scope TEXT, action TEXT, resource TEXT, attrs TEXT, pid TEXT, host TEXT, "
                     "reason TEXT, rule_policy TEXT, rule_file TEXT, rule_line INTEGER, "
                     "rule_text TEXT, store_version INTEGER, note TEXT, resource_len INTEGER, "
                     "resource_sha256 TEXT); CREATE INDEX audit_ts ON audit(ts);"
                     "INSERT INTO audit (ts, ts_last, kind, count, resource_len, resource_sha256)"
                     " VALUES (1, 1, 'decision', 1, 5000, 'ab');", NULL, NULL, NULL);
  sqlite3_close (h);
  ok (rc == SQLITE_OK && start (db3, 0, 0, 0) == 0 && wpol_audit_notice ("the store is lost") == 0,
      "a database of the schema before notices opens, and a notice is queued");
  wpol_audit_stop ();
  ok (q1 (db3, "SELECT count(*) FROM audit WHERE serial = 1 AND resource_len = 5000 AND "
          "resource_sha256 = 'ab'") == 1
      && q1 (db3, "SELECT count(*) FROM audit WHERE kind = 'notice' AND count = 1 AND "
             "note = 'the store is lost' AND run IS NOT NULL") == 1,
      "its rows are kept (with the resource's length and digest), and it holds the notice");
  ok (wpol_audit_notice ("x") < 0, "without a running writer a notice is refused");
}

/* ---- volume: long resources cut, repeated denials folded ---------------- */

static void
hex_of (const uint8_t d[32], char out[65])
{
  for (int i = 0; i < 32; i++)
    snprintf (out + 2 * i, 3, "%02x", d[i]);
}

static int
sha_is (const char *in, size_t len, const char *want)
{
  uint8_t d[32];
  char h[65];
  wpol_sha256 (in, len, d);
  hex_of (d, h);
  if (strcmp (h, want) != 0)
    printf ("#   sha256 got %s\n#         want %s\n", h, want);
  return strcmp (h, want) == 0;
}

static int
all_written (const wpol_audit_counts *c, long n)
{
  return c->written + c->coalesced + c->folded + c->lost >= (uint64_t) n;
}

static void
test_volume (void)
{
  /* the digest (FIPS 180-4 examples, and a tail on each side of a block) */
  char *ma = malloc (1000000);
  memset (ma, 'a', 1000000);
  ok (sha_is ("", 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
      && sha_is ("abc", 3, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
      && sha_is ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56,
                 "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
      && sha_is (ma, 1000000, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"),
      "SHA-256 of the standard's examples");
  free (ma);

  /* a long resource: its first 1 KiB, its length and its digest */
  const char *db = path_of ("vol.db");
  is_int (start (db, 0, 0, 0), 0, "a writer for the volume tests");
  size_t big = 60 * 1024;
  char *r1 = malloc (big + 1), *r2 = malloc (big + 1);
  memset (r1, 'r', big);
  r1[big] = '\0';
  memcpy (r2, r1, big + 1);
  r2[big - 1] = 's';             /* the same first bytes, another resource */
  submit ("v", "process.send", r1, 0);
  submit ("v", "process.send", r2, 0);
  char *edge = malloc (WPOL_AUDIT_RESOURCE_MAX + 2);
  memset (edge, 'e', WPOL_AUDIT_RESOURCE_MAX);
  edge[WPOL_AUDIT_RESOURCE_MAX] = '\0';
  submit ("v", "process.spawn", edge, 0);              /* exactly the limit: whole */
  memcpy (edge + WPOL_AUDIT_RESOURCE_MAX - 1, "\xc3\xa9", 3);   /* é across the cut */
  submit ("v", "process.link", edge, 0);
  wpol_audit_stop ();
  uint8_t d[32];
  char want[400], hex[65];
  wpol_sha256 (r1, big, d);
  hex_of (d, hex);
  snprintf (want, sizeof want, "1024|61440|%s", hex);
  ok (db_is (db, "SELECT length(resource) || '|' || resource_len || '|' || resource_sha256 "
             "FROM audit WHERE serial = 1", want),
      "a 60 KiB resource is stored as its first 1024 bytes, its length and its SHA-256");
  ok (q1 (db, "SELECT count(*) FROM audit WHERE action = 'process.send'") == 2
      && q1 (db, "SELECT count(DISTINCT resource_sha256) FROM audit WHERE action = 'process.send'") == 2,
      "two resources alike in their first 1 KiB are two rows, told apart by the digest");
  is_int (q1 (db, "SELECT length(resource) FROM audit WHERE action = 'process.spawn' "
              "AND resource_len IS NULL"), WPOL_AUDIT_RESOURCE_MAX,
          "a resource of exactly 1024 bytes is stored whole");
  is_int (q1 (db, "SELECT length(CAST(resource AS BLOB)) FROM audit WHERE action = "
              "'process.link' AND resource_len = 1025"), WPOL_AUDIT_RESOURCE_MAX - 1,
          "a cut never ends inside a UTF-8 sequence");
  free (r1);
  free (r2);
  free (edge);

  /* folding: past the first 10 denials of one (actor, action), counts */
  const char *fdb = path_of ("fold.db");
  fold_after = 10;
  is_int (start (fdb, 0, 0, 0), 0, "a writer folding past 10 denials of a pair");
  char res[32];
  for (int i = 0; i < 25; i++)
    {
      snprintf (res, sizeof res, "r%d", i);
      submit ("a", "process.send", res, 0);
    }
  for (int i = 0; i < 3; i++)
    submit ("b", "process.send", "x", 0);
  for (int i = 0; i < 12; i++)
    {
      snprintf (res, sizeof res, "s%d", i);
      submit ("a", "process.spawn", res, 0);
    }
  ok (wait_counts (all_written, 40, 60), "every denial committed or counted");
  ok (q1 (fdb, "SELECT count(*) FROM audit WHERE kind = 'decision' AND actor = 'a' AND "
          "action = 'process.send'") == 10
      && q1 (fdb, "SELECT count FROM audit WHERE kind = 'folded' AND actor = 'a' AND action = "
             "'process.send'") == 15,
      "a: 10 sends recorded one by one, 15 counted in one folded row");
  ok (q1 (fdb, "SELECT sum(count) FROM audit WHERE actor = 'b'") == 3
      && q1 (fdb, "SELECT count(*) FROM audit WHERE actor = 'b' AND kind = 'folded'") == 0,
      "b's 3 sends: below the threshold, nothing folded (per actor)");
  is_int (q1 (fdb, "SELECT count FROM audit WHERE kind = 'folded' AND action = 'process.spawn'"), 2, "a's spawns fold on their own (per action)");
  long long row = q1 (fdb, "SELECT serial FROM audit WHERE kind = 'folded' AND action = "
                      "'process.send'");
  for (int i = 0; i < 5; i++)
    submit ("a", "process.send", "later", 0);
  ok (wait_counts (all_written, 45, 60)
      && q1 (fdb, "SELECT count FROM audit WHERE kind = 'folded' AND action = "
             "'process.send'") == 20
      && q1 (fdb, "SELECT count(*) FROM audit WHERE kind = 'folded'") == 2,
      "a later batch adds to the same folded row (serial %lld): one per pair and run", row);
  wpol_audit_counts c;
  wpol_audit_get_counts (&c);
  ok (c.submitted == 45 && c.folded == 22
      && c.written + c.coalesced + c.folded + c.lost == c.submitted,
      "counts add up: %llu submitted = %llu rows + %llu coalesced + %llu folded + %llu lost",
      (unsigned long long) c.submitted, (unsigned long long) c.written,
      (unsigned long long) c.coalesced, (unsigned long long) c.folded,
      (unsigned long long) c.lost);
  wpol_audit_stop ();
  is_int (q1 (fdb, "SELECT sum(count) FROM audit"), 45, "the table's counts add up to 45");

  /* a new run starts from zero: its own threshold, its own folded row */
  is_int (start (fdb, 0, 0, 0), 0, "a second run on the same database");
  for (int i = 0; i < 12; i++)
    submit ("a", "process.send", "again", 0);
  wpol_audit_stop ();
  ok (q1 (fdb, "SELECT count FROM audit WHERE kind = 'folded' AND run = 2") == 2
      && q1 (fdb, "SELECT count(*) FROM audit WHERE run = 2 AND kind = 'decision'") >= 1,
      "the second run records its first 10 again and folds 2");

  /* --audit-sync: a folded denial returns once its count is committed */
  const char *sdb = path_of ("fsync.db");
  fold_after = 1;
  is_int (start (sdb, 1, 0, 3600000), 0, "--audit-sync, folding past 1");
  int synced = 1;
  for (int i = 0; i < 4; i++)
    {
      snprintf (res, sizeof res, "y%d", i);
      synced &= submit ("a", "process.send", res, 0) == 0
                && q1 (sdb, "SELECT sum(count) FROM audit") == i + 1;
    }
  ok (synced, "each folded denial is in the database when submit returns");
  wpol_audit_stop ();

  /* pairs past the table's room share one folded row per action */
  const char *pdb = path_of ("pairs.db");
  is_int (start (pdb, 0, 0, 0), 0, "folding past 1, with more pairs than the table holds");
  int n = WPOL_AUDIT_FOLD_PAIRS + 30;
  for (int i = 0; i < n; i++)
    {
      char actor[32];
      snprintf (actor, sizeof actor, "act%d", i);
      submit (actor, "process.send", "p", 0);
    }
  wpol_audit_stop ();
  ok (q1 (pdb, "SELECT count(*) FROM audit WHERE kind = 'decision'") == WPOL_AUDIT_FOLD_PAIRS + 1
      && q1 (pdb, "SELECT count FROM audit WHERE kind = 'folded' AND actor IS NULL") == 29
      && q1 (pdb, "SELECT sum(count) FROM audit") == n,
      "each pair's first is recorded; past %d pairs, one shared row (actor NULL) folds the rest",
      WPOL_AUDIT_FOLD_PAIRS);

  /* a failed commit loses the folded counts too, counted */
  const char *ldb = path_of ("flost.db");
  setenv ("WARD_TEST_AUDIT_FAULT", "1:", 1);
  fold_after = 2;
  is_int (start (ldb, 0, 0, 0), 0, "folding past 2, every commit failing");
  for (int i = 0; i < 7; i++)
    submit ("a", "process.send", "z", 0);
  wpol_audit_stop ();
  wpol_audit_get_counts (&c);
  unsetenv ("WARD_TEST_AUDIT_FAULT");
  ok (c.lost == 7 && c.folded == 0, "all 7 counted lost, the 5 folded ones included (%llu)",
      (unsigned long long) c.lost);
  ward_err err;
  ok (wpol_audit_import (ldb, &err) == 1
      && q1 (ldb, "SELECT sum(count) FROM audit WHERE kind = 'lost'") == 7,
      "... and their count reaches the database");
  fold_after = (size_t) 1 << 40;
}

/* ---- escaping (wesc.h) --------------------------------------------------- */

static int
esc_is (const char *in, size_t max, const char *want)
{
  char *got = ward_esc_str (in, max);
  int r = got && strcmp (got, want) == 0;
  if (!r)
    printf ("#   got %s\n#  want %s\n", got ? got : "(null)", want);
  free (got);
  return r;
}

static void
test_esc (void)
{
  ok (esc_is ("plain {ward:main|0x1} é ✓", 0, "plain {ward:main|0x1} é ✓"),
      "printable ASCII and valid UTF-8 pass");
  ok (esc_is ("a\nward: forged\r\tb\\", 0, "a\\nward: forged\\r\\tb\\\\"),
      "newline, carriage return, tab and backslash are escaped");
  ok (esc_is ("\x1b[31mred\x1b]0;title\x07\x7f", 0, "\\x1b[31mred\\x1b]0;title\\x07\\x7f"),
      "ESC (colours), OSC (a title) with BEL, DEL: \\xNN");
  ok (esc_is ("\xc2\x9b" "2J \xe2\x80\xae" "rev \xe2\x80\xa8", 0, "\\u{9b}2J \\u{202e}rev \\u{2028}"),
      "C1 controls (CSI), bidi overrides, line separators: \\u{N}");
  ok (esc_is ("a\xd8\x9c" "b\xe2\x80\x8b" "c\xe2\x80\x8c\xe2\x80\x8d" "d\xe2\x81\xa0"
               "e\xef\xbb\xbf" "f\xc2\xad" "g\xf3\xa0\x81\x81", 0,
               "a\\u{61c}b\\u{200b}c\\u{200c}\\u{200d}d\\u{2060}e\\u{feff}f\\u{ad}g\\u{e0041}"),
      "the Arabic letter mark, zero-width, invisible and tag characters as \\u{N}");
  ok (ward_esc_hidden (0x202e) && ward_esc_hidden (0x2029) && ward_esc_hidden (0x85)
      && !ward_esc_hidden (0xff) && !ward_esc_hidden (0xfffd) && !ward_esc_hidden (0x1f600)
      && !ward_esc_hidden (0x627),
      "ward_esc_hidden: format characters and separators, not letters, U+FFFD or emoji");
  ok (esc_is ("\xff\xc3(\xed\xa0\x80\xc0\xaf", 0, "\\xff\\xc3(\\xed\\xa0\\x80\\xc0\\xaf"),
      "invalid UTF-8 (stray byte, cut sequence, surrogate, overlong): each byte \\xNN");
  ok (esc_is ("abcdefgh", 5, "abcde\xe2\x80\xa6(8 bytes)") && esc_is ("abcde", 5, "abcde"),
      "a long string is cut at max bytes, saying how long it was");
  ok (esc_is ("ab\xc3\xa9z", 3, "ab\xe2\x80\xa6(5 bytes)"), "... at a character boundary");
  size_t big = 100 * 1024;
  char *s = malloc (big + 1);
  memset (s, '\n', big);
  s[big] = '\0';
  char *e = ward_esc_str (s, WARD_ESC_MAX), *full = ward_esc_str (s, 0);
  ok (e && strlen (e) == 2 * WARD_ESC_MAX + strlen ("\xe2\x80\xa6(102400 bytes)")
      && full && strlen (full) == 2 * big && strchr (full, '\n') == NULL,
      "100 KB of newlines: 200 shown, or all of them escaped (max 0)");
  free (e);
  free (full);
  free (s);
}

static void
test_sync (void)
{
  const char *db = path_of ("c.db");
  is_int (start (db, 0, 0, 60000), 0, "asynchronous, flushing every minute");
  submit ("a", "process.send", "x", 0);
  is_int (q1 (db, "SELECT count(*) FROM audit"), 0, "a record is not committed at once");
  wpol_audit_stop ();
  is_int (q1 (db, "SELECT count(*) FROM audit"), 1, "... and is on stop");
  is_int (start (db, 1, 0, 60000), 0, "--audit-sync");
  submit ("a", "process.send", "y", 0);
  is_int (q1 (db, "SELECT count(*) FROM audit WHERE resource = 'y'"), 1,
          "the record is committed before submit returns");
  wpol_audit_stop ();
  is_int (start (db, 0, 4096, 3600000), 0, "asynchronous with a queue of 4096, an hour's period");
  for (int i = 0; i < 1100; i++)
    submit ("a", "process.send", i % 2 ? "p" : "q", 0);
  double until = mono_s () + deadline_s (60);
  long long n;
  while ((n = q1 (db, "SELECT count(*) FROM audit WHERE resource IN ('p', 'q')")) < 1024
         && mono_s () < until)
    usleep (5000);
  ok (n >= 1024, "a quarter-full queue wakes the writer before its period (%lld)", n);
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
  is_int (ward_authorize (&main_a, "process.send", "x", &at), WARD_DENY,
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
  is_int (ward_policy_init (&o, &err), 0, "ward_policy_init with a policy file");
  is_int (ward_authorize (&main_a, "process.send", "x", &at), WARD_ALLOW, "the file allows");
  is_int (ward_authorize (&main_a, "process.send", "y", &at), WARD_DENY,
          "--deny ACTION=RESOURCE overrides an allow");
  is_int (ward_authorize (&main_a, "lua.require", "m", &at), WARD_DENY, "so does --deny ACTION");
  is_int (ward_authorize (&other, "process.send", "x", &at), WARD_DENY, "an empty scope denies");
  ok (ward_authorize (&main_a, NULL, "x", &at) == WARD_DENY
      && ward_authorize (NULL, "process.send", "x", &at) == WARD_DENY,
      "a malformed request is denied");
  ward_policy_shutdown ();
  is_int (q1 (db, "SELECT count(*) FROM audit"), 5, "every denial was recorded (5)");
  ok (db_is (db, "SELECT reason || ' ' || rule_policy || ' ' || rule_file || ':' || rule_line "
              "|| ' ' || rule_text FROM audit WHERE resource = 'y'",
              "--deny --deny command line:1 deny process.send on \"y\";"),
      "a --deny denial names its command-line rule");
  ok (db_is (db, "SELECT actor_meta || ' ' || scope FROM audit WHERE resource = 'm'",
              "{\"role\":\"boss\"} [\"g\"]"), "with the actor declaration's metadata and scope");
  ok (db_is (db, "SELECT reason || ' ' || scope FROM audit WHERE actor = 'other'",
              "no rule matched []"), "an empty scope: no rule matched");
  is_int (q1 (db, "SELECT count(*) FROM audit WHERE reason = 'malformed request'"), 2,
          "the malformed requests too");
  is_int (ward_authorize (&main_a, "process.send", "x", &at), WARD_DENY,
          "after ward_policy_shutdown the gate denies again");

  ward_policy_opts p = { .policy_files = files, .audit_path = db, .permissive = 1,
                         .audit_all = 1 };
  is_int (ward_policy_init (&p, &err), 0, "permissive, --audit-all");
  is_int (ward_authorize (&other, "process.send", "x", &at), WARD_ALLOW,
          "permissive: a denial is allowed");
  is_int (ward_authorize (&main_a, "process.send", "x", &at), WARD_ALLOW, "an allow stays one");
  is_int (ward_authorize (&main_a, NULL, "x", &at), WARD_DENY,
          "a malformed request is refused even when permissive");
  ward_policy_shutdown ();
  ok (db_is (db, "SELECT group_concat(decision || '/' || mode, ' ') FROM (SELECT * FROM audit "
              "WHERE run = (SELECT max(id) FROM audit_runs) ORDER BY serial)",
              "deny/permissive allow/permissive deny/permissive"),
      "recorded: the would-be denial, the allowed decision, the malformed request");
  is_int (q1 (db, "SELECT permissive + audit_all FROM audit_runs ORDER BY id DESC LIMIT 1"), 2,
          "the run row says permissive and audit-all");

  ward_policy_opts bad = { .policy_files = files, .audit_path = path_of ("no/such/dir/x.db") };
  ok (ward_policy_init (&bad, &err) < 0 && strstr (err.msg, "unaudited"),
      "an audit database that cannot be opened fails the init: %s", err.msg);
  is_int (ward_authorize (&main_a, "process.send", "x", &at), WARD_DENY,
          "... and the gate stays closed");
  /* audit_later: the open runs on the writer's thread; the run waits for
   * it before anything starts, and is refused the same way */
  bad.audit_later = 1;
  is_int (ward_policy_init (&bad, &err), 0, "audit_later: the init goes on while the database "
          "opens");
  ok (ward_policy_audit_ready (&err) < 0 && strstr (err.msg, "refusing to run unaudited")
      && strstr (err.msg, "cannot open the audit database"),
      "... and ward_policy_audit_ready refuses the run: %s", err.msg);
  is_int (ward_authorize (&main_a, "process.send", "x", &at), WARD_DENY,
          "... after which the gate is closed");
  is_int ((int) ward_policy_audit_lost (), 0, "... with no record lost (none was made)");
  ward_policy_opts later = { .policy_files = files, .audit_path = db, .audit_later = 1 };
  is_int (ward_policy_init (&later, &err), 0, "audit_later with a good database");
  is_int (ward_authorize (&main_a, "process.kill", "y", &at), WARD_DENY,
          "... a denial made before the open is waited for");
  is_int (ward_policy_audit_ready (&err), 0, "... then the database is open");
  is_int (ward_policy_audit_ready (&err), 0, "... (asked again: still 0)");
  ward_policy_shutdown ();
  is_int (q1 (db, "SELECT count(*) FROM audit WHERE run = (SELECT max(id) FROM audit_runs) "
              "AND action = 'process.kill' AND resource = 'y'"), 1,
          "... and the denial queued meanwhile is in it");
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
  is_int (ward_policy_init (&o, &err), 0, "neither --db nor --policy: the built-in policies");
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
  plan (10 + 9 + 10 + 18 + 3 + 10 + 7 + 5 + 23 + 17 + 23 + 2 + 3);
  if (mkdtemp (dir) == NULL)
    return 1;
  test_records ();
  test_quiet_close ();
  test_backpressure ();
  test_lost ();
  test_migrate ();
  test_volume ();
  test_esc ();
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
