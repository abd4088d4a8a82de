/* breader.c -- the reader thread of the runtime's side of subprocess
 * actors (broker.h): one thread watches every child's channel and the
 * supervisor's exit records, hands each child's frames to its stand-in,
 * writes what waits for a child as the child reads it, and ends a child
 * that stalls or breaks the protocol. */
#include "config.h"
#include "broker.h"
#include "vm.h"
#include "codec.h"
#include "fdvec.h"
#include "sandbox.h"
#include "wfault.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Bytes of unfinished frames the reader holds for all children together
 * past which it reads only the oldest such frame: the others' bytes wait
 * in their channels. The oldest always goes on, so a frame finishes, or
 * its child is ended for sending no more of it (the stall time). */
#define RX_TOTAL_LIMIT (64u << 20)

struct ward_broker_rd ward_broker_rd = {
  .lock = PTHREAD_MUTEX_INITIALIZER, .ep = -1, .wake = { -1, -1 }
};

void
ward_broker_wake_reader (void)
{
  if (write (ward_broker_rd.wake[1], "x", 1) < 0)
    { /* the pipe is full: the reader is awake anyway */ }
}

/* Write what waits for r's child; when some is left, watch for room and
 * start (or go on with) the stall clock. With r->tx_lock. */
static int
tx_push (ward_remote *r, ward_err *err)
{
  int progress = 0;
  int rc = ward_wire_tx_flush (r->child.chan, &r->tx, &progress, err);
  if (rc <= 0)
    {
      r->stalled_since = 0;
      return rc;
    }
  int was = r->stalled_since != 0;
  if (progress || !was)
    r->stalled_since = ward_now_ns ();
  struct epoll_event ev = { .events = EPOLLOUT | EPOLLONESHOT, .data.ptr = &r->out_fd };
  if (epoll_ctl (ward_broker_rd.ep, r->out_watched ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, r->out_fd,
                 &ev) < 0)
    return ward_err_set (err, WARD_E_INTERNAL, errno, "writing to the channel: cannot watch "
                         "it: %s", strerror (errno));
  r->out_watched = 1;
  if (!was)
    ward_broker_wake_reader ();             /* its next wait ends at the deadline */
  return 0;
}

/* Queue a frame for r's child and write what the channel takes now. */
int
ward_broker_put_frame (ward_remote *r, int type, const void *body, size_t len, const ward_fdvec *fds,
           ward_err *err)
{
  ward_lock (&r->tx_lock, WARD_LOCK_STANDIN_TX);
  int rc = r->tx_ended ? ward_err_set (err, WARD_E_UNAVAILABLE, 0, "writing to the channel: "
                                       "the child is being ended")
           : ward_wire_tx_put (&r->tx, type, body, len, fds, err);
  if (rc == 0)
    rc = tx_push (r, err);
  ward_unlock (&r->tx_lock);
  return rc;
}

/* Whether so much waits for r's child that its stand-in forwards no more. */
int
ward_broker_tx_full (ward_remote *r)
{
  ward_lock (&r->tx_lock, WARD_LOCK_STANDIN_TX);
  int full = r->tx.bytes >= TX_LIMIT;
  ward_unlock (&r->tx_lock);
  return full;
}

void
ward_broker_kill_child (ward_remote *r)
{
  if (r->child.pidfd >= 0 && !r->ended && !r->detached)
    syscall (SYS_pidfd_send_signal, r->child.pidfd, SIGKILL, NULL, 0);
}

