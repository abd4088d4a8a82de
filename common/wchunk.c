/* wchunk.c -- chains of memory chunks (wchunk.h). */
#include "config.h"
#include "wchunk.h"

#include <stdlib.h>

ward_chunk *
ward_chunk_push (ward_chunk **head, size_t size)
{
  ward_chunk *c = malloc (sizeof *c + size);
  if (c == NULL)
    return NULL;
  c->next = *head;
  *head = c;
  return c;
}

void
ward_chunk_free_all (ward_chunk **head)
{
  ward_chunk *c = *head;
  while (c)
    {
      ward_chunk *next = c->next;
      free (c);
      c = next;
    }
  *head = NULL;
}
