/* arena.c -- the arena that holds a parsed file and a compiled index:
 * chunks of zeroed memory, freed all at once; out of memory jumps out. */
#include "config.h"
#include "wpol.h"
#include "wgrow.h"

#include <string.h>

static void
arena_oom (wpol_arena *a)
{
  if (a->oom)
    longjmp (*a->oom, 1);
}

void *
wpol_alloc (wpol_arena *a, size_t n)
{
  n = (n + 15) & ~(size_t) 15;
  if (n == 0)
    n = 16;
  if (a->head == NULL || a->size - a->used < n)
    {
      size_t size = n > 16384 ? n : 16384;
      if (ward_chunk_push (&a->head, size) == NULL)
        {
          arena_oom (a);
          return NULL;
        }
      a->size = size;
      a->used = 0;
    }
  void *p = (char *) a->head->data + a->used;
  a->used += n;
  memset (p, 0, n);
  return p;
}

char *
wpol_strndup (wpol_arena *a, const char *s, size_t n)
{
  char *p = wpol_alloc (a, n + 1);
  if (p == NULL)
    return NULL;
  memcpy (p, s, n);
  p[n] = '\0';
  return p;
}

void *
wpol_grow (wpol_arena *a, void *old, size_t n, size_t *cap, size_t first, size_t elsz)
{
  if (n < *cap)
    return old;
  /* arena memory cannot be realloc()ed: a larger copy, the old one stays
   * until the arena goes */
  size_t ncap = ward_grow_cap (*cap, n + 1, elsz, first);
  if (ncap == 0)
    {
      arena_oom (a);
      return NULL;
    }
  void *p = wpol_alloc (a, ncap * elsz);
  if (p == NULL)
    return NULL;
  if (old)
    memcpy (p, old, n * elsz);
  *cap = ncap;
  return p;
}

void
wpol_arena_free (wpol_arena *a)
{
  ward_chunk_free_all (&a->head);
  a->used = a->size = 0;
}