/* Hand a frame (or the child's end) to the proxy. Called with the reader's lock. */
static void
to_proxy (ward_remote *r, int type, const void *body, size_t len, ward_fdvec *fds)
{
  if (r->proxy == NULL)
    return;
  if (type == F_ENDED && atomic_load (&r->in_call))
    {
      /* the stand-in performs a call for the child (an exec, say) that
       * may not end on its own: the child's end ends it */
      ward_proc_kill (r->proxy, "subprocess actor %.*s", (int) len, (const char *) body);
      return;
    }
  uint8_t *buf = malloc (len + 1);
  if (buf == NULL)
    {
      ward_proc_kill (r->proxy, "subprocess actor: out of memory");
      return;
    }
  buf[0] = (uint8_t) type;
  if (len)
    memcpy (buf + 1, body, len);
  ward_msg *m = ward_msg_new (WARD_MSG_WIRE, "", NULL, buf, len + 1);
  free (buf);
  ward_err err;
  if (m != NULL && ward_msg_take_fds (m, fds, &err) == 0
      && ward_msg_charge (m, r->tally, r->proxy->pid, &err) < 0)
    {
      /* past the child's limit after all (its stand-in sent meanwhile):
       * the call fails, its descriptors closed with m */
      ward_msg_free (m);
      ward_proc_audit_limit (r->proxy, WARD_ACTION (LIMIT_FDS_IN_FLIGHT), r->proxy->pid);
      to_proxy (r, F_REFUSED, err.msg, strlen (err.msg), NULL);
      return;
    }
  if (m == NULL || (m->fds == NULL && fds != NULL && fds->n > 0))
    {
      ward_msg_free (m);
      ward_proc_kill (r->proxy, "subprocess actor: out of memory");
    }
  else
    (void) ward_deliver (r->proxy, m, &err);  /* NOT_FOUND: the proxy ended */
}

void
ward_broker_stop_polling (ward_remote *r)
{
  /* (void): it fails only for a channel not in the set, and either way
   * nothing more is read from it -- the reader skips r once polling is
   * clear, and the close that ends every r (ward_broker_abort) takes the
   * channel out of the set */
  if (r->polling)
    (void) epoll_ctl (ward_broker_rd.ep, EPOLL_CTL_DEL, r->child.chan, NULL);
  r->polling = 0;
}

/* Watch r's channel for its next frame (EPOLLONESHOT: once). When the
 * kernel refuses, nothing more would be read from the channel and the
 * child and its stand-in would wait for each other for ever: the child is
 * ended instead, and the stand-in told why. Called with the reader's lock. */
void
ward_broker_rewatch (ward_remote *r)
{
  struct epoll_event ev = { .events = EPOLLIN | EPOLLONESHOT, .data.ptr = r };
  if (!r->polling)
    return;
  if (!wfault_at ("broker.rearm")
      && epoll_ctl (ward_broker_rd.ep, EPOLL_CTL_MOD, r->child.chan, &ev) == 0)
    return;
  char why[WARD_ERR_MSG_MAX];
  snprintf (why, sizeof why, "ended: cannot watch its channel: %s", strerror (errno));
  r->polling = 0;
  ward_broker_kill_child (r);
  r->broken = 1;
  to_proxy (r, F_ENDED, why, strlen (why), NULL);
}

/* Whether the descriptors a CALL brought must be refused (r->refused
 * says why; the caller closes them): one in the runtime's reserve, or
 * more in flight than the child may have. Called with the reader's lock. */
static int
refuse_fds (ward_remote *r)
{
  for (unsigned i = 0; i < r->rx.fds.n; i++)
    if (r->rx.fds.fd[i] >= 0 && ward_fd_reserved (r->rx.fds.fd[i]))
      {
        ward_fd_refuse ("descriptors from a subprocess actor", &r->refused);
        if (r->proxy)
          ward_proc_audit_limit (r->proxy, WARD_ACTION (LIMIT_FD_RESERVE), r->proxy->pid);
        return 1;
      }
  if (r->tally && r->proxy)
    {
      unsigned had = atomic_load (&r->tally->n);
      if (had + r->rx.fds.n > r->tally->limit)
        {
          ward_err_set (&r->refused, WARD_E_UNAVAILABLE, 0, "%s already has %u descriptors "
                        "in flight, not yet received (the limit is %u)", r->proxy->pid, had,
                        r->tally->limit);
          ward_proc_audit_limit (r->proxy, WARD_ACTION (LIMIT_FDS_IN_FLIGHT), r->proxy->pid);
          return 1;
        }
    }
  return 0;
}

/* End r's child for `action` (a breach the runtime itself decides): the
 * child is killed, the event audited against its stand-in's actor, and the
 * stand-in told why. Called with the reader's lock. */
void
ward_broker_end_audited (ward_remote *r, const char *action, const char *why)
{
  ward_broker_kill_child (r);
  if (r->proxy)
    {
      ward_actor actor;
      ward_attrs attrs;
      ward_proc_gate_view (r->proxy, NULL, &actor, &attrs);
      ward_audit_event (&actor, action, r->proxy->pid, &attrs);
    }
  r->broken = 1;
  to_proxy (r, F_ENDED, why, strlen (why), NULL);
}

