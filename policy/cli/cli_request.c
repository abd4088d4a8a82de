/* cli_request.c -- `ward policy explain` and `ward policy test`: requests
 * given on the command line or in a test file, decided by an engine loaded
 * from a store or from policy files. */
#include "config.h"
#include "cli.h"
#include "wesc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ATTRS 64

typedef struct request {
  const char *actor, *action, *resource;
  ward_attrs attrs;
  const char *scope[MAX_ATTRS];
  size_t nscope;
  const char *meta[2 * MAX_ATTRS];
  size_t nmeta;
  char *owned[4 * MAX_ATTRS];     /* strings to free */
  size_t nowned;
} request;

static void
request_free (request *q)
{
  for (size_t i = 0; i < q->nowned; i++)
    free (q->owned[i]);
  q->nowned = 0;
}

static char *
own (request *q, const char *s, size_t n)
{
  if (q->nowned == sizeof q->owned / sizeof q->owned[0])
    return NULL;
  char *c = strndup (s, n);
  if (c)
    q->owned[q->nowned++] = c;
  return c;
}

/* Apply KEY=VALUE to q; NULL on success, or a message. */
static const char *
request_set (request *q, const char *kv)
{
  const char *eq = strchr (kv, '=');
  if (eq == NULL)
    return "expected KEY=VALUE";
  size_t kl = (size_t) (eq - kv);
  const char *v = eq + 1;
  char *val = own (q, v, strlen (v));
  if (val == NULL)
    return "too many attributes";
#define KEY(s) (kl == sizeof s - 1 && strncmp (kv, s, kl) == 0)
  if (KEY ("pid"))
    q->attrs.pid = val;
  else if (KEY ("host"))
    q->attrs.host = val;
  else if (KEY ("parent"))
    q->attrs.parent = val;
  else if (KEY ("target.actor"))
    q->attrs.target_actor = val;
  else if (KEY ("target.host"))
    q->attrs.target_host = val;
  else if (KEY ("target.parent"))
    q->attrs.target_parent = val;
  else if (KEY ("path"))
    q->attrs.path = val;
  else if (KEY ("address"))
    q->attrs.address = val;
  else if (KEY ("scope"))
    {
      for (char *s = val; *s;)
        {
          char *c = strchr (s, ',');
          if (c)
            *c = '\0';
          if (*s && q->nscope < MAX_ATTRS)
            q->scope[q->nscope++] = s;
          if (c == NULL)
            break;
          s = c + 1;
        }
    }
  else if (kl > 5 && strncmp (kv, "meta.", 5) == 0 && q->nmeta < MAX_ATTRS)
    {
      char *k = own (q, kv + 5, kl - 5);
      if (k == NULL)
        return "too many attributes";
      q->meta[2 * q->nmeta] = k;
      q->meta[2 * q->nmeta + 1] = val;
      q->nmeta++;
    }
  else
    return "unknown key (pid, host, parent, target.actor, target.host, target.parent, path, address, "
      "scope, meta.NAME)";
#undef KEY
  return NULL;
}

static wpol_result
request_decide (wpol_engine *e, const request *q, wpol_trace_fn trace, void *ud)
{
  ward_actor a = { q->actor, q->meta, q->nmeta, q->scope, q->nscope };
  if (trace)
    return wpol_decide_traced (e, &a, q->action, q->resource, &q->attrs, trace, ud);
  return wpol_decide (e, &a, q->action, q->resource, &q->attrs);
}

static void
describe_result (const wpol_result *r, const char *actor, char *buf, size_t size)
{
  switch (r->reason)
    {
    case WPOL_UNDECLARED:
      snprintf (buf, size, "actor `%s` is not declared (no declaration matches it and the "
                "request has no scope: every request it makes is denied)", actor);
      break;
    case WPOL_NO_MATCH:
      snprintf (buf, size, "no rule matched (default deny)");
      break;
    case WPOL_BAD_REQUEST:
      snprintf (buf, size, "malformed request (fails closed)");
      break;
    default:
      snprintf (buf, size, "%s:%u (policy \"%s\")%s%s", r->rule->file, r->rule->line,
                r->rule->policy, r->reason == WPOL_BY_RULE_ERROR ? ", condition error: fails closed" : "",
                r->rule->quiet && r->reason == WPOL_BY_RULE
                ? ", quiet: the denial is counted, not recorded one by one" : "");
    }
}

