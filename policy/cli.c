/* cli.c -- `ward policy check|fmt|load|remove|list|export|explain|test`: the
 * command line over the checker, formatter, store and engine. */
#include "config.h"
#include "wpol.h"
#include "wesc.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ATTRS 64

static const char usage_main[] =
  "usage: ward policy COMMAND [ARGS]\n"
  "\n"
  "  check FILE...                       report errors and warnings (exit 1 on an error)\n"
  "  fmt [-w] FILE...                    print the canonical form (-w: rewrite the files)\n"
  "  load --db DB FILE...                replace these files' definitions in the store\n"
  "  remove --db DB FILE|POLICY...       take files or policies out of the store\n"
  "  list --db DB                        what the store holds\n"
  "  export --db DB                      every definition as policy text\n"
  "  explain (--db DB | --policy FILE)... --actor ID --action A --resource R\n"
  "          [--attr KEY=VALUE]... [--scope NAME]... [--meta KEY=VALUE]...\n"
  "                                      the decision and the rule that made it\n"
  "  test (--db DB | --policy FILE)... TESTFILE\n"
  "                                      check expected decisions (see ward-policy(5))\n"
  "\n"
  "`ward policy COMMAND --help` describes one command.\n";

static const struct { const char *cmd, *help; } helps[] = {
  { "check", "usage: ward policy check FILE...\n"
    "Parse and check the files together (names must be unique across them).\n"
    "Prints `file:line:col: error|warning: message`; exits 1 when any error.\n" },
  { "fmt", "usage: ward policy fmt [-w] FILE...\n"
    "Print each file in canonical form (comments kept). With -w, rewrite the\n"
    "files in place instead. A file with errors is left alone (exit 1).\n" },
  { "load", "usage: ward policy load --db DB FILE...\n"
    "Check the files against each other and the rest of the store, then, when\n"
    "none has an error, replace each file's definitions in one transaction.\n"
    "A file is known by its canonical path (from any directory, spelled any\n"
    "way); an export (`ward policy export`) restores each of its files. A\n"
    "path with a control character (a newline, a tab...) is refused.\n"
    "Prints every definition the load changed (`+ policy \"a\"` new,\n"
    "`- policy \"b\"` gone, `~ policy \"c\"` changed). The store is created\n"
    "when missing. A running ward picks the change up.\n" },
  { "remove", "usage: ward policy remove --db DB FILE|POLICY...\n"
    "Take a stored file (a path, even once the file is gone from the disk, or\n"
    "its name in `ward policy list`) and all its definitions out of the store,\n"
    "or else the policy of that name out of its file; in one transaction,\n"
    "printing what changed as `load` does.\n" },
  { "list", "usage: ward policy list --db DB\n"
    "List the files, policies, actors, hosts and sandbox profiles of a store.\n" },
  { "export", "usage: ward policy export --db DB\n"
    "Print every stored file in canonical form, each after a `# file: \"NAME\"`\n"
    "line (NAME a policy string); a line of a file that starts with `# file:`\n"
    "or `#\\` gets `#\\` before it. `ward policy load` of the output restores\n"
    "those files under their names, line for line: export, load, export prints\n"
    "the same text (format: ward-policy(5), THE STORE).\n" },
  { "explain", "usage: ward policy explain (--db DB | --policy FILE)... --actor ID\n"
    "       --action A --resource R [--attr KEY=VALUE]... [--scope NAME]...\n"
    "       [--meta KEY=VALUE]...\n"
    "Print the decision, the deciding rule (policy, file:line) or `no rule\n"
    "matched`, and every rule considered. Attribute keys: pid, host, parent,\n"
    "target.actor, target.host, target.parent.\n" },
  { "test", "usage: ward policy test (--db DB | --policy FILE)... TESTFILE\n"
    "Each line of TESTFILE is `allow|deny ACTOR ACTION RESOURCE [KEY=VALUE]...`\n"
    "(KEY: pid, host, parent, target.actor, target.host, target.parent,\n"
    "scope=a,b, meta.NAME); `#` starts a comment; words may be \"quoted\".\n"
    "Prints a pass/fail table; exits 1 when any line fails.\n" },
};

static int
want_help (int argc, char **argv, const char *cmd)
{
  for (int i = 1; i < argc; i++)
    if (strcmp (argv[i], "--help") == 0 || strcmp (argv[i], "-h") == 0)
      {
        for (size_t k = 0; k < sizeof helps / sizeof helps[0]; k++)
          if (strcmp (helps[k].cmd, cmd) == 0)
            fputs (helps[k].help, stdout);
        return 1;
      }
  return 0;
}

