/* arena.h -- the allocator behind each process's lua_State.
 * Small blocks (up to WARD_ARENA_SMALL bytes) come from chunks owned by the
 * process, with a free list per 16-byte size class; larger ones from malloc,
 * each behind a small header that keeps it on the arena's list. No lock (a
 * process runs on one thread at a time), no header on small blocks, and
 * everything goes back to the system at once when the VM closes (or is
 * dropped without lua_close: vm.c). Freed small blocks are reused by the
 * same process, not returned early. */
#ifndef WARD_ARENA_H
#define WARD_ARENA_H

#include <stddef.h>
#include "wchunk.h"

#define WARD_ARENA_SMALL 512
#define WARD_ARENA_CLASSES (WARD_ARENA_SMALL / 16)

struct ward_arena_big;

typedef struct ward_arena {
  void *free[WARD_ARENA_CLASSES];   /* per class: a list through the blocks */
  char *bump, *end;                 /* the unused part of the newest chunk */
  ward_chunk *chunks;               /* all chunks, newest first */
  size_t next_chunk;                /* size of the next chunk */
  struct ward_arena_big *big;       /* the blocks from malloc */
} ward_arena;

/* realloc with lua_Alloc's contract (osize is the block's size when ptr is
 * set); returns NULL on failure (or for nsize 0). */
void *ward_arena_realloc (ward_arena *a, void *ptr, size_t osize, size_t nsize);
/* Release every chunk and every block from malloc (after lua_close, when
 * the VM could not start, or in place of lua_close). */
void ward_arena_release (ward_arena *a);

#endif
