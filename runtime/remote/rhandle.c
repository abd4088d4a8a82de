/* rhandle.c -- the copies of channels a subprocess actor's child holds
 * (remote.h, rchild.h), counted per PID, and the DROPs that give the
 * runtime back what it sent of a PID once the child holds none: the
 * child's end of what bhandle.c counts on the runtime's side. */
#include "config.h"
#include "rchild.h"
#include "wire.h"
#include "vm.h"
#include "codec.h"
#include "wgrow.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The copies of channels the child holds (remote.h), per PID: live, how
 * many it holds in all; granted, how many of them the runtime sent since
 * the last DROP of that PID. Taken by the reader (copies the runtime
 * sends) and the actor's thread; a DROP is sent by the actor's thread only
 * (the reader must never wait to write: the runtime may be waiting for it
 * to read). */
typedef struct held_copies {
  char pid[64];
  unsigned live, granted;
} held_copies;

static struct {
  pthread_mutex_t lock;
  held_copies *v;
  size_t n, cap;
  pthread_t reader;
  int have_reader;
  /* the handles of the CALLs whose REPLY has not been taken, in order: a
   * CALL's copies stay held until the runtime has answered it (its
   * stand-in has made its own by then) */
  struct pending_call *calls, **calls_tail;
  /* DROPs not sent yet (pid, granted: how many), for the actor's thread
   * to send when it may wait (flush_drops) */
  held_copies *drops;
  size_t ndrops, drops_cap;
} ward_remote_copies = { .lock = PTHREAD_MUTEX_INITIALIZER,
                        .calls_tail = &ward_remote_copies.calls };

typedef struct pending_call {
  struct pending_call *next;
  size_t len;
  uint8_t data[];
} pending_call;

static held_copies *
copies_find (const char *ref, size_t len)
{
  for (size_t i = 0; i < ward_remote_copies.n; i++)
    if (strlen (ward_remote_copies.v[i].pid) == len
        && memcmp (ward_remote_copies.v[i].pid, ref, len) == 0)
      return &ward_remote_copies.v[i];
  return NULL;
}

/* One more copy of ref; granted: one the runtime sent (and counts). With
 * ward_remote_copies.lock. A reference the runtime would not record (bhandle.c
 * grant_one), nor a channel be made of, is not counted. */
static void
copies_add (const char *ref, size_t len, int granted)
{
  if (len == 0 || len >= sizeof ward_remote_copies.v->pid || memchr (ref, 0, len) != NULL)
    return;
  held_copies *h = copies_find (ref, len);
  if (h == NULL)
    {
      if (WARD_GROW (ward_remote_copies.v, ward_remote_copies.cap, ward_remote_copies.n + 1, 8) < 0)
        return;   /* not counted: never given back, the runtime keeps it (fails safe) */
      h = &ward_remote_copies.v[ward_remote_copies.n++];
      memcpy (h->pid, ref, len);
      h->pid[len] = '\0';
      h->live = h->granted = 0;
    }
  h->live++;
  if (granted)
    h->granted++;
}

static void send_drop (const char *pid, unsigned n);

/* One copy of ref is dropped: when none is left, the runtime gets back
 * what it sent of it. (A copy that was never counted -- a channel made
 * of a value the child did not count -- is no copy of any other: nothing
 * is taken from a PID that has no count.) */
static void
copies_drop (const char *ref, size_t len)
{
  char pid[64];
  unsigned back = 0;
  ward_lock (&ward_remote_copies.lock, WARD_LOCK_CHILD_COPIES);
  held_copies *h = copies_find (ref, len);
  if (h != NULL && h->live > 0 && --h->live == 0)
    {
      memcpy (pid, h->pid, sizeof pid);
      back = h->granted;
      *h = ward_remote_copies.v[--ward_remote_copies.n];
    }
  ward_unlock (&ward_remote_copies.lock);
  if (back > 0)
    send_drop (pid, back);
}

static int
grant_each (const char *ref, size_t len, void *ctx)
{
  (void) ctx;
  copies_add (ref, len, 1);
  return 0;
}

static int
any_handle (const char *ref, size_t len, void *ctx)
{
  (void) ref;
  (void) len;
  *(int *) ctx = 1;
  return 1;
}

static int
hold_each (const char *ref, size_t len, void *ctx)
{
  (void) ctx;
  copies_add (ref, len, 0);
  return 0;
}