static int __attribute__ ((format (printf, 2, 3)))
usage_error (const char *cmd, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  fprintf (stderr, "ward policy %s: ", cmd);
  vfprintf (stderr, fmt, ap);
  va_end (ap);
  fprintf (stderr, "\n(see `ward policy %s --help`)\n", cmd);
  return 2;
}

static void
print_diags (wpol_diags *d)
{
  wpol_diags_sort (d);
  wpol_diags_print (d, stderr);
}

/* `ward policy CMD: MESSAGE` on stderr; a message may name a file or a
 * policy, so it is escaped (wesc.h). */
static void
print_error (const char *cmd, const char *msg)
{
  fprintf (stderr, "ward policy %s: ", cmd);
  ward_esc_fputs (msg, 0, stderr);
  fputc ('\n', stderr);
}

/* ---- check, fmt -------------------------------------------------------- */

/* Does an actor declaration of files name a policy of f in its scope? */
static int
scope_names_any (wpol_file *const *files, size_t n, const wpol_file *f)
{
  for (size_t i = 0; i < n; i++)
    for (size_t k = 0; k < files[i]->ndecls; k++)
      {
        const wpol_decl *a = files[i]->decls[k];
        for (size_t s = 0; a->kind == D_ACTOR && s < a->nscope; s++)
          for (size_t j = 0; j < f->ndecls; j++)
            if (f->decls[j]->kind == D_POLICY && strcmp (f->decls[j]->name, a->scope[s]) == 0)
              return 1;
      }
  return 0;
}

static int
cmd_check (int argc, char **argv)
{
  if (argc < 2)
    return usage_error ("check", "%s", "no file given");
  wpol_diags d;
  wpol_diags_init (&d);
  size_t n = (size_t) argc - 1;
  wpol_file **files = calloc (n, sizeof *files);
  if (files == NULL)
    return 1;
  size_t nf = 0;
  for (size_t i = 0; i < n; i++)
    if ((files[nf] = wpol_parse_path (argv[i + 1], &d)) != NULL)
      nf++;
  wpol_check (files, nf, &d);
  print_diags (&d);
  for (size_t i = 0; i < nf; i++)
    {
      size_t nactors = 0, npols = 0;
      for (size_t k = 0; k < files[i]->ndecls; k++)
        {
          nactors += files[i]->decls[k]->kind == D_ACTOR;
          npols += files[i]->decls[k]->kind == D_POLICY;
        }
      if (nactors == 0 && npols > 0 && !scope_names_any (files, nf, files[i]))
        fprintf (stderr, "%s: note: this file declares no actor, and no actor's scope "
                 "names its policies: given to `ward run --policy`, they apply to the actor "
                 "the run starts (main, or --actor ID) and to no other; loaded into a store, "
                 "to no actor until a declaration names them in its scope\n", files[i]->name);
    }
  for (size_t i = 0; i < nf; i++)
    wpol_file_free (files[i]);
  free (files);
  fprintf (stderr, "%zu file%s checked: %zu error%s, %zu warning%s\n", n, n == 1 ? "" : "s",
           d.nerrors, d.nerrors == 1 ? "" : "s", d.nwarnings, d.nwarnings == 1 ? "" : "s");
  int rc = d.nerrors || nf < n ? 1 : 0;
  wpol_diags_free (&d);
  return rc;
}

static int
cmd_fmt (int argc, char **argv)
{
  int write = 0, rc = 0, nfiles = 0;
  for (int i = 1; i < argc; i++)
    {
      if (strcmp (argv[i], "-w") == 0)
        {
          write = 1;
          continue;
        }
      if (argv[i][0] == '-' && argv[i][1])
        return usage_error ("fmt", "unknown option `%s`", argv[i]);
      nfiles++;
    }
  if (nfiles == 0)
    return usage_error ("fmt", "%s", "no file given");
  for (int i = 1; i < argc; i++)
    {
      if (strcmp (argv[i], "-w") == 0)
        continue;
      wpol_diags d;
      wpol_diags_init (&d);
      wpol_file *f = wpol_parse_path (argv[i], &d);
      if (f == NULL || f->nerrors)
        {
          print_diags (&d);
          wpol_diags_free (&d);
          wpol_file_free (f);
          rc = 1;
          continue;
        }
      wpol_diags_free (&d);
      wpol_buf b = { 0 };
      wpol_format (f, &b);
      wpol_file_free (f);
      if (b.oom)
        {
          fprintf (stderr, "ward policy fmt: %s: out of memory\n", argv[i]);
          rc = 1;
        }
      else if (write)
        {
          char *tmp = malloc (strlen (argv[i]) + 8);
          FILE *out = tmp ? (sprintf (tmp, "%s.fmt~", argv[i]), fopen (tmp, "we")) : NULL;
          if (out == NULL || fwrite (b.s ? b.s : "", 1, b.len, out) != b.len
              || fclose (out) != 0 || rename (tmp, argv[i]) != 0)
            {
              fprintf (stderr, "ward policy fmt: cannot rewrite `%s`: %s\n", argv[i],
                       strerror (errno));
              rc = 1;
            }
          free (tmp);
        }
      else
        fwrite (b.s ? b.s : "", 1, b.len, stdout);
      wpol_buf_free (&b);
    }
  return rc;
}

