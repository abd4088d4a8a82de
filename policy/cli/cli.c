/* cli.c -- `ward policy check|fmt|load|remove|list|export|diff|history|
 * rollback|explain|test`: the
 * command line over the checker, formatter, store and engine. This file:
 * the commands on files and on the store; explain and test, which ask the
 * engine, are in cli_request.c. */
#include "config.h"
#include "cli.h"
#include "wesc.h"
#include "wpg.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage_main[] =
  "usage: ward policy COMMAND [ARGS]\n"
  "\n"
  "  check FILE...                       report errors and warnings (exit 1 on an error)\n"
  "  fmt [-w] FILE...                    print the canonical form (-w: rewrite the files)\n"
  "  load --db DB FILE...                replace these files' definitions in the store\n"
  "  remove --db DB FILE|POLICY...       take files or policies out of the store\n"
  "  list --db DB                        what the store holds\n"
  "  export --db DB                      every definition as policy text\n"
  "  diff --db DB FILE...                what loading the files would change (exit 1 if any)\n"
  "  history --db DB [--json]            the versions of the store\n"
  "  rollback --db DB --to N             make the store hold version N again\n"
  "  explain (--db DB | --policy FILE)... --actor ID --action A --resource R\n"
  "          [--attr KEY=VALUE]... [--scope NAME]... [--meta KEY=VALUE]... [--json]\n"
  "                                      the decision, the rule that made it, and why\n"
  "  test (--db DB | --policy FILE)... [--coverage] [--min-coverage N] [--json] TESTFILE\n"
  "                                      check expected decisions (see ward-policy(5))\n"
  "\n"
  "DB is a store file (SQLite), or a PostgreSQL connection string\n"
  "(postgresql://USER@HOST/DBNAME, or host=... dbname=...; the PG* environment\n"
  "and ~/.pgpass fill in the rest), shared by every host: see ward-fleet(7).\n"
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
  { "diff", "usage: ward policy diff --db DB FILE...\n"
    "Check the files as `load` would and print what loading them would change,\n"
    "writing nothing: `+`, `-` and `~` lines as `load` prints them, each `~`\n"
    "followed by the lines of the definition that would go (`    - `) and come\n"
    "(`    + `); for a policy, its rules. Exit status as diff(1): 0 nothing\n"
    "would change, 1 something would, 2 an error (nothing is previewed).\n" },
  { "history", "usage: ward policy history --db DB [--json]\n"
    "List the versions of the store, oldest first: number, time (UTC), user,\n"
    "the SHA-256 of the content (first 16 digits), what made it (load, remove,\n"
    "rollback to N) and the files it touched. A store made by an older ward\n"
    "starts its history, when first opened, at the version it was at.\n"
    "--json: an array of objects (version, time, user, hash in full, what,\n"
    "files).\n" },
  { "rollback", "usage: ward policy rollback --db DB --to N\n"
    "Make the store hold again the files version N held (see `ward policy\n"
    "history`), in one transaction, as a new version; prints what changed as\n"
    "`load` does. A running ward picks it up like any load.\n" },
  { "explain", "usage: ward policy explain (--db DB | --policy FILE)... --actor ID\n"
    "       --action A --resource R [--attr KEY=VALUE]... [--scope NAME]...\n"
    "       [--meta KEY=VALUE]... [--json]\n"
    "Print the request's attributes, the declaration that matched the actor\n"
    "(pattern, file:line:col) and the scope it gave, every rule of the scope in\n"
    "file order with why it applies or not (action, resource, the false part of\n"
    "its condition and the values compared), then the decision and the deciding\n"
    "rule (policy, file:line) or `no rule matched`. An unknown action is warned\n"
    "about. Attribute keys: pid, host, parent, target.actor, target.host,\n"
    "target.parent, path, address. --json: one JSON object.\n" },
  { "test", "usage: ward policy test (--db DB | --policy FILE)... [--coverage]\n"
    "                        [--min-coverage N] [--json] TESTFILE\n"
    "Each line of TESTFILE is\n"
    "  `allow|deny ACTOR ACTION RESOURCE [KEY=VALUE]... [by WHAT]`\n"
    "(KEY: pid, host, parent, target.actor, target.host, target.parent,\n"
    "target.names=a,b, path, address, scope=a,b, meta.NAME; WHAT: FILE:LINE,\n"
    "policy NAME, default or undeclared: what must have decided); `#` starts a\n"
    "comment; words may be \"quoted\". An unknown action, key, policy or\n"
    "undeclared actor is an error at its file:line:col. Prints a pass/fail\n"
    "table (--json: one JSON object); --coverage adds the rules no expectation\n"
    "decided, per policy and in total; --min-coverage N (implies --coverage)\n"
    "fails below N%. Exits 1 when a line fails, the file has errors or no\n"
    "expectation, or coverage is short.\n" },

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

