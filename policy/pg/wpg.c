/* wpg.c -- connection strings, connecting and errors of the PostgreSQL
 * backend (wpg.h). */
#include "config.h"
#include "wpg.h"
#include "policy.h"

#include <ctype.h>
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int
wpg_is_conninfo (const char *s)
{
  if (s == NULL)
    return 0;
  if (strncmp (s, "postgresql://", 13) == 0 || strncmp (s, "postgres://", 11) == 0)
    return 1;
  /* key=value: the first word must be one of libpq's keywords */
  size_t k = 0;
  while (s[k] == ' ' || s[k] == '\t')
    k++;
  size_t w = k;
  while (isalnum ((unsigned char) s[w]) || s[w] == '_')
    w++;
  size_t e = w;
  while (s[e] == ' ' || s[e] == '\t')
    e++;
  if (w == k || s[e] != '=')
    return 0;
  PQconninfoOption *opts = PQconndefaults ();
  int found = 0;
  for (PQconninfoOption *o = opts; o && o->keyword && !found; o++)
    found = strlen (o->keyword) == w - k && strncmp (o->keyword, s + k, w - k) == 0;
  PQconninfoFree (opts);
  return found;
}

static const char *
opt_value (PQconninfoOption *opts, const char *key, const char *env)
{
  for (PQconninfoOption *o = opts; o && o->keyword; o++)
    if (strcmp (o->keyword, key) == 0 && o->val && o->val[0])
      return o->val;
  const char *v = env ? getenv (env) : NULL;
  return v && v[0] ? v : NULL;
}

const char *
wpg_display (const char *conninfo, char *buf, size_t size)
{
  char *msg = NULL;
  PQconninfoOption *opts = PQconninfoParse (conninfo ? conninfo : "", &msg);
  PQfreemem (msg);
  if (opts == NULL)
    {
      snprintf (buf, size, "postgresql://(unparsable)");
      return buf;
    }
  const char *user = opt_value (opts, "user", "PGUSER");
  const char *host = opt_value (opts, "host", "PGHOST");
  const char *port = opt_value (opts, "port", "PGPORT");
  const char *db = opt_value (opts, "dbname", "PGDATABASE");
  /* a host that is a socket directory is shown in brackets */
  int dir = host && host[0] == '/';
  snprintf (buf, size, "postgresql://%s%s%s%s%s%s%s/%s", user ? user : "", user ? "@" : "",
            dir ? "[" : "", host ? host : "", dir ? "]" : "", port ? ":" : "",
            port ? port : "", db ? db : "");
  PQconninfoFree (opts);
  return buf;
}

const char *
wpg_conn_name (PGconn *conn, char *buf, size_t size)
{
  const char *host = conn ? PQhost (conn) : NULL;
  int dir = host && host[0] == '/';
  snprintf (buf, size, "postgresql://%s@%s%s%s:%s/%s", conn ? PQuser (conn) : "",
            dir ? "[" : "", host ? host : "", dir ? "]" : "", conn ? PQport (conn) : "",
            conn ? PQdb (conn) : "");
  return buf;
}

static void
no_notices (void *arg, const char *msg)
{
  (void) arg;
  (void) msg;
}

/* The first lines of libpq's message, joined by "; ", without the final
 * newline, into buf. */
static void
one_line (const char *msg, char *buf, size_t size)
{
  size_t o = 0;
  for (size_t i = 0; msg && msg[i] && o + 3 < size; i++)
    {
      if (msg[i] == '\n')
        {
          while (msg[i + 1] == ' ' || msg[i + 1] == '\t')
            i++;
          if (msg[i + 1] == '\0')
            break;
          buf[o++] = ';';
          buf[o++] = ' ';
        }
      else if (msg[i] == ' ' && o > 0 && buf[o - 1] == ' ')
        continue;
      else
        buf[o++] = (unsigned char) msg[i] < 0x20 ? ' ' : msg[i];
    }
  buf[o] = '\0';
}

/* libpq's message on a string it cannot parse quotes a piece of it: the
 * token at fault (a password that is not percent-encoded right, the
 * word after a password with a blank) or the whole URI, password and
 * all. out (size) receives msg with each quoted piece as "..." (and
 * nothing after a quote left open), but for libpq's own "=", "]" and
 * the like (one character, not a letter or digit). */
