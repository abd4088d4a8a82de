/* wchunk.h -- a chain of malloc'd chunks of memory, freed all at once: what
 * an arena carves its blocks from (the policy engine's, freed whole; each
 * process's lua_State allocator in runtime/core). Prefix ward_chunk. */
#ifndef WARD_WCHUNK_H
#define WARD_WCHUNK_H

#include <stddef.h>

typedef struct ward_chunk {
  struct ward_chunk *next;
  max_align_t data[];             /* the chunk's bytes, aligned for anything */
} ward_chunk;

/* A new chunk of size bytes (at data), put at the head of *head; NULL when
 * out of memory (*head unchanged). */
ward_chunk *ward_chunk_push (ward_chunk **head, size_t size);
/* Free every chunk of *head; *head becomes NULL. */
void ward_chunk_free_all (ward_chunk **head);

#endif