int
wpol_cli_usage_error (const char *cmd, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  fprintf (stderr, "ward policy %s: ", cmd);
  vfprintf (stderr, fmt, ap);
  va_end (ap);
  fprintf (stderr, "\n(see `ward policy %s --help`)\n", cmd);
  return 2;
}

void
wpol_cli_print_diags (wpol_diags *d)
{
  wpol_diags_sort (d);
  wpol_diags_print (d, stderr);
}

void
wpol_cli_print_error (const char *cmd, const char *msg)
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
    return wpol_cli_usage_error ("check", "%s", "no file given");
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
  wpol_analyse (files, nf, &d);
  wpol_cli_print_diags (&d);
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
        return wpol_cli_usage_error ("fmt", "unknown option `%s`", argv[i]);
      nfiles++;
    }
  if (nfiles == 0)
    return wpol_cli_usage_error ("fmt", "%s", "no file given");
  for (int i = 1; i < argc; i++)
    {
      if (strcmp (argv[i], "-w") == 0)
        continue;
      wpol_diags d;
      wpol_diags_init (&d);
      wpol_file *f = wpol_parse_path (argv[i], &d);
      if (f == NULL || f->nerrors)
        {
          wpol_cli_print_diags (&d);
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

const char *
wpol_cli_take_db (int *argc, char **argv, const char *cmd)
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
      wpol_cli_print_error (cmd, err->msg);
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

/* `ward policy load|remove --db DB OPERAND...`: a change to the store. */
static int
cmd_change (int argc, char **argv, int remove)
{
  const char *cmd = remove ? "remove" : "load";
  const char *db = wpol_cli_take_db (&argc, argv, cmd);
  if (db == NULL)
    return wpol_cli_usage_error (cmd, "%s", "--db DB is required");
  if (argc < 2)
    return wpol_cli_usage_error (cmd, "%s", remove ? "no file or policy given" : "no file given");
  for (int i = 1; i < argc; i++)
    if (argv[i][0] == '-' && argv[i][1])
      return wpol_cli_usage_error (cmd, "unknown option `%s`", argv[i]);
  ward_err err;
  wpol_store *st = wpol_store_open (db, remove ? 0 : WPOL_STORE_CREATE, &err);
  if (st == NULL)
    {
      wpol_cli_print_error (cmd, err.msg);
      return 1;
    }
  wpol_diags d;
  wpol_diags_init (&d);
  const char *const *ops = (const char *const *) argv + 1;
  int r = remove ? wpol_store_remove (st, ops, (size_t) argc - 1, &d, &err)
                 : wpol_store_load_files (st, ops, (size_t) argc - 1, &d, &err);
  wpol_cli_print_diags (&d);
  wpol_diags_free (&d);
  char name[256];                 /* a connection string without its password */
  if (wpg_is_conninfo (db))
    db = wpg_display (db, name, sizeof name);
  if (remove)
    report_change (cmd, st, r, &err, "removed from %s", db);
  else
    {
      size_t nl = wpol_store_loaded (st);    /* each section of an export counts */
      report_change (cmd, st, r, &err, "loaded %zu file%s into %s", nl, nl == 1 ? "" : "s", db);
    }
  wpol_store_close (st);
  return r < 0 ? 1 : 0;
}

static int
cmd_list_export (int argc, char **argv, int export)
{
  const char *cmd = export ? "export" : "list";
  const char *db = wpol_cli_take_db (&argc, argv, cmd);
  if (db == NULL)
    return wpol_cli_usage_error (cmd, "%s", "--db DB is required");
  if (argc > 1)
    return wpol_cli_usage_error (cmd, "unexpected argument `%s`", argv[1]);
  ward_err err;
  wpol_store *st = wpol_store_open (db, WPOL_STORE_READONLY, &err);
  if (st == NULL)
    {
      wpol_cli_print_error (cmd, err.msg);
      return 1;
    }
  int r = export ? wpol_store_export (st, stdout, &err) : wpol_store_list (st, stdout, &err);
  if (r < 0)
    wpol_cli_print_error (cmd, err.msg);
  wpol_store_close (st);
  return r < 0 ? 1 : 0;
}

/* `ward policy diff --db DB FILE...`: a load previewed. */
static int
cmd_diff (int argc, char **argv)
{
  const char *db = wpol_cli_take_db (&argc, argv, "diff");
  if (db == NULL)
    return wpol_cli_usage_error ("diff", "%s", "--db DB is required");
  if (argc < 2)
    return wpol_cli_usage_error ("diff", "%s", "no file given");
  for (int i = 1; i < argc; i++)
    if (argv[i][0] == '-' && argv[i][1])
      return wpol_cli_usage_error ("diff", "unknown option `%s`", argv[i]);
  ward_err err;
  wpol_store *st = wpol_store_open (db, WPOL_STORE_READONLY, &err);
  if (st == NULL)
    {
      wpol_cli_print_error ("diff", err.msg);
      return 2;
    }
  wpol_store_preview (st, 1);
  wpol_diags d;
  wpol_diags_init (&d);
  int r = wpol_store_load_files (st, (const char *const *) argv + 1, (size_t) argc - 1, &d,
                                 &err);
  wpol_cli_print_diags (&d);
  wpol_diags_free (&d);
  int rc = 2;
  if (r < 0)
    wpol_cli_print_error ("diff", err.msg);
  else
    {
      const char *ch = wpol_store_changes (st);
      fputs (*ch ? ch : "(no definition would change)\n", stdout);
      rc = *ch ? 1 : 0;
    }
  wpol_store_close (st);
  return rc;
}

static int
cmd_history (int argc, char **argv)
{
  const char *db = wpol_cli_take_db (&argc, argv, "history");
  int json = 0;
  if (db == NULL)
    return wpol_cli_usage_error ("history", "%s", "--db DB is required");
  for (int i = 1; i < argc; i++)
    if (strcmp (argv[i], "--json") == 0)
      json = 1;
    else
      return wpol_cli_usage_error ("history", "unexpected argument `%s`", argv[i]);
  ward_err err;
  /* writable: a store of an older schema is upgraded, starting its history */
  wpol_store *st = wpol_store_open (db, 0, &err);
  if (st == NULL)
    {
      wpol_cli_print_error ("history", err.msg);
      return 1;
    }
  int r = wpol_store_history (st, json, stdout, &err);
  if (r < 0)
    wpol_cli_print_error ("history", err.msg);
  wpol_store_close (st);
  return r < 0 ? 1 : 0;
}

static int
cmd_rollback (int argc, char **argv)
{
  const char *db = wpol_cli_take_db (&argc, argv, "rollback"), *to = NULL;
  if (db == NULL)
    return wpol_cli_usage_error ("rollback", "%s", "--db DB is required");
  for (int i = 1; i < argc; i++)
    {
      if (strcmp (argv[i], "--to") == 0 && i + 1 < argc)
        to = argv[++i];
      else if (strncmp (argv[i], "--to=", 5) == 0)
        to = argv[i] + 5;
      else
        return wpol_cli_usage_error ("rollback", "unexpected argument `%s`", argv[i]);
    }
  if (to == NULL)
    return wpol_cli_usage_error ("rollback", "%s", "--to N is required");
  char *end;
  errno = 0;
  unsigned long long n = strtoull (to, &end, 10);
  if (*to < '0' || *to > '9' || *end != '\0' || errno)
    return wpol_cli_usage_error ("rollback", "--to `%s`: expected a version number "
                                 "(see `ward policy history`)", to);
  ward_err err;
  wpol_store *st = wpol_store_open (db, 0, &err);
  if (st == NULL)
    {
      wpol_cli_print_error ("rollback", err.msg);
      return 1;
    }
  wpol_diags d;
  wpol_diags_init (&d);
  int r = wpol_store_rollback (st, n, &d, &err);
  wpol_cli_print_diags (&d);
  wpol_diags_free (&d);
  report_change ("rollback", st, r, &err, "rolled %s back to version %llu", db, n);
  wpol_store_close (st);
  return r < 0 ? 1 : 0;
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
                                      "diff", "history", "rollback", "explain", "test", NULL };
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
    return cmd_change (argc, argv, 0);
  if (strcmp (cmd, "remove") == 0)
    return cmd_change (argc, argv, 1);
  if (strcmp (cmd, "list") == 0)
    return cmd_list_export (argc, argv, 0);
  if (strcmp (cmd, "export") == 0)
    return cmd_list_export (argc, argv, 1);
  if (strcmp (cmd, "diff") == 0)
    return cmd_diff (argc, argv);
  if (strcmp (cmd, "history") == 0)
    return cmd_history (argc, argv);
  if (strcmp (cmd, "rollback") == 0)
    return cmd_rollback (argc, argv);
  if (strcmp (cmd, "explain") == 0)
    return wpol_cli_explain (argc, argv);
  return wpol_cli_test (argc, argv);
}
