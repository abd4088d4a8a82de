/* compile.c -- building the decision index (index.h) from checked files:
 * rules filed by exact (action, resource), by action and the literal first
 * segment of the resource, by exact action, and a fallback list for
 * globbed actions; and the lookups of declarations in it. */
#include "config.h"
#include "wpol.h"
#include "index.h"
#include "wgrow.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static int
bucket_add (wpol_bucket *b, wpol_entry e)
{
  if (WARD_GROW (b->v, b->cap, b->n + 1, 2) < 0)
    return -1;
  b->v[b->n++] = e;
  return 0;
}

static wpol_bucket *
bucket_for (wpol_index *ix, wpol_htab *h, const char *key)
{
  void **slot = wpol_htab_ref (h, key);
  if (slot == NULL)
    return NULL;
  if (*slot == NULL)
    *slot = wpol_alloc (&ix->arena, sizeof (wpol_bucket));
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
  wpol_bucket *b = v;
  if (b)
    free (b->v);
}

static void
free_buckets (wpol_htab *h)
{
  wpol_htab_each (h, free_bucket);
  wpol_htab_free (h);
}

static void
free_ranks (void *v)
{
  wpol_ranks *r = v;
  if (r)
    free (r->v);
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
  wpol_htab_each (&ix->actor_segs, free_ranks);
  wpol_htab_free (&ix->actor_segs);
  free (ix->actor_any.v);
  for (size_t i = 0; ix->polix && i < ix->npols; i++)
    {
      free_buckets (&ix->polix[i].keys);
      free (ix->polix[i].globs.v);
    }
  free (ix->polix);
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

/* File e again among its policy's own entries (px), under kind, its
 * action and res[0..lr) (NULL: none). -1 when out of memory. */
static int
add_pol_entry (wpol_index *ix, wpol_polix *px, wpol_entry e, int kind, const char *res,
               size_t lr)
{
  size_t la = strlen (e.action->text);
  char *key = wpol_alloc (&ix->arena, wpol_polix_key (NULL, kind, e.action->text, la, res, lr) + 1);
  size_t n = wpol_polix_key (key, kind, e.action->text, la, res, lr);
  px->bloom |= (uint64_t) 1 << (wpol_hash (key, n) & 63);
  wpol_bucket *b = bucket_for (ix, &px->keys, key);
  return b == NULL ? -1 : bucket_add (b, e);
}

static int
add_rule (wpol_index *ix, wpol_rule *r)
{
  /* a policy whose name an earlier one took is never in a scope: only
   * the first of a name has entries of its own */
  wpol_polix *px = wpol_htab_get (&ix->policies, r->policy->name) == r->policy
                   ? &ix->polix[r->policy->policy_idx] : NULL;
  for (size_t a = 0; a < r->nactions; a++)
    for (size_t k = 0; k < r->nresources; k++)
      {
        const wpol_pat *ap = &r->actions[a], *rp = &r->resources[k];
        wpol_entry e = { r, ap, rp };
        wpol_bucket *b;
        size_t seg;
        int rc = 0;
        if (!ap->literal)
          {
            b = &ix->globs;
            rc = px ? bucket_add (&px->globs, e) : 0;
          }
        else if (rp->literal)
          {
            size_t la = strlen (ap->text), lr = strlen (rp->text);
            char *key = wpol_alloc (&ix->arena, la + lr + 2);
            memcpy (key, ap->text, la);
            key[la] = '\x1f';
            memcpy (key + la + 1, rp->text, lr + 1);
            b = bucket_for (ix, &ix->by_ar, key);
            rc = px ? add_pol_entry (ix, px, e, WPOL_PK_AR, rp->text, lr) : 0;
          }
        else if ((seg = literal_segment (rp->text)) > 0)
          {
            size_t la = strlen (ap->text);
            char *key = wpol_alloc (&ix->arena, la + seg + 2);
            memcpy (key, ap->text, la);
            key[la] = '\x1f';
            memcpy (key + la + 1, rp->text, seg);
            b = bucket_for (ix, &ix->by_aseg, key);
            rc = px ? add_pol_entry (ix, px, e, WPOL_PK_ASEG, rp->text, seg) : 0;
          }
        else
          {
            b = bucket_for (ix, &ix->by_a, ap->text);
            rc = px ? add_pol_entry (ix, px, e, WPOL_PK_A, NULL, 0) : 0;
          }
        if (rc < 0 || b == NULL || bucket_add (b, e) < 0)
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
  loc->quiet = r->quiet;
  loc->text = b.s ? wpol_strndup (&ix->arena, b.s, b.len) : "";
  wpol_buf_free (&b);
  r->loc = loc;
}

/* File declaration dc of f under its name (the first of a name wins) and
 * its rules in the buckets; -1 when out of memory. */
static int
add_decl (wpol_index *ix, wpol_file *f, wpol_decl *dc)
{
  wpol_htab *h = dc->kind == D_POLICY ? &ix->policies : dc->kind == D_ACTOR ? &ix->actors
                 : dc->kind == D_HOST ? &ix->hosts : &ix->sandboxes;
  if (dc->kind == D_ACTOR)
    ix->actors_all[ix->nactors_all++] = dc;
  if (dc->kind == D_POLICY && wpol_htab_get (h, dc->name) == NULL)
    {
      ix->pol_names[ix->npols] = dc->name;
      dc->policy_idx = ix->npols;
      ix->pols[ix->npols++] = dc;
    }
  if (dc->kind == D_ACTOR && wpol_is_glob (dc->name))
    ix->actor_globs[ix->nactor_globs++] = dc;
  else if (wpol_htab_get (h, dc->name) == NULL && wpol_htab_put (h, dc->name, dc) < 0)
    return -1;
  for (size_t j = 0; j < dc->nrules; j++)
    {
      wpol_rule *r = dc->rules[j];
      r->seq = ix->nrules;
      ix->rules[ix->nrules++] = r;
      make_loc (ix, f, r);
      if (add_rule (ix, r) < 0)
        return -1;
    }
  return 0;
}

/* The loaded policies actor declaration dc's scope names, once, so that a
 * decision does not look them up by name (longjmps when out of memory). */
static void
resolve_scope (wpol_index *ix, wpol_decl *dc)
{
  dc->nscope_pols = 0;
  dc->scope_pols = dc->nscope ? wpol_alloc (&ix->arena, dc->nscope * sizeof *dc->scope_pols)
                   : NULL;
  dc->scope_pidx = dc->nscope ? wpol_alloc (&ix->arena, dc->nscope * sizeof *dc->scope_pidx)
                   : NULL;
  for (size_t i = 0; i < dc->nscope; i++)
    {
      const wpol_decl *p = dc->scope[i] ? wpol_htab_get (&ix->policies, dc->scope[i]) : NULL;
      if (p)
        {
          dc->scope_pidx[dc->nscope_pols] = p->policy_idx;
          dc->scope_pols[dc->nscope_pols++] = p;
        }
    }
  dc->scope_resolved = 1;
}

typedef struct glob_rank { size_t lit, pos; wpol_decl *d; } glob_rank;

static int
by_specificity (const void *a, const void *b)
{
  const glob_rank *x = a, *y = b;
  if (x->lit != y->lit)
    return x->lit > y->lit ? -1 : 1;
  return x->pos < y->pos ? -1 : x->pos > y->pos;
}

static int
ranks_add (wpol_ranks *r, size_t rank)
{
  if (WARD_GROW (r->v, r->cap, r->n + 1, 2) < 0)
    return -1;
  r->v[r->n++] = rank;
  return 0;
}

/* Most specific actor pattern first (more literal characters; in load
 * order among equals), then each filed under its literal first segment
 * (or among those without one). -1 when out of memory. */
static int
sort_actor_globs (wpol_index *ix)
{
  size_t n = ix->nactor_globs;
  glob_rank *g = calloc (n ? n : 1, sizeof *g);
  if (g == NULL)
    return -1;
  for (size_t i = 0; i < n; i++)
    g[i] = (glob_rank) { literal_count (ix->actor_globs[i]->glob), i, ix->actor_globs[i] };
  qsort (g, n, sizeof *g, by_specificity);
  int rc = 0;
  for (size_t i = 0; i < n && rc == 0; i++)
    {
      ix->actor_globs[i] = g[i].d;
      size_t seg = literal_segment (g[i].d->name);
      wpol_ranks *r = &ix->actor_any;
      if (seg > 0)
        {
          void **slot = wpol_htab_ref (&ix->actor_segs,
                                       wpol_strndup (&ix->arena, g[i].d->name, seg));
          if (slot && *slot == NULL)
            *slot = wpol_alloc (&ix->arena, sizeof (wpol_ranks));
          r = slot ? *slot : NULL;
        }
      rc = r ? ranks_add (r, i) : -1;
    }
  free (g);
  return rc;
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
  ix->polix = calloc (npols + 1, sizeof *ix->polix);
  ix->pol_names = calloc (npols + 1, sizeof *ix->pol_names);
  if (ix->rules == NULL || ix->actor_globs == NULL || ix->actors_all == NULL
      || ix->pols == NULL || ix->polix == NULL || ix->pol_names == NULL)
    longjmp (oom, 1);
  for (size_t i = 0; i < n; i++)
    for (size_t k = 0; k < files[i]->ndecls; k++)
      if (add_decl (ix, files[i], files[i]->decls[k]) < 0)
        longjmp (oom, 1);
  for (size_t i = 0; i < ix->nactors_all; i++)
    resolve_scope (ix, ix->actors_all[i]);
  if (sort_actor_globs (ix) < 0)
    longjmp (oom, 1);
  ix->arena.oom = NULL;
  return ix;
nomem:
  for (size_t i = 0; i < n; i++)
    wpol_file_free (files[i]);
  ward_err_set (err, WARD_E_INTERNAL, ENOMEM, "building the policy index");
  return NULL;
}

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
  const wpol_decl *base = wpol_index_resolve_actor (ix, id);
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
  resolve_scope (ix, run);
  ix->run_actor = run;
  ix->arena.oom = NULL;
  return 0;
}

/* The first pattern of r (ranks below `below` only) that matches id: its
 * rank, or `below`. */
static size_t
first_match (const wpol_index *ix, const wpol_ranks *r, const char *id, size_t below)
{
  for (size_t i = 0; r && i < r->n && r->v[i] < below; i++)
    if (wpol_glob_match (ix->actor_globs[r->v[i]]->glob, id))
      return r->v[i];
  return below;
}

const wpol_decl *
wpol_index_resolve_actor (const wpol_index *ix, const char *id)
{
  if (ix->run_actor && strcmp (ix->run_actor->name, id) == 0)
    return ix->run_actor;
  const wpol_decl *dc = wpol_htab_get (&ix->actors, id);
  if (dc)
    return dc;
  if (ix->nactor_globs == 0)
    return NULL;
  /* a pattern with a literal first segment matches only ids of that
   * segment: those of id's own, then the rest if more specific */
  size_t best = ix->nactor_globs, seg = strcspn (id, ".:");
  if (id[seg] && ix->actor_segs.n)
    {
      char kbuf[128];
      char *key = seg < sizeof kbuf ? kbuf : malloc (seg + 1);
      if (key == NULL)
        return NULL;                    /* out of memory: no declaration, denied */
      memcpy (key, id, seg);
      key[seg] = '\0';
      best = first_match (ix, wpol_htab_get (&ix->actor_segs, key), id, best);
      if (key != kbuf)
        free (key);
    }
  best = first_match (ix, &ix->actor_any, id, best);
  return best < ix->nactor_globs ? ix->actor_globs[best] : NULL;
}

int
wpol_index_declares (const wpol_index *ix, const char *id)
{
  return ix && id && wpol_index_resolve_actor (ix, id) != NULL;
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