/* The stand-in found the body of a frame from r's child malformed (what
 * its type holds is not there, or more is): the child is ended and the
 * breach audited, as for a malformed frame the reader finds. */
void
ward_broker_malformed (ward_remote *r, const char *what)
{
  snprintf (r->own_why, sizeof r->own_why, "ended: malformed frame: %s", what);
  ward_lock (&ward_broker_rd.lock, WARD_LOCK_BROKER);
  ward_broker_stop_polling (r);
  ward_broker_end_audited (r, WARD_ACTION (SANDBOX_MALFORMED), r->own_why);
  ward_unlock (&ward_broker_rd.lock);
}

/* r's child broke the protocol: it is ended, the breach audited, its
 * stand-in told why. Returns -1 (the channel is done). Called with
 * the reader's lock. */
static int
breach (ward_remote *r, const char *why)
{
  ward_broker_stop_polling (r);
  r->rx_since = 0;
  ward_wire_rx_reset (&r->rx);          /* what it sent is released now */
  ward_broker_end_audited (r, WARD_ACTION (SANDBOX_MALFORMED), why);
  return -1;
}

/* Count what r's unfinished frame holds now in the reader's total: the
 * storage, which grows by doubling, rather than the bytes that came.
 * Called with the reader's lock. */
static void
rx_account (ward_remote *r)
{
  size_t now = r->rx.type != 0 ? r->rx.body.cap : 0;
  ward_broker_rd.rx_total = ward_broker_rd.rx_total - r->rx_counted + now;
  r->rx_counted = now;
}

/* The child whose unfinished frame began first (NULL: none). Called with
 * the reader's lock. */
static ward_remote *
oldest_frame (void)
{
  ward_remote *o = NULL;
  for (ward_remote *r = ward_broker_rd.list; r; r = r->next)
    if (r->rx.type != 0 && r->polling && !r->ended
        && (o == NULL || r->rx_started < o->rx_started))
      o = r;
  return o;
}

static int read_frame (ward_remote *r, int drain);

/* The channel is readable: take one frame (read_frame), unless the
 * unfinished frames of all children hold the limit and r's is not the
 * oldest: r then waits, unwatched, until check_stalls finds room. Called
 * with the reader's lock. */
static int
read_channel (ward_remote *r, int drain)
{
  if (!drain && ward_broker_rd.rx_total >= ward_broker_rd.rx_limit && oldest_frame () != r)
    {
      r->rx_waiting = 1;
      return 0;
    }
  int rc = read_frame (r, drain);
  rx_account (r);
  return rc;
}

/* Descriptors are judged as they come, with a frame's first datagram:
 * parked in a frame left unfinished they would hold the runtime's table,
 * its reserve included. Only a CALL may bring any; refused, they are
 * closed now and the call fails when it is whole. 0, or -1 (a breach: the
 * channel is done). */
static int
judge_fds (ward_remote *r)
{
  if (r->rx.fds.n == 0 || r->rx_fds_judged)
    return 0;
  if (r->rx.type != WARD_F_CALL)
    {
      char why[96];
      snprintf (why, sizeof why, "ended: malformed frame: descriptors with %s",
                r->rx.type == WARD_F_EXIT ? "an EXIT" : r->rx.type == WARD_F_DROP ? "a DROP"
                : "a frame a child may not send");
      ward_wire_rx_reset (&r->rx);
      r->rx_since = 0;
      return breach (r, why);
    }
  r->rx_fds_judged = 1;
  if (refuse_fds (r))
    {
      ward_fdvec_close (&r->rx.fds);
      r->rx_fds_refused = 1;
    }
  return 0;
}

