/* arena.c -- per-process small-block allocator for lua_State memory.
 * Size classes of 16 bytes carved from growing chunks; see arena.h. */
#include "config.h"
#include "arena.h"
#include "wchunk.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define FIRST_CHUNK (4096 - 32)
#define MAX_CHUNK (2048 - 32)

static inline size_t
class_of (size_t n)
{
  return (n + 15) / 16 - 1;          /* 1..16 -> 0, 17..32 -> 1, ... */
}

static void *
small_alloc (ward_arena *a, size_t n)
{
  size_t c = class_of (n);
  void *b = a->free[c];
  if (b)
    {
      a->free[c] = *(void **) b;
      return b;
    }
  size_t sz = (c + 1) * 16;
  if ((size_t) (a->end - a->bump) < sz)
    {
      /* The rest of the old chunk feeds the free lists, not the void. */
      while ((size_t) (a->end - a->bump) >= 16)
        {
          size_t rc = class_of ((size_t) (a->end - a->bump) < WARD_ARENA_SMALL
                                ? (size_t) (a->end - a->bump) & ~(size_t) 15
                                : WARD_ARENA_SMALL);
          size_t rs = (rc + 1) * 16;
          *(void **) a->bump = a->free[rc];
          a->free[rc] = a->bump;
          a->bump += rs;
        }
      size_t csz = a->next_chunk ? a->next_chunk : FIRST_CHUNK;
      ward_chunk *ck = ward_chunk_push (&a->chunks, csz);
      if (ck == NULL)
        return NULL;
      a->bump = (char *) ck->data;
      a->end = a->bump + csz;
      /* a page first (with malloc's header), then half pages: an idle
       * process's heap ends less far into its last chunk */
      a->next_chunk = MAX_CHUNK;
    }
  b = a->bump;
  a->bump += sz;
  return b;
}

/* A block larger than WARD_ARENA_SMALL: malloc's, behind this header
 * (16 bytes: the block stays aligned for anything), on the arena's list. */
typedef struct ward_arena_big {
  struct ward_arena_big *next, **pprev;
} big_hdr;

static void
big_link (ward_arena *a, big_hdr *h)
{
  h->next = a->big;
  h->pprev = &a->big;
  if (a->big)
    a->big->pprev = &h->next;
  a->big = h;
}

static void
big_unlink (big_hdr *h)
{
  *h->pprev = h->next;
  if (h->next)
    h->next->pprev = h->pprev;
}

static void *
big_alloc (ward_arena *a, size_t n)
{
  if (n > SIZE_MAX - sizeof (big_hdr))
    return NULL;
  big_hdr *h = malloc (sizeof *h + n);
  if (h == NULL)
    return NULL;
  big_link (a, h);
  return h + 1;
}

static void *
big_realloc (ward_arena *a, void *ptr, size_t n)
{
  big_hdr *h = (big_hdr *) ptr - 1;
  if (n > SIZE_MAX - sizeof (big_hdr))
    return NULL;
  big_unlink (h);
  big_hdr *nh = realloc (h, sizeof *h + n);
  if (nh == NULL)
    {
      big_link (a, h);
      return NULL;
    }
  big_link (a, nh);
  return nh + 1;
}

static void
big_free (void *ptr)
{
  big_hdr *h = (big_hdr *) ptr - 1;
  big_unlink (h);
  free (h);
}

static void
small_free (ward_arena *a, void *b, size_t n)
{
  size_t c = class_of (n);
  *(void **) b = a->free[c];
  a->free[c] = b;
}

void *
ward_arena_realloc (ward_arena *a, void *ptr, size_t osize, size_t nsize)
{
  if (ptr == NULL)
    osize = 0;
  if (nsize == 0)
    {
      if (ptr)
        {
          if (osize <= WARD_ARENA_SMALL)
            small_free (a, ptr, osize);
          else
            big_free (ptr);
        }
      return NULL;
    }
  int osmall = ptr != NULL && osize <= WARD_ARENA_SMALL;
  if (nsize <= WARD_ARENA_SMALL)
    {
      if (osmall && class_of (osize) == class_of (nsize))
        return ptr;
      void *nb = small_alloc (a, nsize);
      if (nb == NULL)
        return NULL;
      if (ptr)
        {
          memcpy (nb, ptr, osize < nsize ? osize : nsize);
          if (osmall)
            small_free (a, ptr, osize);
          else
            big_free (ptr);
        }
      return nb;
    }
  if (ptr != NULL && !osmall)
    return big_realloc (a, ptr, nsize);   /* large to large */
  void *nb = big_alloc (a, nsize);
  if (nb == NULL)
    return NULL;
  if (ptr)
    {
      memcpy (nb, ptr, osize);
      small_free (a, ptr, osize);
    }
  return nb;
}

void
ward_arena_release (ward_arena *a)
{
  while (a->big)
    big_free (a->big + 1);
  ward_chunk_free_all (&a->chunks);
  memset (a, 0, sizeof *a);
}
