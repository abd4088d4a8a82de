/* mailbox.c -- messages and ports of a process's mailbox.
 * A delivery picks its port under the receiver's lock: a topic the process
 * listens to, or the inbox; events, exec results and timers have their own.
 * The receiver takes a port's whole queue under the lock when it pops
 * (its batch, rt.h) and the next ones without: senders and the receiver
 * meet on the lock once per batch, not once per message. */
#include "config.h"
#include "rt.h"
#include "wgrow.h"
#include "fdvec.h"
#include "remote.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One allocation per message: the header, then topic and payload bytes. */
ward_msg *
ward_msg_new (int kind, const char *from, const char *topic, const void *data, size_t len)
{
  size_t tlen = topic ? strlen (topic) + 1 : 0;
  if (tlen > UINT_MAX || len > SIZE_MAX - sizeof (ward_msg) - tlen)
    return NULL;
  ward_msgpool *pool;
  ward_msg *m = ward_msgpool_alloc (sizeof *m + tlen + len, &pool);
  if (m == NULL)
    return NULL;
  m->pool = pool;
  m->next = NULL;
  m->kind = kind;
  m->port = 0;
  m->is_error = 0;
  m->at = 0;
  size_t flen = from ? strnlen (from, sizeof m->from - 1) : 0;
  memcpy (m->from, from ? from : "", flen);
  m->from[flen] = '\0';
  uint8_t *tail = (uint8_t *) (m + 1);
  m->topic = NULL;
  m->topic_len = tlen ? tlen - 1 : 0;
  if (topic)
    {
      m->topic = memcpy (tail, topic, tlen);
      tail += tlen;
    }
  m->len = len;
  m->data = len ? memcpy (tail, data, len) : NULL;
  m->fds = NULL;
  m->tally = NULL;
  m->charged = 0;
  m->handles = 0;
  return m;
}

ward_fdtally *
ward_fdtally_new (unsigned limit)
{
  ward_fdtally *t = malloc (sizeof *t);
  if (t == NULL)
    return NULL;
  atomic_init (&t->refs, 1);
  atomic_init (&t->n, 0);
  t->limit = limit;
  return t;
}

void
ward_fdtally_unref (ward_fdtally *t)
{
  if (t && atomic_fetch_sub (&t->refs, 1) == 1)
    free (t);
}

static unsigned
fd_count (const ward_msg *m)
{
  return m->fds ? m->fds->n : 0;
}

int
ward_msg_charge (ward_msg *m, ward_fdtally *t, const char *who, ward_err *err)
{
  unsigned k = fd_count (m);
  if (t == NULL || k == 0 || m->tally != NULL)
    return 0;
  unsigned had = atomic_fetch_add (&t->n, k);
  if (had + k > t->limit)
    {
      atomic_fetch_sub (&t->n, k);
      return ward_err_set (err, WARD_E_UNAVAILABLE, 0, "%s already has %u descriptors in "
                           "flight, not yet received (the limit is %u)", who, had, t->limit);
    }
  atomic_fetch_add (&t->refs, 1);
  m->tally = t;
  m->charged = k;
  return 0;
}

int
ward_msg_take_fds (ward_msg *m, ward_fdvec *v, ward_err *err)
{
  if (v == NULL || v->n == 0)
    return 0;
  if (m->fds == NULL && (m->fds = malloc (sizeof *m->fds)) == NULL)
    return ward_err_set (err, WARD_E_INTERNAL, ENOMEM, "out of memory for a message's "
                         "descriptors");
  *m->fds = *v;
  v->n = 0;
  return 0;
}

size_t
ward_msg_bytes (const ward_msg *m)
{
  return m->len + (m->topic ? m->topic_len + 1 : 0);
}

