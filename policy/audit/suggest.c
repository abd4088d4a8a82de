/* suggest.c -- `ward audit suggest`: from recorded denials, policy text
 * that would allow them, for a person to review. One policy per actor;
 * inside it the narrowest rules come first:
 *   1. literal resources (process ids, hosts, names, modules, paths), with
 *      a wider pattern offered in a comment (for a path, everything below
 *      its directory; never a bare "**");
 *   2. PIDs, which change from run to run, by how the target relates to the
 *      caller: its own children, its parent, processes of a given actor.
 * Each policy comes with the actor declaration that puts it in that actor's
 * scope (and in no other actor's): default deny gives an undeclared actor
 * nothing, and a policy no scope names applies to nobody.
 * Denials made by a deny rule (an allow cannot override it), by a --deny
 * test rule, of malformed requests, calls on a PID whose target had
 * already exited (nothing narrower than "any process on the host" is
 * known: never suggested silently), and calls whose rule would need a
 * string longer than the language takes (WPOL_MAX_STRING) are explained
 * in comments instead.
 * The text is parsed and checked before it is printed (suggest_print.c
 * writes it). */
#include "config.h"
#include "suggest.h"
#include "wesc.h"
#include "wgrow.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *
dup (sg *s, const char *t)
{
  if (t == NULL)
    return NULL;
  char *d = strdup (t);
  if (d == NULL)
    s->oom = 1;
  return d;
}

/* Room for element n of the array at v (ward_grow), new elements zeroed. */
static int
grow (void **v, size_t *cap, size_t n, size_t elsz)
{
  size_t old = *cap;
  if (ward_grow (v, cap, n + 1, elsz, 8) < 0)
    return -1;
  if (*cap > old)
    memset ((char *) *v + old * elsz, 0, (*cap - old) * elsz);
  return 0;
}

int
wpol_sg_streq (const char *a, const char *b)
{
  return (a == NULL && b == NULL) || (a && b && strcmp (a, b) == 0);
}

static group *
group_for (sg *s, const wpol_arow *w)
{
  int rq = w->note && strcmp (w->note, WPOL_AUDIT_NOTE_REQUEST_SCOPE) == 0;
  for (size_t i = 0; i < s->ng; i++)
    if (wpol_sg_streq (s->g[i].actor, w->actor) && wpol_sg_streq (s->g[i].scope, w->scope)
        && s->g[i].request_scope == rq)
      return &s->g[i];
  if (grow ((void **) &s->g, &s->capg, s->ng, sizeof *s->g) < 0)
    {
      s->oom = 1;
      return NULL;
    }
  group *g = &s->g[s->ng++];
  g->actor = dup (s, w->actor ? w->actor : "?");
  g->scope = dup (s, w->scope);
  g->request_scope = rq;
  g->first = w->ts;
  return g;
}

static void
add_note (sg *s, group *g, const char *key, const char *text, int64_t n)
{
  for (size_t i = 0; i < g->nn; i++)
    if (strcmp (g->notes[i].key, key) == 0)
      {
        g->notes[i].n += n;
        return;
      }
  if (grow ((void **) &g->notes, &g->capn, g->nn, sizeof *g->notes) < 0)
    {
      s->oom = 1;
      return;
    }
  note *t = &g->notes[g->nn++];
  t->key = dup (s, key);
  t->text = dup (s, text);
  t->n = n;
}

/* add_note with the text t holds, or the out-of-memory mark when t ran
 * out of memory. */
static void
add_note_buf (sg *s, group *g, const char *key, const wpol_buf *t, int64_t n)
{
  if (t->oom)
    s->oom = 1;
  else
    add_note (s, g, key, t->s, n);
}

static void
add_cand (sg *s, group *g, const wpol_arow *w, int kind, const char *pattern, const char *cond,
          const char *wider, const char *what)
{
  for (size_t i = 0; i < g->nc; i++)
    {
      cand *c = &g->c[i];
      if (c->kind == kind && strcmp (c->action, w->action) == 0
          && strcmp (c->pattern, pattern) == 0 && wpol_sg_streq (c->cond, cond))
        {
          c->n += w->count;
          if (w->ts_last > c->last)
            c->last = w->ts_last;
          return;
        }
    }
  if (grow ((void **) &g->c, &g->capc, g->nc, sizeof *g->c) < 0)
    {
      s->oom = 1;
      return;
    }
  cand *c = &g->c[g->nc++];
  c->kind = kind;
  c->action = dup (s, w->action);
  c->pattern = dup (s, pattern);
  c->cond = dup (s, cond);
  c->wider = dup (s, wider);
  c->what = dup (s, what);
  c->example = dup (s, w->pid);
  c->n = w->count;
  c->last = w->ts_last;
}

