/* compile.c -- the decision index: rules filed by exact (action, resource),
 * by exact action, and a fallback list for globbed actions; and the
 * decision itself (deny overrides allow, default deny, fail closed). */
#include "config.h"
#include "wpol.h"
#include "wgrow.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct entry {
  wpol_rule *rule;
  const wpol_pat *action, *resource;
} entry;

typedef struct bucket {
  entry *v;
  size_t n, cap;
} bucket;

struct wpol_index {
  uint64_t gen;
  wpol_arena arena;               /* buckets, keys, locs */
  wpol_file **files;
  size_t nfiles;
  wpol_rule **rules;
  size_t nrules;
  wpol_htab by_ar;                /* "action\x1fresource" (both literal) */
  wpol_htab by_aseg;              /* literal action, resource glob whose first
                                     segment is literal: "action\x1fsegment" */
  wpol_htab by_a;                 /* literal action, other globbed resources */
  bucket globs;                   /* globbed actions */
  wpol_htab policies, actors, hosts, sandboxes;
  wpol_decl **actor_globs;        /* most specific first */
  size_t nactor_globs;
  const wpol_decl **pols;         /* every policy, in load order */
  const char **pol_names;
  size_t npols;
  wpol_decl **actors_all;         /* every actor declaration, in load order */
  size_t nactors_all;
  wpol_decl *run_actor;           /* ward run --policy: the run's actor, whose scope
                                     also holds the policies of every file that
                                     declares no actor (NULL: none) */
};

static int
bucket_add (bucket *b, entry e)
{
  if (WARD_GROW (b->v, b->cap, b->n + 1, 2) < 0)
    return -1;
  b->v[b->n++] = e;
  return 0;
}

static bucket *
bucket_for (wpol_index *ix, wpol_htab *h, const char *key)
{
  void **slot = wpol_htab_ref (h, key);
  if (slot == NULL)
    return NULL;
  if (*slot == NULL)
    *slot = wpol_alloc (&ix->arena, sizeof (bucket));
  return *slot;
}

static size_t
literal_count (const wpol_glob *g)
{
  size_t n = 0;
  for (size_t i = 0; i < g->n; i++)
    n += g->op[i] == G_LIT;
  return n;
}

static void
free_bucket (void *v)
{
  bucket *b = v;
  if (b)
    free (b->v);
}

static void
free_buckets (wpol_htab *h)
{
  wpol_htab_each (h, free_bucket);
  wpol_htab_free (h);
}

void
wpol_index_free (wpol_index *ix)
{
  if (ix == NULL)
    return;
  free_buckets (&ix->by_ar);
  free_buckets (&ix->by_a);
  free_buckets (&ix->by_aseg);
  free (ix->globs.v);
  wpol_htab_free (&ix->policies);
  wpol_htab_free (&ix->actors);
  wpol_htab_free (&ix->hosts);
  wpol_htab_free (&ix->sandboxes);
  for (size_t i = 0; i < ix->nfiles; i++)
    wpol_file_free (ix->files[i]);
  free (ix->files);
  free (ix->rules);
  free (ix->actor_globs);
  free (ix->pols);
  free (ix->pol_names);
  free (ix->actors_all);
  wpol_arena_free (&ix->arena);
  free (ix);
}

/* Length of a glob's first segment when it is literal and followed by a
 * separator ("app.*:x" -> 3), else 0: every string the glob matches then
 * has that same first segment, so the rule can be filed under it. */
static size_t
literal_segment (const char *pat)
{
  size_t i = 0;
  for (; pat[i] && pat[i] != '.' && pat[i] != ':'; i++)
    if (pat[i] == '*' || pat[i] == '?' || pat[i] == '\\')
      return 0;
  return pat[i] && i > 0 ? i : 0;
}