/* ---- store commands ---------------------------------------------------- */

static const char *
take_db (int *argc, char **argv, const char *cmd)
{
  const char *db = NULL;
  int o = 1;
  for (int i = 1; i < *argc; i++)
    {
      if (strcmp (argv[i], "--db") == 0 && i + 1 < *argc)
        db = argv[++i];
      else if (strncmp (argv[i], "--db=", 5) == 0)
        db = argv[i] + 5;
      else
        argv[o++] = argv[i];
    }
  *argc = o;
  return db;
}

/* After a load or remove: every definition it changed, then one line. */
static void __attribute__ ((format (printf, 5, 6)))
report_change (const char *cmd, wpol_store *st, int r, ward_err *err, const char *fmt, ...)
{
  uint64_t v = 0;
  if (r < 0)
    {
      print_error (cmd, err->msg);
      return;
    }
  const char *ch = wpol_store_changes (st);
  fputs (*ch ? ch : "(no definition changed)\n", stdout);
  if (wpol_store_version (st, &v, err) < 0)
    return;
  va_list ap;
  va_start (ap, fmt);
  vprintf (fmt, ap);
  va_end (ap);
  printf (" (version %llu)\n", (unsigned long long) v);
}

static int
cmd_load (int argc, char **argv)
{
  const char *db = take_db (&argc, argv, "load");
  if (db == NULL)
    return usage_error ("load", "%s", "--db DB is required");
  if (argc < 2)
    return usage_error ("load", "%s", "no file given");
  for (int i = 1; i < argc; i++)
    if (argv[i][0] == '-' && argv[i][1])
      return usage_error ("load", "unknown option `%s`", argv[i]);
  ward_err err;
  wpol_store *st = wpol_store_open (db, WPOL_STORE_CREATE, &err);
  if (st == NULL)
    {
      print_error ("load", err.msg);
      return 1;
    }
  wpol_diags d;
  wpol_diags_init (&d);
  int r = wpol_store_load_files (st, (const char *const *) argv + 1, (size_t) argc - 1, &d, &err);
  print_diags (&d);
  wpol_diags_free (&d);
  size_t nl = wpol_store_loaded (st);    /* each section of an export counts */
  report_change ("load", st, r, &err, "loaded %zu file%s into %s", nl, nl == 1 ? "" : "s", db);
  wpol_store_close (st);
  return r < 0 ? 1 : 0;
}

static int
cmd_remove (int argc, char **argv)
{
  const char *db = take_db (&argc, argv, "remove");
  if (db == NULL)
    return usage_error ("remove", "%s", "--db DB is required");
  if (argc < 2)
    return usage_error ("remove", "%s", "no file or policy given");
  for (int i = 1; i < argc; i++)
    if (argv[i][0] == '-' && argv[i][1])
      return usage_error ("remove", "unknown option `%s`", argv[i]);
  ward_err err;
  wpol_store *st = wpol_store_open (db, 0, &err);
  if (st == NULL)
    {
      print_error ("remove", err.msg);
      return 1;
    }
  wpol_diags d;
  wpol_diags_init (&d);
  int r = wpol_store_remove (st, (const char *const *) argv + 1, (size_t) argc - 1, &d, &err);
  print_diags (&d);
  wpol_diags_free (&d);
  report_change ("remove", st, r, &err, "removed from %s", db);
  wpol_store_close (st);
  return r < 0 ? 1 : 0;
}