void
wpol_sg_glob_escape (wpol_buf *b, const char *s)
{
  for (; *s; s++)
    {
      if (*s == '*' || *s == '?' || *s == '\\')
        wpol_buf_add (b, "\\", 1);
      wpol_buf_add (b, s, 1);
    }
}

const char *
wpol_sg_quoted (wpol_buf *t, const char *s)
{
  t->len = 0;
  wpol_buf_quote (t, s ? s : "");
  return t->oom || t->s == NULL ? "\"?\"" : t->s;
}

/* "{ward:main|0x0001f}" -> "ward:main" in host; 0 when it is not a PID. */
static int
pid_host (const char *r, char *host, size_t size)
{
  size_t n = strlen (r);
  const char *bar = strrchr (r, '|');
  if (n < 4 || r[0] != '{' || r[n - 1] != '}' || bar == NULL || (size_t) (bar - r - 1) >= size)
    return 0;
  snprintf (host, size, "%.*s", (int) (bar - r - 1), r + 1);
  return 1;
}

/* A rule for w would need a string literal of len bytes (what: which
 * one) past the language's limit: a note instead. */
static void
too_long (sg *s, group *g, const wpol_arow *w, const char *what, const char *str, size_t len)
{
  char key[300];
  snprintf (key, sizeof key, "long\x1f%s\x1f%s", w->action, what);
  char *shown = ward_esc_str (str, 40);
  wpol_buf t = { 0 };
  wpol_buf_printf (&t, "%s on %s longer than %u bytes (e.g. %zu bytes: %s):\n#   a policy "
                   "string holds at most %u bytes; write a pattern yourself if these should "
                   "be allowed", w->action, what, WPOL_MAX_STRING, len, shown ? shown : "?",
                   WPOL_MAX_STRING);
  free (shown);
  add_note_buf (s, g, key, &t, w->count);
  wpol_buf_free (&t);
}

/* A denial on a PID: a rule by how the target relates to the caller (its
 * parent, its children, the processes of an actor), or a note when the
 * target had exited or its actor's name is too long for a rule. */
static void
classify_pid (sg *s, group *g, const wpol_arow *w, const char *res, const char *host)
{
  wpol_buf pat = { 0 }, cond = { 0 }, wide = { 0 }, what = { 0 };
  char *pid = w->attrs ? wpol_json_get (w->attrs, "pid") : NULL;
  char *parent = w->attrs ? wpol_json_get (w->attrs, "parent") : NULL;
  char *tactor = w->attrs ? wpol_json_get (w->attrs, "target.actor") : NULL;
  char *tparent = w->attrs ? wpol_json_get (w->attrs, "target.parent") : NULL;
  int kind;
  wpol_buf_puts (&pat, "{");
  wpol_sg_glob_escape (&pat, host);
  wpol_buf_puts (&pat, "|*}");
  if (parent && parent[0] && strcmp (parent, res) == 0)
    {
      kind = K_PARENT;
      wpol_buf_puts (&cond, "attr has \"parent\" and resource == attr.parent");
      wpol_buf_puts (&what, "the process that spawned the caller");
    }
  else if (tparent && pid && strcmp (tparent, pid) == 0)
    {
      kind = K_CHILD;
      wpol_buf_puts (&cond, "target has \"parent\" and target.parent == attr.pid");
      wpol_buf_puts (&what, "the caller's own children");
    }
  else if (tactor && strlen (tactor) > WPOL_MAX_STRING)
    {
      too_long (s, g, w, "processes of an actor whose name is", tactor, strlen (tactor));
      kind = -1;
    }
  else if (tactor)
    {
      kind = K_TACTOR;
      wpol_buf_puts (&cond, "target has \"actor\" and target.actor == ");
      wpol_buf_quote (&cond, tactor);
      wpol_buf qa = { 0 };
      wpol_buf_printf (&what, "processes of actor %s", wpol_sg_quoted (&qa, tactor));
      wpol_buf_free (&qa);
      wpol_buf_puts (&wide, pat.s);
    }
  else
    {
      /* no target.* attributes: the target had exited before the call.
       * The only rule that would allow it is every process on the host,
       * which is no suggestion to make silently. */
      char key[600];
      wpol_buf qh = { 0 };
      snprintf (key, sizeof key, "exited\x1f%s\x1f%s", w->action, host);
      wpol_buf_printf (&what, "%s on a PID of host %s: the target had already exited\n"
                       "#   (the record has no target.* attributes), so nothing narrower "
                       "than any\n#   process on the host is known. If that is what you "
                       "mean, write it yourself:\n#   allow %s on ", w->action,
                       wpol_sg_quoted (&qh, host), w->action);
      wpol_buf_free (&qh);
      wpol_buf_quote (&what, pat.s ? pat.s : "");
      wpol_buf_puts (&what, ";");
      add_note_buf (s, g, key, &what, w->count);
      kind = -1;
    }
  if (kind < 0)
    ;
  else if (!pat.oom && !cond.oom && !wide.oom && !what.oom)
    add_cand (s, g, w, kind, pat.s, cond.s, wide.s, what.s);
  else
    s->oom = 1;
  free (pid);
  free (parent);
  free (tactor);
  free (tparent);
  wpol_buf_free (&pat);
  wpol_buf_free (&cond);
  wpol_buf_free (&wide);
  wpol_buf_free (&what);
}

