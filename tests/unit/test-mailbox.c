/* test-mailbox.c -- unit tests of mailboxes: routing to ports, order,
 * limits, topic close back to the inbox, delivery to an exited process,
 * descriptors counted per mailbox and per sender, message memory going
 * back to the worker that made it. */
#include "config.h"
#include "rt.h"
#include "lfd.h"
#include "tap.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The runtime's run control is main.c's; the tests stand alone. */
void ward_run_master_exited (ward_proc *p, int abnormal, const char *error) {}

static ward_proc *
fake_proc (void)
{
  ward_proc *p = calloc (1, sizeof *p);
  pthread_mutex_init (&p->lock, NULL);
  atomic_init (&p->refs, 1);
  p->state = WARD_ST_NEW;      /* wakes do nothing: no scheduler here */
  strcpy (p->pid, "{test|0x00001}");
  return p;
}

static int
send_user (ward_proc *p, const char *topic, int n, ward_err *err)
{
  return ward_deliver (p, ward_msg_new (WARD_MSG_USER, "{x|0x2}", topic, &n, sizeof n), err);
}

static int
payload (ward_msg *m)
{
  int n;
  memcpy (&n, m->data, sizeof n);
  return n;
}

/* A user message carrying k fresh descriptors (pipe ends); their
 * numbers in fds. */
static ward_msg *
fd_msg (int k, int *fds)
{
  ward_msg *m = ward_msg_new (WARD_MSG_USER, "{x|0x2}", "f", "x", 1);
  ward_fdvec v = { 0 };
  for (int i = 0; i < k; i += 2)
    {
      int pp[2];
      if (pipe2 (pp, O_CLOEXEC) < 0)
        abort ();
      for (int j = 0; j < 2 && i + j < k; j++)
        ward_fdvec_own (&v, fds[i + j] = pp[j], NULL);
      if (i + 1 == k)
        close (pp[1]);
    }
  ward_msg_take_fds (m, &v, NULL);
  return m;
}

static int
all_closed (const int *fds, int k)
{
  for (int i = 0; i < k; i++)
    if (fcntl (fds[i], F_GETFD) != -1)
      return 0;
  return 1;
}

static void
fd_quotas (void)
{
  ward_err err;
  ward_proc *q = fake_proc ();
  int fds[16];
  ward_cfg.mailbox_limit = 100;
  ward_cfg.mailbox_fds = 10;
  is_int (ward_deliver (q, fd_msg (6, fds), &err), 0, "a message with 6 descriptors is queued");
  is_int ((int) q->queued_fds, 6, "... and counted in the mailbox");
  is_int (ward_deliver (q, fd_msg (5, fds), &err), -1, "5 more pass the mailbox's 10");
  is_int (err.kind, WARD_E_UNAVAILABLE, "... UNAVAILABLE");
  ok (strstr (err.msg, "already holds 6 descriptors (the limit is 10)") != NULL,
      "... naming the count and the limit");
  ok (all_closed (fds, 5), "the refused message's descriptors are closed");
  is_int (ward_deliver (q, fd_msg (4, fds), &err), 0, "4 more fit exactly");
  int port = ward_port_open (q, "f", 1, &err);
  ward_port_close (q, port);
  is_int ((int) q->queued_fds, 10, "a topic closed back to the inbox keeps the count");
  ward_msg *m = ward_port_pop (q, WARD_PORT_INBOX);
  ward_msg_free (m);
  is_int ((int) q->queued_fds, 4, "popping gives the message's descriptors back");

  /* a sender's tally: charged while its messages exist */
  ward_fdtally *t = ward_fdtally_new (5);
  ward_msg *a = fd_msg (3, fds), *b = fd_msg (3, fds + 3);
  is_int (ward_msg_charge (a, t, "{s|0x1}", &err), 0, "3 descriptors charged to a sender of 5");
  is_int (ward_msg_charge (b, t, "{s|0x1}", &err), -1, "3 more are refused");
  ok (strstr (err.msg, "{s|0x1} already has 3 descriptors in flight") != NULL,
      "... naming the sender and its count");
  ward_msg_free (b);
  ward_msg_free (a);
  is_int ((int) atomic_load (&t->n), 0, "freed messages give the tally back");
  ok (all_closed (fds, 6), "and close their descriptors");
  ward_fdtally_unref (t);

  ward_mailbox_free (q);
  pthread_mutex_destroy (&q->lock);
  free (q);
}

/* Message memory: a block freed by another thread goes back to the
 * worker that made it (msgpool.c), whether that thread has a pool of its
 * own (a stash, flushed when it idles) or not (at once). */
static void *
free_as_worker (void *m)
{
  ward_msgpool_attach ();
  ward_msg_free (m);
  ward_msgpool_idle ();
  ward_msgpool_detach ();
  return NULL;
}

static void *
free_as_other (void *m)
{
  ward_msg_free (m);
  return NULL;
}

