/* wpg.c -- connection strings, connecting and errors of the PostgreSQL
 * backend (wpg.h). */
#include "config.h"
#include "wpg.h"
#include "policy.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

PGconn *
wpg_connect (const char *conninfo, ward_err *err)
{
  char name[256], msg[400];
  wpg_display (conninfo, name, sizeof name);
  char *perr = NULL;
  PQconninfoOption *opts = PQconninfoParse (conninfo, &perr);
  if (opts == NULL)
    {
      one_line (perr ? perr : "out of memory", msg, sizeof msg);
      PQfreemem (perr);
      ward_err_set (err, WARD_E_INVALID, 0, "PostgreSQL connection string: %s", msg);
      return NULL;
    }
  PQconninfoFree (opts);
  const char *const keys[] = { "connect_timeout", "fallback_application_name", "dbname", NULL };
  const char *const vals[] = { "10", "ward", conninfo, NULL };
  PGconn *c = PQconnectdbParams (keys, vals, 1);
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
  if (wpg_exec (c, err, "setting the search path",
                "SET search_path TO " WPG_SCHEMA "; SET client_min_messages TO warning") < 0)
    {
      PQfinish (c);
      return NULL;
    }
  return c;
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

/* The passwords of one connection string s, starred in place. */
static void
scrub (char *s)
{
  if (strncmp (s, "postgresql://", 13) == 0 || strncmp (s, "postgres://", 11) == 0)
    {
      char *auth = strstr (s, "://") + 3;
      char *end = auth + strcspn (auth, "/?");
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
      for (char *q = strchr (end, '?'); q; q = strchr (q + 1, '&'))
        if (strncmp (q + 1, "password=", 9) == 0)
          star (q + 10, q + 10 + strcspn (q + 10, "&"));
      return;
    }
  /* key=value: password = 'quoted \' value' or bare */
  for (char *p = s; (p = strstr (p, "password")) != NULL; p += 8)
    {
      if (p > s && !isspace ((unsigned char) p[-1]))
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
          while (*e && !isspace ((unsigned char) *e))
            e++;
          star (v, e);
        }
    }
}

/* The copies argv points at, for the whole run (held here, where a leak
 * checker sees them, rather than only from argv). */
#define WPG_KEPT 16
static char *wpg_kept[WPG_KEPT];

void
wpg_scrub_argv (int argc, char **argv)
{
  size_t nkept = 0;
  for (int i = 1; i < argc; i++)
    {
      char *a = argv[i];
      char *v = a;
      if (a[0] == '-' && a[1] == '-' && strchr (a, '='))
        v = strchr (a, '=') + 1;
      if (!wpg_is_conninfo (v) || !(strchr (v, ':') || strstr (v, "password")))
        continue;
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