void
ward_msg_free (ward_msg *m)
{
  if (m && m->handles)
    ward_remote_msg_dropped (m);          /* freed undecoded: its copies go */
  if (m && m->tally)
    {
      atomic_fetch_sub (&m->tally->n, m->charged);
      ward_fdtally_unref (m->tally);
    }
  if (m && m->fds)
    {
      ward_fdvec_close (m->fds);
      free (m->fds);
    }
  if (m)
    ward_msgpool_free (m);
}

static ward_port *
port_find (ward_proc *p, int id)
{
  for (size_t i = 0; i < p->nports; i++)
    if (p->ports[i].id == id)
      return &p->ports[i];
  return NULL;
}

static ward_port *
port_add (ward_proc *p, int id)
{
  if (WARD_GROW (p->ports, p->cap_ports, p->nports + 1, 4) != 0)
    return NULL;
  ward_port *pt = &p->ports[p->nports++];
  memset (pt, 0, sizeof *pt);
  pt->id = id;
  return pt;
}

static void
port_append (ward_proc *p, ward_port *pt, ward_msg *m)
{
  atomic_fetch_add_explicit (&p->queued_fds, fd_count (m), memory_order_relaxed);
  m->next = NULL;
  m->port = pt->id;
  if (pt->tail)
    pt->tail->next = m;
  else
    pt->head = m;
  pt->tail = m;
  pt->n++;
}

/* The port a message goes to; called with p->lock held. */
static ward_port *
route (ward_proc *p, ward_msg *m)
{
  int id;
  switch (m->kind)
    {
    case WARD_MSG_USER:
      for (size_t i = 0; i < p->nports; i++)
        if (p->ports[i].topic && strcmp (p->ports[i].topic, m->topic) == 0)
          return &p->ports[i];
      id = WARD_PORT_INBOX;
      break;
    case WARD_MSG_VM: id = WARD_PORT_VM; break;
    case WARD_MSG_EXEC: id = WARD_PORT_EXEC; break;
    case WARD_MSG_WIRE: id = WARD_PORT_WIRE; break;
    case WARD_MSG_TIMER: id = m->port; break;
    default: id = WARD_PORT_EVENTS; break;
    }
  ward_port *pt = port_find (p, id);
  if (pt == NULL && id < WARD_PORT_FIRST_DYNAMIC)
    pt = port_add (p, id);
  return pt;
}

/* Whether m's bytes count against the mailbox's --mailbox-bytes: user
 * messages, and the events that carry a result or an error text (EXIT,
 * LINK_DOWN), which are never refused but cut (ward_deliver). */
static int
counts_bytes (const ward_msg *m)
{
  return m->kind == WARD_MSG_USER || m->kind == WARD_MSG_VM || m->kind == WARD_MSG_EXIT
         || m->kind == WARD_MSG_LINK_DOWN;
}

/* An EXIT event whose result would pass p's byte limit: the same event,
 * its result replaced by an error saying so (an event is never lost; its
 * result is not held past the limit). NULL when out of memory. With
 * p->lock. */
static ward_msg *
cut_result (ward_proc *p, ward_msg *m, size_t bytes)
{
  char why[WARD_ERR_MSG_MAX];
  snprintf (why, sizeof why, "result not delivered: its %zu bytes would pass the mailbox "
            "limit of %s (%zu bytes queued; limit %zu bytes)", bytes, p->pid, p->queued_bytes,
            ward_cfg.mailbox_bytes);
  ward_msg *c = ward_msg_new (m->kind, m->from, NULL, why, strlen (why));
  if (c != NULL)
    c->is_error = 1;
  return c;
}

/* A subprocess actor's stand-in holds nothing it would forward to the
 * child (what is on WARD_PORT_WIRE came from the child). With p->lock. */
static int
nothing_to_forward (const ward_proc *p)
{
  for (size_t i = 0; i < p->nports; i++)
    if (p->ports[i].head != NULL && p->ports[i].id != WARD_PORT_WIRE)
      return 0;
  return 1;
}

