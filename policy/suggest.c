/* suggest.c -- `ward audit suggest`: from recorded denials, policy text
 * that would allow them, for a person to review. One policy per actor;
 * inside it the narrowest rules come first:
 *   1. literal resources (process ids, hosts, names, modules), with a wider
 *      pattern offered in a comment;
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
 * The text is parsed and checked before it is printed. */
#include "config.h"
#include "audit.h"
#include "wesc.h"
#include "wpol.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { K_LIT, K_CHILD, K_PARENT, K_TACTOR, K_N };

typedef struct cand {
  int kind;
  char *action, *pattern, *cond, *wider, *what;
  int64_t n, last;
  char *example;                  /* a caller PID */
  int used;
} cand;

typedef struct note {
  char *key, *text;
  int64_t n;
} note;

typedef struct group {
  char *actor, *scope;            /* scope: JSON array text, NULL = none recorded */
  int request_scope;              /* the scope was the request's (:with_scope) */
  char *pname;                    /* the suggested policy's name (when printed) */
  cand *c;
  size_t nc, capc;
  note *notes;
  size_t nn, capn;
  int64_t n, enforced, would, first, last;
} group;

typedef struct sg {
  group *g;
  size_t ng, capg;
  int oom;
} sg;

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

static int
grow (void **v, size_t *cap, size_t n, size_t elsz)
{
  if (n < *cap)
    return 0;
  size_t nc = *cap ? *cap * 2 : 8;
  void *nv = realloc (*v, nc * elsz);
  if (nv == NULL)
    return -1;
  memset ((char *) nv + *cap * elsz, 0, (nc - *cap) * elsz);
  *v = nv;
  *cap = nc;
  return 0;
}

static int
streq (const char *a, const char *b)
{
  return (a == NULL && b == NULL) || (a && b && strcmp (a, b) == 0);
}

