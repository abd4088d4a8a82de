/* engine.c -- the engine object: holds the current index behind a rwlock,
 * swaps in a new one on load (old decisions die with its generation), and
 * answers decisions from the cache first. */
#include "config.h"
#include "decide.h"
#include "store.h"
#include "wgrow.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

struct wpol_engine {
  pthread_rwlock_t lock;          /* readers decide on a miss; a load swaps */
  wpol_index *ix;
  _Atomic uint64_t gen;
  wpol_cache *cache;
  pthread_mutex_t load_lock;      /* one load at a time; guards locs */
  wpol_htab locs;                 /* interned rule locations, never freed */
  wpol_htab ainfos;               /* interned actor infos, never freed */
  wpol_arena loc_arena;
  uint64_t store_version;
  int have_version;
  struct { uint64_t gen, version; } hist[32];  /* store versions of recent loads */
  unsigned nhist;
  char *run_actor;                /* wpol_engine_set_run_actor */
};

wpol_engine *
wpol_engine_new (size_t cache_entries, ward_err *err)
{
  wpol_engine *e = calloc (1, sizeof *e);
  if (e == NULL)
    {
      ward_err_set (err, WARD_E_INTERNAL, ENOMEM, "creating the policy engine");
      return NULL;
    }
  pthread_rwlockattr_t attr;
  pthread_rwlockattr_init (&attr);
  pthread_rwlockattr_setkind_np (&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
  pthread_rwlock_init (&e->lock, &attr);
  pthread_rwlockattr_destroy (&attr);
  pthread_mutex_init (&e->load_lock, NULL);
  if (cache_entries != (size_t) -1)
    {
      e->cache = wpol_cache_new (cache_entries ? cache_entries : 16384);
      if (e->cache == NULL)
        {
          wpol_engine_free (e);
          ward_err_set (err, WARD_E_INTERNAL, ENOMEM, "creating the decision cache");
          return NULL;
        }
    }
  return e;
}

void
wpol_engine_free (wpol_engine *e)
{
  if (e == NULL)
    return;
  wpol_index_free (e->ix);
  wpol_cache_free (e->cache);
  wpol_htab_free (&e->locs);
  wpol_htab_free (&e->ainfos);
  wpol_arena_free (&e->loc_arena);
  free (e->run_actor);
  pthread_rwlock_destroy (&e->lock);
  pthread_mutex_destroy (&e->load_lock);
  free (e);
}

uint64_t
wpol_engine_generation (wpol_engine *e)
{
  return atomic_load_explicit (&e->gen, memory_order_acquire);
}

void
wpol_engine_cache_stats (wpol_engine *e, uint64_t *hits, uint64_t *misses)
{
  wpol_cache_stats (e->cache, hits, misses);
}

/* Give every rule a location that outlives its index: cached decisions of
 * an old generation may still be read while the index is freed. */
static int
intern_locs (wpol_engine *e, wpol_index *ix)
{
  jmp_buf oom;
  if (setjmp (oom))
    {
      e->loc_arena.oom = NULL;
      return -1;
    }
  e->loc_arena.oom = &oom;
  for (size_t i = 0; i < wpol_index_nrules (ix); i++)
    {
      wpol_rule *r = wpol_index_rule (ix, i);
      const wpol_rule_loc *l = r->loc;
      wpol_buf k = { 0 };
      wpol_buf_printf (&k, "%s%c%s%c%u%c%u%c%s", l->policy, 0, l->file, 0, l->line, 0, l->col,
                       0, l->text);
      if (k.oom)
        {
          e->loc_arena.oom = NULL;
          return -1;
        }
      /* the table's keys are C strings */
      for (size_t j = 0; j < k.len; j++)
        if (k.s[j] == '\0')
          k.s[j] = '\x1e';
      wpol_rule_loc *nl = wpol_htab_get (&e->locs, k.s);
      if (nl == NULL)
        {
          char *key = wpol_strndup (&e->loc_arena, k.s, k.len);
          nl = wpol_alloc (&e->loc_arena, sizeof *nl);
          nl->policy = wpol_strndup (&e->loc_arena, l->policy, strlen (l->policy));
          nl->file = wpol_strndup (&e->loc_arena, l->file, strlen (l->file));
          nl->text = wpol_strndup (&e->loc_arena, l->text, strlen (l->text));
          nl->line = l->line;
          nl->col = l->col;
          nl->deny = l->deny;
          nl->quiet = l->quiet;
          if (wpol_htab_put (&e->locs, key, nl) < 0)
            {
              wpol_buf_free (&k);
              e->loc_arena.oom = NULL;
              return -1;
            }
        }
      r->loc = nl;
      wpol_buf_free (&k);
    }
  e->loc_arena.oom = NULL;
  return 0;
}

/* Metadata of an actor declaration as a JSON object. */
static void
actor_meta_json (const wpol_decl *dc, wpol_buf *b)
{
  wpol_buf_puts (b, "{");
  for (size_t i = 0; i < dc->nmeta; i++)
    {
      const wpol_value *v = dc->meta[i]->val;
      if (i)
        wpol_buf_puts (b, ",");
      wpol_buf_json (b, dc->meta[i]->name);
      wpol_buf_puts (b, ":");
      if (v->type == WV_INT)
        wpol_buf_printf (b, "%lld", (long long) v->i);
      else if (v->type == WV_BOOL)
        wpol_buf_puts (b, v->i ? "true" : "false");
      else
        wpol_buf_json (b, v->s ? v->s : "");
    }
  wpol_buf_puts (b, "}");
}

/* Give every actor declaration an info that outlives its index, as for
 * rule locations. Called with load_lock held, under the oom jump. */
static int
intern_actor (wpol_engine *e, wpol_decl *dc, const char *file)
{
  wpol_buf meta = { 0 }, scope = { 0 }, k = { 0 };
  actor_meta_json (dc, &meta);
  if (dc->scope)
    {
      wpol_buf_puts (&scope, "[");
      for (size_t i = 0; i < dc->nscope; i++)
        {
          if (i)
            wpol_buf_puts (&scope, ",");
          wpol_buf_json (&scope, dc->scope[i]);
        }
      wpol_buf_puts (&scope, "]");
    }
  wpol_buf_printf (&k, "%s\x1e%s\x1e%u\x1e%s\x1e%s", dc->name, file, dc->line,
                   meta.s ? meta.s : "", scope.s ? scope.s : "-");
  int rc = -1;
  if (!meta.oom && !scope.oom && !k.oom)
    {
      wpol_actor_info *ai = wpol_htab_get (&e->ainfos, k.s);
      if (ai == NULL)
        {
          char *key = wpol_strndup (&e->loc_arena, k.s, k.len);
          ai = wpol_alloc (&e->loc_arena, sizeof *ai);
          ai->pattern = wpol_strndup (&e->loc_arena, dc->name, strlen (dc->name));
          ai->file = wpol_strndup (&e->loc_arena, file, strlen (file));
          ai->line = dc->line;
          ai->meta = wpol_strndup (&e->loc_arena, meta.s, meta.len);
          ai->scope = scope.s ? wpol_strndup (&e->loc_arena, scope.s, scope.len) : NULL;
          if (wpol_htab_put (&e->ainfos, key, ai) < 0)
            ai = NULL;
        }
      dc->info = ai;
      rc = ai ? 0 : -1;
    }
  wpol_buf_free (&meta);
  wpol_buf_free (&scope);
  wpol_buf_free (&k);
  return rc;
}

int
wpol_engine_set_run_actor (wpol_engine *e, const char *id, ward_err *err)
{
  char *c = id ? strdup (id) : NULL;
  if (id && c == NULL)
    return ward_err_set (err, WARD_E_INTERNAL, ENOMEM, "setting the run's actor");
  pthread_mutex_lock (&e->load_lock);
  free (e->run_actor);
  e->run_actor = c;
  pthread_mutex_unlock (&e->load_lock);
  return 0;
}

static int
intern_actors (wpol_engine *e, wpol_index *ix, wpol_file **files, size_t n)
{
  jmp_buf oom;
  if (setjmp (oom))
    {
      e->loc_arena.oom = NULL;
      return -1;
    }
  e->loc_arena.oom = &oom;
  for (size_t i = 0; i < n; i++)
    for (size_t k = 0; k < files[i]->ndecls; k++)
      if (files[i]->decls[k]->kind == D_ACTOR
          && intern_actor (e, files[i]->decls[k], files[i]->name) < 0)
        {
          e->loc_arena.oom = NULL;
          return -1;
        }
  wpol_decl *run = wpol_index_run_actor (ix);
  if (run && intern_actor (e, run, "ward run --policy") < 0)
    {
      e->loc_arena.oom = NULL;
      return -1;
    }
  e->loc_arena.oom = NULL;
  return 0;
}

/* Check and compile files (taking them), then swap the index in; *genp
 * (when not NULL) receives the new generation. */
static int
install (wpol_engine *e, wpol_file **files, size_t n, wpol_diags *d, ward_err *err,
         uint64_t *genp)
{
  size_t nerr = 0;
  wpol_check (files, n, d);
  for (size_t i = 0; i < n; i++)
    nerr += files[i]->nerrors;
  if (nerr)
    {
      for (size_t i = 0; i < n; i++)
        wpol_file_free (files[i]);
      return ward_err_set (err, WARD_E_INVALID, 0, "%zu error%s in the policy files", nerr,
                           nerr == 1 ? "" : "s");
    }
  wpol_index *ix = wpol_index_build (files, n, err);
  if (ix == NULL)
    return -1;
  pthread_mutex_lock (&e->load_lock);
  if ((e->run_actor && wpol_index_set_run_actor (ix, e->run_actor) < 0)
      || intern_locs (e, ix) < 0 || intern_actors (e, ix, files, n) < 0)
    {
      pthread_mutex_unlock (&e->load_lock);
      wpol_index_free (ix);
      return ward_err_set (err, WARD_E_INTERNAL, ENOMEM, "loading policies");
    }
  uint64_t gen = atomic_load (&e->gen) + 1;
  wpol_index_set_gen (ix, gen);
  pthread_rwlock_wrlock (&e->lock);
  wpol_index *old = e->ix;
  e->ix = ix;
  atomic_store_explicit (&e->gen, gen, memory_order_release);
  pthread_rwlock_unlock (&e->lock);
  pthread_mutex_unlock (&e->load_lock);
  wpol_index_free (old);
  if (genp)
    *genp = gen;
  return 0;
}

/* Parse n files, from paths (texts == NULL) or from texts, and install
 * them as one load. */
static int
load_parsed (wpol_engine *e, const char *const *names, const char *const *texts,
             const size_t *lens, size_t n, wpol_diags *d, ward_err *err)
{
  wpol_file **files = calloc (n ? n : 1, sizeof *files);
  if (files == NULL)
    return ward_err_set (err, WARD_E_INTERNAL, ENOMEM, "loading policies");
  for (size_t i = 0; i < n; i++)
    if ((files[i] = texts && texts[i] ? wpol_parse (names[i], texts[i], lens[i], d)
                                      : wpol_parse_path (names[i], d)) == NULL)
      {
        for (size_t j = 0; j < i; j++)
          wpol_file_free (files[j]);
        free (files);
        return ward_err_set (err, WARD_E_INTERNAL, ENOMEM, "loading policies");
      }
  int r = install (e, files, n, d, err, NULL);
  free (files);
  return r;
}

int
wpol_engine_load_files (wpol_engine *e, const char *const *paths, size_t n, wpol_diags *d,
                        ward_err *err)
{
  return load_parsed (e, paths, NULL, NULL, n, d, err);
}

int
wpol_engine_load_text (wpol_engine *e, const char *name, const char *text, size_t len,
                       wpol_diags *d, ward_err *err)
{
  wpol_file *f = wpol_parse (name, text, len, d);
  if (f == NULL)
    return ward_err_set (err, WARD_E_INTERNAL, ENOMEM, "loading policies");
  return install (e, &f, 1, d, err, NULL);
}

int
wpol_engine_load_texts (wpol_engine *e, const char *const *names, const char *const *texts,
                        const size_t *lens, size_t n, wpol_diags *d, ward_err *err)
{
  return load_parsed (e, names, texts, lens, n, d, err);
}

int
wpol_engine_load_store (wpol_engine *e, wpol_store *st, wpol_diags *d, ward_err *err)
{
  wpol_file **files;
  size_t n;
  uint64_t version;
  if (wpol_store_read (st, &files, &n, &version, d, err) < 0)
    return -1;
  uint64_t gen = 0;
  int r = install (e, files, n, d, err, &gen);
  free (files);
  if (r == 0)
    {
      pthread_mutex_lock (&e->load_lock);
      e->store_version = version;
      e->have_version = 1;
      e->hist[e->nhist % 32].gen = gen;
      e->hist[e->nhist % 32].version = version;
      e->nhist++;
      pthread_mutex_unlock (&e->load_lock);
    }
  return r;
}

uint64_t
wpol_engine_store_version (wpol_engine *e, uint64_t gen)
{
  uint64_t v = 0;
  pthread_mutex_lock (&e->load_lock);
  for (unsigned i = 0; i < 32 && i < e->nhist; i++)
    if (e->hist[i].gen == gen)
      v = e->hist[i].version;
  pthread_mutex_unlock (&e->load_lock);
  return v;
}

int
wpol_engine_declares (wpol_engine *e, const char *actor_id)
{
  pthread_rwlock_rdlock (&e->lock);
  int r = wpol_index_declares (e->ix, actor_id);
  pthread_rwlock_unlock (&e->lock);
  return r;
}

size_t
wpol_engine_policy_count (wpol_engine *e)
{
  pthread_rwlock_rdlock (&e->lock);
  size_t n = wpol_index_npolicies (e->ix);
  pthread_rwlock_unlock (&e->lock);
  return n;
}

int
wpol_engine_reload_if_changed (wpol_engine *e, wpol_store *st, ward_err *err)
{
  uint64_t v;
  if (wpol_store_version (st, &v, err) < 0)
    return -1;
  pthread_mutex_lock (&e->load_lock);
  int same = e->have_version && e->store_version == v;
  pthread_mutex_unlock (&e->load_lock);
  if (same)
    return 0;
  return wpol_engine_load_store (e, st, NULL, err) < 0 ? -1 : 1;
}

static int
bad_request (const ward_actor *a, const char *action, const char *resource)
{
  return a == NULL || a->id == NULL || action == NULL || resource == NULL
         || (a->nscope && a->scope == NULL) || (a->nmeta && a->meta == NULL);
}

wpol_result
wpol_decide_traced (wpol_engine *e, const ward_actor *actor, const char *action,
                    const char *resource, const ward_attrs *attrs, wpol_trace_fn trace,
                    void *ud)
{
  uint32_t mask;
  pthread_rwlock_rdlock (&e->lock);
  wpol_result r = wpol_eval (e->ix, actor, action, resource, attrs, &mask, trace, ud);
  pthread_rwlock_unlock (&e->lock);
  return r;
}

wpol_result
wpol_decide_possible (wpol_engine *e, const ward_actor *actor, const char *action,
                      const char *resource)
{
  wpol_result r = { WARD_DENY, WPOL_BAD_REQUEST, NULL, 0, 0, NULL };
  if (e == NULL || bad_request (actor, action, resource))
    return r;
  pthread_rwlock_rdlock (&e->lock);
  r = wpol_eval_possible (e->ix, actor, action, resource);
  pthread_rwlock_unlock (&e->lock);
  return r;
}

void
wpol_engine_explain (wpol_engine *e, const ward_actor *actor, const char *action,
                     const char *resource, const ward_attrs *attrs, wpol_explain_fn fn,
                     void *ud)
{
  pthread_rwlock_rdlock (&e->lock);
  wpol_explain_index (e->ix, actor, action, resource, attrs, fn, ud);
  pthread_rwlock_unlock (&e->lock);
}

wpol_result
wpol_decide (wpol_engine *e, const ward_actor *actor, const char *action,
             const char *resource, const ward_attrs *attrs)
{
  wpol_result r = { WARD_DENY, WPOL_BAD_REQUEST, NULL, 0, 0, NULL };
  if (e == NULL || bad_request (actor, action, resource))
    return r;
  uint64_t gen = atomic_load_explicit (&e->gen, memory_order_acquire);
  if (e->cache && gen && wpol_cache_get (e->cache, gen, actor, action, resource, attrs, &r))
    return r;
  uint32_t mask;
  pthread_rwlock_rdlock (&e->lock);
  r = wpol_eval (e->ix, actor, action, resource, attrs, &mask, NULL, NULL);
  pthread_rwlock_unlock (&e->lock);
  if (e->cache && r.generation)
    wpol_cache_put (e->cache, r.generation, actor, action, resource, attrs, mask, &r);
  return r;
}

static int
copy_decl (wpol_engine *e, wpol_dkind kind, const char *name, void *out, size_t size,
           ward_err *err)
{
  int found = 0;
  pthread_rwlock_rdlock (&e->lock);
  const wpol_decl *dc = e->ix && name ? wpol_index_find (e->ix, kind, name) : NULL;
  if (dc)
    {
      memcpy (out, kind == D_HOST ? (const void *) &dc->host : (const void *) &dc->sandbox, size);
      found = 1;
    }
  pthread_rwlock_unlock (&e->lock);
  if (!found)
    return ward_err_set (err, WARD_E_NOT_FOUND, 0, "no %s \"%s\" is declared",
                         kind == D_HOST ? "host" : "sandbox profile", name ? name : "(null)");
  return 0;
}

typedef struct names_acc { char **v; size_t n, cap; int oom; } names_acc;

static void
add_name (void *val, void *ud)
{
  names_acc *a = ud;
  const wpol_decl *dc = val;
  if (a->oom)
    return;
  if (WARD_GROW (a->v, a->cap, a->n + 2, 8) < 0)   /* the name and the NULL */
    {
      a->oom = 1;
      return;
    }
  if ((a->v[a->n] = strdup (dc->name)) == NULL)
    a->oom = 1;
  else
    a->v[++a->n] = NULL;
}

static int
by_name (const void *a, const void *b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

/* The names a gathered, sorted, as a NULL-terminated array (empty when
 * none); NULL with err (ENOMEM, "what") when one could not be kept. */
static char **
names_done (names_acc *a, const char *what, ward_err *err)
{
  if (!a->oom && a->v == NULL && (a->v = calloc (1, sizeof *a->v)) == NULL)
    a->oom = 1;
  if (a->oom)
    {
      wpol_names_free (a->v);
      ward_err_set (err, WARD_E_INTERNAL, ENOMEM, "%s", what);
      return NULL;
    }
  qsort (a->v, a->n, sizeof *a->v, by_name);
  return a->v;
}

char **
wpol_engine_host_names (wpol_engine *e, ward_err *err)
{
  names_acc a = { 0 };
  pthread_rwlock_rdlock (&e->lock);
  if (e->ix)
    wpol_index_each (e->ix, D_HOST, add_name, &a);
  pthread_rwlock_unlock (&e->lock);
  return names_done (&a, "listing hosts", err);
}

void
wpol_names_free (char **names)
{
  for (size_t i = 0; names && names[i]; i++)
    free (names[i]);
  free (names);
}

int
wpol_engine_host (wpol_engine *e, const char *name, ward_host_spec *out, ward_err *err)
{
  return copy_decl (e, D_HOST, name, out, sizeof *out, err);
}

int
wpol_engine_sandbox (wpol_engine *e, const char *name, ward_profile *out, ward_err *err)
{
  return copy_decl (e, D_SANDBOX, name, out, sizeof *out, err);
}

size_t
wpol_engine_rule_count (wpol_engine *e)
{
  pthread_rwlock_rdlock (&e->lock);
  size_t n = e->ix ? wpol_index_nrules (e->ix) : 0;
  pthread_rwlock_unlock (&e->lock);
  return n;
}

const wpol_rule_loc *
wpol_engine_rule (wpol_engine *e, size_t i)
{
  const wpol_rule_loc *l = NULL;
  pthread_rwlock_rdlock (&e->lock);
  if (e->ix && i < wpol_index_nrules (e->ix))
    l = wpol_index_rule (e->ix, i)->loc;
  pthread_rwlock_unlock (&e->lock);
  return l;
}

static void
add_str (names_acc *a, const char *s)
{
  wpol_decl d = { .name = s };
  add_name (&d, a);
}

/* The metadata keys an expression reads. */
static void
add_meta_reads (names_acc *a, const wpol_expr *x)
{
  if (x == NULL)
    return;
  if (x->op == E_PATH && x->path == P_ACTOR_META_KEY && x->s)
    add_str (a, x->s);
  if (x->op == E_CMP && x->cmp == C_HAS && x->a && x->a->op == E_PATH
      && x->a->path == P_ACTOR_META && x->b && x->b->s)
    add_str (a, x->b->s);
  add_meta_reads (a, x->a);
  add_meta_reads (a, x->b);
  for (size_t i = 0; i < x->n; i++)
    add_meta_reads (a, x->items[i]);
}

char **
wpol_engine_names (wpol_engine *e, wpol_names_kind kind, ward_err *err)
{
  names_acc a = { 0 };
  pthread_rwlock_rdlock (&e->lock);
  if (e->ix && kind == WPOL_NAMES_POLICIES)
    wpol_index_each (e->ix, D_POLICY, add_name, &a);
  else if (e->ix && kind == WPOL_NAMES_ACTORS)
    {
      for (size_t i = 0; i < wpol_index_nactors (e->ix); i++)
        add_name (wpol_index_actor (e->ix, i), &a);
      if (wpol_index_run_actor (e->ix))
        add_name (wpol_index_run_actor (e->ix), &a);
    }
  else if (e->ix)
    {
      for (size_t i = 0; i < wpol_index_nactors (e->ix); i++)
        {
          const wpol_decl *dc = wpol_index_actor (e->ix, i);
          for (size_t j = 0; j < dc->nmeta; j++)
            add_str (&a, dc->meta[j]->name);
        }
      for (size_t i = 0; i < wpol_index_nrules (e->ix); i++)
        add_meta_reads (&a, wpol_index_rule (e->ix, i)->cond);
    }
  pthread_rwlock_unlock (&e->lock);
  return names_done (&a, "listing names", err);
}