/* A whole frame of `type` from the child: as read_frame returns. */
static int
whole_frame (ward_remote *r, int type, int drain)
{
  if (type == WARD_F_DROP)
    {
      const char *bad = ward_broker_take_drop (r);
      ward_wire_rx_reset (&r->rx);
      if (bad)
        return breach (r, bad);
      /* one frame at a time: the channel is watched again for the next
       * (draining: the next is read at once) */
      if (!drain)
        ward_broker_rewatch (r);
      return drain;
    }
  if (type != WARD_F_CALL && type != WARD_F_EXIT)
    {
      char why[96];
      snprintf (why, sizeof why, "ended: malformed frame: a child may not send frame type %d",
                type);
      return breach (r, why);
    }
  if (ward_broker_forged_handle (r, type))
    {
      ward_wire_rx_reset (&r->rx);
      return breach (r, "ended: malformed frame: a handle the runtime did not give it");
    }
  if (type == WARD_F_CALL && r->rx_fds_refused)
    {
      /* the call fails, the child goes on: nothing of it is kept */
      char why[WARD_ERR_MSG_MAX];
      snprintf (why, sizeof why, "%s", r->refused.msg);
      ward_wire_rx_reset (&r->rx);
      to_proxy (r, F_REFUSED, why, strlen (why), NULL);
      return 1;
    }
  /* a plain send is performed here, without waking the stand-in (not
   * while draining: what an ended child left goes the stand-in's way) */
  if (type == WARD_F_CALL && !drain && ward_broker_send_now (r))
    return 1;
  /* only a CALL's arguments may refer to descriptors */
  to_proxy (r, type, r->rx.body.data, r->rx.body.len,
            type == WARD_F_CALL ? &r->rx.fds : NULL);
  ward_wire_rx_reset (&r->rx);
  if (type == WARD_F_EXIT)
    {
      ward_broker_stop_polling (r);
      return -1;
    }
  return 1;                             /* ONESHOT: re-armed by the reply */
}

/* Take one frame. CALL and EXIT go to the proxy, which re-arms the
 * channel when it has answered; a DROP is taken here; anything else ends
 * the child. Draining (the child has ended): take every frame left, in
 * order, before the end is announced. Returns 1 when a frame went to the
 * proxy, 0 when there is nothing more for now, -1 when the channel is
 * done. */
static int
read_frame (ward_remote *r, int drain)
{
  ward_err err;
  int had_type = r->rx.type;
  size_t had = r->rx.body.len;
  if (had_type == 0)
    r->rx_fds_judged = r->rx_fds_refused = 0;      /* a new frame */
  int rc = ward_wire_read (r->child.chan, &r->rx, &err);
  if ((rc == 0 || rc == 1) && judge_fds (r) < 0)
    return -1;
  if (rc == 0)
    {
      /* half a frame: the stall clock runs from its last growth */
      if (r->rx.type != 0 && (had_type == 0 || r->rx.body.len != had))
        r->rx_since = ward_now_ns ();
      if (had_type == 0 && r->rx.type != 0)
        r->rx_started = r->rx_since;
      if (!drain)
        ward_broker_rewatch (r);
      return 0;
    }
  r->rx_since = 0;
  if (rc == 1)
    return whole_frame (r, r->rx.type, drain);
  if (rc == 2)
    {
      /* the exit record will follow -- unless the child closed its
       * channel (or sent an empty datagram, which reads the same) and
       * runs on: check_stalls ends it */
      ward_broker_stop_polling (r);
      r->closed_at = ward_now_ns ();
      return -1;
    }
  char why[WARD_ERR_MSG_MAX + 64];
  snprintf (why, sizeof why, "ended: %s", err.msg);
  return breach (r, why);
}

/* r's child took nothing for the stall time while frames waited: nothing
 * more is written, the child is ended, audited, its stand-in told why.
 * Called with the reader's lock. */
static void
end_stalled (ward_remote *r, const char *why)
{
  ward_lock (&r->tx_lock, WARD_LOCK_STANDIN_TX);
  r->tx_ended = 1;
  r->stalled_since = 0;
  ward_wire_tx_free (&r->tx);
  ward_unlock (&r->tx_lock);
  ward_broker_end_audited (r, WARD_ACTION (SANDBOX_STALLED), why);
}

/* r's channel has room: write what waits; wake the stand-in once it may
 * forward again. Called with the reader's lock. */
