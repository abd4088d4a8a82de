/* bhandle.c -- the handles (channels) a subprocess actor's child holds,
 * which are its capabilities (broker.h): each one the runtime sends it (in
 * a MSG whose data are values, a REPLY's values, BOOT's arguments) is
 * recorded with how many copies, each of which counts as an open channel
 * to its target; a frame from the child may name only those (and its own
 * address). Anything else a frame names is a forged handle, and the frame
 * is malformed.
 *
 * The child copies channels itself (an upgrade's arguments, a snapshot),
 * which the runtime never sees: it does not give back a copy per channel
 * userdata, but counts per PID what it holds (remote.h) and, once it holds
 * none, sends one DROP with the PID and how many of the copies the runtime
 * sent it gives back -- all it was sent of that PID since its last DROP of
 * it, so that copies still on their way to it stay counted. A DROP of more
 * copies than the runtime counts (one never sent, or sent back already,
 * the child's own address included: the child never gives back a copy it
 * made itself) is a malformed frame. */
#include "config.h"
#include "broker.h"
#include "codec.h"
#include "wgrow.h"
#include "vm.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct held_ref {
  char pid[64];
  unsigned n;
} held_ref;

typedef struct held_scan {
  ward_remote *r;
  int foreign;                  /* a handle the child was not given */
} held_scan;

/* The table is a hash set of PIDs (open addressing, linear probing, at
 * most half full): a frame may name hundreds of thousands of handles, and
 * each is looked up with the reader's lock held. An empty slot has an
 * empty PID. */
static size_t
held_hash (const char *ref, size_t len)
{
  uint64_t h = 1469598103934665603ull;              /* FNV-1a */
  for (size_t i = 0; i < len; i++)
    h = (h ^ (uint8_t) ref[i]) * 1099511628211ull;
  return (size_t) (h ^ (h >> 32));
}

static held_ref *
held_find (ward_remote *r, const char *ref, size_t len)
{
  if (r->held_cap == 0)
    return NULL;
  for (size_t i = held_hash (ref, len) & (r->held_cap - 1);; i = (i + 1) & (r->held_cap - 1))
    {
      held_ref *h = &r->held[i];
      if (h->pid[0] == '\0')
        return NULL;
      if (strlen (h->pid) == len && memcmp (h->pid, ref, len) == 0)
        return h;
    }
}

/* A new entry for ref (not in the table), or NULL when out of memory. */
static held_ref *
held_add (ward_remote *r, const char *ref, size_t len)
{
  if (2 * (r->nheld + 1) > r->held_cap)
    {
      /* a power of two: the table is probed with & (cap - 1) */
      size_t cap = ward_grow_cap (r->held_cap, 2 * (r->nheld + 1), sizeof (held_ref), 16);
      held_ref *t = cap ? calloc (cap, sizeof *t) : NULL;
      if (t == NULL)
        return NULL;
      for (size_t i = 0; i < r->held_cap; i++)
        if (r->held[i].pid[0] != '\0')
          {
            size_t j = held_hash (r->held[i].pid, strlen (r->held[i].pid)) & (cap - 1);
            while (t[j].pid[0] != '\0')
              j = (j + 1) & (cap - 1);
            t[j] = r->held[i];
          }
      free (r->held);
      r->held = t;
      r->held_cap = cap;
    }
  size_t i = held_hash (ref, len) & (r->held_cap - 1);
  while (r->held[i].pid[0] != '\0')
    i = (i + 1) & (r->held_cap - 1);
  held_ref *h = &r->held[i];
  memcpy (h->pid, ref, len);
  h->pid[len] = '\0';
  h->n = 0;
  r->nheld++;
  return h;
}

/* Take h out, moving back the entries after it that its slot displaced. */
static void
held_remove (ward_remote *r, held_ref *h)
{
  size_t mask = r->held_cap - 1, i = (size_t) (h - r->held);
  h->pid[0] = '\0';
  r->nheld--;
  for (size_t j = (i + 1) & mask; r->held[j].pid[0] != '\0'; j = (j + 1) & mask)
    {
      size_t home = held_hash (r->held[j].pid, strlen (r->held[j].pid)) & mask;
      /* the entry at j may fill the hole at i unless its home lies in
       * (i, j] cyclically */
      if ((j > i && (home <= i || home > j)) || (j < i && home <= i && home > j))
        {
          r->held[i] = r->held[j];
          r->held[j].pid[0] = '\0';
          i = j;
        }
    }
}

static int
grant_one (const char *ref, size_t len, void *ctx)
{
  held_scan *sc = ctx;
  ward_remote *r = sc->r;
  held_ref *h = held_find (r, ref, len);
  if (h == NULL && len > 0 && len < sizeof h->pid && memchr (ref, 0, len) == NULL)
    h = held_add (r, ref, len);   /* NULL: not recorded, the child cannot name it back */
  if (h)
    h->n++;
  return 0;
}

