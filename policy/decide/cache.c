/* cache.c -- the decision cache: 4-way buckets behind striped mutexes.
 * A request is looked up by (actor id, scope, action, resource); that entry
 * says which attributes the candidate rules read (a mask), and when the mask
 * is not empty a second entry keyed also by those attribute values holds
 * the decision. Entries carry the index generation; older ones are dead. */
#include "config.h"
#include "decide.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define WAYS 4
#define NLOCKS 256
#define KEYMAX 200

typedef struct centry {
  uint64_t gen;                   /* 0 = empty */
  uint64_t hash;
  uint32_t keylen;
  uint32_t mask;                  /* first-level entries: attributes read */
  uint8_t second;                 /* a second-level (attribute-keyed) entry */
  uint8_t decision, reason;
  const wpol_rule_loc *rule;
  const wpol_actor_info *actor;
  char key[KEYMAX];
} centry;

typedef struct cbucket {
  centry e[WAYS];
  unsigned victim;
} cbucket;

typedef struct cstripe {
  pthread_mutex_t lock;
  uint64_t hits, misses;
  char pad[64 - sizeof (pthread_mutex_t) % 64];
} cstripe;

struct wpol_cache {
  cbucket *b;
  size_t nbuckets;
  cstripe locks[NLOCKS];
};

wpol_cache *
wpol_cache_new (size_t entries)
{
  size_t nb = 1;
  while (nb * WAYS < entries)
    nb *= 2;
  wpol_cache *c = calloc (1, sizeof *c);
  if (c == NULL)
    return NULL;
  c->b = calloc (nb, sizeof *c->b);
  if (c->b == NULL)
    {
      free (c);
      return NULL;
    }
  c->nbuckets = nb;
  for (int i = 0; i < NLOCKS; i++)
    pthread_mutex_init (&c->locks[i].lock, NULL);
  return c;
}

void
wpol_cache_free (wpol_cache *c)
{
  if (c == NULL)
    return;
  for (int i = 0; i < NLOCKS; i++)
    pthread_mutex_destroy (&c->locks[i].lock);
  free (c->b);
  free (c);
}

void
wpol_cache_stats (wpol_cache *c, uint64_t *hits, uint64_t *misses)
{
  *hits = *misses = 0;
  for (int i = 0; c && i < NLOCKS; i++)
    {
      pthread_mutex_lock (&c->locks[i].lock);
      *hits += c->locks[i].hits;
      *misses += c->locks[i].misses;
      pthread_mutex_unlock (&c->locks[i].lock);
    }
}

/* Append a string and its terminator; 0, or -1 when the key is full. */
static int
put (char *k, size_t *n, const char *s)
{
  size_t l = strlen (s);
  if (*n + l + 1 > KEYMAX)
    return -1;
  memcpy (k + *n, s, l + 1);
  *n += l + 1;
  return 0;
}

static int
putc_ (char *k, size_t *n, char c)
{
  if (*n + 1 > KEYMAX)
    return -1;
  k[(*n)++] = c;
  return 0;
}

static int
key1 (char *k, size_t *n, const ward_actor *a, const char *action, const char *resource)
{
  *n = 0;
  if (put (k, n, a->id) < 0 || putc_ (k, n, (char) (a->nscope > 255 ? 255 : a->nscope)) < 0)
    return -1;
  if (a->nscope > 255)
    return -1;
  for (size_t i = 0; i < a->nscope; i++)
    if (put (k, n, a->scope[i] ? a->scope[i] : "") < 0)
      return -1;
  return put (k, n, action) < 0 || put (k, n, resource) < 0 ? -1 : 0;
}

static int
put_opt (char *k, size_t *n, const char *s)
{
  if (s == NULL)
    return putc_ (k, n, 0);
  return putc_ (k, n, 1) < 0 || put (k, n, s) < 0 ? -1 : 0;
}

static int
key2 (char *k, size_t *n, uint32_t mask, const ward_actor *a, const ward_attrs *at)
{
  static const ward_attrs none;
  if (at == NULL)
    at = &none;
  if (putc_ (k, n, '\x01') < 0)
    return -1;
  if (((mask & M_PID) && put_opt (k, n, at->pid) < 0)
      || ((mask & M_HOST) && put_opt (k, n, at->host) < 0)
      || ((mask & M_PARENT) && put_opt (k, n, at->parent) < 0)
      || ((mask & M_TACTOR) && put_opt (k, n, at->target_actor) < 0)
      || ((mask & M_THOST) && put_opt (k, n, at->target_host) < 0)
      || ((mask & M_TPARENT) && put_opt (k, n, at->target_parent) < 0)
      || ((mask & M_PATH) && put_opt (k, n, at->path) < 0)
      || ((mask & M_ADDRESS) && put_opt (k, n, at->address) < 0))
    return -1;
  if (mask & M_TNAMES)
    {
      /* the names themselves: a decision on a target that has since
       * registered or dropped one is another key */
      if (putc_ (k, n, at->target_names != NULL) < 0)
        return -1;
      if (at->target_names)
        {
          if (at->ntarget_names > 255 || putc_ (k, n, (char) at->ntarget_names) < 0)
            return -1;              /* (too many: decided, not cached) */
          for (size_t i = 0; i < at->ntarget_names; i++)
            if (put_opt (k, n, at->target_names[i]) < 0)
              return -1;
        }
    }
  if (mask & M_META)
    {
      if (a->nmeta > 255 || putc_ (k, n, (char) a->nmeta) < 0)
        return -1;
      for (size_t i = 0; i < 2 * a->nmeta; i++)
        if (put_opt (k, n, a->meta[i]) < 0)
          return -1;
    }
  return 0;
}