/* Whether p may take m at all (with p->lock): 0, or -1 with err and, for
 * a limit of the run, the limit.* action its refusal is audited as. */
static int
check_limits (const ward_proc *p, const ward_msg *m, int user, const char **action,
              ward_err *err)
{
  if (p->state == WARD_ST_DONE)
    return ward_err_set (err, WARD_E_NOT_FOUND, 0, "process %s not found (it has exited)", p->pid);
  if (user && p->queued_user >= ward_cfg.mailbox_limit)
    {
      *action = WARD_ACTION (LIMIT_MAILBOX_MESSAGES);
      return ward_err_set (err, WARD_E_UNAVAILABLE, 0, "mailbox of %s is full (%zu messages)",
                           p->pid, ward_cfg.mailbox_limit);
    }
  /* Descriptors wait in a mailbox in the runtime's own table: a receiver
   * that does not read cannot make it fill. (What a stand-in forwards at
   * once never waits.) */
  unsigned nfd = fd_count (m);
  if (nfd && m->kind != WARD_MSG_WIRE && p->queued_fds + nfd > ward_cfg.mailbox_fds)
    {
      *action = WARD_ACTION (LIMIT_MAILBOX_FDS);
      return ward_err_set (err, WARD_E_UNAVAILABLE, 0, "mailbox of %s already holds %u "
                           "descriptors (the limit is %u)", p->pid, p->queued_fds,
                           ward_cfg.mailbox_fds);
    }
  return 0;
}

/* Whether *mp fits p's mailbox bytes (with p->lock): 0 with *bytes, what it
 * counts. An EXIT whose result would pass the limit has it cut (*mp is
 * then the cut copy, *cut set); a user message that does not fit is
 * refused: -1 with err and *action. -2 when out of memory cutting. */
static int
fit_bytes (ward_proc *p, ward_msg **mp, int user, size_t *bytes, int *cut,
           const char **action, ward_err *err)
{
  ward_msg *m = *mp;
  size_t n = counts_bytes (m) ? ward_msg_bytes (m) : 0;
  size_t max = ward_cfg.mailbox_bytes;
  int over = max && (n > max || p->queued_bytes > max - n);
  if (over && m->kind == WARD_MSG_EXIT && !m->is_error)
    {
      /* (an error text is short: it is counted, never cut) */
      ward_msg *c = cut_result (p, m, n);
      if (c == NULL)
        {
          ward_err_set (err, WARD_E_INTERNAL, ENOMEM, "delivering to %s", p->pid);
          return -2;
        }
      ward_msg_free (m);
      *mp = m = c;
      n = ward_msg_bytes (m);
      *cut = 1;
      over = n > max || p->queued_bytes > max - n;
    }
  if (user && over)
    {
      *action = WARD_ACTION (LIMIT_MAILBOX_BYTES);
      return ward_err_set (err, WARD_E_UNAVAILABLE, 0,
                           "mailbox of %s is full (%zu bytes queued, a message of %zu; "
                           "limit %zu bytes)", p->pid, p->queued_bytes, n, max);
    }
  *bytes = n;
  return 0;
}

/* One pending CANCEL per sender: a repeated cancel updates the one not
 * yet read on pt (to the earlier deadline) instead of queueing more, so
 * cancels cannot flood a process -- and, not counted against the mailbox
 * limit, they still reach one whose mailbox is full. 1 when m was merged
 * (the caller frees it), 0 when it is the first. With p->lock. */
static int
merge_cancel (ward_port *pt, const ward_msg *m)
{
  for (ward_msg *q = pt->head; q; q = q->next)
    if (q->kind == WARD_MSG_CANCEL && strcmp (q->from, m->from) == 0)
      {
        if (m->at < q->at)
          q->at = m->at;
        return 1;
      }
  return 0;
}

