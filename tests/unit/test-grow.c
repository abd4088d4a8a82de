/* test-grow.c -- ward_grow (common/wgrow.h): doubling from the first
 * capacity, the contents kept, and an overflowing size refused with the
 * array left as it was. */
#include "config.h"
#include "tap.h"
#include "wgrow.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

int
main (void)
{
  plan (16);
  int *v = NULL;
  size_t cap = 0;
  is_int (WARD_GROW (v, cap, 1, 4), 0, "first growth succeeds");
  is_int (cap, 4, "an empty array takes the first capacity");
  ok (v != NULL, "the array is allocated");
  for (int i = 0; i < 4; i++)
    v[i] = i * 10;
  is_int (WARD_GROW (v, cap, 4, 4), 0, "growing to the capacity is a no-op");
  is_int (cap, 4, "the capacity is unchanged");
  is_int (WARD_GROW (v, cap, 5, 4), 0, "growing past the capacity succeeds");
  is_int (cap, 8, "the capacity doubles");
  is_int (v[3], 30, "the elements are kept");
  is_int (WARD_GROW (v, cap, 100, 4), 0, "a large need");
  is_int (cap, 128, "doubling stops at the first capacity that holds it");

  int *keep = v;
  errno = 0;
  is_int (WARD_GROW (v, cap, SIZE_MAX / 2, 4), -1, "a size that overflows is refused");
  is_int (errno, ENOMEM, "with ENOMEM");
  ok (v == keep && cap == 128, "the array and its capacity are untouched");
  is_int (v[3], 30, "and its elements are still there");
  free (v);

  is_int (ward_grow_cap (0, 3, 8, 0), 4, "a first capacity of 0 starts at 1");
  is_int (ward_grow_cap (4, 2, SIZE_MAX, 4), 0, "an element size past the memory gives 0");
  return done ();
}
