/* lock.c -- the lock order of rt.h, checked: with WARD_LOCK_DEBUG each
 * thread keeps the locks it holds and aborts at one taken out of order. */
#include "config.h"
#include "rt.h"

#ifdef WARD_LOCK_DEBUG
#include <stdio.h>
#include <stdlib.h>

/* Deeper than any nesting of rt.h's order: more is a bug too. */
#define HELD_MAX 16

static _Thread_local struct held { const void *lock; int rank; } held[HELD_MAX];
static _Thread_local int nheld;

static void
order_broken (const char *what, const void *lock, int rank)
{
  fprintf (stderr, "ward: lock order broken: %s %p (rank %d); held:", what, lock, rank);
  for (int i = 0; i < nheld; i++)
    fprintf (stderr, " %p (rank %d)", held[i].lock, held[i].rank);
  fputc ('\n', stderr);
  abort ();
}

/* Before waiting for lock: every lock held must be of a lower rank. */
static void
check (const void *lock, int rank)
{
  for (int i = 0; i < nheld; i++)
    if (held[i].rank >= rank)
      order_broken ("taking", lock, rank);
}

static void
push (const void *lock, int rank)
{
  if (nheld == HELD_MAX)
    order_broken ("too many locks held, taking", lock, rank);
  held[nheld++] = (struct held) { lock, rank };
}

/* Locks may be released in any order: the latest entry of lock goes. */
static void
pop (const void *lock)
{
  for (int i = nheld; i-- > 0;)
    if (held[i].lock == lock)
      {
        for (; i + 1 < nheld; i++)
          held[i] = held[i + 1];
        nheld--;
        return;
      }
  order_broken ("releasing a lock not held:", lock, -1);
}

void
ward_lock (pthread_mutex_t *m, enum ward_lock_rank rank)
{
  check (m, (int) rank);
  pthread_mutex_lock (m);
  push (m, (int) rank);
}

int
ward_trylock (pthread_mutex_t *m, enum ward_lock_rank rank)
{
  int rc = pthread_mutex_trylock (m);
  if (rc == 0)
    push (m, (int) rank);
  return rc;
}

void
ward_unlock (pthread_mutex_t *m)
{
  pop (m);
  pthread_mutex_unlock (m);
}

void
ward_rdlock (pthread_rwlock_t *l, enum ward_lock_rank rank)
{
  check (l, (int) rank);
  pthread_rwlock_rdlock (l);
  push (l, (int) rank);
}

void
ward_wrlock (pthread_rwlock_t *l, enum ward_lock_rank rank)
{
  check (l, (int) rank);
  pthread_rwlock_wrlock (l);
  push (l, (int) rank);
}

void
ward_rwunlock (pthread_rwlock_t *l)
{
  pop (l);
  pthread_rwlock_unlock (l);
}
#else
/* (ISO C wants a translation unit to declare something) */
typedef int ward_lock_unchecked;
#endif