int
ward_deliver (ward_proc *p, ward_msg *m, ward_err *err)
{
  int user = m->kind == WARD_MSG_USER || m->kind == WARD_MSG_VM;
  /* What a sandboxed host's process sends is charged to it until freed. */
  ward_proc *sender = ward_current ();
  if (sender && sender->fd_tally && ward_msg_charge (m, sender->fd_tally, sender->pid, err) < 0)
    {
      ward_msg_free (m);
      ward_proc_audit_limit (sender, WARD_ACTION (LIMIT_FDS_IN_FLIGHT), sender->pid);
      return -1;
    }
  ward_lock (&p->lock, WARD_LOCK_PROC);
  const char *action = NULL;
  size_t bytes = 0;
  int cut = 0;
  int rc = check_limits (p, m, user, &action, err);
  if (rc == 0)
    rc = fit_bytes (p, &m, user, &bytes, &cut, &action, err);
  if (rc < 0)
    {
      ward_unlock (&p->lock);
      ward_msg_free (m);
      if (rc == -2)
        ward_proc_kill (p, "out of memory delivering an event");
      if (action)
        ward_proc_audit_limit (sender, action, p->pid);
      return -1;
    }
  /* (state first: a stand-in still NEW may yet be undone, its remote freed) */
  if (user && p->state != WARD_ST_NEW && p->remote && nothing_to_forward (p)
      && ward_broker_forward_now (p, m) == 0)
    {
      ward_unlock (&p->lock);
      ward_msg_free (m);
      return 0;
    }
  ward_port *pt = route (p, m);
  if (pt != NULL && m->kind == WARD_MSG_CANCEL && merge_cancel (pt, m))
    {
      ward_unlock (&p->lock);
      ward_msg_free (m);
      return 0;
    }
  if (pt == NULL)
    {
      /* A timer whose channel is gone: nobody can receive it. */
      ward_unlock (&p->lock);
      int timer = m->kind == WARD_MSG_TIMER;
      ward_msg_free (m);
      if (timer)
        return 0;
      return ward_err_set (err, WARD_E_INTERNAL, ENOMEM, "delivering to %s", p->pid);
    }
  port_append (p, pt, m);
  if (user)
    atomic_fetch_add_explicit (&p->queued_user, 1, memory_order_relaxed);
  atomic_fetch_add_explicit (&p->queued_bytes, bytes, memory_order_relaxed);
  int push = ward_proc_wake_locked (p);
  ward_unlock (&p->lock);
  if (push)
    ward_sched_push (p);
  if (cut)      /* the result refused, as a send would be: against the process that ended */
    ward_proc_audit_limit (sender, WARD_ACTION (LIMIT_MAILBOX_BYTES), p->pid);
  return 0;
}

/* m leaves p's mailbox. The counts only ever go down outside the lock: a
 * sender, reading them under it, may see a message more than is left,
 * never one fewer -- a mailbox does not pass its limits. */
static void
uncount (ward_proc *p, const ward_msg *m)
{
  if (m->kind == WARD_MSG_USER || m->kind == WARD_MSG_VM)
    atomic_fetch_sub_explicit (&p->queued_user, 1, memory_order_relaxed);
  if (counts_bytes (m))
    atomic_fetch_sub_explicit (&p->queued_bytes, ward_msg_bytes (m), memory_order_relaxed);
  unsigned k = fd_count (m);
  if (k)
    atomic_fetch_sub_explicit (&p->queued_fds, k, memory_order_relaxed);
}

/* Whether the caller may take port's queue as p's batch: it is p itself,
 * not a stand-in (whose forwarding counts each message it pops), and
 * the port is one of messages (events are merged in place, merge_cancel;
 * exec results come one at a time). */
static int
batch_ok (const ward_proc *p, int port)
{
  return (port == WARD_PORT_INBOX || port == WARD_PORT_VM || port >= WARD_PORT_FIRST_DYNAMIC)
         && ward_current () == p && p->remote == NULL;
}

