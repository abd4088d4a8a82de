/* wgrow.c -- growing arrays (wgrow.h). */
#include "config.h"
#include "wgrow.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

size_t
ward_grow_cap (size_t cap, size_t need, size_t size, size_t first)
{
  size_t n = cap ? cap : (first ? first : 1);
  while (n < need)
    n = n > SIZE_MAX / 2 ? need : n * 2;
  if (size == 0 || n > SIZE_MAX / size)
    return 0;
  return n;
}

int
ward_grow (void *pv, size_t *cap, size_t need, size_t size, size_t first)
{
  if (need <= *cap)
    return 0;
  size_t n = ward_grow_cap (*cap, need, size, first);
  if (n == 0)
    {
      errno = ENOMEM;
      return -1;
    }
  /* the array pointer is read and written as bytes: pv is a T **, and
   * every object pointer has one representation on the targets ward runs on */
  void *old;
  memcpy (&old, pv, sizeof old);
  void *nv = realloc (old, n * size);
  if (nv == NULL)
    {
      errno = ENOMEM;
      return -1;
    }
  memcpy (pv, &nv, sizeof nv);
  *cap = n;
  return 0;
}
