/* arena.c -- the arena that holds a parsed file and a compiled index:
 * chunks of zeroed memory, freed all at once; out of memory jumps out. */
#include "config.h"
#include "wpol.h"
#include "wgrow.h"

#include <stdlib.h>
#include <string.h>

struct wpol_chunk {
  wpol_chunk *next;
  size_t used, size;
  max_align_t data[];
};

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
  wpol_chunk *c = a->head;
  if (c == NULL || c->size - c->used < n)
    {
      size_t size = n > 16384 ? n : 16384;
      c = malloc (sizeof *c + size);
      if (c == NULL)
        {
          arena_oom (a);
          return NULL;
        }
      c->size = size;
      c->used = 0;
      c->next = a->head;
      a->head = c;
    }
  void *p = (char *) c->data + c->used;
  c->used += n;
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
  wpol_chunk *c = a->head;
  while (c)
    {
      wpol_chunk *next = c->next;
      free (c);
      c = next;
    }
  a->head = NULL;
}