static void
unquote (const char *msg, char *out, size_t size)
{
  size_t o = 0;
  for (const char *p = msg; *p && o + 5 < size; p++)
    {
      out[o++] = *p;
      if (*p != '"')
        continue;
      const char *close = strchr (p + 1, '"');
      if (close == NULL)
        break;
      int keep = close == p + 2 && !isalnum ((unsigned char) p[1]);
      memcpy (out + o, keep ? p + 1 : "...\"", keep ? 2 : 4);
      o += keep ? 2 : 4;
      p = close;
    }
  out[o] = '\0';
}

/* 0 when libpq can parse conninfo, else -1 with err (no password in it). */
static int
parsable (const char *conninfo, ward_err *err)
{
  char *perr = NULL;
  PQconninfoOption *opts = PQconninfoParse (conninfo, &perr);
  if (opts != NULL)
    {
      PQconninfoFree (opts);
      return 0;
    }
  char line[400], msg[400];
  one_line (perr ? perr : "out of memory", line, sizeof line);
  PQfreemem (perr);
  unquote (line, msg, sizeof msg);
  return ward_err_set (err, WARD_E_INVALID, 0, "PostgreSQL connection string: %s", msg);
}

/* Defaults a connection string may override (its values, expanded from
 * dbname, come after them). TCP keepalives every 10 s after 30 s of
 * silence, 3 unanswered: a network that vanishes under a query that waits
 * for its answer (a reload, a shipment) is noticed within about a minute,
 * not the system's two hours. */
static const char *const connect_keys[] = { "connect_timeout", "fallback_application_name",
                                            "keepalives_idle", "keepalives_interval",
                                            "keepalives_count", "dbname", NULL };
#define CONNECT_VALS(conninfo) { "10", "ward", "30", "10", "3", (conninfo), NULL }

/* UTF-8 whatever PGCLIENTENCODING or the database's encoding say: a
 * policy is UTF-8, and every host must read the bytes that were loaded
 * (a LATIN1 database read by one host in LATIN1 and by another in UTF-8
 * would give them two different policies). */
#define SETUP_SQL "SET search_path TO " WPG_SCHEMA "; SET client_min_messages TO warning;" \
  " SET client_encoding TO 'UTF8'"

PGconn *
wpg_connect (const char *conninfo, ward_err *err)
{
  char name[256], msg[400];
  wpg_display (conninfo, name, sizeof name);
  if (parsable (conninfo, err) < 0)
    return NULL;
  const char *const vals[] = CONNECT_VALS (conninfo);
  PGconn *c = PQconnectdbParams (connect_keys, vals, 1);
  if (c == NULL)
    {
      ward_err_set (err, WARD_E_INTERNAL, ENOMEM, "connecting to %s", name);
      return NULL;
    }
  if (PQstatus (c) != CONNECTION_OK)
    {
      one_line (PQerrorMessage (c), msg, sizeof msg);
      ward_err_set (err, WARD_E_UNAVAILABLE, 0, "cannot connect to %s: %s", name, msg);
      PQfinish (c);
      return NULL;
    }
  PQsetNoticeProcessor (c, no_notices, NULL);
  if (wpg_exec (c, err, "setting the search path", SETUP_SQL) < 0)
    {
      PQfinish (c);
      return NULL;
    }
  return c;
}

