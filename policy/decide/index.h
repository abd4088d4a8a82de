/* index.h -- the layout of the decision index (wpol_index, decide.h): built
 * by compile.c, read by the decision in eval.c. */
#ifndef WARD_POLICY_INDEX_H
#define WARD_POLICY_INDEX_H

#include <string.h>
#include "decide.h"

/* One (action pattern, resource pattern) pair of a rule. */
typedef struct wpol_entry {
  wpol_rule *rule;
  const wpol_pat *action, *resource;
} wpol_entry;

/* Positions in actor_globs, in increasing order: the actor patterns that
 * share a literal first segment ("t5" of "t5.plugin.*"), most specific
 * first, so that resolving an actor id reads those of its own segment and
 * not every tenant's. */
typedef struct wpol_ranks {
  size_t *v;
  size_t n, cap;
} wpol_ranks;

typedef struct wpol_bucket {
  wpol_entry *v;
  size_t n, cap;
} wpol_bucket;

/* One policy's own entries (the first policy of its name): what a request
 * whose scope names it can match there, under keys of wpol_polix_key. A
 * request whose scope names a few policies of many looks at these, and so
 * costs what its own policies hold, not what all the loaded ones share. */
typedef struct wpol_polix {
  uint64_t bloom;                 /* bit (hash & 63) of each key's hash: a
                                     key whose bit is clear is not in keys,
                                     and is not looked up */
  wpol_htab keys;                 /* literal actions */
  wpol_bucket globs;              /* globbed actions */
} wpol_polix;

/* The kinds of key of wpol_polix: an entry filed as by_ar, by_aseg, by_a. */
enum { WPOL_PK_AR = 'r', WPOL_PK_ASEG = 's', WPOL_PK_A = 'a' };

/* The length of the wpol_polix key of kind over action and res[0..lr)
 * (NULL for WPOL_PK_A), without its NUL; when buf is set it receives the
 * key (room for the length + 1). */
static inline size_t
wpol_polix_key (char *buf, int kind, const char *action, size_t la, const char *res, size_t lr)
{
  size_t n = 1 + la + (res ? 1 + lr : 0);
  if (buf)
    {
      buf[0] = (char) kind;
      memcpy (buf + 1, action, la);
      if (res)
        {
          buf[1 + la] = '\x1f';
          memcpy (buf + 2 + la, res, lr);
        }
      buf[n] = '\0';
    }
  return n;
}

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
  wpol_bucket globs;              /* globbed actions */
  wpol_htab policies, actors, hosts, sandboxes;
  wpol_decl **actor_globs;        /* most specific first */
  size_t nactor_globs;
  wpol_htab actor_segs;           /* a pattern's literal first segment ->
                                     wpol_ranks of the patterns filed there */
  wpol_ranks actor_any;           /* patterns without one */
  const wpol_decl **pols;         /* every policy, in load order */
  wpol_polix *polix;              /* each one's entries (wpol_decl policy_idx) */
  const char **pol_names;
  size_t npols;
  wpol_decl **actors_all;         /* every actor declaration, in load order */
  size_t nactors_all;
  wpol_decl *run_actor;           /* ward run --policy: the run's actor, whose scope
                                     also holds the policies of every file that
                                     declares no actor (NULL: none) */
};

/* The declaration that applies to actor id: the run's actor, else the
 * declaration of that exact id, else the most specific matching pattern;
 * NULL when none does. */
const wpol_decl *wpol_index_resolve_actor (const wpol_index *ix, const char *id);

#endif
