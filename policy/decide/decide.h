/* decide.h -- the decision rooms' contract inside the policy library: the
 * compiled index (compile.c, its layout in index.h), the combining
 * algorithm over it (eval.c) and the decision cache (cache.c). engine.c
 * puts them together behind engine.h. Prefix wpol_. */
#ifndef WARD_POLICY_DECIDE_H
#define WARD_POLICY_DECIDE_H

#include <stddef.h>
#include <stdint.h>
#include "wpol.h"

/* ---- the compiled index (compile.c; layout in index.h) ----------------- */

typedef struct wpol_index wpol_index;

/* Build an index over checked files (takes ownership of files[]). */
wpol_index *wpol_index_build (wpol_file **files, size_t n, ward_err *err);
void wpol_index_free (wpol_index *ix);
void wpol_index_set_gen (wpol_index *ix, uint64_t gen);
uint64_t wpol_index_gen (const wpol_index *ix);
size_t wpol_index_nrules (const wpol_index *ix);
wpol_rule *wpol_index_rule (const wpol_index *ix, size_t i);
const wpol_decl *wpol_index_find (const wpol_index *ix, wpol_dkind kind,
                                  const char *name);
/* Call fn on each declaration of kind in the index. */
void wpol_index_each (const wpol_index *ix, wpol_dkind kind,
                      void (*fn) (void *decl, void *ud), void *ud);
size_t wpol_index_npolicies (const wpol_index *ix);
/* Every actor declaration, in load order (for interning their info). */
size_t wpol_index_nactors (const wpol_index *ix);
wpol_decl *wpol_index_actor (const wpol_index *ix, size_t i);

/* ward run --policy: give the actor `id` the policies of every file that
 * declares no actor, on top of its own declaration. -1 when out of memory. */
int wpol_index_set_run_actor (wpol_index *ix, const char *id);
/* 1 when an actor declaration (or the run's actor) matches id. */
int wpol_index_declares (const wpol_index *ix, const char *id);
/* The declaration made by wpol_index_set_run_actor, or NULL. */
wpol_decl *wpol_index_run_actor (const wpol_index *ix);

/* ---- evaluation (eval.c) ----------------------------------------------- */

/* Decide against one index; *mask receives the M_* bits of every candidate
 * rule (for the cache key). */
wpol_result wpol_eval (const wpol_index *ix, const ward_actor *actor,
                       const char *action, const char *resource,
                       const ward_attrs *attrs, uint32_t *mask,
                       wpol_trace_fn trace, void *ud);
/* Whether some attributes could make the index allow: ALLOW when a rule
 * that matches the action and resource allows (its condition taken as
 * true) and no unconditional deny matches; DENY otherwise. */
wpol_result wpol_eval_possible (const wpol_index *ix, const ward_actor *actor,
                                const char *action, const char *resource);

/* wpol_engine_explain over one index (engine.h). */
void wpol_explain_index (const wpol_index *ix, const ward_actor *actor, const char *action,
                         const char *resource, const ward_attrs *attrs, wpol_explain_fn fn,
                         void *ud);

/* Condition evaluation alone (tests): 1 true, 0 false, -1 error with msg. */
typedef struct wpol_req {
  const char *actor_id;
  const char *const *scope;
  size_t nscope;
  const char *const *meta;        /* request pairs */
  size_t nmeta;
  const wpol_decl *decl;          /* the actor declaration, or NULL */
  const char *action, *resource;
  const ward_attrs *attrs;
} wpol_req;
int wpol_cond_eval (const wpol_expr *e, const wpol_req *q, char *msg, size_t msgsz);

/* ---- decision cache (cache.c) ------------------------------------------ */

typedef struct wpol_cache wpol_cache;
wpol_cache *wpol_cache_new (size_t entries);
void wpol_cache_free (wpol_cache *c);
/* Returns 1 on a hit (out filled). */
int wpol_cache_get (wpol_cache *c, uint64_t gen, const ward_actor *actor,
                    const char *action, const char *resource,
                    const ward_attrs *attrs, wpol_result *out);
void wpol_cache_stats (wpol_cache *c, uint64_t *hits, uint64_t *misses);
void wpol_cache_put (wpol_cache *c, uint64_t gen, const ward_actor *actor,
                     const char *action, const char *resource,
                     const ward_attrs *attrs, uint32_t mask,
                     const wpol_result *r);

#endif