static int
cmd_list_export (int argc, char **argv, int export)
{
  const char *cmd = export ? "export" : "list";
  const char *db = take_db (&argc, argv, cmd);
  if (db == NULL)
    return usage_error (cmd, "%s", "--db DB is required");
  if (argc > 1)
    return usage_error (cmd, "unexpected argument `%s`", argv[1]);
  ward_err err;
  wpol_store *st = wpol_store_open (db, WPOL_STORE_READONLY, &err);
  if (st == NULL)
    {
      print_error (cmd, err.msg);
      return 1;
    }
  int r = export ? wpol_store_export (st, stdout, &err) : wpol_store_list (st, stdout, &err);
  if (r < 0)
    print_error (cmd, err.msg);
  wpol_store_close (st);
  return r < 0 ? 1 : 0;
}

/* ---- requests (explain, test) ------------------------------------------ */

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
    return "unknown key (pid, host, parent, target.actor, target.host, target.parent, scope, meta.NAME)";
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
      snprintf (buf, size, "%s:%u (policy \"%s\")%s", r->rule->file, r->rule->line,
                r->rule->policy, r->reason == WPOL_BY_RULE_ERROR ? ", condition error: fails closed" : "");
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
      print_error (cmd, err.msg);
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
    print_diags (&d);
  wpol_diags_free (&d);
  if (r < 0)
    {
      print_error (cmd, err.msg);
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

static int
cmd_explain (int argc, char **argv)
{
  const char *db = take_db (&argc, argv, "explain"), *policies[64];
  size_t np = 0;
  request q;
  memset (&q, 0, sizeof q);
  int rc = 2;
  for (int i = 1; i < argc; i++)
    {
      const char *o = argv[i];
      if (i + 1 >= argc)
        {
          rc = usage_error ("explain", "`%s` needs a value or is unknown", o);
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
              rc = usage_error ("explain", "%s", msg);
              goto out;
            }
        }
      else
        {
          rc = usage_error ("explain", "unknown option `%s`", o);
          goto out;
        }
    }
  if ((db == NULL) == (np == 0))
    {
      rc = usage_error ("explain", "%s", "give either --db DB or --policy FILE");
      goto out;
    }
  if (!q.actor || !q.action || !q.resource)
    {
      rc = usage_error ("explain", "%s", "--actor, --action and --resource are required");
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

static int
cmd_test (int argc, char **argv)
{
  const char *db = take_db (&argc, argv, "test"), *policies[64], *testfile = NULL;
  size_t np = 0;
  for (int i = 1; i < argc; i++)
    {
      if (strcmp (argv[i], "--db") == 0 && i + 1 < argc)
        db = argv[++i];
      else if (strcmp (argv[i], "--policy") == 0 && i + 1 < argc && np < 64)
        policies[np++] = argv[++i];
      else if (argv[i][0] == '-' && argv[i][1])
        return usage_error ("test", "unknown option `%s`", argv[i]);
      else if (testfile == NULL)
        testfile = argv[i];
      else
        return usage_error ("test", "unexpected argument `%s`", argv[i]);
    }
  if ((db == NULL) == (np == 0))
    return usage_error ("test", "%s", "give either --db DB or --policy FILE");
  if (testfile == NULL)
    return usage_error ("test", "%s", "no test file given");
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

int
ward_policy_cli (int argc, char **argv)
{
  if (argc < 2 || strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0
      || strcmp (argv[1], "help") == 0)
    {
      fputs (usage_main, argc < 2 ? stderr : stdout);
      return argc < 2 ? 2 : 0;
    }
  const char *cmd = argv[1];
  argc--;
  argv++;
  static const char *const cmds[] = { "check", "fmt", "load", "remove", "list", "export",
                                      "explain", "test", NULL };
  int known = 0;
  for (size_t i = 0; cmds[i]; i++)
    known |= strcmp (cmds[i], cmd) == 0;
  if (!known)
    {
      const char *sug = wpol_suggest (cmd, cmds);
      fprintf (stderr, "ward policy: unknown command `%s`%s%s%s\n%s", cmd,
               sug ? "; did you mean `" : "", sug ? sug : "", sug ? "`?" : "", usage_main);
      return 2;
    }
  if (want_help (argc, argv, cmd))
    return 0;
  if (strcmp (cmd, "check") == 0)
    return cmd_check (argc, argv);
  if (strcmp (cmd, "fmt") == 0)
    return cmd_fmt (argc, argv);
  if (strcmp (cmd, "load") == 0)
    return cmd_load (argc, argv);
  if (strcmp (cmd, "remove") == 0)
    return cmd_remove (argc, argv);
  if (strcmp (cmd, "list") == 0)
    return cmd_list_export (argc, argv, 0);
  if (strcmp (cmd, "export") == 0)
    return cmd_list_export (argc, argv, 1);
  if (strcmp (cmd, "explain") == 0)
    return cmd_explain (argc, argv);
  return cmd_test (argc, argv);
}
