/* test-wpg.c -- the PostgreSQL connection strings (policy/pg/wpg.c), no
 * server needed: which --db/--audit values are PostgreSQL, how a server is
 * named for people (never with a password), and the passwords starred in
 * argv so that `ps` shows none. */
#include "config.h"
#include "wpg.h"
#include "tap.h"

#include <stdlib.h>
#include <string.h>

static void
conninfo (const char *s, int want)
{
  is_int (wpg_is_conninfo (s), want, "%s %s a connection string", s,
          want ? "is" : "is not");
}

static void
display (const char *s, const char *want)
{
  char buf[256];
  is_str (wpg_display (s, buf, sizeof buf), want, "%s is shown as %s", s, want);
}

/* argv = { "ward", in }, scrubbed: argv[1] (the copy) keeps it all, the
 * original memory (what /proc/PID/cmdline shows) holds want */
static void
scrubbed (const char *in, const char *want)
{
  char *orig = strdup (in);
  char *argv[] = { "ward", orig, NULL };
  wpg_scrub_argv (2, argv);
  is_str (orig, want, "`%s` reads `%s` in ps", in, want);
  is_str (argv[1], in, "... and ward still has it whole");
  if (argv[1] != orig)
    free (argv[1]);
  free (orig);
}

int
main (void)
{
  plan (45);
  unsetenv ("PGUSER");
  unsetenv ("PGHOST");
  unsetenv ("PGPORT");
  unsetenv ("PGDATABASE");
  conninfo ("postgresql://db1/ward", 1);
  conninfo ("postgres://u:p@db1:5433/ward?sslmode=require", 1);
  conninfo ("postgresql://", 1);
  conninfo ("host=db1 dbname=ward", 1);
  conninfo ("  dbname = ward", 1);
  conninfo ("store.db", 0);
  conninfo ("/var/lib/ward/store.db", 0);
  conninfo ("a=b.db", 0);                     /* `a` is no libpq keyword */
  conninfo ("./host=x.db", 0);
  conninfo (":memory:", 0);
  conninfo ("", 0);

  display ("postgresql://alice:s3cret@db1:5433/ward", "postgresql://alice@db1:5433/ward");
  display ("host=db1 user=bob password=hunter2 dbname=fleet", "postgresql://bob@db1/fleet");
  display ("postgresql://db1/ward?password=hunter2", "postgresql://db1/ward");
  display ("host=/run/pg dbname=w", "postgresql://[/run/pg]/w");
  display ("host='unterminated", "postgresql://(unparsable)");
  setenv ("PGHOST", "envhost", 1);
  display ("dbname=w", "postgresql://envhost/w");
  unsetenv ("PGHOST");

  scrubbed ("postgresql://alice:s3cret@db1/ward", "postgresql://alice:******@db1/ward");
  scrubbed ("--db=postgresql://a:pw@h/d?password=xy&sslmode=require",
            "--db=postgresql://a:**@h/d?password=**&sslmode=require");
  scrubbed ("host=db1 password=hunter2 dbname=w", "host=db1 password=******* dbname=w");
  scrubbed ("host=db1 password = 'a b\\'c' dbname=w", "host=db1 password = '******' dbname=w");
  scrubbed ("postgresql://alice@db1/ward", "postgresql://alice@db1/ward");
  scrubbed ("store.db", "store.db");
  /* what libpq takes for a password, however it is spelt */
  scrubbed ("postgresql://u:se?cret@h/d", "postgresql://u:*******@h/d");
  scrubbed ("postgresql://u@h/d?%70assword=secret", "postgresql://u@h/d?%70assword=******");
  scrubbed ("postgresql://u@h/d?sslmode=require&sslpassword=k3y",
            "postgresql://u@h/d?sslmode=require&sslpassword=***");
  scrubbed ("postgresql://h?password=pw", "postgresql://h?password=**");
  scrubbed ("host=h password=sec\\ ret dbname=w", "host=h password=******** dbname=w");
  scrubbed ("host=h sslpassword=k3y dbname=w", "host=h sslpassword=*** dbname=w");

  /* ward policy: an argument not given to --db is only ever echoed */
  char a1[] = "postgresql://u:pw@h/d", a2[] = "postgresql://u:pw@h/f", a3[] = "--audit=host=h password=pw";
  char *pv[] = { "ward", "policy", "load", "--db", a1, a2, a3, NULL };
  wpg_scrub_argv (7, pv);
  is_str (pv[4], "postgresql://u:pw@h/d", "ward policy load --db URI: ward has the URI whole");
  is_str (pv[5], "postgresql://u:**@h/f", "... and a file argument that looks like one, starred");
  is_str (pv[6], "--audit=host=h password=pw", "... --audit=CONNINFO whole");
  is_str (a2, "postgresql://u:**@h/f", "... ps shows the stars");
  free (pv[4]);
  free (pv[6]);
  return done ();
}