ward_msg *
ward_port_pop (ward_proc *p, int port)
{
  int mine = batch_ok (p, port);
  ward_msg *m;
  if (mine && p->batch && p->batch_port == port)
    {
      m = p->batch;
      p->batch = m->next;
      m->next = NULL;
      uncount (p, m);
      return m;
    }
  ward_lock (&p->lock, WARD_LOCK_PROC);
  ward_port *pt = port_find (p, port);
  m = pt ? pt->head : NULL;
  if (m)
    {
      if (mine && p->batch == NULL && m->next)
        {
          p->batch = m->next;             /* the rest, for the next pops */
          p->batch_port = port;
          pt->head = pt->tail = NULL;
          pt->n = 0;
        }
      else
        {
          pt->head = m->next;
          if (pt->head == NULL)
            pt->tail = NULL;
          pt->n--;
        }
      uncount (p, m);
      m->next = NULL;
    }
  ward_unlock (&p->lock);
  return m;
}

int
ward_port_ready (ward_proc *p, int port)
{
  if (batch_ok (p, port) && p->batch && p->batch_port == port)
    return 1;
  ward_lock (&p->lock, WARD_LOCK_PROC);
  ward_port *pt = port_find (p, port);
  int r = pt && pt->head != NULL;
  ward_unlock (&p->lock);
  return r;
}

/* The batch, if it is port's, back from p: NULL if it is not. */
static ward_msg *
take_batch (ward_proc *p, int port)
{
  ward_msg *b = NULL;
  if (p->batch && p->batch_port == port)
    {
      b = p->batch;
      p->batch = NULL;
    }
  return b;
}

int
ward_port_open (ward_proc *p, const char *topic, int raw, ward_err *err)
{
  ward_lock (&p->lock, WARD_LOCK_PROC);
  if (topic)
    for (size_t i = 0; i < p->nports; i++)
      if (p->ports[i].topic && strcmp (p->ports[i].topic, topic) == 0)
        {
          ward_unlock (&p->lock);
          return ward_err_set (err, WARD_E_ALREADY_EXISTS, 0,
                               "already listening to topic `%s`", topic);
        }
  int id = p->next_port < WARD_PORT_FIRST_DYNAMIC ? WARD_PORT_FIRST_DYNAMIC : p->next_port;
  p->next_port = id + 1;
  char *t = topic ? strdup (topic) : NULL;
  ward_port *pt = (topic && t == NULL) ? NULL : port_add (p, id);
  if (pt == NULL)
    {
      free (t);
      ward_unlock (&p->lock);
      return ward_err_set (err, WARD_E_INTERNAL, ENOMEM, "opening a port");
    }
  pt->topic = t;
  pt->raw = raw;
  /* Messages of the topic that wait in the inbox, sent before the process
   * listened, are the listener's: they move to the new port, first and in
   * order, so that the inbox only ever holds messages of topics nobody
   * listens to. (A worker sent to as soon as it is spawned gets the
   * message on the topic it then listens to: the pattern of Wippy's
   * https://wippy.ai/en/tutorials/processes, "Inbox receives messages that
   * don't match any topic listener".) They stay in the mailbox: its
   * counts do not change. */
  ward_msg *b = topic ? take_batch (p, WARD_PORT_INBOX) : NULL;
  if (b)
    {
      /* the batch's are the oldest: they go first, the others stay */
      ward_msg **keep = &p->batch;
      while (b)
        {
          ward_msg *next = b->next;
          if (b->topic && strcmp (b->topic, topic) == 0)
            {
              atomic_fetch_sub_explicit (&p->queued_fds, fd_count (b), memory_order_relaxed);
              port_append (p, pt, b);
            }
          else
            {
              b->next = NULL;
              *keep = b;
              keep = &b->next;
            }
          b = next;
        }
      p->batch_port = WARD_PORT_INBOX;
    }
  ward_port *inbox = topic ? port_find (p, WARD_PORT_INBOX) : NULL;
  if (inbox && inbox->head)
    {
      ward_msg *m = inbox->head, *keep = NULL, *keep_tail = NULL;
      size_t kept = 0;
      while (m)
        {
          ward_msg *next = m->next;
          if (m->topic && strcmp (m->topic, topic) == 0)
            {
              /* (port_append adds it back) */
              atomic_fetch_sub_explicit (&p->queued_fds, fd_count (m), memory_order_relaxed);
              port_append (p, pt, m);
            }
          else
            {
              m->next = NULL;
              if (keep_tail)
                keep_tail->next = m;
              else
                keep = m;
              keep_tail = m;
              kept++;
            }
          m = next;
        }
      inbox->head = keep;
      inbox->tail = keep_tail;
      inbox->n = kept;
    }
  ward_unlock (&p->lock);
  return id;
}