/* A denial on a literal resource: a rule for exactly it, with a wider
 * pattern to offer in a comment. */
static void
classify_lit (sg *s, group *g, const wpol_arow *w, const char *res)
{
  wpol_buf pat = { 0 }, wide = { 0 };
  wpol_sg_glob_escape (&pat, res);
  if (pat.len > WPOL_MAX_STRING)
    {
      too_long (s, g, w, "resources", res, strlen (res));
      wpol_buf_free (&pat);
      return;
    }
  /* wider: the namespace of a process id (a.b:c -> a.b:*), or the last
   * dotted segment of a name (a.b.c -> a.b.*); for a path (fs.*),
   * everything below its directory ("**" after the directory's slash),
   * never the whole tree from the root */
  int path = res[0] == '/';
  const char *cut = path ? strrchr (res, '/') : strrchr (res, ':');
  if (cut == NULL)
    cut = strrchr (res, '.');
  if (path && cut == res)
    cut = NULL;
  if (cut && cut > res && cut[1])
    {
      char *head = strndup (res, (size_t) (cut - res + 1));
      if (head)
        {
          wpol_sg_glob_escape (&wide, head);
          wpol_buf_puts (&wide, path ? "**" : "*");
          free (head);
        }
    }
  if (wide.len > WPOL_MAX_STRING)
    wpol_buf_free (&wide);    /* no wider pattern to offer */
  if (!pat.oom && !wide.oom)
    add_cand (s, g, w, K_LIT, pat.s ? pat.s : "", NULL, wide.s, NULL);
  else
    s->oom = 1;
  wpol_buf_free (&pat);
  wpol_buf_free (&wide);
}

/* A denial by default deny: a candidate rule, or a note. */
static void
classify (sg *s, group *g, const wpol_arow *w)
{
  char host[256];
  const char *res = w->resource ? w->resource : "";
  if (w->action && wpol_action_on_pid (w->action) && pid_host (res, host, sizeof host))
    classify_pid (s, g, w, res, host);
  else
    classify_lit (s, g, w, res);
}

/* A denial on a resource stored cut: a rule on its first bytes would name
 * another resource, so a note. */
static void
note_cut (sg *s, group *g, const wpol_arow *w)
{
  char ckey[300];
  wpol_buf c = { 0 };
  snprintf (ckey, sizeof ckey, "cut\x1f%s", w->action);
  wpol_buf_printf (&c, "%s: denials on resources too long to be stored whole (over %d "
                   "bytes); nothing to suggest", w->action, WPOL_AUDIT_RESOURCE_MAX);
  add_note_buf (s, g, ckey, &c, w->count);
  wpol_buf_free (&c);
}

/* A denial that no allow lifts (a deny rule, the --deny test rule, a
 * malformed request, ward's own refusal): the note that says why. */