static group *
group_for (sg *s, const wpol_arow *w)
{
  int rq = w->note && strcmp (w->note, WPOL_AUDIT_NOTE_REQUEST_SCOPE) == 0;
  for (size_t i = 0; i < s->ng; i++)
    if (streq (s->g[i].actor, w->actor) && streq (s->g[i].scope, w->scope)
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

static void
add_cand (sg *s, group *g, const wpol_arow *w, int kind, const char *pattern, const char *cond,
          const char *wider, const char *what)
{
  for (size_t i = 0; i < g->nc; i++)
    {
      cand *c = &g->c[i];
      if (c->kind == kind && strcmp (c->action, w->action) == 0
          && strcmp (c->pattern, pattern) == 0 && streq (c->cond, cond))
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

/* A resource as a pattern that matches exactly it. */
static void
glob_escape (wpol_buf *b, const char *s)
{
  for (; *s; s++)
    {
      if (*s == '*' || *s == '?' || *s == '\\')
        wpol_buf_add (b, "\\", 1);
      wpol_buf_add (b, s, 1);
    }
}

/* s in quotes with control characters escaped, for a comment: a string a
 * script chose (an actor id, a resource) must not end the comment and
 * forge a rule. Valid until the next call with the same t. */
static const char *
quoted (wpol_buf *t, const char *s)
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
  if (t.oom)
    s->oom = 1;
  else
    add_note (s, g, key, t.s, w->count);
  wpol_buf_free (&t);
}

static void
classify (sg *s, group *g, const wpol_arow *w)
{
  char host[256];
  wpol_buf pat = { 0 }, cond = { 0 }, wide = { 0 }, what = { 0 };
  const char *res = w->resource ? w->resource : "";
  if (w->action && wpol_action_on_pid (w->action) && pid_host (res, host, sizeof host))
    {
      char *pid = w->attrs ? wpol_json_get (w->attrs, "pid") : NULL;
      char *parent = w->attrs ? wpol_json_get (w->attrs, "parent") : NULL;
      char *tactor = w->attrs ? wpol_json_get (w->attrs, "target.actor") : NULL;
      char *tparent = w->attrs ? wpol_json_get (w->attrs, "target.parent") : NULL;
      int kind;
      wpol_buf_puts (&pat, "{");
      glob_escape (&pat, host);
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
          wpol_buf_printf (&what, "processes of actor %s", quoted (&qa, tactor));
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
                           quoted (&qh, host), w->action);
          wpol_buf_free (&qh);
          wpol_buf_quote (&what, pat.s ? pat.s : "");
          wpol_buf_puts (&what, ";");
          if (what.oom)
            s->oom = 1;
          else
            add_note (s, g, key, what.s, w->count);
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
    }
  else
    {
      glob_escape (&pat, res);
      if (pat.len > WPOL_MAX_STRING)
        {
          too_long (s, g, w, "resources", res, strlen (res));
          wpol_buf_free (&pat);
          return;
        }
      /* wider: the namespace of a process id (a.b:c -> a.b:*), or the last
       * dotted segment of a name (a.b.c -> a.b.*) */
      const char *cut = strrchr (res, ':');
      if (cut == NULL)
        cut = strrchr (res, '.');
      if (cut && cut > res && cut[1])
        {
          char *head = strndup (res, (size_t) (cut - res + 1));
          if (head)
            {
              glob_escape (&wide, head);
              wpol_buf_puts (&wide, "*");
              free (head);
            }
        }
      if (wide.len > WPOL_MAX_STRING)
        wpol_buf_free (&wide);    /* no wider pattern to offer */
      if (!pat.oom && !wide.oom)
        add_cand (s, g, w, K_LIT, pat.s ? pat.s : "", NULL, wide.s, NULL);
      else
        s->oom = 1;
    }
  wpol_buf_free (&pat);
  wpol_buf_free (&cond);
  wpol_buf_free (&wide);
  wpol_buf_free (&what);
}

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
      /* stored cut: a rule on its first bytes would name another resource */
      char ckey[300];
      wpol_buf c = { 0 };
      snprintf (ckey, sizeof ckey, "cut\x1f%s", w->action);
      wpol_buf_printf (&c, "%s: denials on resources too long to be stored whole (over %d "
                       "bytes); nothing to suggest", w->action, WPOL_AUDIT_RESOURCE_MAX);
      if (c.oom)
        s->oom = 1;
      else
        add_note (s, g, ckey, c.s, w->count);
      wpol_buf_free (&c);
      return;
    }
  const char *reason = w->reason ? w->reason : "";
  char key[1024];
  wpol_buf t = { 0 };
  /* default deny: no rule matched, or the actor had no policy at all */
  size_t rl = strlen (reason);
  if (strcmp (reason, "no rule matched") == 0
      || (strncmp (reason, "actor `", 7) == 0 && rl > 24
          && strcmp (reason + rl - 17, "` is not declared") == 0))
    {
      classify (s, g, w);
      return;
    }
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
                       "should be allowed", w->action, quoted (&qr, w->resource),
                       w->rule_file ? w->rule_file : "?", (long long) w->rule_line,
                       w->rule_policy ? w->rule_policy : "?", w->rule_text ? w->rule_text : "",
                       strncmp (reason, "condition", 9) == 0 ? " (its condition failed, "
                       "which fails closed)" : "");
      wpol_buf_free (&qr);
    }
  if (t.oom)
    s->oom = 1;
  else
    add_note (s, g, key, t.s, w->count);
  wpol_buf_free (&t);
}

/* ---- printing ---------------------------------------------------------- */

static int
cand_cmp (const void *a, const void *b)
{
  const cand *x = a, *y = b;
  if (x->kind != y->kind)
    return x->kind - y->kind;
  int c = strcmp (x->cond ? x->cond : "", y->cond ? y->cond : "");
  if (c)
    return c;
  if ((c = strcmp (x->action, y->action)))
    return c;
  return strcmp (x->pattern, y->pattern);
}

/* The patterns of (kind, cond, action) from index i on, joined: the key
 * under which actions with the same resources share a rule. */
static void
patterns_of (const group *g, size_t i, wpol_buf *out)
{
  const cand *c = &g->c[i];
  for (size_t j = i; j < g->nc; j++)
    {
      const cand *d = &g->c[j];
      if (d->kind != c->kind || !streq (d->cond, c->cond) || strcmp (d->action, c->action))
        break;
      wpol_buf_puts (out, d->pattern);
      wpol_buf_add (out, "\x1f", 1);
    }
}

static void
print_action (wpol_buf *b, const char *a)
{
  size_t i = 0;
  for (; a[i]; i++)
    if (!((a[i] >= 'a' && a[i] <= 'z') || (a[i] >= 'A' && a[i] <= 'Z') || a[i] == '_'
          || a[i] == '.' || (i && ((a[i] >= '0' && a[i] <= '9') || a[i] == '-'))))
      break;
  if (a[i] == '\0' && i > 0)
    wpol_buf_puts (b, a);
  else
    wpol_buf_quote (b, a);
}