static int
add_rule (wpol_index *ix, wpol_rule *r)
{
  for (size_t a = 0; a < r->nactions; a++)
    for (size_t k = 0; k < r->nresources; k++)
      {
        const wpol_pat *ap = &r->actions[a], *rp = &r->resources[k];
        entry e = { r, ap, rp };
        bucket *b;
        size_t seg;
        if (!ap->literal)
          b = &ix->globs;
        else if (rp->literal)
          {
            size_t la = strlen (ap->text), lr = strlen (rp->text);
            char *key = wpol_alloc (&ix->arena, la + lr + 2);
            memcpy (key, ap->text, la);
            key[la] = '\x1f';
            memcpy (key + la + 1, rp->text, lr + 1);
            b = bucket_for (ix, &ix->by_ar, key);
          }
        else if ((seg = literal_segment (rp->text)) > 0)
          {
            size_t la = strlen (ap->text);
            char *key = wpol_alloc (&ix->arena, la + seg + 2);
            memcpy (key, ap->text, la);
            key[la] = '\x1f';
            memcpy (key + la + 1, rp->text, seg);
            b = bucket_for (ix, &ix->by_aseg, key);
          }
        else
          b = bucket_for (ix, &ix->by_a, ap->text);
        if (b == NULL || bucket_add (b, e) < 0)
          return -1;
      }
  return 0;
}

static void
make_loc (wpol_index *ix, wpol_file *f, wpol_rule *r)
{
  wpol_rule_loc *loc = wpol_alloc (&ix->arena, sizeof *loc);
  wpol_buf b = { 0 };
  wpol_format_rule (r, &b);
  loc->policy = r->policy->name;
  loc->file = f->name;
  loc->line = r->line;
  loc->col = r->col;
  loc->deny = r->deny;
  loc->text = b.s ? wpol_strndup (&ix->arena, b.s, b.len) : "";
  wpol_buf_free (&b);
  r->loc = loc;
}

wpol_index *
wpol_index_build (wpol_file **files, size_t n, ward_err *err)
{
  wpol_index *volatile ix = calloc (1, sizeof *ix);   /* survives longjmp */
  jmp_buf oom;
  if (ix == NULL)
    goto nomem;
  ix->files = calloc (n ? n : 1, sizeof *ix->files);
  if (ix->files == NULL)
    {
      free (ix);
      goto nomem;
    }
  memcpy (ix->files, files, n * sizeof *files);
  ix->nfiles = n;
  if (setjmp (oom))
    {
      ix->arena.oom = NULL;
      wpol_index_free (ix);
      goto nomem;
    }
  ix->arena.oom = &oom;
  size_t nrules = 0, nactors = 0, npols = 0;
  for (size_t i = 0; i < n; i++)
    for (size_t k = 0; k < files[i]->ndecls; k++)
      {
        nrules += files[i]->decls[k]->nrules;
        nactors += files[i]->decls[k]->kind == D_ACTOR;
        npols += files[i]->decls[k]->kind == D_POLICY;
      }
  ix->rules = calloc (nrules + 1, sizeof *ix->rules);
  ix->actor_globs = calloc (nactors + 1, sizeof *ix->actor_globs);
  ix->actors_all = calloc (nactors + 1, sizeof *ix->actors_all);
  ix->pols = calloc (npols + 1, sizeof *ix->pols);
  ix->pol_names = calloc (npols + 1, sizeof *ix->pol_names);
  if (ix->rules == NULL || ix->actor_globs == NULL || ix->actors_all == NULL
      || ix->pols == NULL || ix->pol_names == NULL)
    longjmp (oom, 1);
  for (size_t i = 0; i < n; i++)
    for (size_t k = 0; k < files[i]->ndecls; k++)
      {
        wpol_decl *dc = files[i]->decls[k];
        wpol_htab *h = dc->kind == D_POLICY ? &ix->policies : dc->kind == D_ACTOR ? &ix->actors
                       : dc->kind == D_HOST ? &ix->hosts : &ix->sandboxes;
        if (dc->kind == D_ACTOR)
          ix->actors_all[ix->nactors_all++] = dc;
        if (dc->kind == D_POLICY && wpol_htab_get (h, dc->name) == NULL)
          {
            ix->pol_names[ix->npols] = dc->name;
            ix->pols[ix->npols++] = dc;
          }
        if (dc->kind == D_ACTOR && wpol_is_glob (dc->name))
          ix->actor_globs[ix->nactor_globs++] = dc;
        else if (wpol_htab_get (h, dc->name) == NULL && wpol_htab_put (h, dc->name, dc) < 0)
          longjmp (oom, 1);
        for (size_t j = 0; j < dc->nrules; j++)
          {
            wpol_rule *r = dc->rules[j];
            r->seq = ix->nrules;
            ix->rules[ix->nrules++] = r;
            make_loc (ix, files[i], r);
            if (add_rule (ix, r) < 0)
              longjmp (oom, 1);
          }
      }
  /* most specific actor pattern first (more literal characters); stable */
  for (size_t i = 1; i < ix->nactor_globs; i++)
    {
      wpol_decl *x = ix->actor_globs[i];
      size_t lx = literal_count (x->glob), j = i;
      while (j > 0 && literal_count (ix->actor_globs[j - 1]->glob) < lx)
        {
          ix->actor_globs[j] = ix->actor_globs[j - 1];
          j--;
        }
      ix->actor_globs[j] = x;
    }
  ix->arena.oom = NULL;
  return ix;
nomem:
  for (size_t i = 0; i < n; i++)
    wpol_file_free (files[i]);
  ward_err_set (err, WARD_E_INTERNAL, ENOMEM, "building the policy index");
  return NULL;
}