/* Find the entry for (gen, key); copy it to *out. 1 on a hit. */
static int
probe (wpol_cache *c, uint64_t gen, const char *k, size_t n, centry *out, int count_hit)
{
  uint64_t h = wpol_hash (k, n);
  cbucket *b = &c->b[h & (c->nbuckets - 1)];
  cstripe *s = &c->locks[h % NLOCKS];
  int hit = 0;
  pthread_mutex_lock (&s->lock);
  for (int w = 0; w < WAYS; w++)
    {
      centry *e = &b->e[w];
      if (e->gen == gen && e->hash == h && e->keylen == n && memcmp (e->key, k, n) == 0)
        {
          memcpy (out, e, offsetof (centry, key));
          hit = 1;
          break;
        }
    }
  /* a first-level hit with a mask is counted by the second probe */
  if (hit && (count_hit || (out->mask == 0 && !out->second)))
    s->hits++;
  else if (!hit)
    s->misses++;
  pthread_mutex_unlock (&s->lock);
  return hit;
}

static void
store (wpol_cache *c, uint64_t gen, const char *k, size_t n, const centry *val)
{
  uint64_t h = wpol_hash (k, n);
  cbucket *b = &c->b[h & (c->nbuckets - 1)];
  cstripe *s = &c->locks[h % NLOCKS];
  pthread_mutex_lock (&s->lock);
  centry *e = NULL;
  for (int w = 0; w < WAYS && e == NULL; w++)
    if (b->e[w].gen == gen && b->e[w].hash == h && b->e[w].keylen == n
        && memcmp (b->e[w].key, k, n) == 0)
      e = &b->e[w];
  for (int w = 0; w < WAYS && e == NULL; w++)
    if (b->e[w].gen != gen)
      e = &b->e[w];
  if (e == NULL)
    e = &b->e[b->victim++ % WAYS];
  memcpy (e, val, offsetof (centry, key));
  e->gen = gen;
  e->hash = h;
  e->keylen = (uint32_t) n;
  memcpy (e->key, k, n);
  pthread_mutex_unlock (&s->lock);
}

static void
fill (wpol_result *out, const centry *e, uint64_t gen)
{
  out->decision = e->decision ? WARD_ALLOW : WARD_DENY;
  out->reason = (wpol_reason) e->reason;
  out->rule = e->rule;
  out->generation = gen;
  out->cached = 1;
  out->actor = e->actor;
}

int
wpol_cache_get (wpol_cache *c, uint64_t gen, const ward_actor *actor, const char *action,
                const char *resource, const ward_attrs *attrs, wpol_result *out)
{
  char k[KEYMAX];
  size_t n;
  centry e;
  if (key1 (k, &n, actor, action, resource) < 0 || !probe (c, gen, k, n, &e, 0))
    return 0;
  if (!e.second && e.mask == 0)
    {
      fill (out, &e, gen);
      return 1;
    }
  if (key2 (k, &n, e.mask, actor, attrs) < 0 || !probe (c, gen, k, n, &e, 1))
    return 0;
  fill (out, &e, gen);
  return 1;
}

void
wpol_cache_put (wpol_cache *c, uint64_t gen, const ward_actor *actor, const char *action,
                const char *resource, const ward_attrs *attrs, uint32_t mask,
                const wpol_result *r)
{
  char k[KEYMAX];
  size_t n;
  if (r->reason == WPOL_BAD_REQUEST || key1 (k, &n, actor, action, resource) < 0)
    return;
  centry e;
  memset (&e, 0, offsetof (centry, key));
  e.mask = mask;
  e.decision = r->decision == WARD_ALLOW;
  e.reason = (uint8_t) r->reason;
  e.rule = r->rule;
  e.actor = r->actor;
  if (mask == 0)
    {
      store (c, gen, k, n, &e);
      return;
    }
  store (c, gen, k, n, &e);       /* the mask, for the next lookup */
  if (key2 (k, &n, mask, actor, attrs) < 0)
    return;
  e.second = 1;
  store (c, gen, k, n, &e);
}