static void
print_group (const group *g, const char *name, wpol_buf *b)
{
  char t1[40], t2[40];
  wpol_audit_time (g->first, t1, sizeof t1);
  wpol_audit_time (g->last, t2, sizeof t2);
  wpol_buf qa = { 0 }, qn = { 0 };
  wpol_buf_printf (b, "\n# ---- actor %s: %lld denial%s (%lld enforced, %lld would-be in "
                   "permissive mode), %s .. %s\n", quoted (&qa, g->actor), (long long) g->n,
                   g->n == 1 ? "" : "s", (long long) g->enforced, (long long) g->would, t1, t2);
  for (size_t i = 0; i < g->nn; i++)
    wpol_buf_printf (b, "# not suggested (%lld): %s\n", (long long) g->notes[i].n,
                     g->notes[i].text);
  wpol_buf_free (&qa);
  if (g->nc == 0)
    return;
  if (g->scope == NULL)
    wpol_buf_printf (b, "# No scope applied to this actor: it was not declared (so it had no\n"
                     "# policy) or was declared without a `scope`. The actor declaration\n"
                     "# below gives it %s and gives it to no other actor.\n", quoted (&qn, name));
  else if (g->request_scope)
    wpol_buf_printf (b, "# These requests had the scope %s, given at the spawn\n"
                     "# (:with_scope()): add %s to the builder's list for these\n"
                     "# rules to apply there. The actor declaration below gives it to the\n"
                     "# actor's processes spawned without a scope.\n",
                     g->scope, quoted (&qn, name));
  else
    wpol_buf_printf (b, "# This actor's scope was %s (from its actor declaration): the\n"
                     "# actor declaration below adds %s to that scope.\n",
                     g->scope, quoted (&qn, name));
  wpol_buf_free (&qn);
  wpol_buf_puts (b, "policy ");
  wpol_buf_quote (b, name);
  wpol_buf_puts (b, " {\n");
  static const char *const heads[K_N] = {
    "literal resources: the narrowest rules",
    "PIDs change from run to run: targets by their relation to the caller",
    NULL,
    "PIDs of processes of a given actor" };
  int last_kind = -1;
  for (size_t i = 0; i < g->nc; i++)
    {
      const cand *c = &g->c[i];
      if (c->used)
        continue;
      const char *head = heads[c->kind == K_PARENT ? K_CHILD : c->kind];
      if (c->kind != last_kind && head && !(c->kind == K_PARENT && last_kind == K_CHILD))
        wpol_buf_printf (b, "%s  # -- %s\n", last_kind >= 0 ? "\n" : "", head);
      last_kind = c->kind;
      /* every action of this (kind, cond) whose patterns equal c's */
      wpol_buf key = { 0 }, acts = { 0 }, pats = { 0 }, wide = { 0 };
      patterns_of (g, i, &key);
      int64_t n = 0, last = 0;
      const char *example = c->example;
      size_t nacts = 0;
      for (size_t j = i; j < g->nc; j++)
        {
          const cand *d = &g->c[j];
          if (d->used || d->kind != c->kind || !streq (d->cond, c->cond)
              || (j > i && strcmp (d->action, g->c[j - 1].action) == 0))
            continue;
          wpol_buf k2 = { 0 };
          patterns_of (g, j, &k2);
          int same = k2.s && key.s && strcmp (k2.s, key.s) == 0;
          wpol_buf_free (&k2);
          if (!same)
            continue;
          wpol_buf_puts (&acts, nacts++ ? ", " : "");
          print_action (&acts, d->action);
          for (size_t k = j; k < g->nc && g->c[k].kind == d->kind && streq (g->c[k].cond, d->cond)
                 && strcmp (g->c[k].action, d->action) == 0; k++)
            {
              cand *e = &g->c[k];
              e->used = 1;
              n += e->n;
              if (e->last > last)
                last = e->last, example = e->example;
              if (j == i)
                {
                  wpol_buf_puts (&pats, k > j ? ", " : "");
                  wpol_buf_quote (&pats, e->pattern);
                  if (e->wider && (wide.s == NULL || strstr (wide.s, e->wider) == NULL))
                    {
                      wpol_buf_puts (&wide, wide.len ? ", " : "");
                      wpol_buf_quote (&wide, e->wider);
                    }
                }
            }
        }
      char tl[40];
      wpol_audit_time (last, tl, sizeof tl);
      wpol_buf_printf (b, "  # %lld denial%s, the last at %s by %s%s%s\n", (long long) n,
                       n == 1 ? "" : "s", tl, example ? example : "?", c->what ? "; targets: " : "",
                       c->what ? c->what : "");
      wpol_buf_printf (b, "  allow %s on %s", acts.s ? acts.s : "", pats.s ? pats.s : "\"\"");
      if (c->cond)
        wpol_buf_printf (b, "\n    when %s", c->cond);
      wpol_buf_puts (b, ";\n");
      if (wide.s && (c->kind != K_LIT || strcmp (wide.s, pats.s ? pats.s : "") != 0))
        wpol_buf_printf (b, "  # wider: allow %s on %s;\n", acts.s ? acts.s : "", wide.s);
      wpol_buf_free (&key);
      wpol_buf_free (&acts);
      wpol_buf_free (&pats);
      wpol_buf_free (&wide);
    }
  wpol_buf_puts (b, "}\n");
}

