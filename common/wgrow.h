/* wgrow.h -- the one way ward grows an array: doubling from a first
 * capacity, with every multiplication checked for overflow. */
#ifndef WARD_WGROW_H
#define WARD_WGROW_H

#include <stddef.h>

/* Make room for `need` elements of `size` bytes in the array whose address
 * is at `pv` (a T ** passed as void *) and whose capacity, in elements, is
 * *cap. The new capacity is *cap (or `first` if it is 0) doubled until it
 * holds `need`. Returns 0, or -1 with errno = ENOMEM when the memory runs
 * out or the size would overflow: the array and *cap are then untouched.
 * Use WARD_GROW, which passes the element size. */
int ward_grow (void *pv, size_t *cap, size_t need, size_t size, size_t first);

/* WARD_GROW (v, cap, need, first): room for `need` elements in v, a T *. */
#define WARD_GROW(v, cap, need, first) \
  ward_grow (&(v), &(cap), (need), sizeof *(v), (first))

/* The capacity ward_grow would choose, or 0 on overflow: for arrays that
 * live in an arena and so cannot be realloc()ed. */
size_t ward_grow_cap (size_t cap, size_t need, size_t size, size_t first);

#endif