static int
drop_each (const char *ref, size_t len, void *ctx)
{
  (void) ctx;
  copies_drop (ref, len);
  return 0;
}

/* The runtime sent the child the encoded values data: each handle in them
 * is a copy it counts (bhandle.c ward_broker_grant_handles). */
void
ward_remote_copies_grant (const uint8_t *data, size_t len)
{
  ward_lock (&ward_remote_copies.lock, WARD_LOCK_CHILD_COPIES);
  (void) ward_codec_each_handle (data, len, grant_each, NULL);   /* not values: none */
  ward_unlock (&ward_remote_copies.lock);
}

void
ward_remote_hold (const uint8_t *data, size_t len)
{
  if (ward_remote_chan < 0)
    return;
  ward_lock (&ward_remote_copies.lock, WARD_LOCK_CHILD_COPIES);
  (void) ward_codec_each_handle (data, len, hold_each, NULL);
  ward_unlock (&ward_remote_copies.lock);
}

void
ward_remote_unhold (const uint8_t *data, size_t len)
{
  if (ward_remote_chan < 0)
    return;
  (void) ward_codec_each_handle (data, len, drop_each, NULL);
}

/* The values of a message that holds counted copies: its data, or a
 * REPLY's values (status 0). 0 when it has none. */
static int
msg_values (const ward_msg *m, const uint8_t **p, size_t *len)
{
  if (m->kind != WARD_MSG_WIRE)
    {
      if (!ward_remote_msg_holds_values (m))
        return 0;
      *p = m->data;
      *len = m->len;
      return 1;
    }
  ward_wire_in in = { m->data, m->data + m->len };
  ward_err err;
  uint32_t st;
  const char *a;
  if (ward_wire_get_u32 (&in, &st, &err) < 0 || st != 0
      || ward_wire_get_str (&in, &a, len, &err) < 0)
    return 0;
  *p = (const uint8_t *) a;
  return 1;
}

/* m came from the runtime: the copies in its values are counted, and kept
 * by m until it is decoded or freed. */
void
ward_remote_msg_granted (ward_msg *m)
{
  const uint8_t *p;
  size_t len;
  if (msg_values (m, &p, &len))
    {
      ward_remote_copies_grant (p, len);
      m->handles = 1;
    }
}

void
ward_remote_msg_dropped (ward_msg *m)
{
  const uint8_t *p;
  size_t len;
  m->handles = 0;
  if (ward_remote_chan >= 0 && msg_values (m, &p, &len))
    (void) ward_codec_each_handle (p, len, drop_each, NULL);
}

void
ward_remote_dropped (const char *pid)
{
  copies_drop (pid, strlen (pid));
}

/* A CALL with the encoded arguments args goes out: their copies are held
 * until its REPLY is taken (ward_remote_call_done). 0, or -1 (out of memory: the
 * call is not made). */
int
ward_remote_call_holds (const uint8_t *args, size_t len)
{
  int any = 0;
  (void) ward_codec_each_handle (args, len, any_handle, &any);
  pending_call *c = malloc (sizeof *c + (any ? len : 0));
  if (c == NULL)
    return -1;
  c->next = NULL;
  c->len = any ? len : 0;
  if (any)
    memcpy (c->data, args, len);
  ward_lock (&ward_remote_copies.lock, WARD_LOCK_CHILD_COPIES);
  if (any)
    (void) ward_codec_each_handle (args, len, hold_each, NULL);
  *ward_remote_copies.calls_tail = c;
  ward_remote_copies.calls_tail = &c->next;
  ward_unlock (&ward_remote_copies.lock);
  return 0;
}

/* The oldest call's REPLY was taken (or, last = 1, the call just queued
 * was not sent): its arguments' copies go. */
void
ward_remote_call_done (int last)
{
  ward_lock (&ward_remote_copies.lock, WARD_LOCK_CHILD_COPIES);
  pending_call *c = ward_remote_copies.calls, **pp = &ward_remote_copies.calls;
  if (last)
    for (; c != NULL && c->next != NULL; pp = &c->next, c = c->next)
      ;
  if (c != NULL)
    {
      *pp = c->next;
      if (ward_remote_copies.calls_tail == &c->next)
        ward_remote_copies.calls_tail = pp;
    }
  ward_unlock (&ward_remote_copies.lock);
  if (c != NULL)
    {
      ward_remote_unhold (c->data, c->len);
      free (c);
    }
}