static void
writable (ward_remote *r)
{
  ward_err err;
  ward_lock (&r->tx_lock, WARD_LOCK_STANDIN_TX);
  int rc = r->tx_ended ? 0 : tx_push (r, &err);
  int room = r->tx.bytes < TX_LIMIT;
  ward_unlock (&r->tx_lock);
  if (rc < 0)
    {
      /* the child is gone or going: its exit record says how */
      ward_lock (&r->tx_lock, WARD_LOCK_STANDIN_TX);
      r->tx_ended = 1;
      r->stalled_since = 0;
      ward_wire_tx_free (&r->tx);
      ward_unlock (&r->tx_lock);
      ward_broker_kill_child (r);
    }
  else if (room && r->proxy)
    {
      if (r->rearm_on_room)
        {
          r->rearm_on_room = 0;
          ward_broker_rewatch (r);
        }
      ward_proc_wake (r->proxy);
    }
}

/* Whether the stall time since `since` (ns) has run out at now; if not,
 * *soonest (ns, -1: none yet) becomes what is left when that is sooner. */
static int
stall_due (int64_t since, int64_t now, int64_t *soonest)
{
  int64_t left = since + ward_broker_rd.stall_ns - now;
  if (left <= 0)
    return 1;
  if (*soonest < 0 || left < *soonest)
    *soonest = left;
  return 0;
}

/* End the children that took nothing for the stall time while frames
 * waited, sent nothing more of a frame they began, or closed their
 * channel and ran on; returns the wait
 * until the next such deadline (ms, -1: none). Called with the reader's lock. */
static int
check_stalls (void)
{
  int64_t now = ward_now_ns (), soonest = -1;
  long long ms = (long long) (ward_broker_rd.stall_ns / 1000000);
  ward_remote *oldest = oldest_frame ();
  size_t total = ward_broker_rd.rx_total;
  char why[160];
  for (ward_remote *r = ward_broker_rd.list; r; r = r->next)
    {
      if (r->closed_at && !r->ended && !r->broken)
        {
          if (stall_due (r->closed_at, now, &soonest))
            {
              snprintf (why, sizeof why, "ended: its channel closed, yet it ran on for "
                        "%lld ms", ms);
              end_stalled (r, why);
            }
          continue;
        }
      if (r->rx_waiting && (r->ended || !r->polling))
        r->rx_waiting = 0;
      else if (r->rx_waiting && (ward_broker_rd.rx_total < ward_broker_rd.rx_limit || r == oldest))
        {
          /* room again, or its frame is now the oldest: read it. Both
           * stall clocks start afresh: a child blocked writing to a
           * channel nobody read could neither finish its frame nor read */
          r->rx_waiting = 0;
          if (r->rx.type != 0)
            r->rx_since = now;
          ward_lock (&r->tx_lock, WARD_LOCK_STANDIN_TX);
          if (r->stalled_since != 0)
            r->stalled_since = now;
          ward_unlock (&r->tx_lock);
          ward_broker_rewatch (r);
        }
      if (r->rx_since != 0 && r->polling && !r->ended && !r->rx_waiting
          && stall_due (r->rx_since, now, &soonest))
        {
          snprintf (why, sizeof why, "ended: reading the channel: it left a frame "
                    "unfinished (%zu bytes) and sent nothing more of it for %lld ms",
                    r->rx.body.len, ms);
          /* what it sent is released now, not when its end is seen */
          r->rx_since = 0;
          ward_broker_stop_polling (r);
          ward_wire_rx_reset (&r->rx);
          rx_account (r);
          ward_broker_end_audited (r, WARD_ACTION (SANDBOX_STALLED), why);
          continue;
        }
      ward_lock (&r->tx_lock, WARD_LOCK_STANDIN_TX);
      int64_t since = r->tx_ended || r->ended ? 0 : r->stalled_since;
      ward_unlock (&r->tx_lock);
      if (since == 0 || r->rx_waiting)
        continue;               /* (waiting: the runtime does not read it) */
      if (stall_due (since, now, &soonest))
        {
          snprintf (why, sizeof why, "ended: writing to the channel: it read nothing for "
                    "%lld ms", ms);
          end_stalled (r, why);
        }
    }
  if (ward_broker_rd.rx_total < total)
    soonest = 0;                /* room was made: look again at once at what waits */
  return soonest < 0 ? -1 : (int) ((soonest + 999999) / 1000000);
}

