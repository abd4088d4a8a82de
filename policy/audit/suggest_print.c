/* suggest_print.c -- the policy text of `ward audit suggest`: per actor, a
 * policy whose rules join the actions that share resources, with the
 * counts and the wider patterns in comments, and the actor declaration
 * that puts it in scope; and the reader of the writer's flat JSON objects
 * (attrs, scope) that the suggestion works from. */
#include "config.h"
#include "suggest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
wpol_sg_cand_cmp (const void *a, const void *b)
{
  const cand *x = a, *y = b;
  if (x->kind != y->kind)
    return x->kind - y->kind;
  int c = strcmp (x->cond ? x->cond : "", y->cond ? y->cond : "");
  if (c)
    return c;
  if (x->deny != y->deny)
    return x->deny - y->deny;
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
      if (d->kind != c->kind || !wpol_sg_streq (d->cond, c->cond) || d->deny != c->deny
          || strcmp (d->action, c->action))
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

/* The comments that open a group: its counts, and what is not suggested. */
static void
print_head (const group *g, wpol_buf *b)
{
  char t1[40], t2[40];
  wpol_audit_time (g->first, t1, sizeof t1);
  wpol_audit_time (g->last, t2, sizeof t2);
  wpol_buf qa = { 0 };
  wpol_buf_printf (b, "\n# ---- actor %s: %lld denial%s (%lld enforced, %lld would-be in "
                   "permissive mode), %s .. %s\n", wpol_sg_quoted (&qa, g->actor), (long long) g->n,
                   g->n == 1 ? "" : "s", (long long) g->enforced, (long long) g->would, t1, t2);
  for (size_t i = 0; i < g->nn; i++)
    wpol_buf_printf (b, "# not suggested (%lld): %s\n", (long long) g->notes[i].n,
                     g->notes[i].text);
  wpol_buf_free (&qa);
}

/* The comment on the scope the policy named name would be in. */
static void
print_scope (const group *g, const char *name, wpol_buf *b)
{
  wpol_buf qn = { 0 };
  if (g->scope == NULL)
    wpol_buf_printf (b, "# No scope applied to this actor: it was not declared (so it had no\n"
                     "# policy) or was declared without a `scope`. The actor declaration\n"
                     "# below gives it %s and gives it to no other actor.\n",
                     wpol_sg_quoted (&qn, name));
  else if (g->request_scope)
    wpol_buf_printf (b, "# These requests had the scope %s, given at the spawn\n"
                     "# (:with_scope()): add %s to the builder's list for these\n"
                     "# rules to apply there. The actor declaration below gives it to the\n"
                     "# actor's processes spawned without a scope.\n",
                     g->scope, wpol_sg_quoted (&qn, name));
  else
    wpol_buf_printf (b, "# This actor's scope was %s (from its actor declaration): the\n"
                     "# actor declaration below adds %s to that scope.\n",
                     g->scope, wpol_sg_quoted (&qn, name));
  wpol_buf_free (&qn);
}

/* The candidates one rule joins: its actions, its patterns and the wider
 * ones, and the denials it would allow (n, the last one and its caller). */
typedef struct joined {
  wpol_buf acts, pats, wide;
  int64_t n, last;
  const char *example;
} joined;

/* Join to candidate i every action of its (kind, cond) whose patterns
 * equal its own, and mark them used. */
static void
join_actions (const group *g, size_t i, joined *r)
{
  const cand *c = &g->c[i];
  wpol_buf key = { 0 };
  patterns_of (g, i, &key);
  r->example = c->example;
  size_t nacts = 0;
  for (size_t j = i; j < g->nc; j++)
    {
      const cand *d = &g->c[j];
      if (d->used || d->kind != c->kind || !wpol_sg_streq (d->cond, c->cond) || d->deny != c->deny
          || (j > i && strcmp (d->action, g->c[j - 1].action) == 0)
          || (g->split && strcmp (d->action, c->action) != 0))
        continue;
      wpol_buf k2 = { 0 };
      patterns_of (g, j, &k2);
      int same = k2.s && key.s && strcmp (k2.s, key.s) == 0;
      wpol_buf_free (&k2);
      if (!same)
        continue;
      wpol_buf_puts (&r->acts, nacts++ ? ", " : "");
      print_action (&r->acts, d->action);
      for (size_t k = j; k < g->nc && g->c[k].kind == d->kind
             && wpol_sg_streq (g->c[k].cond, d->cond) && g->c[k].deny == d->deny
             && strcmp (g->c[k].action, d->action) == 0; k++)
        {
          cand *e = &g->c[k];
          e->used = 1;
          r->n += e->n;
          if (e->last > r->last)
            r->last = e->last, r->example = e->example;
          if (j == i)
            {
              wpol_buf_puts (&r->pats, k > j ? ", " : "");
              wpol_buf_quote (&r->pats, e->pattern);
              if (e->wider && (r->wide.s == NULL || strstr (r->wide.s, e->wider) == NULL))
                {
                  wpol_buf_puts (&r->wide, r->wide.len ? ", " : "");
                  wpol_buf_quote (&r->wide, e->wider);
                }
            }
        }
    }
  wpol_buf_free (&key);
}

/* The rule of candidate i (and of those it joins), with its comments. */
static void
print_rule (const group *g, size_t i, wpol_buf *b)
{
  const cand *c = &g->c[i];
  joined r = { 0 };
  join_actions (g, i, &r);
  char tl[40];
  wpol_audit_time (r.last, tl, sizeof tl);
  wpol_buf_printf (b, "  # %lld denial%s, the last at %s by %s%s%s\n", (long long) r.n,
                   r.n == 1 ? "" : "s", tl, r.example ? r.example : "?",
                   c->what ? "; targets: " : "", c->what ? c->what : "");
  wpol_buf_printf (b, "  %s %s on %s", c->deny ? "deny" : "allow", r.acts.s ? r.acts.s : "",
                   r.pats.s ? r.pats.s : "\"\"");
  if (c->cond)
    wpol_buf_printf (b, "\n    when %s", c->cond);
  wpol_buf_puts (b, ";\n");
  if (r.wide.s && (c->kind != K_LIT || strcmp (r.wide.s, r.pats.s ? r.pats.s : "") != 0))
    wpol_buf_printf (b, "  # wider: allow %s on %s;\n", r.acts.s ? r.acts.s : "", r.wide.s);
  wpol_buf_free (&r.acts);
  wpol_buf_free (&r.pats);
  wpol_buf_free (&r.wide);
}

void
wpol_sg_print_group (const group *g, const char *name, wpol_buf *b)
{
  print_head (g, b);
  if (g->nc == 0)
    return;
  print_scope (g, name, b);
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
      print_rule (g, i, b);
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
void
wpol_sg_print_actor (const sg *s, size_t last, wpol_buf *b)
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
  wpol_sg_glob_escape (&pat, actor);
  wpol_buf qa = { 0 };
  wpol_buf_printf (b, "\n# Loading this declares actor %s with the scope it had and the\n"
                   "# suggested policies. Where a loaded file declares this actor already\n"
                   "# (`ward policy load` says `already defined`), add them to that\n"
                   "# declaration's scope instead.\nactor ", wpol_sg_quoted (&qa, actor));
  wpol_buf_free (&qa);
  wpol_buf_quote (b, pat.s ? pat.s : "");
  wpol_buf_printf (b, " {\n  scope = [%s];\n}\n", list.s ? list.s : "");
  if (list.oom || pat.oom)
    b->oom = 1;
  wpol_buf_free (&list);
  wpol_buf_free (&seen);
  wpol_buf_free (&pat);
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

size_t
wpol_json_strings (const char *json, char **v, size_t max)
{
  size_t n = 0;
  for (const char *p = json; p && *p;)
    if (*p++ == '"')
      {
        char *str = n < max ? json_string (&p) : NULL;
        if (str == NULL)
          {
            while (n)
              free (v[--n]);
            return (size_t) -1;
          }
        v[n++] = str;
      }
  return n;
}