/* Parse --db/--policy options (collected in order) into an engine. */
static wpol_engine *
engine_from (const char *cmd, const char *db, const char **policies, size_t np)
{
  ward_err err;
  wpol_engine *e = wpol_engine_new ((size_t) -1, &err);
  if (e == NULL)
    {
      wpol_cli_print_error (cmd, err.msg);
      return NULL;
    }
  wpol_diags d;
  wpol_diags_init (&d);
  int r;
  if (db)
    {
      wpol_store *st = wpol_store_open (db, WPOL_STORE_READONLY, &err);
      r = st ? wpol_engine_load_store (e, st, &d, &err) : -1;
      wpol_store_close (st);
    }
  else
    {
      /* decide as `ward run --policy FILE...` would for its first process:
       * a file that declares no actor applies to `main` */
      r = wpol_engine_set_run_actor (e, "main", &err);
      if (r == 0)
        r = wpol_engine_load_files (e, policies, np, &d, &err);
    }
  if (r < 0)
    wpol_cli_print_diags (&d);
  wpol_diags_free (&d);
  if (r < 0)
    {
      wpol_cli_print_error (cmd, err.msg);
      wpol_engine_free (e);
      return NULL;
    }
  return e;
}

static void
print_trace (void *ud, const char *line)
{
  /* a line names the actor and resource of the request: escaped */
  fputs ("  ", ud);
  ward_esc_fputs (line, 0, ud);
  fputc ('\n', ud);
}

int
wpol_cli_explain (int argc, char **argv)
{
  const char *db = wpol_cli_take_db (&argc, argv, "explain"), *policies[64];
  size_t np = 0;
  request q;
  memset (&q, 0, sizeof q);
  int rc = 2;
  for (int i = 1; i < argc; i++)
    {
      const char *o = argv[i];
      if (i + 1 >= argc)
        {
          rc = wpol_cli_usage_error ("explain", "`%s` needs a value or is unknown", o);
          goto out;
        }
      const char *v = argv[++i], *msg;
      if (strcmp (o, "--db") == 0)
        db = v;
      else if (strcmp (o, "--policy") == 0 && np < 64)
        policies[np++] = v;
      else if (strcmp (o, "--actor") == 0)
        q.actor = v;
      else if (strcmp (o, "--action") == 0)
        q.action = v;
      else if (strcmp (o, "--resource") == 0)
        q.resource = v;
      else if (strcmp (o, "--attr") == 0 || strcmp (o, "--meta") == 0 || strcmp (o, "--scope") == 0)
        {
          char tmp[1024];
          snprintf (tmp, sizeof tmp, "%s%s", strcmp (o, "--meta") == 0 ? "meta."
                    : strcmp (o, "--scope") == 0 ? "scope=" : "", v);
          if ((msg = request_set (&q, tmp)) != NULL)
            {
              rc = wpol_cli_usage_error ("explain", "%s", msg);
              goto out;
            }
        }
      else
        {
          rc = wpol_cli_usage_error ("explain", "unknown option `%s`", o);
          goto out;
        }
    }
  if ((db == NULL) == (np == 0))
    {
      rc = wpol_cli_usage_error ("explain", "%s", "give either --db DB or --policy FILE");
      goto out;
    }
  if (!q.actor || !q.action || !q.resource)
    {
      rc = wpol_cli_usage_error ("explain", "%s", "--actor, --action and --resource are required");
      goto out;
    }
  wpol_engine *e = engine_from ("explain", db, policies, np);
  if (e == NULL)
    {
      rc = 1;
      goto out;
    }
  /* the request may name what a script chose: escaped (wesc.h) */
  fputs ("request: actor \"", stdout);
  ward_esc_fputs (q.actor, WARD_ESC_MAX, stdout);
  fputs ("\" ", stdout);
  ward_esc_fputs (q.action, WARD_ESC_MAX, stdout);
  fputs (" on \"", stdout);
  ward_esc_fputs (q.resource, WARD_ESC_MAX, stdout);
  fputs ("\"\n", stdout);
  printf ("rules considered:\n");
  wpol_result r = request_decide (e, &q, print_trace, stdout);
  char why[1024];
  describe_result (&r, q.actor, why, sizeof why);
  printf ("decision: %s\n", r.decision == WARD_ALLOW ? "allow" : "deny");
  fputs ("by: ", stdout);
  ward_esc_fputs (why, 0, stdout);
  if (r.rule)
    {
      fputs ("\nrule: ", stdout);
      ward_esc_fputs (r.rule->text, 0, stdout);
    }
  fputc ('\n', stdout);
  wpol_engine_free (e);
  rc = 0;
out:
  request_free (&q);
  return rc;
}

/* Split a test line into words (double quotes group, \" and \\ escape). */
static int
split_words (char *line, char **words, int max)
{
  int n = 0;
  char *p = line;
  for (;;)
    {
      while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
        p++;
      if (*p == '\0' || *p == '#')
        return n;
      if (n == max)
        return -1;
      char *w = p, *o = p;
      int quoted = 0;
      while (*p && (quoted || (*p != ' ' && *p != '\t' && *p != '\r' && *p != '\n')))
        {
          if (*p == '"')
            {
              quoted = !quoted;
              p++;
              continue;
            }
          if (quoted && *p == '\\' && (p[1] == '"' || p[1] == '\\'))
            p++;
          *o++ = *p++;
        }
      if (quoted)
        return -2;
      if (*p)
        p++;
      *o = '\0';
      words[n++] = w;
    }
}