static char *json_string (const char **p);

/* Add name to the list in b (quoted, comma-separated) unless seen holds it. */
static void
scope_add (wpol_buf *b, wpol_buf *seen, const char *name)
{
  wpol_buf k = { 0 };
  wpol_buf_printf (&k, "\x1f%s\x1f", name);
  if (k.s && (seen->s == NULL || strstr (seen->s, k.s) == NULL))
    {
      wpol_buf_puts (b, b->len ? ", " : "");
      wpol_buf_quote (b, name);
      wpol_buf_puts (seen, k.s);
    }
  if (k.oom)
    b->oom = 1;
  wpol_buf_free (&k);
}

/* The declaration that puts the suggested policies of actor (groups
 * 0..last) in its scope, next to the scope it had: loading the suggestion
 * grants to that actor and to nobody else. */
static void
print_actor (const sg *s, size_t last, wpol_buf *b)
{
  const char *actor = s->g[last].actor;
  wpol_buf list = { 0 }, seen = { 0 }, pat = { 0 };
  for (size_t i = 0; i <= last; i++)
    {
      const group *g = &s->g[i];
      if (g->pname == NULL || strcmp (g->actor, actor) != 0)
        continue;
      /* a declared scope is kept; a scope given at a spawn is not the
       * actor's to keep (it would widen its other processes) */
      for (const char *p = g->request_scope ? NULL : g->scope; p && *p;)
        if (*p++ == '"')
          {
            char *name = json_string (&p);
            if (name)
              scope_add (&list, &seen, name);
            else
              list.oom = 1;
            free (name);
          }
      scope_add (&list, &seen, g->pname);
    }
  glob_escape (&pat, actor);
  wpol_buf qa = { 0 };
  wpol_buf_printf (b, "\n# Loading this declares actor %s with the scope it had and the\n"
                   "# suggested policies. Where a loaded file declares this actor already\n"
                   "# (`ward policy load` says `already defined`), add them to that\n"
                   "# declaration's scope instead.\nactor ", quoted (&qa, actor));
  wpol_buf_free (&qa);
  wpol_buf_quote (b, pat.s ? pat.s : "");
  wpol_buf_printf (b, " {\n  scope = [%s];\n}\n", list.s ? list.s : "");
  if (list.oom || pat.oom)
    b->oom = 1;
  wpol_buf_free (&list);
  wpol_buf_free (&seen);
  wpol_buf_free (&pat);
}