/* The runtime sends the child the encoded values data (a message, a
 * reply, the spawn's arguments): every handle in them is one it holds. */
void
ward_broker_grant_handles (ward_remote *r, const uint8_t *data, size_t len)
{
  held_scan sc = { r, 0 };
  ward_lock (&r->held_lock, WARD_LOCK_STANDIN_HELD);
  (void) ward_codec_each_handle (data, len, grant_one, &sc);   /* not values: none */
  ward_unlock (&r->held_lock);
}

/* The message m goes to r's child: the handles in its values become ones
 * it holds. */
void
ward_broker_grant_msg (ward_remote *r, const ward_msg *m)
{
  if (ward_remote_msg_holds_values (m))
    ward_broker_grant_handles (r, m->data, m->len);
}

static int
ungrant_one (const char *ref, size_t len, void *ctx)
{
  held_scan *sc = ctx;
  ward_remote *r = sc->r;
  held_ref *h = held_find (r, ref, len);
  if (h != NULL && --h->n == 0)
    held_remove (r, h);
  return 0;
}

void
ward_broker_ungrant_msg (ward_remote *r, const ward_msg *m)
{
  if (!ward_remote_msg_holds_values (m))
    return;
  held_scan sc = { r, 0 };
  ward_lock (&r->held_lock, WARD_LOCK_STANDIN_HELD);
  (void) ward_codec_each_handle (m->data, m->len, ungrant_one, &sc);
  ward_unlock (&r->held_lock);
}

static int
held_one (const char *ref, size_t len, void *ctx)
{
  held_scan *sc = ctx;
  if (held_find (sc->r, ref, len))
    return 0;
  /* its own address (its inbox sent as a channel): the one handle a child
   * may name without being given it */
  ward_proc *self = sc->r->proxy;
  if (self != NULL && strlen (self->pid) == len && memcmp (self->pid, ref, len) == 0)
    return 0;
  sc->foreign = 1;
  return 1;
}

/* The DROP frame r->rx: the child gives back n copies of a channel it
 * holds (it holds no copy of it any more), which count as open no more.
 * NULL, or why the frame is malformed: not a PID and a count of at least
 * one, or more copies than the child holds (a channel it was never given,
 * or copies it gave back already). Called with the reader's lock. */
const char *
ward_broker_take_drop (ward_remote *r)
{
  ward_wire_in in = { r->rx.body.data, r->rx.body.data + r->rx.body.len };
  ward_err err;
  const char *ref;
  size_t len;
  uint32_t n;
  if (ward_wire_get_str (&in, &ref, &len, &err) < 0 || ward_wire_get_u32 (&in, &n, &err) < 0
      || in.p != in.end || n == 0)
    return "ended: malformed frame: a DROP that is not a channel's PID and a count";
  char pid[sizeof ((held_ref *) 0)->pid];
  ward_lock (&r->held_lock, WARD_LOCK_STANDIN_HELD);
  held_ref *h = held_find (r, ref, len);
  int holds = h != NULL && h->n >= n;
  if (holds)
    {
      memcpy (pid, h->pid, sizeof pid);
      if ((h->n -= n) == 0)
        held_remove (r, h);
    }
  ward_unlock (&r->held_lock);
  if (!holds)
    return "ended: malformed frame: it dropped a channel it does not hold";
  ward_vmchan_release (pid, n);
  return NULL;
}

/* Whether the CALL or EXIT frame r->rx names a handle the child was not
 * given (nor its own address): a forged one. (A frame malformed otherwise
 * is the decoder's to refuse.) With the reader's lock. */
int
ward_broker_forged_handle (ward_remote *r, int type)
{
  ward_wire_in in = { r->rx.body.data, r->rx.body.data + r->rx.body.len };
  ward_err err;
  const char *vals;
  size_t len;
  uint32_t abnormal;
  if (type == WARD_F_CALL ? ward_wire_get_str (&in, &vals, &len, &err) < 0
                            || ward_wire_get_str (&in, &vals, &len, &err) < 0
                          : ward_wire_get_u32 (&in, &abnormal, &err) < 0
                            || ward_wire_get_str (&in, &vals, &len, &err) < 0 || abnormal != 0)
    return 0;
  held_scan sc = { r, 0 };
  ward_lock (&r->held_lock, WARD_LOCK_STANDIN_HELD);
  (void) ward_codec_each_handle ((const uint8_t *) vals, len, held_one, &sc);
  ward_unlock (&r->held_lock);
  return sc.foreign;
}

void
ward_broker_held_free (ward_remote *r)
{
  /* the copies the child held are closed with it */
  for (size_t i = 0; i < r->held_cap; i++)
    if (r->held[i].pid[0] != '\0')
      ward_vmchan_release (r->held[i].pid, r->held[i].n);
  free (r->held);
  pthread_mutex_destroy (&r->held_lock);
}