/* The lines of a test file, each decided and reported on out (problems
 * with the file itself on errs). */
void
wpol_test_run (wpol_engine *e, FILE *in, const char *name, FILE *out, FILE *errs,
               unsigned *passed, unsigned *failed, unsigned *badlines)
{
  char *line = NULL;
  size_t cap = 0;
  ssize_t len;
  unsigned lineno = 0, pass = 0, fail = 0, bad = 0;
  fprintf (out, "%-6s %-6s %-6s %-5s %-50s %s\n", "LINE", "EXPECT", "GOT", "", "REQUEST",
           "DECIDED BY");
  while ((len = getline (&line, &cap, in)) >= 0)
    {
      lineno++;
      char *words[4 + MAX_ATTRS];
      if ((size_t) len != strlen (line))
        {
          fprintf (errs, "%s:%u: NUL byte in the test file\n", name, lineno);
          bad++;
          continue;
        }
      int n = split_words (line, words, 4 + MAX_ATTRS);
      if (n == 0)
        continue;
      if (n < 4 || (strcmp (words[0], "allow") != 0 && strcmp (words[0], "deny") != 0))
        {
          fprintf (errs, "%s:%u: expected `allow|deny ACTOR ACTION RESOURCE [KEY=VALUE]...`%s\n",
                   name, lineno, n == -2 ? " (unterminated quote)" : n == -1 ? " (too many words)" : "");
          bad++;
          continue;
        }
      request q;
      memset (&q, 0, sizeof q);
      q.actor = words[1];
      q.action = words[2];
      q.resource = words[3];
      const char *msg = NULL;
      for (int k = 4; k < n && msg == NULL; k++)
        msg = request_set (&q, words[k]);
      if (msg)
        {
          fprintf (errs, "%s:%u: %s\n", name, lineno, msg);
          request_free (&q);
          bad++;
          continue;
        }
      wpol_result r = request_decide (e, &q, NULL, NULL);
      int want = strcmp (words[0], "allow") == 0;
      int got = r.decision == WARD_ALLOW;
      char reqs[256], why[512];
      snprintf (reqs, sizeof reqs, "%s %s \"%s\"", q.actor, q.action, q.resource);
      describe_result (&r, q.actor, why, sizeof why);
      /* the request and the deciding rule's file name: escaped (wesc.h) */
      char *ereqs = ward_esc_str (reqs, 0), *ewhy = ward_esc_str (why, 0);
      fprintf (out, "%-6u %-6s %-6s %-5s %-50s %s\n", lineno, words[0],
               got ? "allow" : "deny", want == got ? "pass" : "FAIL",
               ereqs ? ereqs : "(out of memory)", ewhy ? ewhy : "(out of memory)");
      free (ereqs);
      free (ewhy);
      if (want == got)
        pass++;
      else
        fail++;
      request_free (&q);
    }
  free (line);
  *passed = pass;
  *failed = fail;
  *badlines = bad;
}

int
wpol_cli_test (int argc, char **argv)
{
  const char *db = wpol_cli_take_db (&argc, argv, "test"), *policies[64], *testfile = NULL;
  size_t np = 0;
  for (int i = 1; i < argc; i++)
    {
      if (strcmp (argv[i], "--db") == 0 && i + 1 < argc)
        db = argv[++i];
      else if (strcmp (argv[i], "--policy") == 0 && i + 1 < argc && np < 64)
        policies[np++] = argv[++i];
      else if (argv[i][0] == '-' && argv[i][1])
        return wpol_cli_usage_error ("test", "unknown option `%s`", argv[i]);
      else if (testfile == NULL)
        testfile = argv[i];
      else
        return wpol_cli_usage_error ("test", "unexpected argument `%s`", argv[i]);
    }
  if ((db == NULL) == (np == 0))
    return wpol_cli_usage_error ("test", "%s", "give either --db DB or --policy FILE");
  if (testfile == NULL)
    return wpol_cli_usage_error ("test", "%s", "no test file given");
  FILE *in = fopen (testfile, "re");
  if (in == NULL)
    {
      fprintf (stderr, "ward policy test: cannot open `%s`: %s\n", testfile, strerror (errno));
      return 1;
    }
  wpol_engine *e = engine_from ("test", db, policies, np);
  if (e == NULL)
    {
      fclose (in);
      return 1;
    }
  unsigned pass, fail, bad;
  wpol_test_run (e, in, testfile, stdout, stderr, &pass, &fail, &bad);
  fclose (in);
  wpol_engine_free (e);
  printf ("\n%u passed, %u failed%s\n", pass, fail, bad ? ", and the test file has errors" : "");
  return fail || bad ? 1 : 0;
}