static const wpol_decl *resolve_actor (const wpol_index *ix, const char *id);

void
wpol_index_set_gen (wpol_index *ix, uint64_t gen)
{
  ix->gen = gen;
}

uint64_t
wpol_index_gen (const wpol_index *ix)
{
  return ix->gen;
}

size_t
wpol_index_nrules (const wpol_index *ix)
{
  return ix->nrules;
}

wpol_rule *
wpol_index_rule (const wpol_index *ix, size_t i)
{
  return i < ix->nrules ? ix->rules[i] : NULL;
}

size_t
wpol_index_npolicies (const wpol_index *ix)
{
  return ix ? ix->npols : 0;
}

size_t
wpol_index_nactors (const wpol_index *ix)
{
  return ix ? ix->nactors_all : 0;
}

wpol_decl *
wpol_index_actor (const wpol_index *ix, size_t i)
{
  return i < ix->nactors_all ? ix->actors_all[i] : NULL;
}

/* Policies of f when f declares no actor, else 0. */
static size_t
actorless_policies (const wpol_file *f)
{
  size_t n = 0;
  for (size_t k = 0; k < f->ndecls; k++)
    {
      if (f->decls[k]->kind == D_ACTOR)
        return 0;
      n += f->decls[k]->kind == D_POLICY;
    }
  return n;
}

/* The policies of the files that declare no actor go into the scope of
 * the run's actor, added to what its own declaration (if any) gives it.
 * A declaration without a `scope` field already has every policy; an
 * actor-less file without policies adds nothing: no decl is made then. */
int
wpol_index_set_run_actor (wpol_index *ix, const char *id)
{
  jmp_buf oom;
  if (setjmp (oom))
    {
      ix->arena.oom = NULL;
      return -1;
    }
  ix->arena.oom = &oom;
  const wpol_decl *base = resolve_actor (ix, id);
  size_t nadd = 0;
  for (size_t i = 0; i < ix->nfiles; i++)
    nadd += actorless_policies (ix->files[i]);
  if (nadd == 0 || (base && base->scope == NULL))
    {
      ix->arena.oom = NULL;
      return 0;
    }
  wpol_decl *run = wpol_alloc (&ix->arena, sizeof *run);
  if (base)
    *run = *base;
  run->kind = D_ACTOR;
  run->name = wpol_strndup (&ix->arena, id, strlen (id));
  run->glob = NULL;
  run->info = NULL;
  size_t nbase = base ? base->nscope : 0;
  run->scope = wpol_alloc (&ix->arena, (nbase + nadd + 1) * sizeof *run->scope);
  run->nscope = 0;
  for (size_t i = 0; i < nbase; i++)
    run->scope[run->nscope++] = base->scope[i];
  for (size_t i = 0; i < ix->nfiles; i++)
    {
      const wpol_file *f = ix->files[i];
      size_t np = actorless_policies (f);
      for (size_t k = 0; np && k < f->ndecls; k++)
        if (f->decls[k]->kind == D_POLICY)
          {
            size_t j = 0;
            while (j < run->nscope && strcmp (run->scope[j], f->decls[k]->name) != 0)
              j++;
            if (j == run->nscope)
              run->scope[run->nscope++] = f->decls[k]->name;
          }
    }
  ix->run_actor = run;
  ix->arena.oom = NULL;
  return 0;
}

int
wpol_index_declares (const wpol_index *ix, const char *id)
{
  return ix && id && resolve_actor (ix, id) != NULL;
}