/* Returns -1 when the reader has nothing left to wait for. */
static int
take_exits (void)
{
  wsb_exit ex;
  ward_err err;
  int rc;
  while ((rc = wsb_next_exit (&ex, &err)) == 1)
    for (ward_remote *r = ward_broker_rd.list; r; r = r->next)
      if (r->child.pid == ex.pid && !r->ended)
        {
          /* what the child wrote before it ended comes first */
          while (r->polling && read_channel (r, 1) == 1)
            ;
          if (r->broken)
            {
              r->ended = 1;
              break;
            }
          char why[256];
          wsb_describe_exit (ex.code, ex.status, ex.syscall_nr, why, sizeof why);
          r->ended = 1;
          to_proxy (r, F_ENDED, why, strlen (why), NULL);
          break;
        }
  if (rc < 0)
    {
      /* The supervisor is gone: every child went with it. Its socket,
       * at its end, would wake the reader for ever: out of the set, or,
       * when the kernel refuses, the reader ends (there is no child left
       * to read, and no spawn on a sandboxed host can succeed). */
      int stuck = wfault_at ("broker.unwatch-events")
                  || epoll_ctl (ward_broker_rd.ep, EPOLL_CTL_DEL, wsb_events_fd (), NULL) < 0;
      for (ward_remote *r = ward_broker_rd.list; r; r = r->next)
        if (!r->ended)
          {
            r->ended = 1;
            to_proxy (r, F_ENDED, err.msg, strlen (err.msg), NULL);
          }
      return stuck ? -1 : 0;
    }
  return 0;
}

static void *
reader_main (void *unused)
{
  (void) unused;
  struct epoll_event evs[32];
  int timeout = -1;
  for (;;)
    {
      int n = epoll_wait (ward_broker_rd.ep, evs, 32, timeout);
      if (n < 0 && errno != EINTR)
        break;
      /* The processes woken by what is read (the targets of the sends it
       * performs, the stand-ins it hands frames to) run once this round
       * is done: a child's reply is written first, and a woken process
       * takes the CPU from the reader only when it has nothing left to
       * do. */
      ward_sched_hold_pushes ();
      ward_lock (&ward_broker_rd.lock, WARD_LOCK_BROKER);
      if (ward_broker_rd.stop)
        {
          ward_unlock (&ward_broker_rd.lock);
          ward_sched_release_pushes ();
          break;
        }
      for (int i = 0; i < n; i++)
        {
          void *ptr = evs[i].data.ptr;
          if (ptr == &ward_broker_rd.wake)
            {
              char c[64];
              while (read (ward_broker_rd.wake[0], c, sizeof c) > 0)
                ;
            }
          else if (ptr == &ward_broker_rd.list)
            {
              if (take_exits () < 0)
                {
                  ward_unlock (&ward_broker_rd.lock);
                  ward_sched_release_pushes ();
                  ward_broker_send_now_end ();
                  return NULL;
                }
            }
          else
            {
              /* still ours? (released while we waited for the lock) */
              for (ward_remote *r = ward_broker_rd.list; r; r = r->next)
                if (r == ptr && r->polling)
                  {
                    read_channel (r, 0);
                    break;
                  }
                else if (ptr == &r->out_fd)
                  {
                    writable (r);
                    break;
                  }
            }
        }
      timeout = check_stalls ();
      ward_unlock (&ward_broker_rd.lock);
      ward_sched_release_pushes ();
    }
  ward_broker_send_now_end ();
  return NULL;
}

/* Undo what ward_broker_start_reader made before it failed: nothing is left open,
 * and the next spawn tries afresh. Called with the reader's lock. */
static void
unmake_reader (void)
{
  if (ward_broker_rd.ep >= 0)
    close (ward_broker_rd.ep);
  for (int i = 0; i < 2; i++)
    if (ward_broker_rd.wake[i] >= 0)
      close (ward_broker_rd.wake[i]);
  ward_broker_rd.ep = ward_broker_rd.wake[0] = ward_broker_rd.wake[1] = -1;
}

/* Called with the reader's lock. On failure nothing it made is left (err says
 * which call failed). */
