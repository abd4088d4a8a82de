/* cli_request.c -- `ward policy explain` and `ward policy test`: requests
 * given on the command line or in a test file, decided by an engine loaded
 * from a store or from policy files. */
#include "config.h"
#include "cli.h"
#include "wesc.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
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
  const char *names[MAX_ATTRS];   /* target.names */
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
  else if (KEY ("target.names"))
    {
      /* a comma-separated list; "" is a target that holds no name. More
       * than fit is an error: a list cut short could decide otherwise
       * than the target would (a deny on a name left out) */
      size_t n = 0;
      for (char *s = val; *s;)
        {
          char *c = strchr (s, ',');
          if (c)
            *c = '\0';
          if (*s && n == MAX_ATTRS)
            return "too many names in target.names (at most 64)";
          if (*s)
            q->names[n++] = s;
          if (c == NULL)
            break;
          s = c + 1;
        }
      q->attrs.target_names = q->names;
      q->attrs.ntarget_names = n;
    }
  else if (KEY ("scope"))
    {
      for (char *s = val; *s;)
        {
          char *c = strchr (s, ',');
          if (c)
            *c = '\0';
          if (*s && q->nscope == MAX_ATTRS)
            return "too many policies in scope (at most 64)";
          if (*s)
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
    return "unknown key (pid, host, parent, target.actor, target.host, target.parent, "
      "target.names, path, address, scope, meta.NAME)";
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

typedef struct explain_out {
  int json;
  size_t nrules;
} explain_out;

/* Text from the request or a policy: escaped on a terminal line (wesc.h),
 * a JSON string in --json. */
static void
put_text (const explain_out *xo, const char *s)
{
  if (xo->json)
    {
      wpol_buf b = { 0 };
      wpol_buf_json (&b, s ? s : "");
      fputs (b.oom ? "\"\"" : b.s, stdout);
      wpol_buf_free (&b);
    }
  else
    ward_esc_fputs (s ? s : "", WARD_ESC_MAX, stdout);
}

/* The request and every attribute it carries (set or not): what the
 * conditions could read. */
static void
explain_head (const request *q, explain_out *xo)
{
  static const char *const names[] = { "pid", "host", "parent", "target.actor",
                                       "target.host", "target.parent", "path", "address" };
  const char *vals[] = { q->attrs.pid, q->attrs.host, q->attrs.parent, q->attrs.target_actor,
                         q->attrs.target_host, q->attrs.target_parent, q->attrs.path,
                         q->attrs.address };
  enum { NATTRS = sizeof names / sizeof names[0] };
  if (xo->json)
    {
      fputs ("{\n  \"actor\": ", stdout);
      put_text (xo, q->actor);
      fputs (", \"action\": ", stdout);
      put_text (xo, q->action);
      fputs (", \"resource\": ", stdout);
      put_text (xo, q->resource);
      fputs (",\n  \"attributes\": {", stdout);
      int first = 1;
      for (size_t i = 0; i < NATTRS; i++)
        if (vals[i])
          {
            printf ("%s\"%s\": ", first ? "" : ", ", names[i]);
            put_text (xo, vals[i]);
            first = 0;
          }
      if (q->attrs.target_names)
        {
          printf ("%s\"target.names\": [", first ? "" : ", ");
          for (size_t i = 0; i < q->attrs.ntarget_names; i++)
            {
              fputs (i ? ", " : "", stdout);
              put_text (xo, q->attrs.target_names[i]);
            }
          fputs ("]", stdout);
          first = 0;
        }
      for (size_t i = 0; i < q->nmeta; i++)
        {
          fputs (first ? "" : ", ", stdout);
          char k[512];
          snprintf (k, sizeof k, "meta.%s", q->meta[2 * i]);
          put_text (xo, k);
          fputs (": ", stdout);
          put_text (xo, q->meta[2 * i + 1]);
          first = 0;
        }
      fputs ("},\n  \"explain\": [", stdout);
      return;
    }
  fputs ("request: actor \"", stdout);
  put_text (xo, q->actor);
  fputs ("\" ", stdout);
  put_text (xo, q->action);
  fputs (" on \"", stdout);
  put_text (xo, q->resource);
  fputs ("\"\nattributes:", stdout);
  for (size_t i = 0; i < NATTRS; i++)
    {
      printf (" %s=", names[i]);
      if (vals[i])
        put_text (xo, vals[i]);
      else
        fputs ("(not set)", stdout);
    }
  if (q->attrs.target_names)       /* (given: echoed, as the others) */
    {
      fputs (" target.names=", stdout);
      for (size_t i = 0; i < q->attrs.ntarget_names; i++)
        {
          fputs (i ? "," : "", stdout);
          put_text (xo, q->attrs.target_names[i]);
        }
    }
  for (size_t i = 0; i < q->nmeta; i++)
    {
      fputs (" meta.", stdout);
      put_text (xo, q->meta[2 * i]);
      fputc ('=', stdout);
      put_text (xo, q->meta[2 * i + 1]);
    }
  fputc ('\n', stdout);
}

static void
explain_item (void *ud, const wpol_explain_item *it)
{
  explain_out *xo = ud;
  static const char *const kinds[] = { "actor", "scope", "rule" };
  if (xo->json)
    {
      printf ("%s\n    {\"kind\": \"%s\"", xo->nrules++ ? "," : "", kinds[it->kind]);
      if (it->loc)
        {
          printf (", \"file\": ");
          put_text (xo, it->loc->file);
          printf (", \"line\": %u, \"policy\": ", it->loc->line);
          put_text (xo, it->loc->policy);
          printf (", \"effect\": \"%s\", \"rule\": ", it->loc->deny ? "deny" : "allow");
          put_text (xo, it->loc->text);
          printf (", \"applies\": %s", it->verdict > 0 ? "true" : it->verdict == 0 ? "false"
                  : "\"error\"");
          if (*it->part)
            printf (", \"failed\": \"%s\"", it->part);
        }
      printf (", \"text\": ");
      put_text (xo, it->text);
      fputc ('}', stdout);
      return;
    }
  if (it->kind == WPOL_X_ACTOR)
    {
      fputs ("actor: ", stdout);
      ward_esc_fputs (it->text, 0, stdout);
      fputc ('\n', stdout);
      return;
    }
  if (it->kind == WPOL_X_SCOPE)
    {
      fputs ("scope: ", stdout);
      ward_esc_fputs (it->text, 0, stdout);
      fputs ("\nrules, in file order:\n", stdout);
      return;
    }
  xo->nrules++;
  fputs ("  ", stdout);
  ward_esc_fputs (it->loc->file, 0, stdout);
  printf (":%u: [", it->loc->line);
  ward_esc_fputs (it->loc->policy, 0, stdout);
  fputs ("] ", stdout);
  ward_esc_fputs (it->loc->text, 0, stdout);
  fputs (it->verdict > 0 ? "\n      applies\n" : it->verdict == 0 ? "\n      no: "
         : "\n      error: ", stdout);
  if (it->verdict <= 0)
    {
      ward_esc_fputs (it->text, 0, stdout);
      fputc ('\n', stdout);
    }
}

int
wpol_cli_explain (int argc, char **argv)
{
  const char *db = wpol_cli_take_db (&argc, argv, "explain"), *policies[64];
  size_t np = 0;
  request q;
  memset (&q, 0, sizeof q);
  int rc = 2;
  int json = 0;
  for (int i = 1; i < argc; i++)
    {
      const char *o = argv[i];
      if (strcmp (o, "--json") == 0)
        {
          json = 1;
          continue;
        }
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
  /* an action no rule can name matches nothing: say so, with the
   * closest known one */
  if (!wpol_action_known (q.action))
    {
      const char *sug = wpol_suggest (q.action, wpol_known_actions);
      fputs ("ward policy explain: warning: unknown action `", stderr);
      ward_esc_fputs (q.action, WARD_ESC_MAX, stderr);
      fprintf (stderr, "`%s%s%s (no rule can match it; ward-policy(5) lists the actions)\n",
               sug ? "; did you mean `" : "", sug ? sug : "", sug ? "`?" : "");
    }
  explain_out xo = { json, 0 };
  explain_head (&q, &xo);
  ward_actor a = { q.actor, q.meta, q.nmeta, q.scope, q.nscope };
  wpol_engine_explain (e, &a, q.action, q.resource, &q.attrs, explain_item, &xo);
  wpol_result r = request_decide (e, &q, NULL, NULL);
  char why[1024];
  describe_result (&r, q.actor, why, sizeof why);
  if (json)
    {
      wpol_buf b = { 0 };
      wpol_buf_printf (&b, "%s],\n  \"decision\": \"%s\",\n  \"by\": ", xo.nrules ? "\n  " : "",
                       r.decision == WARD_ALLOW ? "allow" : "deny");
      wpol_buf_json (&b, why);
      if (r.rule)
        {
          wpol_buf_puts (&b, ",\n  \"rule\": ");
          wpol_buf_json (&b, r.rule->text);
        }
      wpol_buf_puts (&b, "\n}\n");
      fputs (b.oom ? "" : b.s, stdout);
      wpol_buf_free (&b);
    }
  else
    {
      printf ("decision: %s\n", r.decision == WARD_ALLOW ? "allow" : "deny");
      fputs ("by: ", stdout);
      ward_esc_fputs (why, 0, stdout);
      if (r.rule)
        {
          fputs ("\nrule: ", stdout);
          ward_esc_fputs (r.rule->text, 0, stdout);
        }
      fputc ('\n', stdout);
    }
  wpol_engine_free (e);
  rc = 0;
out:
  request_free (&q);
  return rc;
}

/* Split a test line into words (double quotes group, \" and \\ escape);
 * at[k] receives the byte offset of word k in the line. */
static int
split_words (char *line, char **words, size_t *at, int max)
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
      at[n] = (size_t) (w - line);
      words[n++] = w;
    }
}

/* What an expectation says decided it (`by ...`). */
typedef enum by_kind { BY_ANY, BY_DEFAULT, BY_UNDECLARED, BY_POLICY, BY_RULE } by_kind;

typedef struct by_clause {
  by_kind kind;
  const char *name;               /* BY_POLICY: the policy; BY_RULE: the file */
  unsigned line;                  /* BY_RULE */
} by_clause;

/* One run over a test file. */
typedef struct tester {
  wpol_engine *e;
  const char *name;
  FILE *out, *errs;
  wpol_buf *json;                 /* results as JSON (NULL: a table on out) */
  unsigned char *reached;         /* per rule of the engine, or NULL */
  size_t nrules;
  const wpol_rule_loc **locs;     /* the rules' locations, in load order */
  size_t *by_ptr;                 /* their indexes, sorted by location address */
  size_t *by_line;                /* and sorted by line */
  char **actors, **policies, **metakeys;
  char line_copy[4096];           /* the line as read, for columns */
  unsigned lineno, pass, fail, bad;
} tester;

/* The column (in characters, 1-based) of byte offset off of the line. */
static unsigned
column (const tester *t, size_t off)
{
  unsigned col = 1;
  for (size_t i = 0; i < off && t->line_copy[i]; i++)
    col += ((unsigned char) t->line_copy[i] & 0xC0) != 0x80;
  return col;
}

/* A problem with the test file at (line, col): `file:line:col: error: msg`
 * on errs (escaped: a test file may hold anything), plus "did you mean"
 * when hint is set. */
static void __attribute__ ((format (printf, 5, 6)))
test_error (tester *t, size_t off, const char *hint, const char *hint_pfx, const char *fmt, ...)
{
  char msg[1024];
  va_list ap;
  va_start (ap, fmt);
  vsnprintf (msg, sizeof msg, fmt, ap);
  va_end (ap);
  if (hint)
    {
      size_t l = strlen (msg);
      snprintf (msg + l, sizeof msg - l, "; did you mean `%s%s`?", hint_pfx ? hint_pfx : "", hint);
    }
  unsigned col = off == (size_t) -1 ? 1 : column (t, off);
  fprintf (t->errs, "%s:%u:%u: error: ", t->name, t->lineno, col);
  ward_esc_fputs (msg, 0, t->errs);
  fputc ('\n', t->errs);
  if (t->json)
    {
      wpol_buf_printf (t->json, "%s{\"error\":true,\"line\":%u,\"col\":%u,\"message\":",
                       t->pass + t->fail + t->bad ? "," : "", t->lineno, col);
      wpol_buf_json (t->json, msg);
      wpol_buf_puts (t->json, "}");
    }
  t->bad++;
}

/* Does a rule's file (as loaded: a path, or a canonical path from a store)
 * answer to the name a test gives: the same, or its last components? */
static int
file_matches (const char *file, const char *name)
{
  size_t lf = strlen (file), ln = strlen (name);
  if (lf == ln)
    return strcmp (file, name) == 0;
  return ln < lf && file[lf - ln - 1] == '/' && strcmp (file + lf - ln, name) == 0;
}

static const char *
base_name (const char *f)
{
  const char *s = strrchr (f, '/');
  return s ? s + 1 : f;
}

/* Check `by FILE:LINE` against the loaded rules: NULL when some rule of
 * that one file starts at that line and can give the expected decision,
 * else an error is reported. */
static int
check_by_rule (tester *t, const by_clause *by, int want_allow, size_t off)
{
  /* the usual case first: the rules that start at that line (by_line) name
   * one file, and one of them can decide so; anything else is looked at
   * over every rule below, for its message */
  size_t lo = 0, hi = t->nrules;
  while (lo < hi)
    {
      size_t mid = lo + (hi - lo) / 2;
      if (t->locs[t->by_line[mid]]->line < by->line)
        lo = mid + 1;
      else
        hi = mid;
    }
  const char *one = NULL;
  int fits = 0, many = 0;
  for (; lo < t->nrules && t->locs[t->by_line[lo]]->line == by->line; lo++)
    {
      const wpol_rule_loc *l = t->locs[t->by_line[lo]];
      if (!file_matches (l->file, by->name))
        continue;
      many |= one && strcmp (one, l->file) != 0;
      one = l->file;
      fits |= l->deny != want_allow;
    }
  if (one && fits && !many)
    return 0;
  const char *file = NULL, *other = NULL;
  unsigned best = 0;
  int at_line = 0, right_kind = 0;
  for (size_t i = 0; i < t->nrules; i++)
    {
      const wpol_rule_loc *l = t->locs[i];
      if (!file_matches (l->file, by->name))
        continue;
      if (file == NULL)
        file = l->file;
      else if (strcmp (file, l->file) != 0)
        other = l->file;
      if (l->line == by->line)
        {
          at_line = 1;
          right_kind |= l->deny != want_allow;
        }
      unsigned d = l->line > by->line ? l->line - by->line : by->line - l->line;
      unsigned db = best > by->line ? best - by->line : by->line - best;
      if (best == 0 || d < db)
        best = l->line;
    }
  if (file == NULL)
    {
      /* the loaded files' names, for a suggestion */
      const char *names[65];
      size_t n = 0;
      for (size_t i = 0; i < t->nrules && n < 64; i++)
        {
          const char *b = base_name (t->locs[i]->file);
          size_t k = 0;
          while (k < n && strcmp (names[k], b) != 0)
            k++;
          if (k == n)
            names[n++] = b;
        }
      names[n] = NULL;
      test_error (t, off, wpol_suggest (by->name, names), NULL,
                  "`by %s:%u`: no rule of a loaded file named `%s`", by->name, by->line, by->name);
      return -1;
    }
  if (other)
    {
      test_error (t, off, NULL, NULL, "`by %s:%u`: `%s` names more than one loaded file "
                  "(`%s`, `%s`): give more of its path", by->name, by->line, by->name, file, other);
      return -1;
    }
  if (!at_line)
    {
      char hint[64];
      snprintf (hint, sizeof hint, ":%u", best);
      test_error (t, off, hint, by->name, "`by %s:%u`: no rule starts at line %u of `%s`",
                  by->name, by->line, by->line, file);
      return -1;
    }
  if (!right_kind)
    {
      test_error (t, off, NULL, NULL, "`by %s:%u`: that rule is %s rule: it cannot decide `%s`",
                  by->name, by->line, want_allow ? "a deny" : "an allow",
                  want_allow ? "allow" : "deny");
      return -1;
    }
  return 0;
}

/* Parse the words after the resource: attributes into q, a by-clause into
 * by. -1 when the line has an error (reported). */
static int
parse_tail (tester *t, char **w, const size_t *at, int n, int want_allow, request *q,
            by_clause *by, size_t *by_off)
{
  static const char *const keys[] = { "pid", "host", "parent", "target.actor", "target.host",
                                      "target.parent", "target.names", "path", "address", "scope",
                                      NULL };
  for (int k = 4; k < n; k++)
    {
      if (strcmp (w[k], "by") == 0)
        {
          if (by->kind != BY_ANY)
            {
              test_error (t, at[k], NULL, NULL, "a second `by` on one line");
              return -1;
            }
          *by_off = at[k];
          const char *v = k + 1 < n ? w[++k] : NULL;
          if (v == NULL)
            {
              test_error (t, at[k], NULL, NULL, "`by` needs what decided: FILE:LINE, "
                          "policy NAME, default or undeclared");
              return -1;
            }
          if (strcmp (v, "default") == 0)
            by->kind = BY_DEFAULT;
          else if (strcmp (v, "undeclared") == 0)
            by->kind = BY_UNDECLARED;
          else if (strcmp (v, "policy") == 0)
            {
              if (k + 1 >= n)
                {
                  test_error (t, at[k], NULL, NULL, "`by policy` needs a policy name");
                  return -1;
                }
              by->kind = BY_POLICY;
              by->name = w[++k];
              int found = 0;
              for (size_t i = 0; t->policies[i]; i++)
                found |= strcmp (t->policies[i], by->name) == 0;
              if (!found)
                {
                  test_error (t, at[k], wpol_suggest (by->name, (const char *const *) t->policies),
                              NULL, "`by policy \"%s\"`: no policy of that name is loaded",
                              by->name);
                  return -1;
                }
            }
          else
            {
              const char *colon = strrchr (v, ':');
              char *end = NULL;
              unsigned long ln = colon && colon[1] ? strtoul (colon + 1, &end, 10) : 0;
              if (colon == NULL || colon == v || end == NULL || *end || ln == 0 || ln > 1u << 30)
                {
                  test_error (t, at[k], NULL, NULL, "`by %s`: expected FILE:LINE, policy NAME, "
                              "default or undeclared", v);
                  return -1;
                }
              by->kind = BY_RULE;
              by->line = (unsigned) ln;
              char *f = own (q, v, (size_t) (colon - v));
              if (f == NULL)
                {
                  test_error (t, at[k], NULL, NULL, "too many attributes");
                  return -1;
                }
              by->name = f;
              if (check_by_rule (t, by, want_allow, at[k]) < 0)
                return -1;
            }
          if (want_allow && (by->kind == BY_DEFAULT || by->kind == BY_UNDECLARED))
            {
              test_error (t, *by_off, NULL, NULL, "`allow ... by %s` can never hold: %s denies",
                          v, by->kind == BY_DEFAULT ? "no rule matching" : "an undeclared actor");
              return -1;
            }
          continue;
        }
      const char *eq = strchr (w[k], '=');
      size_t kl = eq ? (size_t) (eq - w[k]) : strlen (w[k]);
      char key[128];
      snprintf (key, sizeof key, "%.*s", (int) (kl < sizeof key ? kl : sizeof key - 1), w[k]);
      if (eq == NULL)
        {
          test_error (t, at[k], NULL, NULL, "`%s`: expected KEY=VALUE or `by ...`", w[k]);
          return -1;
        }
      if (strncmp (key, "meta.", 5) == 0 && key[5])
        {
          int found = 0;
          for (size_t i = 0; t->metakeys[i]; i++)
            found |= strcmp (t->metakeys[i], key + 5) == 0;
          if (!found)
            {
              test_error (t, at[k], wpol_suggest (key + 5, (const char *const *) t->metakeys),
                          "meta.", "unknown attribute key `%s`: no actor declaration sets "
                          "`%s` and no condition reads actor.meta.%s", key, key + 5, key + 5);
              return -1;
            }
        }
      else
        {
          int found = 0;
          for (size_t i = 0; keys[i]; i++)
            found |= strcmp (keys[i], key) == 0;
          if (!found)
            {
              test_error (t, at[k], wpol_suggest (key, keys), NULL, "unknown attribute key `%s` "
                          "(pid, host, parent, target.actor, target.host, target.parent, "
                          "target.names, path, address, scope, meta.NAME)", key);
              return -1;
            }
        }
      const char *msg = request_set (q, w[k]);
      if (msg)
        {
          test_error (t, at[k], NULL, NULL, "%s", msg);
          return -1;
        }
    }
  return 0;
}

/* The declared actor closest to id: an id or pattern, else a pattern whose
 * literal head ("plugin" of "plugin.*") is close to it. */
static const char *
actor_hint (tester *t, const char *id)
{
  const char *h = wpol_suggest (id, (const char *const *) t->actors);
  for (size_t i = 0; h == NULL && t->actors[i]; i++)
    {
      const char *a = t->actors[i];
      size_t n = strcspn (a, "*?\\[");
      while (n && (a[n - 1] == '.' || a[n - 1] == ':'))
        n--;
      char head[256];
      if (a[n] == '\0' || n == 0 || n >= sizeof head)
        continue;
      memcpy (head, a, n);
      head[n] = '\0';
      const char *one[2] = { head, NULL };
      if (wpol_suggest (id, one))
        h = a;
    }
  return h;
}

/* The policies a request's scope names must be loaded, its actor declared
 * (unless the line expects `by undeclared`), its action known. */
static int
check_names (tester *t, const request *q, const size_t *at, const by_clause *by,
             size_t scope_off)
{
  if (!wpol_action_known (q->action))
    {
      test_error (t, at[2], wpol_suggest (q->action, wpol_known_actions), NULL,
                  "unknown action `%s`", q->action);
      return -1;
    }
  for (size_t i = 0; i < q->nscope; i++)
    {
      int found = 0;
      for (size_t j = 0; t->policies[j]; j++)
        found |= strcmp (t->policies[j], q->scope[i]) == 0;
      if (!found)
        {
          test_error (t, scope_off, wpol_suggest (q->scope[i], (const char *const *) t->policies),
                      NULL, "scope names `%s`, which is not a loaded policy", q->scope[i]);
          return -1;
        }
    }
  if (q->nscope == 0 && by->kind != BY_UNDECLARED && !wpol_engine_declares (t->e, q->actor))
    {
      test_error (t, at[1], actor_hint (t, q->actor), NULL,
                  "actor `%s` is not declared (no actor declaration matches it, so every "
                  "request it makes is denied; expect that with `deny ... by undeclared`)",
                  q->actor);
      return -1;
    }
  return 0;
}

static int
by_holds (const by_clause *by, const wpol_result *r)
{
  switch (by->kind)
    {
    case BY_ANY: return 1;
    case BY_DEFAULT: return r->reason == WPOL_NO_MATCH;
    case BY_UNDECLARED: return r->reason == WPOL_UNDECLARED;
    case BY_POLICY: return r->rule && strcmp (r->rule->policy, by->name) == 0;
    default:
      return r->rule && r->rule->line == by->line && file_matches (r->rule->file, by->name);
    }
}

static void
by_text (const by_clause *by, char *buf, size_t size)
{
  switch (by->kind)
    {
    case BY_DEFAULT: snprintf (buf, size, "by default (no rule matched)"); break;
    case BY_UNDECLARED: snprintf (buf, size, "by undeclared (no actor declaration)"); break;
    case BY_POLICY: snprintf (buf, size, "by policy \"%s\"", by->name); break;
    case BY_RULE: snprintf (buf, size, "by %s:%u", by->name, by->line); break;
    default: buf[0] = '\0';
    }
}

/* qsort has no context argument: the locations being sorted by address */
static const wpol_rule_loc **sort_locs;

static int
by_address (const void *a, const void *b)
{
  uintptr_t x = (uintptr_t) sort_locs[*(const size_t *) a];
  uintptr_t y = (uintptr_t) sort_locs[*(const size_t *) b];
  return x < y ? -1 : x > y;
}

static int
by_line_cmp (const void *a, const void *b)
{
  unsigned x = sort_locs[*(const size_t *) a]->line, y = sort_locs[*(const size_t *) b]->line;
  return x < y ? -1 : x > y;
}

/* Mark the rule that decided r as reached (several rules share one
 * location when the same file is loaded twice: all of them decided). */
static void
mark_reached (tester *t, const wpol_result *r)
{
  if (t->reached == NULL || r->rule == NULL)
    return;
  size_t lo = 0, hi = t->nrules;
  uintptr_t k = (uintptr_t) r->rule;
  while (lo < hi)                 /* the first index whose location >= k */
    {
      size_t mid = lo + (hi - lo) / 2;
      if ((uintptr_t) t->locs[t->by_ptr[mid]] < k)
        lo = mid + 1;
      else
        hi = mid;
    }
  for (; lo < t->nrules && t->locs[t->by_ptr[lo]] == r->rule; lo++)
    t->reached[t->by_ptr[lo]] = 1;
}

static void
json_result (tester *t, const request *q, const char *want, int got, int ok,
             const wpol_result *r, const char *expected_by)
{
  wpol_buf *j = t->json;
  wpol_buf_printf (j, "%s{\"line\":%u,\"expect\":\"%s\",\"got\":\"%s\",\"pass\":%s,\"actor\":",
                   t->pass + t->fail + t->bad ? "," : "", t->lineno, want,
                   got ? "allow" : "deny", ok ? "true" : "false");
  wpol_buf_json (j, q->actor);
  wpol_buf_puts (j, ",\"action\":");
  wpol_buf_json (j, q->action);
  wpol_buf_puts (j, ",\"resource\":");
  wpol_buf_json (j, q->resource);
  wpol_buf_puts (j, ",\"decided_by\":");
  if (r->rule)
    {
      wpol_buf_printf (j, "{\"kind\":\"rule\",\"line\":%u,\"file\":", r->rule->line);
      wpol_buf_json (j, r->rule->file);
      wpol_buf_puts (j, ",\"policy\":");
      wpol_buf_json (j, r->rule->policy);
      wpol_buf_puts (j, "}");
    }
  else
    wpol_buf_printf (j, "{\"kind\":\"%s\"}", r->reason == WPOL_NO_MATCH ? "default"
                     : r->reason == WPOL_UNDECLARED ? "undeclared" : "malformed");
  if (expected_by[0])
    {
      wpol_buf_puts (j, ",\"expected_by\":");
      wpol_buf_json (j, expected_by + 3);       /* after "by " */
    }
  wpol_buf_puts (j, "}");
}

static void
test_line (tester *t, char *line)
{
  char *words[4 + 2 * MAX_ATTRS];
  size_t at[4 + 2 * MAX_ATTRS];
  int n = split_words (line, words, at, 4 + 2 * MAX_ATTRS);
  if (n == 0)
    return;
  if (n < 4 || (strcmp (words[0], "allow") != 0 && strcmp (words[0], "deny") != 0))
    {
      test_error (t, n > 0 ? at[0] : (size_t) -1, NULL, NULL,
                  "expected `allow|deny ACTOR ACTION RESOURCE [KEY=VALUE]... [by ...]`%s",
                  n == -2 ? " (unterminated quote)" : n == -1 ? " (too many words)" : "");
      return;
    }
  request q;
  memset (&q, 0, sizeof q);
  q.actor = words[1];
  q.action = words[2];
  q.resource = words[3];
  int want = strcmp (words[0], "allow") == 0;
  by_clause by = { BY_ANY, NULL, 0 };
  size_t by_off = 0, scope_off = at[3];
  for (int k = 4; k < n; k++)
    if (strncmp (words[k], "scope=", 6) == 0)
      scope_off = at[k];
  if (parse_tail (t, words, at, n, want, &q, &by, &by_off) < 0
      || check_names (t, &q, at, &by, scope_off) < 0)
    {
      request_free (&q);
      return;
    }
  wpol_result r = request_decide (t->e, &q, NULL, NULL);
  int got = r.decision == WARD_ALLOW;
  int by_ok = by_holds (&by, &r);
  int ok = want == got && by_ok;
  mark_reached (t, &r);
  char reqs[256], why[512], expected[300];
  by_text (&by, expected, sizeof expected);
  describe_result (&r, q.actor, why, sizeof why);
  if (t->json)
    json_result (t, &q, words[0], got, ok, &r, expected);
  else
    {
      snprintf (reqs, sizeof reqs, "%s %s \"%s\"", q.actor, q.action, q.resource);
      /* the request and the deciding rule's file name: escaped (wesc.h) */
      char *ereqs = ward_esc_str (reqs, 0), *ewhy = ward_esc_str (why, 0);
      fprintf (t->out, "%-6u %-6s %-6s %-5s %-50s %s\n", t->lineno, words[0],
               got ? "allow" : "deny", ok ? "pass" : "FAIL",
               ereqs ? ereqs : "(out of memory)", ewhy ? ewhy : "(out of memory)");
      free (ereqs);
      free (ewhy);
      if (want == got && !by_ok)
        {
          char *e = ward_esc_str (expected, 0);
          fprintf (t->out, "%-6s FAIL: expected %s %s; decided by: ", "", words[0],
                   e ? e : "(out of memory)");
          ward_esc_fputs (why, 0, t->out);
          fputc ('\n', t->out);
          free (e);
        }
    }
  if (ok)
    t->pass++;
  else
    t->fail++;
  request_free (&q);
}

/* Run every line of in; the counts in t. */
static int
test_file (tester *t, FILE *in)
{
  ward_err err;
  t->nrules = wpol_engine_rule_count (t->e);
  t->actors = wpol_engine_names (t->e, WPOL_NAMES_ACTORS, &err);
  t->policies = wpol_engine_names (t->e, WPOL_NAMES_POLICIES, &err);
  t->metakeys = wpol_engine_names (t->e, WPOL_NAMES_META, &err);
  t->locs = malloc ((t->nrules ? t->nrules : 1) * sizeof *t->locs);
  t->by_ptr = malloc ((t->nrules ? t->nrules : 1) * sizeof *t->by_ptr);
  t->by_line = malloc ((t->nrules ? t->nrules : 1) * sizeof *t->by_line);
  if (t->locs && t->by_ptr && t->by_line)
    {
      for (size_t i = 0; i < t->nrules; i++)
        {
          const wpol_rule_loc *l = wpol_engine_rule (t->e, i);
          t->locs[i] = l;
          t->by_ptr[i] = t->by_line[i] = i;
          if (l == NULL)          /* the index changed under us: fail closed */
            {
              free (t->locs);
              t->locs = NULL;
              break;
            }
        }
      sort_locs = t->locs;
      if (t->locs)
        {
          qsort (t->by_ptr, t->nrules, sizeof *t->by_ptr, by_address);
          qsort (t->by_line, t->nrules, sizeof *t->by_line, by_line_cmp);
        }
    }
  if (!t->actors || !t->policies || !t->metakeys || !t->locs || !t->by_ptr
      || !t->by_line)
    {
      fprintf (t->errs, "%s: out of memory\n", t->name);
      t->bad++;                   /* fail closed */
      return -1;
    }
  if (!t->json)
    fprintf (t->out, "%-6s %-6s %-6s %-5s %-50s %s\n", "LINE", "EXPECT", "GOT", "", "REQUEST",
             "DECIDED BY");
  char *line = NULL;
  size_t cap = 0;
  ssize_t len;
  while ((len = getline (&line, &cap, in)) >= 0)
    {
      t->lineno++;
      snprintf (t->line_copy, sizeof t->line_copy, "%s", line);
      if ((size_t) len != strlen (line))
        {
          test_error (t, (size_t) -1, NULL, NULL, "NUL byte in the test file");
          continue;
        }
      test_line (t, line);
    }
  free (line);
  return 0;
}

static void
tester_free (tester *t)
{
  wpol_names_free (t->actors);
  wpol_names_free (t->policies);
  wpol_names_free (t->metakeys);
  free (t->by_ptr);
  free (t->by_line);
  free (t->locs);
}

void
wpol_test_run (wpol_engine *e, FILE *in, const char *name, FILE *out, FILE *errs,
               unsigned *passed, unsigned *failed, unsigned *badlines)
{
  tester t = { .e = e, .name = name, .out = out, .errs = errs };
  test_file (&t, in);
  tester_free (&t);
  *passed = t.pass;
  *failed = t.fail;
  *badlines = t.bad;
}

/* ---- coverage ---------------------------------------------------------- */

static double
percent (size_t part, size_t whole)
{
  return whole ? 100.0 * (double) part / (double) whole : 100.0;
}

/* The policies of the engine's rules, in load order of first appearance. */
static size_t
policy_names (tester *t, const char **names)
{
  size_t n = 0;
  for (size_t i = 0; i < t->nrules; i++)
    {
      const char *p = t->locs[i]->policy;
      size_t k = 0;
      while (k < n && strcmp (names[k], p) != 0)
        k++;
      if (k == n)
        names[n++] = p;
    }
  return n;
}

/* The coverage report: text on out, or the "coverage" member of j. Returns
 * the total percentage. */
static double
coverage_report (tester *t, FILE *out, wpol_buf *j)
{
  size_t reached = 0;
  for (size_t i = 0; i < t->nrules; i++)
    reached += t->reached[i];
  double total = percent (reached, t->nrules);
  const char **names = malloc ((t->nrules ? t->nrules : 1) * sizeof *names);
  size_t np = names ? policy_names (t, names) : 0;
  if (j)
    wpol_buf_printf (j, ",\"coverage\":{\"rules\":%zu,\"reached\":%zu,\"percent\":%.1f,"
                     "\"policies\":[", t->nrules, reached, total);
  else
    fprintf (out, "\ncoverage: %zu of %zu rules reached (%.1f%%)\n", reached, t->nrules, total);
  for (size_t p = 0; p < np; p++)
    {
      size_t nr = 0, nreached = 0;
      for (size_t i = 0; i < t->nrules; i++)
        if (t->locs[i]->policy == names[p]
            || strcmp (t->locs[i]->policy, names[p]) == 0)
          {
            nr++;
            nreached += t->reached[i];
          }
      if (j)
        {
          wpol_buf_puts (j, p ? ",{\"name\":" : "{\"name\":");
          wpol_buf_json (j, names[p]);
          wpol_buf_printf (j, ",\"rules\":%zu,\"reached\":%zu,\"percent\":%.1f,\"unreached\":[",
                           nr, nreached, percent (nreached, nr));
        }
      else
        {
          fputs ("  policy \"", out);
          ward_esc_fputs (names[p], 0, out);
          fprintf (out, "\": %zu of %zu rules (%.1f%%)\n", nreached, nr, percent (nreached, nr));
        }
      int first = 1;
      for (size_t i = 0; i < t->nrules; i++)
        {
          const wpol_rule_loc *l = t->locs[i];
          if (t->reached[i] || strcmp (l->policy, names[p]) != 0)
            continue;
          if (j)
            {
              wpol_buf_printf (j, "%s{\"line\":%u,\"col\":%u,\"file\":", first ? "" : ",",
                               l->line, l->col);
              wpol_buf_json (j, l->file);
              wpol_buf_puts (j, ",\"rule\":");
              wpol_buf_json (j, l->text);
              wpol_buf_puts (j, "}");
            }
          else
            {
              fputs ("    not reached: ", out);
              ward_esc_fputs (l->file, 0, out);
              fprintf (out, ":%u: ", l->line);
              ward_esc_fputs (l->text, 0, out);
              fputc ('\n', out);
            }
          first = 0;
        }
      if (j)
        wpol_buf_puts (j, "]}");
    }
  if (j)
    wpol_buf_puts (j, "]}");
  free (names);
  return total;
}

int
wpol_cli_test (int argc, char **argv)
{
  const char *db = wpol_cli_take_db (&argc, argv, "test"), *policies[64], *testfile = NULL;
  size_t np = 0;
  int coverage = 0, json = 0;
  double min_cov = -1;
  for (int i = 1; i < argc; i++)
    {
      const char *o = argv[i];
      if (strcmp (o, "--db") == 0 && i + 1 < argc)
        db = argv[++i];
      else if (strcmp (o, "--policy") == 0 && i + 1 < argc)
        {
          if (np == 64)
            return wpol_cli_usage_error ("test", "%s", "more than 64 --policy files");
          policies[np++] = argv[++i];
        }
      else if (strcmp (o, "--coverage") == 0)
        coverage = 1;
      else if (strcmp (o, "--json") == 0)
        json = 1;
      else if (strcmp (o, "--min-coverage") == 0 || strncmp (o, "--min-coverage=", 15) == 0)
        {
          const char *v = o[14] == '=' ? o + 15 : i + 1 < argc ? argv[++i] : NULL;
          char *end = NULL;
          min_cov = v && *v ? strtod (v, &end) : -1;
          if (v == NULL || end == NULL || *end || !(min_cov >= 0 && min_cov <= 100))
            return wpol_cli_usage_error ("test", "--min-coverage needs a percentage from 0 to "
                                         "100, got `%s`", v ? v : "");
          coverage = 1;
        }
      else if (o[0] == '-' && o[1])
        return wpol_cli_usage_error ("test", "unknown option `%s`", o);
      else if (testfile == NULL)
        testfile = o;
      else
        return wpol_cli_usage_error ("test", "unexpected argument `%s`", o);
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
  wpol_buf jb = { 0 };
  tester t = { .e = e, .name = testfile, .out = stdout, .errs = stderr,
               .json = json ? &jb : NULL };
  size_t nrules = wpol_engine_rule_count (e);
  int rc = 0;
  if (coverage && (t.reached = calloc (nrules ? nrules : 1, 1)) == NULL)
    rc = 1;
  if (json)
    wpol_buf_puts (&jb, "{\"results\":[");
  if (rc == 0 && test_file (&t, in) < 0)
    rc = 1;
  fclose (in);
  /* a file of no expectation (empty, truncated, all comments) tests
   * nothing: a failure, not a pass */
  if (rc == 0 && t.pass + t.fail + t.bad == 0)
    {
      fprintf (stderr, "ward policy test: `%s` holds no expectation: nothing was tested\n",
               testfile);
      rc = 1;
    }
  if (json)
    wpol_buf_printf (&jb, "],\"passed\":%u,\"failed\":%u,\"errors\":%u", t.pass, t.fail, t.bad);
  else
    printf ("\n%u passed, %u failed%s\n", t.pass, t.fail,
            t.bad ? ", and the test file has errors" : "");
  double cov = 100;
  if (rc == 0 && coverage)
    cov = coverage_report (&t, stdout, json ? &jb : NULL);
  if (json)
    {
      wpol_buf_puts (&jb, "}\n");
      if (jb.oom)
        {
          fprintf (stderr, "ward policy test: out of memory\n");
          rc = 1;
        }
      else
        fwrite (jb.s, 1, jb.len, stdout);
    }
  if (rc == 0 && min_cov >= 0 && cov < min_cov)
    {
      fprintf (stderr, "ward policy test: coverage %.1f%% is below --min-coverage %g%%: "
               "%s lists the rules no test reached\n", cov, min_cov,
               json ? "\"unreached\"" : "`not reached:`");
      rc = 1;
    }
  tester_free (&t);
  free (t.reached);
  wpol_buf_free (&jb);
  wpol_engine_free (e);
  if (rc == 0 && (t.fail || t.bad))
    rc = 1;
  return rc;
}