/* Close a dynamic port. Messages of a topic go back to the inbox (never
 * lost); timer messages are dropped with the port. */
void
ward_port_close (ward_proc *p, int port)
{
  ward_lock (&p->lock, WARD_LOCK_PROC);
  ward_port *pt = port_find (p, port);
  if (pt == NULL || port < WARD_PORT_FIRST_DYNAMIC)
    {
      ward_unlock (&p->lock);
      return;
    }
  ward_msg *list = pt->head;
  ward_msg *b = take_batch (p, port);
  if (b)
    {
      /* the batch first: it is older than what the port holds */
      ward_msg *t = b;
      while (t->next)
        t = t->next;
      t->next = list;
      list = b;
    }
  int topic = pt->topic != NULL;
  free (pt->topic);
  *pt = p->ports[--p->nports];
  if (topic && list)
    {
      ward_port *inbox = port_find (p, WARD_PORT_INBOX);
      if (inbox == NULL)
        inbox = port_add (p, WARD_PORT_INBOX);
      while (list)
        {
          ward_msg *next = list->next;
          if (inbox)
            {
              atomic_fetch_sub_explicit (&p->queued_fds, fd_count (list), memory_order_relaxed);
              port_append (p, inbox, list);
            }
          else
            {
              uncount (p, list);
              ward_msg_free (list);
            }
          list = next;
        }
    }
  while (list)
    {
      ward_msg *next = list->next;
      atomic_fetch_sub_explicit (&p->queued_fds, fd_count (list), memory_order_relaxed);
      ward_msg_free (list);
      list = next;
    }
  ward_unlock (&p->lock);
}

void
ward_mailbox_drop (ward_proc *p)
{
  ward_msg *all = p->batch, **tail = &all;
  p->batch = NULL;
  while (*tail)
    tail = &(*tail)->next;
  ward_lock (&p->lock, WARD_LOCK_PROC);
  for (size_t i = 0; i < p->nports; i++)
    {
      *tail = p->ports[i].head;
      while (*tail)
        tail = &(*tail)->next;
      p->ports[i].head = p->ports[i].tail = NULL;
      p->ports[i].n = 0;
    }
  atomic_store_explicit (&p->queued_user, 0, memory_order_relaxed);
  atomic_store_explicit (&p->queued_bytes, 0, memory_order_relaxed);
  atomic_store_explicit (&p->queued_fds, 0, memory_order_relaxed);
  ward_unlock (&p->lock);
  while (all)
    {
      ward_msg *next = all->next;
      ward_msg_free (all);
      all = next;
    }
}

void
ward_mailbox_free (ward_proc *p)
{
  for (size_t i = 0; i < p->nports; i++)
    {
      ward_msg *m = p->ports[i].head;
      while (m)
        {
          ward_msg *next = m->next;
          ward_msg_free (m);
          m = next;
        }
      free (p->ports[i].topic);
    }
  free (p->ports);
  p->ports = NULL;
  while (p->batch)
    {
      ward_msg *next = p->batch->next;
      ward_msg_free (p->batch);
      p->batch = next;
    }
  p->nports = p->cap_ports = 0;
}