static void
pool_tests (void)
{
  static char big[WARD_MSGPOOL_SLOT];
  ward_msgpool_attach ();
  ward_msg *m = ward_msg_new (WARD_MSG_USER, "{x|0x2}", "t", "x", 1);
  ward_msg *b = ward_msg_new (WARD_MSG_USER, "{x|0x2}", "t", big, sizeof big);
  ok (m && m->pool != NULL && b && b->pool == NULL,
      "a worker's small message comes from its pool, a big one from malloc");
  ward_msg_free (b);
  uintptr_t first = (uintptr_t) m;
  pthread_t t;
  pthread_create (&t, NULL, free_as_worker, m);
  pthread_join (t, NULL);
  m = ward_msg_new (WARD_MSG_USER, "{x|0x2}", "t", "y", 1);
  ok ((uintptr_t) m == first, "freed by another worker, the block came back to its maker");
  pthread_create (&t, NULL, free_as_other, m);
  pthread_join (t, NULL);
  m = ward_msg_new (WARD_MSG_USER, "{x|0x2}", "t", "z", 1);
  ok ((uintptr_t) m == first && m->data[0] == 'z',
      "freed by a thread without a pool, too; and it is a whole new message");
  ward_msg_free (m);
  ward_msgpool_detach ();
}

int
main (void)
{
  plan (54);
  pool_tests ();
  ward_cfg.mailbox_limit = 5;
  ward_err err;
  ward_proc *p = fake_proc ();

  /* order and routing */
  for (int i = 0; i < 3; i++)
    send_user (p, "a", i, &err);
  int order_ok = 1;
  for (int i = 0; i < 3; i++)
    {
      ward_msg *m = ward_port_pop (p, WARD_PORT_INBOX);
      order_ok &= m && payload (m) == i && strcmp (m->topic, "a") == 0;
      ward_msg_free (m);
    }
  ok (order_ok, "unlistened topic goes to the inbox, in order");
  ok (ward_port_pop (p, WARD_PORT_INBOX) == NULL, "inbox empty after popping everything");

  int port = ward_port_open (p, "t", 1, &err);
  ok (port >= WARD_PORT_FIRST_DYNAMIC, "listen opens a dynamic port");
  is_int (ward_port_open (p, "t", 1, &err), -1, "listening twice fails");
  is_int (err.kind, WARD_E_ALREADY_EXISTS, "... with ALREADY_EXISTS");
  send_user (p, "t", 7, &err);
  send_user (p, "u", 8, &err);
  ok (ward_port_ready (p, port), "topic message reaches the topic port");
  ok (ward_port_ready (p, WARD_PORT_INBOX), "other topic reaches the inbox");
  ward_msg *m = ward_port_pop (p, port);
  is_int (m ? payload (m) : -1, 7, "topic port payload");
  ward_msg_free (m);
  m = ward_port_pop (p, WARD_PORT_INBOX);
  is_int (m ? payload (m) : -1, 8, "inbox payload");
  ward_msg_free (m);

  /* close moves queued topic messages to the inbox, never drops them */
  send_user (p, "t", 9, &err);
  ward_port_close (p, port);
  ok (!ward_port_ready (p, port), "closed port is gone");
  m = ward_port_pop (p, WARD_PORT_INBOX);
  is_int (m ? payload (m) : -1, 9, "queued topic message moved to the inbox");
  ward_msg_free (m);

  /* the limit counts user messages only; events always get through */
  int sent = 0;
  for (int i = 0; i < 10; i++)
    if (send_user (p, "x", i, &err) == 0)
      sent++;
  is_int (sent, 5, "mailbox limit of 5 accepts exactly 5");
  is_int (err.kind, WARD_E_UNAVAILABLE, "the sixth send is UNAVAILABLE");
  ok (strstr (err.msg, "full") != NULL, "... and says the mailbox is full");
  ward_msg *ev = ward_msg_new (WARD_MSG_EXIT, "{x|0x3}", NULL, "boom", 4);
  ev->is_error = 1;
  is_int (ward_deliver (p, ev, &err), 0, "an event is delivered past the user limit");
  ok (ward_port_ready (p, WARD_PORT_EVENTS), "event on the events port");
  m = ward_port_pop (p, WARD_PORT_INBOX);
  ward_msg_free (m);
  is_int (send_user (p, "x", 1, &err), 0, "popping one makes room for one");

  /* timer to a closed port is dropped silently (nobody can receive it) */
  int tport = ward_port_open (p, NULL, 1, &err);
  ward_port_close (p, tport);
  ward_msg *tm = ward_msg_new (WARD_MSG_TIMER, "", NULL, NULL, 0);
  tm->port = tport;
  is_int (ward_deliver (p, tm, &err), 0, "timer for a closed port is accepted and dropped");
  ok (!ward_port_ready (p, tport), "... and not queued");

  fd_quotas ();

  /* bytes: payload and topic of user messages count against the byte
   * limit, whatever their number; popping and closing give them back */
  while ((m = ward_port_pop (p, WARD_PORT_INBOX)) != NULL)
    ward_msg_free (m);
  while ((m = ward_port_pop (p, WARD_PORT_EVENTS)) != NULL)
    ward_msg_free (m);
  ward_cfg.mailbox_limit = 1000;
  ward_cfg.mailbox_bytes = 10000;
  enum { B = 4000 };
  static char blob[10002];
  is_int (p->queued_bytes, 0, "an empty mailbox holds no bytes");
  int took = 0;
  for (int i = 0; i < 5; i++)
    if (ward_deliver (p, ward_msg_new (WARD_MSG_USER, "{x|0x2}", "b", blob, B),
                      &err) == 0)
      took++;
  is_int (took, 2, "a 10000-byte limit takes two 4000-byte messages, not a third");
  is_int (err.kind, WARD_E_UNAVAILABLE, "the third is UNAVAILABLE");
  ok (strstr (err.msg, "full") && strstr (err.msg, "bytes"), "... saying the mailbox is full "
      "of bytes: %s", err.msg);
  is_int (ward_deliver (p, ward_msg_new (WARD_MSG_USER, "{x|0x2}", "b", blob, 1000), &err), 0,
          "a smaller message still fits");
  /* an EXIT whose result would pass the limit is delivered all the same,
   * its result replaced by an error saying so, and counted */
  ward_msg *big = ward_msg_new (WARD_MSG_EXIT, "{x|0x3}", NULL, blob, B);
  is_int (ward_deliver (p, big, &err), 0, "an event over the byte limit is still delivered");
  m = ward_port_pop (p, WARD_PORT_EVENTS);
  ok (m && m->kind == WARD_MSG_EXIT && m->is_error && strcmp (m->from, "{x|0x3}") == 0
      && m->len > 30 && memcmp (m->data, "result not delivered: its 4000 bytes", 36) == 0,
      "... as an error in place of its result: %.*s", m ? (int) m->len : 0,
      m ? (const char *) m->data : "");
  size_t cut = m ? ward_msg_bytes (m) : 0;
  ward_msg *again = ward_msg_new (WARD_MSG_EXIT, "{x|0x3}", NULL, "boom", 4);
  again->is_error = 1;
  ward_deliver (p, m, &err);    /* back, queued as it came */
  is_int (ward_deliver (p, again, &err), 0, "an error event is never refused");
  ward_msg *small = ward_msg_new (WARD_MSG_EXIT, "{x|0x3}", NULL, blob, 200);
  is_int (ward_deliver (p, small, &err), 0, "a result that fits is delivered");
  int bport = ward_port_open (p, "b2", 1, &err);
  ward_deliver (p, ward_msg_new (WARD_MSG_USER, "{x|0x2}", "b2", blob, 500), &err);
  ward_port_close (p, bport);
  size_t want = 2 * (B + 2) + 1000 + 2 + 500 + 3 + cut + 4 + 200;
  is_int (p->queued_bytes, want, "queued bytes follow a topic's messages back to the inbox, "
          "events counted (%zu, want %zu)", p->queued_bytes, want);
  is_int (ward_deliver (p, ward_msg_new (WARD_MSG_USER, "{x|0x2}", "b", blob, 400), &err),
          -1, "events' bytes leave no room for a message that would pass the limit");
  while ((m = ward_port_pop (p, WARD_PORT_INBOX)) != NULL)
    ward_msg_free (m);
  m = ward_port_pop (p, WARD_PORT_EVENTS);
  ok (m && m->is_error, "the events come in order: the cut one first");
  ward_msg_free (m);
  m = ward_port_pop (p, WARD_PORT_EVENTS);
  ward_msg_free (m);
  m = ward_port_pop (p, WARD_PORT_EVENTS);
  ok (m && !m->is_error && m->len == 200, "... and the one that fitted whole");
  ward_msg_free (m);
  is_int (p->queued_bytes, 0, "popping every message and event gives every byte back");
  is_int (ward_deliver (p, ward_msg_new (WARD_MSG_USER, "{x|0x2}", "b", blob, 10001), &err),
          -1, "a message over the whole limit is refused by an empty mailbox");
  ward_cfg.mailbox_bytes = 0;

  /* an exited process refuses deliveries with NOT_FOUND */
  p->state = WARD_ST_DONE;
  is_int (send_user (p, "x", 1, &err), -1, "delivery to an exited process fails");
  is_int (err.kind, WARD_E_NOT_FOUND, "... with NOT_FOUND");
  ward_msg *nm = ward_msg_new (WARD_MSG_USER, NULL, "t", NULL, 0);
  ok (nm && nm->from[0] == '\0' && nm->len == 0, "message without sender or payload");
  ward_msg_free (nm);

  ward_mailbox_free (p);
  pthread_mutex_destroy (&p->lock);
  free (p);
  return done ();
}