static void
note_refusal (sg *s, group *g, const wpol_arow *w, const char *reason)
{
  char key[1024];
  wpol_buf t = { 0 };
  if (strcmp (reason, "--deny") == 0)
    {
      snprintf (key, sizeof key, "--deny\x1f%s\x1f%lld", w->action, (long long) w->rule_line);
      wpol_buf_printf (&t, "%s: denied by the test rule `--deny` on the command line "
                       "(%s); nothing to suggest", w->action, w->rule_text ? w->rule_text : "");
    }
  else if (strcmp (reason, "malformed request") == 0)
    {
      snprintf (key, sizeof key, "bad\x1f%s", w->action);
      wpol_buf_printf (&t, "%s: a malformed request (refused whatever the policy says)",
                       w->action);
    }
  else if (w->rule_policy && strcmp (w->rule_policy, "ward") == 0 && w->rule_file
           && strcmp (w->rule_file, "ward") == 0)
    {
      /* an event ward records itself (policy/include/actions.def, E): a breach of
       * the sandbox, or a call refused for a limit of the run */
      snprintf (key, sizeof key, "ward\x1f%s", w->action);
      wpol_buf_printf (&t, "%s: refused by ward itself, not by a policy; no rule allows "
                       "it%s", w->action, strncmp (w->action, "limit.", 6) == 0
                       ? " (a limit of the run: the option or sandbox profile field that "
                       "sets it raises it; see ward(1), Refusals for a limit)" : "");
    }
  else
    {
      snprintf (key, sizeof key, "rule\x1f%s\x1f%s\x1f%lld", w->action,
                w->rule_file ? w->rule_file : "", (long long) w->rule_line);
      wpol_buf qr = { 0 };
      wpol_buf_printf (&t, "%s on %s: denied by %s:%lld (policy \"%s\"): %s%s\n"
                       "#   an allow cannot override a deny; change that rule if this call "
                       "should be allowed", w->action, wpol_sg_quoted (&qr, w->resource),
                       w->rule_file ? w->rule_file : "?", (long long) w->rule_line,
                       w->rule_policy ? w->rule_policy : "?", w->rule_text ? w->rule_text : "",
                       strncmp (reason, "condition", 9) == 0 ? " (its condition failed, "
                       "which fails closed)" : "");
      wpol_buf_free (&qr);
    }
  add_note_buf (s, g, key, &t, w->count);
  wpol_buf_free (&t);
}

/* Denied by default deny: no rule matched, or the actor had no policy at all. */
static int
by_default (const char *reason)
{
  if (reason == NULL)
    return 0;
  size_t rl = strlen (reason);
  return strcmp (reason, "no rule matched") == 0
         || (strncmp (reason, "actor `", 7) == 0 && rl > 24
             && strcmp (reason + rl - 17, "` is not declared") == 0);
}

/* Gather the row w, when it is a denial, into the group of its actor and
 * scope: a candidate rule, or a note on why there is none. */
static void
take (sg *s, const wpol_arow *w)
{
  if (w->kind == NULL || strcmp (w->kind, "decision") != 0 || w->decision == NULL
      || strcmp (w->decision, "deny") != 0 || w->action == NULL)
    return;
  group *g = group_for (s, w);
  if (g == NULL)
    return;
  g->n += w->count;
  if (w->mode && strcmp (w->mode, "permissive") == 0)
    g->would += w->count;
  else
    g->enforced += w->count;
  if (w->ts < g->first)
    g->first = w->ts;
  if (w->ts_last > g->last)
    g->last = w->ts_last;
  if (w->resource_len > 0)
    {
      note_cut (s, g, w);
      return;
    }
  if (by_default (w->reason))
    classify (s, g, w);
  else
    note_refusal (s, g, w, w->reason ? w->reason : "");
}

void
wpol_sg_cand_free (cand *c)
{
  free (c->action);
  free (c->pattern);
  free (c->cond);
  free (c->wider);
  free (c->what);
  free (c->example);
}

void
wpol_sg_free (sg *s)
{
  for (size_t i = 0; i < s->ng; i++)
    {
      group *g = &s->g[i];
      for (size_t k = 0; k < g->nc; k++)
        wpol_sg_cand_free (&g->c[k]);
      for (size_t k = 0; k < g->nn; k++)
        {
          free (g->notes[k].key);
          free (g->notes[k].text);
        }
      free (g->c);
      free (g->notes);
      free (g->actor);
      free (g->scope);
      free (g->pname);
    }
  free (s->g);
}

/* The policy of group i, named PREFIX.ACTOR, with the actor declaration
 * after the actor's last policy. */