/* A DROP frame: the copies of the channel pid that the runtime sent, n of
 * them, are given back. wait: whether it may wait for room (only on the
 * actor's thread holding no lock). 0 sent, 1 not now (the channel is
 * full, or another frame is being written), -1 failed (the copies stay
 * counted until the child ends). */
static int
drop_frame (const char *pid, unsigned n, int wait)
{
  wbuf b;
  wbuf_init (&b, 0);
  ward_err err;
  int rc = -1;
  if (ward_wire_put_str (&b, pid, strlen (pid), &err) == 0
      && ward_wire_put_u32 (&b, n, &err) == 0)
    {
      if (wait)
        ward_lock (&ward_remote_tx_lock, WARD_LOCK_CHILD_TX);
      if (!wait && ward_trylock (&ward_remote_tx_lock, WARD_LOCK_CHILD_TX) != 0)
        rc = 1;
      else
        {
          rc = wait ? ward_wire_send (ward_remote_chan, WARD_F_DROP, b.data, b.len, &err)
                    : ward_wire_send_now (ward_remote_chan, WARD_F_DROP, b.data, b.len, NULL,
                                          &err);
          ward_unlock (&ward_remote_tx_lock);
        }
    }
  wbuf_free (&b);
  return rc;
}

/* Whether DROPs are to be sent no more: the actor has ended (the runtime
 * drops every copy the child held), or the runtime has gone. */
static int
drops_over (void)
{
  return ward_remote_actor_done () || ward_remote_chan < 0 || atomic_load (&ward_remote_gone);
}

static int
on_reader (void)
{
  return ward_remote_taking || (ward_remote_copies.have_reader
                                && pthread_equal (pthread_self (), ward_remote_copies.reader));
}

/* Keep a DROP of n copies of pid for later (added to one that waits). */
static void
queue_drop (const char *pid, unsigned n)
{
  ward_lock (&ward_remote_copies.lock, WARD_LOCK_CHILD_COPIES);
  held_copies *d = NULL;
  for (size_t i = 0; i < ward_remote_copies.ndrops; i++)
    if (strcmp (ward_remote_copies.drops[i].pid, pid) == 0)
      d = &ward_remote_copies.drops[i];
  if (d == NULL
      && WARD_GROW (ward_remote_copies.drops, ward_remote_copies.drops_cap,
                    ward_remote_copies.ndrops + 1, 8) == 0)
    {
      d = &ward_remote_copies.drops[ward_remote_copies.ndrops++];
      snprintf (d->pid, sizeof d->pid, "%s", pid);
      d->granted = 0;
    }
  if (d != NULL)                /* (else kept counted until the child ends) */
    d->granted += n;
  ward_unlock (&ward_remote_copies.lock);
}

/* Send the DROPs that wait; wait: as for drop_frame. The actor's thread
 * only. */
static void
flush_drops (int wait)
{
  if (on_reader () || drops_over ())
    return;
  for (;;)
    {
      held_copies d;
      ward_lock (&ward_remote_copies.lock, WARD_LOCK_CHILD_COPIES);
      int any = ward_remote_copies.ndrops > 0;
      if (any)
        d = ward_remote_copies.drops[--ward_remote_copies.ndrops];
      ward_unlock (&ward_remote_copies.lock);
      if (!any)
        return;
      if (drop_frame (d.pid, d.granted, wait) == 1)
        {
          queue_drop (d.pid, d.granted);
          return;
        }
    }
}

void
ward_remote_flush_drops (void)
{
  flush_drops (1);
}

void
ward_remote_try_drops (void)
{
  flush_drops (0);
}

void
ward_remote_copies_reader (pthread_t reader)
{
  ward_remote_copies.reader = reader;
  ward_remote_copies.have_reader = 1;
}

/* The child holds no copy of pid any more: the n the runtime sent go
 * back. Sent at once when the channel has room and nothing else is being
 * written; else kept for the actor's thread to send when it may wait (the
 * caller may hold a lock the reader needs, and the reader must never wait
 * to write). */
static void
send_drop (const char *pid, unsigned n)
{
  if (drops_over ())
    return;
  if (!on_reader ())
    {
      flush_drops (0);
      ward_lock (&ward_remote_copies.lock, WARD_LOCK_CHILD_COPIES);
      int queued = ward_remote_copies.ndrops > 0;
      ward_unlock (&ward_remote_copies.lock);
      if (!queued && drop_frame (pid, n, 0) != 1)
        return;
    }
  queue_drop (pid, n);
}