static int64_t
mono_ms (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait for events on sock or for wake_fd, until deadline (-1: none):
 * 1 woken, 0 sock ready, -1 the deadline passed. */
static int
wait_sock (int sock, short events, int wake_fd, int64_t deadline)
{
  for (;;)
    {
      int ms = -1;
      if (deadline >= 0)
        {
          int64_t left = deadline - mono_ms ();
          if (left <= 0)
            return -1;
          ms = left > 60000 ? 60000 : (int) left;
        }
      struct pollfd fds[2] = { { .fd = wake_fd, .events = POLLIN },
                               { .fd = sock, .events = events } };
      int r = poll (fds, 2, ms);
      if (r < 0 && errno != EINTR)
        return 0;                 /* (libpq then says what is wrong) */
      if (r > 0 && (fds[0].revents & (POLLIN | POLLHUP)))
        return 1;
      if (r > 0)
        return 0;
    }
}

PGconn *
wpg_connect_wake (const char *conninfo, int wake_fd, int *woken, ward_err *err)
{
  char name[256], msg[400];
  *woken = 0;
  wpg_display (conninfo, name, sizeof name);
  if (parsable (conninfo, err) < 0)
    return NULL;
  const char *const vals[] = CONNECT_VALS (conninfo);
  PGconn *c = PQconnectStartParams (connect_keys, vals, 1);
  if (c == NULL)
    {
      ward_err_set (err, WARD_E_INTERNAL, ENOMEM, "connecting to %s", name);
      return NULL;
    }
  /* the timeout the string (or our default) sets, over the whole attempt
   * (libpq's asynchronous connection keeps none); 0 is none */
  int64_t deadline = -1;
  PQconninfoOption *opts = PQconninfo (c);
  for (PQconninfoOption *o = opts; o && o->keyword; o++)
    if (strcmp (o->keyword, "connect_timeout") == 0 && o->val && atoi (o->val) > 0)
      deadline = mono_ms () + (int64_t) (atoi (o->val) < 2 ? 2 : atoi (o->val)) * 1000;
  PQconninfoFree (opts);
  PostgresPollingStatusType st = PQstatus (c) == CONNECTION_BAD ? PGRES_POLLING_FAILED
                                                                : PGRES_POLLING_WRITING;
  const char *late = NULL;
  while (st != PGRES_POLLING_OK && st != PGRES_POLLING_FAILED && late == NULL)
    {
      int w = wait_sock (PQsocket (c), st == PGRES_POLLING_READING ? POLLIN : POLLOUT, wake_fd,
                         deadline);
      if (w > 0)
        goto woken;
      if (w < 0)
        late = "timeout expired";
      else
        st = PQconnectPoll (c);
    }
  if (st != PGRES_POLLING_OK)
    {
      one_line (late ? late : PQerrorMessage (c), msg, sizeof msg);
      ward_err_set (err, WARD_E_UNAVAILABLE, 0, "cannot connect to %s: %s", name, msg);
      PQfinish (c);
      return NULL;
    }
  PQsetNoticeProcessor (c, no_notices, NULL);
  /* the first statement, woken as well: a server may take the connection
   * and then stop answering */
  int ok = PQsendQuery (c, SETUP_SQL), said = 0;
  while (ok && PQisBusy (c))
    {
      int w = wait_sock (PQsocket (c), POLLIN, wake_fd, deadline);
      if (w > 0)
        goto woken;
      if (w < 0)
        {
          PQfinish (c);
          ward_err_set (err, WARD_E_UNAVAILABLE, 0, "cannot connect to %s: no answer to its "
                        "first statement", name);
          return NULL;
        }
      ok = PQconsumeInput (c);
    }
  PGresult *r;
  while (ok && (r = PQgetResult (c)) != NULL)
    {
      if (PQresultStatus (r) != PGRES_COMMAND_OK && !said)
        said = wpg_fail (c, r, err, "setting the search path");
      PQclear (r);
    }
  if (!ok || said)
    {
      if (!said)
        wpg_fail (c, NULL, err, "setting the search path");
      PQfinish (c);
      return NULL;
    }
  return c;
woken:
  PQfinish (c);
  *woken = 1;
  ward_err_set (err, WARD_E_UNAVAILABLE, 0, "connecting to %s: stopped", name);
  return NULL;
}

int
wpg_fail (PGconn *conn, const PGresult *res, ward_err *err, const char *what)
{
  char name[256], msg[400];
  wpg_conn_name (conn, name, sizeof name);
  const char *m = res ? PQresultErrorMessage (res) : NULL;
  if (m == NULL || m[0] == '\0')
    m = conn ? PQerrorMessage (conn) : "no connection";
  one_line (m, msg, sizeof msg);
  int lost = conn == NULL || PQstatus (conn) == CONNECTION_BAD;
  return ward_err_set (err, lost ? WARD_E_UNAVAILABLE : WARD_E_INTERNAL, 0, "%s: %s: %s%s",
                       name, what, msg, lost ? " (the connection is lost)" : "");
}

int
wpg_exec (PGconn *conn, ward_err *err, const char *what, const char *sql)
{
  PGresult *r = PQexec (conn, sql);
  ExecStatusType st = PQresultStatus (r);
  int ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
  if (!ok)
    wpg_fail (conn, r, err, what);
  PQclear (r);
  return ok ? 0 : -1;
}

/* ---- argv -------------------------------------------------------------- */

static void
star (char *from, char *to)
{
  for (; from < to; from++)
    *from = '*';
}

/* Is the URI query key k .. e (percent-encoded) one that holds a secret? */
static int
secret_key (const char *k, const char *e)
{
  char key[32];
  size_t n = 0;
  for (; k < e && n + 1 < sizeof key; n++)
    if (k[0] == '%' && k + 2 < e && isxdigit ((unsigned char) k[1])
        && isxdigit ((unsigned char) k[2]))
      {
        char hex[3] = { k[1], k[2], 0 };
        key[n] = (char) strtol (hex, NULL, 16);
        k += 3;
      }
    else
      key[n] = *k++;
  key[n] = '\0';
  return k == e && (strcmp (key, "password") == 0 || strcmp (key, "sslpassword") == 0);
}

/* The passwords of one connection string s, starred in place (more than
 * libpq would take for one, never less). */
static void
scrub (char *s)
{
  if (strncmp (s, "postgresql://", 13) == 0 || strncmp (s, "postgres://", 11) == 0)
    {
      /* libpq's user info runs to the first '@' before a '/' (a '?' in a
       * password is the password's) */
      char *auth = strstr (s, "://") + 3;
      char *end = auth + strcspn (auth, "/");
      char *at = NULL;
      for (char *p = auth; p < end; p++)
        if (*p == '@')
          at = p;
      if (at)
        {
          char *colon = memchr (auth, ':', (size_t) (at - auth));
          if (colon)
            star (colon + 1, at);
        }
      /* the query: ?password=, &sslpassword=, ?%70assword= (libpq decodes keys) */
      for (char *q = strchr (at ? at : auth, '?'); q; q = strchr (q + 1, '&'))
        {
          char *k = q + 1, *ke = k + strcspn (k, "=&");
          if (*ke == '=' && secret_key (k, ke))
            star (ke + 1, ke + 1 + strcspn (ke + 1, "&"));
        }
      return;
    }
  /* key=value: password = 'quoted \' value' or bare (where a backslash
   * escapes the next character, a blank too); sslpassword too */
  for (char *p = s; (p = strstr (p, "password")) != NULL; p += 8)
    {
      char *w = p;
      if (w - s >= 3 && strncmp (w - 3, "ssl", 3) == 0)
        w -= 3;
      if (w > s && !isspace ((unsigned char) w[-1]))
        continue;
      char *v = p + 8;
      while (isspace ((unsigned char) *v))
        v++;
      if (*v != '=')
        continue;
      v++;
      while (isspace ((unsigned char) *v))
        v++;
      char *e = v;
      if (*v == '\'')
        {
          for (e = v + 1; *e && *e != '\''; e++)
            if (*e == '\\' && e[1])
              e++;
          star (v + 1, e);
        }
      else
        {
          for (; *e && !isspace ((unsigned char) *e); e++)
            if (*e == '\\' && e[1])
              e++;
          star (v, e);
        }
    }
}

/* The copies argv points at, for the whole run (held here, where a leak
 * checker sees them, rather than only from argv). */
#define WPG_KEPT 16
static char *wpg_kept[WPG_KEPT];

/* Does the option opt (its first n bytes) take a connection string? */
static int
conninfo_option (const char *opt, size_t n)
{
  static const char *const opts[] = { "--db", "--audit", "--policy-db", NULL };
  for (size_t k = 0; opts[k]; k++)
    if (strlen (opts[k]) == n && strncmp (opts[k], opt, n) == 0)
      return 1;
  return 0;
}

void
wpg_scrub_argv (int argc, char **argv)
{
  size_t nkept = 0;
  /* `ward policy` and `ward audit` connect only with the value of an
   * option that takes a connection string: any other argument is only
   * ever echoed (a file that cannot be opened, an unexpected argument),
   * so it keeps the stars. (A script's arguments, after `ward run`'s,
   * are the script's: kept whole.) */
  int only_options = argc > 1 && (strcmp (argv[1], "policy") == 0
                                  || strcmp (argv[1], "audit") == 0);
  for (int i = 1; i < argc; i++)
    {
      char *a = argv[i];
      char *v = a;
      if (a[0] == '-' && a[1] == '-' && strchr (a, '='))
        v = strchr (a, '=') + 1;
      if (!wpg_is_conninfo (v) || !(strchr (v, ':') || strstr (v, "password")))
        continue;
      if (only_options && !(v != a ? conninfo_option (a, (size_t) (v - 1 - a))
                            : i > 1 && conninfo_option (argv[i - 1], strlen (argv[i - 1]))))
        {
          scrub (v);
          continue;
        }
      char *copy = strdup (a);
      if (copy == NULL)
        continue;                 /* left as it is: main reports the lack of memory */
      if (nkept < WPG_KEPT)
        wpg_kept[nkept++] = copy;
      argv[i] = copy;
      scrub (v);
    }
}

void
ward_policy_scrub_argv (int argc, char **argv)
{
  wpg_scrub_argv (argc, argv);
}