wpol_decl *
wpol_index_run_actor (const wpol_index *ix)
{
  return ix ? ix->run_actor : NULL;
}

const wpol_decl *
wpol_index_find (const wpol_index *ix, wpol_dkind kind, const char *name)
{
  const wpol_htab *h = kind == D_POLICY ? &ix->policies : kind == D_ACTOR ? &ix->actors
                       : kind == D_HOST ? &ix->hosts : &ix->sandboxes;
  return wpol_htab_get (h, name);
}

void
wpol_index_each (const wpol_index *ix, wpol_dkind kind, void (*fn) (void *decl, void *ud),
                 void *ud)
{
  const wpol_htab *h = kind == D_POLICY ? &ix->policies : kind == D_ACTOR ? &ix->actors
                       : kind == D_HOST ? &ix->hosts : &ix->sandboxes;
  wpol_htab_each_ud (h, fn, ud);
}

/* ---- the decision ------------------------------------------------------ */

typedef struct decider {
  const wpol_index *ix;
  wpol_req q;
  const wpol_decl **pols;         /* policies in scope */
  size_t npols;
  int all;                        /* every policy applies */
  const wpol_rule *deny, *allow;
  int deny_err;
  uint32_t mask;
  wpol_trace_fn trace;
  void *ud;
} decider;

static void
consider (decider *dd, const entry *e)
{
  const wpol_rule *r = e->rule;
  if (!dd->all)
    {
      size_t i;
      for (i = 0; i < dd->npols; i++)
        if (dd->pols[i] == r->policy)
          break;
      if (i == dd->npols)
        return;
    }
  if (e->action->literal ? strcmp (e->action->text, dd->q.action) != 0
                         : !wpol_glob_match (e->action->glob, dd->q.action))
    return;
  if (e->resource->literal ? strcmp (e->resource->text, dd->q.resource) != 0
                           : !wpol_glob_match (e->resource->glob, dd->q.resource))
    return;
  dd->mask |= r->mask;
  char msg[256] = "";
  int v = r->cond ? wpol_cond_eval (r->cond, &dd->q, msg, sizeof msg) : 1;
  if (dd->trace)
    {
      char line[1024];
      snprintf (line, sizeof line, "%s:%u: [%s] %s -> %s%s", r->loc ? r->loc->file : "?",
                r->line, r->policy->name, r->loc ? r->loc->text : "",
                v > 0 ? "matches" : v == 0 ? "condition false" : "condition error: ",
                v < 0 ? msg : "");
      if (v < 0)
        {
          size_t l = strlen (line);
          snprintf (line + l, sizeof line - l, r->deny ? " (fails closed: denies)"
                                                        : " (fails closed: does not allow)");
        }
      dd->trace (dd->ud, line);
    }
  if (r->deny && v != 0)
    {
      if (dd->deny == NULL || r->seq < dd->deny->seq)
        {
          dd->deny = r;
          dd->deny_err = v < 0;
        }
    }
  else if (!r->deny && v > 0 && (dd->allow == NULL || r->seq < dd->allow->seq))
    dd->allow = r;
}

static void
scan (decider *dd, const bucket *b)
{
  if (b == NULL)
    return;
  for (size_t i = 0; i < b->n; i++)
    consider (dd, &b->v[i]);
}

static const wpol_decl *
resolve_actor (const wpol_index *ix, const char *id)
{
  if (ix->run_actor && strcmp (ix->run_actor->name, id) == 0)
    return ix->run_actor;
  const wpol_decl *dc = wpol_htab_get (&ix->actors, id);
  if (dc)
    return dc;
  for (size_t i = 0; i < ix->nactor_globs; i++)
    if (wpol_glob_match (ix->actor_globs[i]->glob, id))
      return ix->actor_globs[i];
  return NULL;
}

