/* msgpool.c -- where small messages' memory comes from: a cache per worker
 * thread, so that a message's block goes back to the thread that made it
 * instead of crossing between malloc arenas (rt.h, "message memory").
 *
 * A worker sends: its block comes from its own free list. Another thread
 * receives and frees it: the block is kept in that thread's stash for
 * its owner, and a stash of several goes back in one push onto the
 * owner's `returned` stack (one atomic operation for the lot). The owner
 * takes the whole stack in one exchange when its free list is empty.
 * Taking everything at once is what makes the stack safe without a
 * lock or counters: nobody pops single blocks, so no ABA.
 *
 * Pools are never freed: a worker that ends leaves its pool for the next
 * worker that starts (so there are no more pools than workers ever ran at
 * once), and blocks still out come back to it there. Prefix ward_msgpool_. */
#include "config.h"
#include "rt.h"

#include <stddef.h>
#include <stdlib.h>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
/* A block in a free list is poisoned but for its link: a use after
 * ward_msg_free still shows in a sanitizer build. */
#define POISON(m) ASAN_POISON_MEMORY_REGION ((char *) (m) + sizeof (void *), \
                                             WARD_MSGPOOL_SLOT - sizeof (void *))
#define UNPOISON(m) ASAN_UNPOISON_MEMORY_REGION ((m), WARD_MSGPOOL_SLOT)
#else
#define POISON(m) ((void) (m))
#define UNPOISON(m) ((void) (m))
#endif

/* Free blocks a pool keeps once its thread goes idle; the rest go back to
 * malloc. (While busy it keeps what comes back: the next burst needs it.) */
#define KEEP_IDLE 256
/* Blocks a thread stashes for another's pool before pushing them back. */
#define STASH_MAX 32

struct ward_msgpool {
  _Atomic (ward_msg *) returned;  /* pushed by other threads, taken whole */
  char apart[64];                 /* (what others write, off the owner's line) */
  ward_msg *free;                 /* the owner's only, as are: */
  size_t nfree;                   /* its length, when `counted` */
  int counted;
  ward_msgpool *next_idle;        /* on the idle list (under idle_lock) */
};

static pthread_mutex_t ward_msgpool_idle_lock = PTHREAD_MUTEX_INITIALIZER;
static ward_msgpool *ward_msgpool_idle_list;

static _Thread_local ward_msgpool *tls_pool;
/* blocks of one other pool, on their way back to it */
static _Thread_local ward_msgpool *tls_stash_pool;
static _Thread_local ward_msg *tls_stash_head, *tls_stash_tail;
static _Thread_local unsigned tls_stash_n;

/* Push the chain head..tail onto pool's returned stack, in one go. */
static void
give_back (ward_msgpool *pool, ward_msg *head, ward_msg *tail)
{
  ward_msg *top = atomic_load_explicit (&pool->returned, memory_order_relaxed);
  do
    tail->next = top;
  while (!atomic_compare_exchange_weak_explicit (&pool->returned, &top, head,
                                                 memory_order_release,
                                                 memory_order_relaxed));
}

static void
stash_flush (void)
{
  if (tls_stash_head)
    give_back (tls_stash_pool, tls_stash_head, tls_stash_tail);
  tls_stash_pool = NULL;
  tls_stash_head = tls_stash_tail = NULL;
  tls_stash_n = 0;
}

void *
ward_msgpool_alloc (size_t size, ward_msgpool **owner)
{
  ward_msgpool *pool = tls_pool;
  *owner = NULL;
  if (pool == NULL || size > WARD_MSGPOOL_SLOT)
    return malloc (size);
  ward_msg *m = pool->free;
  if (m == NULL)
    {
      /* (acquire: what the freeing threads wrote, links included) */
      m = atomic_exchange_explicit (&pool->returned, NULL, memory_order_acquire);
      pool->counted = 0;        /* (counted at the next trim, not here) */
    }
  if (m == NULL)
    {
      m = malloc (WARD_MSGPOOL_SLOT);
      if (m == NULL)
        return NULL;
    }
  else
    {
      pool->free = m->next;
      pool->nfree -= pool->counted;
      UNPOISON (m);
    }
  *owner = pool;
  return m;
}

void
ward_msgpool_free (ward_msg *m)
{
  ward_msgpool *pool = m->pool;
  if (pool == NULL)
    {
      free (m);
      return;
    }
  POISON (m);                   /* (the link stays usable) */
  if (pool == tls_pool)
    {
      m->next = pool->free;
      pool->free = m;
      pool->nfree += pool->counted;
      return;
    }
  if (tls_pool == NULL)
    {
      /* a thread without a pool (timers, the broker's reader) has no idle
       * point to flush a stash at: each block goes back at once */
      give_back (pool, m, m);
      return;
    }
  if (pool != tls_stash_pool || tls_stash_n >= STASH_MAX)
    stash_flush ();
  m->next = tls_stash_head;
  if (tls_stash_head == NULL)
    tls_stash_tail = m;
  tls_stash_head = m;
  tls_stash_pool = pool;
  tls_stash_n++;
}

void
ward_msgpool_attach (void)
{
  ward_lock (&ward_msgpool_idle_lock, WARD_LOCK_MSGPOOL);
  ward_msgpool *pool = ward_msgpool_idle_list;
  if (pool)
    ward_msgpool_idle_list = pool->next_idle;
  ward_unlock (&ward_msgpool_idle_lock);
  if (pool == NULL && (pool = calloc (1, sizeof *pool)) == NULL)
    return;                     /* then this thread's messages are malloc's */
  pool->counted = pool->free == NULL || pool->counted;
  pool->next_idle = NULL;
  tls_pool = pool;
}

/* Keep at most `keep` free blocks in the thread's pool, taking back what
 * came back first. */
static void
trim (ward_msgpool *pool, size_t keep)
{
  if (pool->counted && pool->nfree <= keep
      && atomic_load_explicit (&pool->returned, memory_order_relaxed) == NULL)
    return;                     /* (the common case: nothing to walk) */
  ward_msg *back = atomic_exchange_explicit (&pool->returned, NULL, memory_order_acquire);
  while (back)
    {
      ward_msg *next = back->next;
      back->next = pool->free;
      pool->free = back;
      back = next;
    }
  ward_msg **pm = &pool->free;
  size_t n = 0;
  for (; *pm && n < keep; n++)
    pm = &(*pm)->next;
  pool->nfree = n;
  pool->counted = 1;
  ward_msg *m = *pm;
  *pm = NULL;
  while (m)
    {
      ward_msg *next = m->next;
      UNPOISON (m);
      free (m);
      m = next;
    }
}

void
ward_msgpool_idle (void)
{
  stash_flush ();
  if (tls_pool)
    trim (tls_pool, KEEP_IDLE);
}

void
ward_msgpool_detach (void)
{
  ward_msgpool *pool = tls_pool;
  stash_flush ();
  if (pool == NULL)
    return;
  tls_pool = NULL;
  trim (pool, 0);
  ward_lock (&ward_msgpool_idle_lock, WARD_LOCK_MSGPOOL);
  pool->next_idle = ward_msgpool_idle_list;
  ward_msgpool_idle_list = pool;
  ward_unlock (&ward_msgpool_idle_lock);
}
