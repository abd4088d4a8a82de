/* htab.c -- the string hash table (string -> pointer, open addressing)
 * and the hash that the decision cache shares. */
#include "config.h"
#include "wpol.h"
#include "wgrow.h"

#include <stdlib.h>
#include <string.h>

struct wpol_hslot {
  const char *key;
  uint64_t hash;
  void *val;
};

uint64_t
wpol_hash (const void *p, size_t n)
{
  /* FNV-1a over 8-byte words, then a final mix: short keys, fast enough */
  const unsigned char *s = p;
  uint64_t h = 0xcbf29ce484222325ULL;
  while (n >= 8)
    {
      uint64_t w;
      memcpy (&w, s, 8);
      h = (h ^ w) * 0x100000001b3ULL;
      h ^= h >> 29;
      s += 8;
      n -= 8;
    }
  while (n--)
    h = (h ^ *s++) * 0x100000001b3ULL;
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  return h;
}

static int
htab_resize (wpol_htab *h, size_t cap)
{
  struct wpol_hslot *ns = calloc (cap, sizeof *ns);
  if (ns == NULL)
    return -1;
  for (size_t i = 0; i < h->cap; i++)
    if (h->slots[i].key)
      {
        size_t j = h->slots[i].hash & (cap - 1);
        while (ns[j].key)
          j = (j + 1) & (cap - 1);
        ns[j] = h->slots[i];
      }
  free (h->slots);
  h->slots = ns;
  h->cap = cap;
  return 0;
}

void **
wpol_htab_ref (wpol_htab *h, const char *key)
{
  if ((h->n + 1) * 4 >= h->cap * 3)
    {
      /* a power of two, doubled: j & (cap - 1) picks a slot */
      size_t cap = ward_grow_cap (h->cap, h->cap + 1, sizeof *h->slots, 16);
      if (cap == 0 || htab_resize (h, cap) < 0)
        return NULL;
    }
  uint64_t hash = wpol_hash (key, strlen (key));
  size_t j = hash & (h->cap - 1);
  while (h->slots[j].key)
    {
      if (h->slots[j].hash == hash && strcmp (h->slots[j].key, key) == 0)
        return &h->slots[j].val;
      j = (j + 1) & (h->cap - 1);
    }
  h->slots[j].key = key;
  h->slots[j].hash = hash;
  h->slots[j].val = NULL;
  h->n++;
  return &h->slots[j].val;
}

int
wpol_htab_put (wpol_htab *h, const char *key, void *val)
{
  void **r = wpol_htab_ref (h, key);
  if (r == NULL)
    return -1;
  *r = val;
  return 0;
}

void *
wpol_htab_get (const wpol_htab *h, const char *key)
{
  if (h->cap == 0)
    return NULL;
  return wpol_htab_get_hashed (h, key, wpol_hash (key, strlen (key)));
}

void *
wpol_htab_get_hashed (const wpol_htab *h, const char *key, uint64_t hash)
{
  if (h->cap == 0)
    return NULL;
  size_t j = hash & (h->cap - 1);
  while (h->slots[j].key)
    {
      if (h->slots[j].hash == hash && strcmp (h->slots[j].key, key) == 0)
        return h->slots[j].val;
      j = (j + 1) & (h->cap - 1);
    }
  return NULL;
}

void
wpol_htab_each (const wpol_htab *h, void (*fn) (void *val))
{
  for (size_t i = 0; i < h->cap; i++)
    if (h->slots[i].key)
      fn (h->slots[i].val);
}

void
wpol_htab_each_ud (const wpol_htab *h, void (*fn) (void *val, void *ud), void *ud)
{
  for (size_t i = 0; i < h->cap; i++)
    if (h->slots[i].key)
      fn (h->slots[i].val, ud);
}

void
wpol_htab_free (wpol_htab *h)
{
  free (h->slots);
  memset (h, 0, sizeof *h);
}