wpol_result
wpol_eval (const wpol_index *ix, const ward_actor *actor, const char *action,
           const char *resource, const ward_attrs *attrs, uint32_t *mask,
           wpol_trace_fn trace, void *ud)
{
  wpol_result res = { WARD_DENY, WPOL_BAD_REQUEST, NULL, ix ? ix->gen : 0, 0 };
  *mask = 0;
  if (ix == NULL || actor == NULL || actor->id == NULL || action == NULL || resource == NULL
      || (actor->nscope && actor->scope == NULL) || (actor->nmeta && actor->meta == NULL))
    return res;
  decider dd = { .ix = ix, .trace = trace, .ud = ud };
  dd.q.actor_id = actor->id;
  dd.q.decl = resolve_actor (ix, actor->id);
  dd.q.meta = actor->meta;
  dd.q.nmeta = actor->nmeta;
  res.actor = dd.q.decl ? dd.q.decl->info : NULL;
  /* scope: the request's, else the declaration's `scope` field, else all
   * (declared without a scope); an actor with neither has no policy */
  if (actor->nscope == 0 && dd.q.decl == NULL)
    {
      if (trace)
        {
          char line[512];
          snprintf (line, sizeof line, "actor \"%s\": no actor declaration matches and the "
                    "request has no scope: the actor is not declared, every request is denied",
                    actor->id);
          trace (ud, line);
        }
      res.reason = WPOL_UNDECLARED;
      return res;
    }
  if (actor->nscope)
    {
      dd.q.scope = actor->scope;
      dd.q.nscope = actor->nscope;
    }
  else if (dd.q.decl && dd.q.decl->scope)
    {
      dd.q.scope = dd.q.decl->scope;
      dd.q.nscope = dd.q.decl->nscope;
    }
  else
    {
      dd.all = 1;
      dd.q.scope = ix->pol_names;
      dd.q.nscope = ix->npols;
    }
  dd.q.action = action;
  dd.q.resource = resource;
  dd.q.attrs = attrs;
  const wpol_decl *stackpols[16];
  if (dd.all)
    {
      dd.pols = ix->pols;
      dd.npols = ix->npols;
    }
  else
    {
      dd.pols = dd.q.nscope <= 16 ? stackpols : malloc (dd.q.nscope * sizeof *dd.pols);
      if (dd.pols == NULL)
        return res;               /* out of memory: fail closed */
      for (size_t i = 0; i < dd.q.nscope; i++)
        {
          const wpol_decl *p = dd.q.scope[i] ? wpol_htab_get (&ix->policies, dd.q.scope[i]) : NULL;
          if (p)
            dd.pols[dd.npols++] = p;
        }
    }
  if (trace)
    {
      char line[512];
      if (dd.all)
        snprintf (line, sizeof line, "actor \"%s\": declared without a scope: all %zu loaded "
                  "policies apply", actor->id, dd.npols);
      else
        snprintf (line, sizeof line, "actor \"%s\": %s; %zu of %zu scope policies loaded",
                  actor->id, actor->nscope ? "the request's scope"
                  : dd.q.decl == ix->run_actor ? "the run's actor (with the policies of the "
                    "files that declare no actor)" : "declared", dd.npols, dd.q.nscope);
      trace (ud, line);
    }
  if (dd.npols)
    {
      size_t la = strlen (action), lr = strlen (resource);
      char kbuf[512];
      char *key = la + lr + 2 <= sizeof kbuf ? kbuf : malloc (la + lr + 2);
      if (key == NULL)
        {
          if (!dd.all && dd.pols != stackpols)
            free (dd.pols);
          return res;
        }
      memcpy (key, action, la);
      key[la] = '\x1f';
      memcpy (key + la + 1, resource, lr + 1);
      scan (&dd, wpol_htab_get (&ix->by_ar, key));
      size_t seg = strcspn (resource, ".:");
      if (resource[seg])
        {
          key[la + 1 + seg] = '\0';
          scan (&dd, wpol_htab_get (&ix->by_aseg, key));
        }
      if (key != kbuf)
        free (key);
      scan (&dd, wpol_htab_get (&ix->by_a, action));
      scan (&dd, &ix->globs);
    }
  if (!dd.all && dd.pols != stackpols)
    free (dd.pols);
  *mask = dd.mask;
  if (dd.deny)
    {
      res.decision = WARD_DENY;
      res.reason = dd.deny_err ? WPOL_BY_RULE_ERROR : WPOL_BY_RULE;
      res.rule = dd.deny->loc;
    }
  else if (dd.allow)
    {
      res.decision = WARD_ALLOW;
      res.reason = WPOL_BY_RULE;
      res.rule = dd.allow->loc;
    }
  else
    res.reason = WPOL_NO_MATCH;
  return res;
}