static void
print_one (sg *s, size_t i, const char *prefix, unsigned flags, wpol_buf *b)
{
  group *g = &s->g[i];
  g->split = (flags & WPOL_SUGGEST_SPLIT) != 0;
  if (g->nc)                      /* only notes: c is NULL, which qsort may not get */
    qsort (g->c, g->nc, sizeof *g->c, wpol_sg_cand_cmp);
  wpol_buf name = { 0 };
  wpol_buf_printf (&name, "%s.%s", prefix, g->actor);
  /* the same actor under two scopes: two policies */
  for (size_t k = 0; k < i; k++)
    if (strcmp (s->g[k].actor, g->actor) == 0)
      {
        wpol_buf_printf (&name, ".%zu", i + 1);
        break;
      }
  if (!name.oom && name.len > WPOL_MAX_STRING)
    {
      /* an actor id that long cannot name a policy: its notes, and why
       * nothing else is suggested */
      size_t nc = g->nc;
      g->nc = 0;
      wpol_sg_print_group (g, name.s, b);
      g->nc = nc;
      if (nc)
        wpol_buf_printf (b, "# not suggested: %zu rule%s, for the policy name %s.ACTOR "
                         "would be longer than the %u bytes a policy string holds\n",
                         nc, nc == 1 ? "" : "s", prefix, WPOL_MAX_STRING);
      wpol_buf_free (&name);
      return;
    }
  if (!name.oom)
    wpol_sg_print_group (g, name.s, b);
  if (g->nc && !name.oom && (g->pname = strdup (name.s)) == NULL)
    b->oom = 1;
  wpol_buf_free (&name);
  /* after the actor's last policy, its declaration */
  size_t k = i + 1;
  while (k < s->ng && (s->g[k].nc == 0 || strcmp (s->g[k].actor, g->actor) != 0))
    k++;
  if (g->pname && k == s->ng)
    wpol_sg_print_actor (s, i, b);
}

/* Does the printed text b parse and check? What we print must load: 0,
 * or -1 with err (and the diagnostics on stderr). */
static int
check_printed (const wpol_buf *b, ward_err *err)
{
  wpol_diags d;
  wpol_diags_init (&d);
  wpol_file *f = wpol_parse ("suggested.policy", b->s, b->len, &d);
  if (f)
    wpol_check (&f, 1, &d);
  int bad = f == NULL || d.nerrors > 0;
  if (bad)
    {
      wpol_diags_print (&d, stderr);
      ward_err_set (err, WARD_E_INTERNAL, 0, "the suggested policy does not check (a bug of "
                    "ward); it is printed anyway");
    }
  wpol_file_free (f);
  wpol_diags_free (&d);
  return bad ? -1 : 0;
}

int
wpol_sg_gather (sg *s, const wpol_arow *rows, size_t n, int64_t *total)
{
  *total = 0;
  for (size_t i = 0; i < n; i++)
    {
      take (s, &rows[i]);
      if (rows[i].kind && strcmp (rows[i].kind, "decision") == 0 && rows[i].decision
          && strcmp (rows[i].decision, "deny") == 0)
        *total += rows[i].count;
    }
  return s->oom ? -1 : 0;
}

int
wpol_sg_print (sg *s, const char *prefix, const char *header, int64_t total, unsigned flags,
               wpol_buf *b, ward_err *err)
{
  wpol_buf_printf (b, "# Suggested by `ward audit suggest` %s:\n# %lld denial%s of %zu "
                   "actor%s.\n", header, (long long) total, total == 1 ? "" : "s", s->ng,
                   s->ng == 1 ? "" : "s");
  if (flags & WPOL_SUGGEST_ANSWERED)
    wpol_buf_puts (b, "# Written from the answers to `ward audit suggest --interactive`: each\n"
                   "# rule below is one answer (allow, allow wider or deny).\n");
  else
    wpol_buf_puts (b, "# Review every rule before loading it: each allow widens what an actor\n"
                   "# may do. Narrowest patterns come first; wider ones are only comments.\n");
  if (s->ng == 0)
    wpol_buf_puts (b, "# No denials were recorded: nothing to suggest.\n");
  for (size_t i = 0; i < s->ng; i++)
    print_one (s, i, prefix, flags, b);
  if (b->oom)
    return ward_err_set (err, WARD_E_INTERNAL, ENOMEM, "building suggestions");
  return check_printed (b, err);
}

int
wpol_audit_suggest (const wpol_arow *rows, size_t n, const char *prefix, const char *header,
                    unsigned flags, FILE *out, ward_err *err)
{
  sg s = { 0 };
  int64_t total;
  if (wpol_sg_gather (&s, rows, n, &total) < 0)
    {
      wpol_sg_free (&s);
      return ward_err_set (err, WARD_E_INTERNAL, ENOMEM, "building suggestions");
    }
  wpol_buf b = { 0 };
  int r = wpol_sg_print (&s, prefix, header, total, flags, &b, err);
  wpol_sg_free (&s);
  if (b.oom)
    {
      wpol_buf_free (&b);
      return r;
    }
  fputs (b.s, out);
  wpol_buf_free (&b);
  return r;
}