int
ward_broker_start_reader (ward_err *err)
{
  if (ward_broker_rd.started)
    return 0;
  if (wfault_at ("broker.epoll") || (ward_broker_rd.ep = epoll_create1 (EPOLL_CLOEXEC)) < 0)
    {
      ward_err_set (err, WARD_E_INTERNAL, errno, "starting the subprocess reader: "
                    "epoll_create1");
      unmake_reader ();
      return -1;
    }
  if (wfault_at ("broker.wake-pipe") || pipe2 (ward_broker_rd.wake, O_CLOEXEC | O_NONBLOCK) < 0)
    {
      ward_err_set (err, WARD_E_INTERNAL, errno, "starting the subprocess reader: "
                    "pipe2");
      unmake_reader ();
      return -1;
    }
  struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &ward_broker_rd.wake };
  struct epoll_event ex = { .events = EPOLLIN, .data.ptr = &ward_broker_rd.list };
  if (wfault_at ("broker.reader-watch")
      || epoll_ctl (ward_broker_rd.ep, EPOLL_CTL_ADD, ward_broker_rd.wake[0], &ev) < 0
      || epoll_ctl (ward_broker_rd.ep, EPOLL_CTL_ADD, wsb_events_fd (), &ex) < 0)
    {
      ward_err_set (err, WARD_E_INTERNAL, errno, "starting the subprocess reader: "
                    "epoll_ctl");
      unmake_reader ();
      return -1;
    }
  ward_broker_rd.stall_ns = (int64_t) SEND_TIMEOUT_S * 1000000000;
  ward_broker_rd.rx_limit = RX_TOTAL_LIMIT;
#ifdef WARD_TEST_HOOKS
  const char *ms = getenv ("WARD_TEST_STALL_MS");   /* tests only */
  if (ms && atoll (ms) > 0)
    ward_broker_rd.stall_ns = atoll (ms) * 1000000;
  const char *kib = getenv ("WARD_TEST_RX_TOTAL_KIB");
  if (kib && atoll (kib) > 0)
    ward_broker_rd.rx_limit = (size_t) atoll (kib) << 10;
#endif
  int rc = wfault_at ("broker.reader-thread") ? EAGAIN
           : pthread_create (&ward_broker_rd.thread, NULL, reader_main, NULL);
  if (rc != 0)
    {
      ward_err_set (err, WARD_E_INTERNAL, rc, "starting the subprocess reader");
      unmake_reader ();
      return -1;
    }
  ward_broker_rd.started = 1;
  return 0;
}

void
ward_broker_shutdown (void)
{
  ward_lock (&ward_broker_rd.lock, WARD_LOCK_BROKER);
  int started = ward_broker_rd.started;
  ward_broker_rd.stop = 1;
  ward_unlock (&ward_broker_rd.lock);
  if (started)
    {
      ward_broker_wake_reader ();
      pthread_join (ward_broker_rd.thread, NULL);
    }
  /* the reader is gone: what still waits for a detached child is written
   * before ward exits and its channel closes */
  ward_lock (&ward_broker_rd.lock, WARD_LOCK_BROKER);
  for (ward_remote *r = ward_broker_rd.list; r; r = r->next)
    if (r->detached && !r->ended && r->child.chan >= 0)
      ward_broker_flush_detached (r);
  ward_unlock (&ward_broker_rd.lock);
}

/* A detached child goes on once its channel closes (the run ends), if it
 * knows it was detached: what still waits for it (its BOOT, DETACHED) is
 * written first, for at most the stall time. r is off the reader's list,
 * or the reader has stopped. */
void
ward_broker_flush_detached (ward_remote *r)
{
  int64_t end = ward_now_ns () + (ward_broker_rd.stall_ns > 0 ? ward_broker_rd.stall_ns
                                  : (int64_t) SEND_TIMEOUT_S * 1000000000);
  ward_err err;
  ward_lock (&r->tx_lock, WARD_LOCK_STANDIN_TX);
  while (!r->tx_ended && r->tx.head != NULL)
    {
      int progress = 0;
      if (ward_wire_tx_flush (r->child.chan, &r->tx, &progress, &err) <= 0)
        break;
      int64_t left = end - ward_now_ns ();
      if (left <= 0)
        break;
      struct pollfd pf = { .fd = r->child.chan, .events = POLLOUT };
      (void) poll (&pf, 1, (int) (left / 1000000) + 1);
    }
  ward_unlock (&r->tx_lock);
}