static void
free_sg (sg *s)
{
  for (size_t i = 0; i < s->ng; i++)
    {
      group *g = &s->g[i];
      for (size_t k = 0; k < g->nc; k++)
        {
          cand *c = &g->c[k];
          free (c->action);
          free (c->pattern);
          free (c->cond);
          free (c->wider);
          free (c->what);
          free (c->example);
        }
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

int
wpol_audit_suggest (const wpol_arow *rows, size_t n, const char *prefix, const char *header,
                    FILE *out, ward_err *err)
{
  sg s = { 0 };
  int64_t total = 0;
  for (size_t i = 0; i < n; i++)
    {
      take (&s, &rows[i]);
      if (rows[i].kind && strcmp (rows[i].kind, "decision") == 0 && rows[i].decision
          && strcmp (rows[i].decision, "deny") == 0)
        total += rows[i].count;
    }
  if (s.oom)
    {
      free_sg (&s);
      return ward_err_set (err, WARD_E_INTERNAL, ENOMEM, "building suggestions");
    }
  wpol_buf b = { 0 };
  wpol_buf_printf (&b, "# Suggested by `ward audit suggest` %s:\n# %lld denial%s of %zu "
                   "actor%s.\n", header, (long long) total, total == 1 ? "" : "s", s.ng,
                   s.ng == 1 ? "" : "s");
  wpol_buf_puts (&b, "# Review every rule before loading it: each allow widens what an actor\n"
                 "# may do. Narrowest patterns come first; wider ones are only comments.\n");
  if (s.ng == 0)
    wpol_buf_puts (&b, "# No denials were recorded: nothing to suggest.\n");
  for (size_t i = 0; i < s.ng; i++)
    {
      group *g = &s.g[i];
      if (g->nc)                  /* only notes: c is NULL, which qsort may not get */
        qsort (g->c, g->nc, sizeof *g->c, cand_cmp);
      wpol_buf name = { 0 };
      wpol_buf_printf (&name, "%s.%s", prefix, g->actor);
      /* the same actor under two scopes: two policies */
      for (size_t k = 0; k < i; k++)
        if (strcmp (s.g[k].actor, g->actor) == 0)
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
          print_group (g, name.s, &b);
          g->nc = nc;
          if (nc)
            wpol_buf_printf (&b, "# not suggested: %zu rule%s, for the policy name %s.ACTOR "
                             "would be longer than the %u bytes a policy string holds\n",
                             nc, nc == 1 ? "" : "s", prefix, WPOL_MAX_STRING);
          wpol_buf_free (&name);
          continue;
        }
      if (!name.oom)
        print_group (g, name.s, &b);
      if (g->nc && !name.oom && (g->pname = strdup (name.s)) == NULL)
        b.oom = 1;
      wpol_buf_free (&name);
      /* after the actor's last policy, its declaration */
      size_t k = i + 1;
      while (k < s.ng && (s.g[k].nc == 0 || strcmp (s.g[k].actor, g->actor) != 0))
        k++;
      if (g->pname && k == s.ng)
        print_actor (&s, i, &b);
    }
  free_sg (&s);
  if (b.oom)
    {
      wpol_buf_free (&b);
      return ward_err_set (err, WARD_E_INTERNAL, ENOMEM, "building suggestions");
    }
  /* what we print must load */
  wpol_diags d;
  wpol_diags_init (&d);
  wpol_file *f = wpol_parse ("suggested.policy", b.s, b.len, &d);
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
  fputs (b.s, out);
  wpol_buf_free (&b);
  return bad ? -1 : 0;
}

/* ---- reading the writer's flat JSON objects ---------------------------- */

/* Parse a JSON string at *p (after the quote); a malloc'd copy. */
static char *
json_string (const char **p)
{
  wpol_buf b = { 0 };
  const char *s = *p;
  while (*s && *s != '"')
    {
      if (*s != '\\')
        {
          wpol_buf_add (&b, s++, 1);
          continue;
        }
      s++;
      char c = *s ? *s++ : '\0';
      switch (c)
        {
        case 'n': wpol_buf_add (&b, "\n", 1); break;
        case 't': wpol_buf_add (&b, "\t", 1); break;
        case 'r': wpol_buf_add (&b, "\r", 1); break;
        case 'u':
          {
            unsigned v = 0;
            for (int i = 0; i < 4 && *s; i++, s++)
              v = v * 16 + (unsigned) (*s <= '9' ? *s - '0' : (*s | 0x20) - 'a' + 10);
            char ch = (char) (v & 0xff);   /* the writer escapes bytes only */
            wpol_buf_add (&b, &ch, 1);
            break;
          }
        case '\0': break;
        default: wpol_buf_add (&b, &c, 1);
        }
    }
  if (*s == '"')
    s++;
  *p = s;
  if (b.s == NULL && !b.oom)
    return strdup ("");
  return b.oom ? (free (b.s), NULL) : b.s;
}

char *
wpol_json_get (const char *json, const char *key)
{
  const char *p = json;
  while (*p && *p != '{')
    p++;
  if (*p)
    p++;
  while (*p)
    {
      while (*p == ' ' || *p == ',')
        p++;
      if (*p != '"')
        return NULL;
      p++;
      char *k = json_string (&p);
      while (*p == ' ' || *p == ':')
        p++;
      char *v = NULL;
      if (*p == '"')
        {
          p++;
          v = json_string (&p);
        }
      else
        while (*p && *p != ',' && *p != '}')
          p++;
      if (k && v && strcmp (k, key) == 0)
        {
          free (k);
          return v;
        }
      free (k);
      free (v);
      if (*p == '}')
        break;
    }
  return NULL;
}
