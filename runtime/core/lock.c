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
void
ward_lock_taking (const void *lock, enum ward_lock_rank rank)
{
  for (int i = 0; i < nheld; i++)
    if (held[i].rank >= (int) rank)
      order_broken ("taking", lock, (int) rank);
}

void
ward_lock_taken (const void *lock, enum ward_lock_rank rank)
{
  if (nheld == HELD_MAX)
    order_broken ("too many locks held, taking", lock, (int) rank);
  held[nheld++] = (struct held) { lock, (int) rank };
}

/* Locks may be released in any order: the latest entry of lock goes. */
void
ward_lock_released (const void *lock)
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
#else
/* (ISO C wants a translation unit to declare something) */
typedef int ward_lock_unchecked;
#endif
