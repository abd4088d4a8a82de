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

/* WARD_CHAINS_ROOM (chains, nchains, entries, first, next, key): room for
 * one more node in a hash table of singly linked chains -- chains a T **
 * of nchains heads (a power of two, or 0 and NULL before the first node),
 * entries the nodes in it, each linked by its member `next` and filed in
 * chain (node->key & (nchains - 1)). Past one node a chain on average the
 * table doubles (from `first` chains) and every node moves to its chain of
 * the new size. 0, or -1 when out of memory and there is no table yet: a
 * full table that cannot grow still takes the node, in a longer chain. A
 * GNU statement expression: the caller holds the table's lock. */
#define WARD_CHAINS_ROOM(chains, nchains, entries, first, next, key) \
  ({ \
    int room_rc_ = 0; \
    size_t room_n_ = (nchains); \
    if (room_n_ == 0 || (entries) >= room_n_) \
      { \
        size_t room_nn_ = ward_grow_cap (room_n_, room_n_ + 1, sizeof *(chains), (first)); \
        __typeof__ (chains) room_nc_ = room_nn_ ? calloc (room_nn_, sizeof *room_nc_) : NULL; \
        if (room_nc_ == NULL) \
          room_rc_ = room_n_ ? 0 : -1; \
        else \
          { \
            for (size_t room_b_ = 0; room_b_ < room_n_; room_b_++) \
              for (__typeof__ (*(chains)) room_e_ = (chains)[room_b_], room_x_; room_e_; \
                   room_e_ = room_x_) \
                { \
                  room_x_ = room_e_->next; \
                  room_e_->next = room_nc_[room_e_->key & (room_nn_ - 1)]; \
                  room_nc_[room_e_->key & (room_nn_ - 1)] = room_e_; \
                } \
            free (chains); \
            (chains) = room_nc_; \
            (nchains) = room_nn_; \
          } \
      } \
    room_rc_; \
  })

#endif
