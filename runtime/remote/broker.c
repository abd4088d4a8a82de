/* broker.c -- the runtime side of subprocess actors (remote.h): sandboxed
 * hosts, the child made for each spawn on them, its channel (BOOT, frames
 * queued for it, the handles it holds) and one reader thread that watches
 * every child's channel and the supervisor's exit records. The stand-in's
 * Lua module, which forwards and performs, is bproxy.c. */
#include "config.h"
#include "broker.h"
#include "vm.h"
#include "codec.h"
#include "lfd.h"
#include "sandbox.h"
#include "wfault.h"

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <limits.h>
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
#include <sys/time.h>
#include <unistd.h>
#include <lauxlib.h>


#define SEND_TIMEOUT_S 2        /* a child that reads nothing this long is ended */
/* Bytes of frames waiting for a child past which its stand-in forwards
 * nothing more (its calls are still answered): the rest waits in its
 * mailbox, under the mailbox's limits. */
#define TX_LIMIT (1u << 20)
/* Bytes of unfinished frames the reader holds for all children together
 * past which it reads only the oldest such frame: the others' bytes wait
 * in their channels. The oldest always goes on, so a frame finishes, or
 * its child is ended for sending no more of it (the stall time). */
#define RX_TOTAL_LIMIT (64u << 20)
/* Address space a subprocess actor needs besides its Lua heap: the binary,
 * its libraries, three threads' stacks and malloc's arena. */
#define WARD_BROKER_AS_SLACK (192ull << 20)

/* AddressSanitizer reserves terabytes of address space for its shadow: a
 * sanitizer build cannot run under RLIMIT_AS, so it does without (the Lua
 * heap cap still holds). */
#if defined(__SANITIZE_ADDRESS__)
# define AS_LIMIT(bytes) ((void) (bytes), 0)
#else
# define AS_LIMIT(bytes) (bytes)
#endif

/* ---- sandboxed hosts ---- */

typedef struct sbx_host {
  ward_host *host;
  char profile[128];
  ward_profile spec;
  char *init;
  size_t init_len;
  unsigned live_children;       /* of each of its processes */
  unsigned processes;           /* live on it at once */
  unsigned fds_in_flight;       /* of each of its processes */
} sbx_host;

char ward_broker_no_supervisor[256];

static sbx_host sbx_hosts[16];
static int nsbx_hosts;
/* live subprocess actors of each sandboxed host (sbx_hosts' index), made
 * or being made */
static atomic_uint sbx_live[16];
/* live subprocess actors of spawn_vm's subprocess table (a host that is
 * not sandboxed), made or being made: bounded like a sandboxed host's,
 * by --sandbox-processes in all and --sandbox-children per caller */
static atomic_uint vm_live;

static const sbx_host *
find_host (const ward_host *h)
{
  for (int i = 0; i < nsbx_hosts; i++)
    if (sbx_hosts[i].host == h)
      return &sbx_hosts[i];
  return NULL;
}

int
ward_broker_host (ward_host *h, const char *profile, const ward_profile *spec,
                  const char *init_text, size_t init_len, ward_err *err)
{
  if (nsbx_hosts == (int) (sizeof sbx_hosts / sizeof *sbx_hosts))
    return ward_err_set (err, WARD_E_UNAVAILABLE, 0, "too many sandboxed hosts");
  if (spec->seccomp[0] && strcmp (spec->seccomp, "default") != 0)
    return ward_err_set (err, WARD_E_INVALID, 0, "sandbox profile `%s`: unknown seccomp "
                         "profile `%s` (known: default)", profile, spec->seccomp);
  sbx_host *s = &sbx_hosts[nsbx_hosts];
  s->host = h;
  snprintf (s->profile, sizeof s->profile, "%s", profile);
  s->spec = *spec;
  s->init = NULL;
  s->init_len = 0;
  /* the profile's bounds, else the run's defaults */
  s->live_children = spec->live_children >= 0 ? (unsigned) spec->live_children
                     : ward_cfg.sandbox_children;
  s->processes = spec->processes >= 0 ? (unsigned) spec->processes
                 : ward_cfg.sandbox_processes;
  s->fds_in_flight = spec->fds_in_flight >= 0 ? (unsigned) spec->fds_in_flight
                     : ward_cfg.sandbox_fds;
  if (init_text)
    {
      if ((s->init = malloc (init_len + 1)) == NULL)
        return ward_err_set (err, WARD_E_INTERNAL, ENOMEM, "reading an init script");
      memcpy (s->init, init_text, init_len);
      s->init[init_len] = '\0';
      s->init_len = init_len;
    }
  nsbx_hosts++;
  return 0;
}

int
ward_broker_sandboxed (const ward_host *h)
{
  return find_host (h) != NULL;
}

unsigned
ward_broker_children_limit (const ward_host *h)
{
  const sbx_host *sh = find_host (h);
  return sh ? sh->live_children : UINT_MAX;
}

/* ---- children and the reader thread ---- */


static struct {
  pthread_mutex_t lock;
  pthread_t thread;
  int started, stop, ep, wake[2];
  int64_t stall_ns;             /* SEND_TIMEOUT_S, or the tests' */
  size_t rx_total;              /* bytes of unfinished frames, all children */
  size_t rx_limit;              /* RX_TOTAL_LIMIT, or the tests' */
  ward_remote *list;
} br = { .lock = PTHREAD_MUTEX_INITIALIZER, .ep = -1, .wake = { -1, -1 } };

static void flush_detached (ward_remote *r);

static void
wake_reader (void)
{
  if (write (br.wake[1], "x", 1) < 0)
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
  if (epoll_ctl (br.ep, r->out_watched ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, r->out_fd, &ev) < 0)
    return ward_err_set (err, WARD_E_INTERNAL, errno, "writing to the channel: cannot watch "
                         "it: %s", strerror (errno));
  r->out_watched = 1;
  if (!was)
    wake_reader ();             /* its next wait ends at the deadline */
  return 0;
}

/* Queue a frame for r's child and write what the channel takes now. */
int
ward_broker_put_frame (ward_remote *r, int type, const void *body, size_t len, const ward_fdvec *fds,
           ward_err *err)
{
  pthread_mutex_lock (&r->tx_lock);
  int rc = r->tx_ended ? ward_err_set (err, WARD_E_UNAVAILABLE, 0, "writing to the channel: "
                                       "the child is being ended")
           : ward_wire_tx_put (&r->tx, type, body, len, fds, err);
  if (rc == 0)
    rc = tx_push (r, err);
  pthread_mutex_unlock (&r->tx_lock);
  return rc;
}

/* Whether so much waits for r's child that its stand-in forwards no more. */
int
ward_broker_tx_full (ward_remote *r)
{
  pthread_mutex_lock (&r->tx_lock);
  int full = r->tx.bytes >= TX_LIMIT;
  pthread_mutex_unlock (&r->tx_lock);
  return full;
}

static void
kill_child (ward_remote *r)
{
  if (r->child.pidfd >= 0 && !r->ended && !r->detached)
    syscall (SYS_pidfd_send_signal, r->child.pidfd, SIGKILL, NULL, 0);
}

/* Hand a frame (or the child's end) to the proxy. Called with br.lock. */
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

static void
stop_polling (ward_remote *r)
{
  /* (void): it fails only for a channel not in the set, and either way
   * nothing more is read from it -- the reader skips r once polling is
   * clear, and the close that ends every r (ward_broker_abort) takes the
   * channel out of the set */
  if (r->polling)
    (void) epoll_ctl (br.ep, EPOLL_CTL_DEL, r->child.chan, NULL);
  r->polling = 0;
}

/* Watch r's channel for its next frame (EPOLLONESHOT: once). When the
 * kernel refuses, nothing more would be read from the channel and the
 * child and its stand-in would wait for each other for ever: the child is
 * ended instead, and the stand-in told why. Called with br.lock. */
static void
rewatch (ward_remote *r)
{
  struct epoll_event ev = { .events = EPOLLIN | EPOLLONESHOT, .data.ptr = r };
  if (!r->polling)
    return;
  if (!wfault_at ("broker.rearm") && epoll_ctl (br.ep, EPOLL_CTL_MOD, r->child.chan, &ev) == 0)
    return;
  char why[WARD_ERR_MSG_MAX];
  snprintf (why, sizeof why, "ended: cannot watch its channel: %s", strerror (errno));
  r->polling = 0;
  kill_child (r);
  r->broken = 1;
  to_proxy (r, F_ENDED, why, strlen (why), NULL);
}

/* Whether the descriptors a CALL brought must be refused (r->refused
 * says why; the caller closes them): one in the runtime's reserve, or
 * more in flight than the child may have. Called with br.lock. */
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
 * stand-in told why. Called with br.lock. */
static void
end_audited (ward_remote *r, const char *action, const char *why)
{
  kill_child (r);
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

/* r's child broke the protocol: it is ended, the breach audited, its
 * stand-in told why. Returns -1 (the channel is done). Called with
 * br.lock. */
/* The stand-in found the body of a frame from r's child malformed (what
 * its type holds is not there, or more is): the child is ended and the
 * breach audited, as for a malformed frame the reader finds. */
void
ward_broker_malformed (ward_remote *r, const char *what)
{
  snprintf (r->own_why, sizeof r->own_why, "ended: malformed frame: %s", what);
  pthread_mutex_lock (&br.lock);
  stop_polling (r);
  end_audited (r, WARD_ACTION (SANDBOX_MALFORMED), r->own_why);
  pthread_mutex_unlock (&br.lock);
}

static int
breach (ward_remote *r, const char *why)
{
  stop_polling (r);
  r->rx_since = 0;
  ward_wire_rx_reset (&r->rx);          /* what it sent is released now */
  end_audited (r, WARD_ACTION (SANDBOX_MALFORMED), why);
  return -1;
}

/* Count what r's unfinished frame holds now in the reader's total: the
 * storage, which grows by doubling, rather than the bytes that came.
 * Called with br.lock. */
static void
rx_account (ward_remote *r)
{
  size_t now = r->rx.type != 0 ? r->rx.body.cap : 0;
  br.rx_total = br.rx_total - r->rx_counted + now;
  r->rx_counted = now;
}

/* The child whose unfinished frame began first (NULL: none). Called with
 * br.lock. */
static ward_remote *
oldest_frame (void)
{
  ward_remote *o = NULL;
  for (ward_remote *r = br.list; r; r = r->next)
    if (r->rx.type != 0 && r->polling && !r->ended
        && (o == NULL || r->rx_started < o->rx_started))
      o = r;
  return o;
}

static int read_frame (ward_remote *r, int drain);

/* The channel is readable: take one frame (read_frame), unless the
 * unfinished frames of all children hold the limit and r's is not the
 * oldest: r then waits, unwatched, until check_stalls finds room. Called
 * with br.lock. */
static int
read_channel (ward_remote *r, int drain)
{
  if (!drain && br.rx_total >= br.rx_limit && oldest_frame () != r)
    {
      r->rx_waiting = 1;
      return 0;
    }
  int rc = read_frame (r, drain);
  rx_account (r);
  return rc;
}

/* Take one frame. CALL and EXIT go to the proxy, which re-arms the
 * channel when it has answered; a DROP is taken here; anything else ends
 * the child. Draining
 * (the child has ended): take every frame left, in order, before the end
 * is announced. Returns 1 when a frame went to the proxy, 0 when there is
 * nothing more for now, -1 when the channel is done. */
static int
read_frame (ward_remote *r, int drain)
{
  ward_err err;
  int had_type = r->rx.type;
  size_t had = r->rx.body.len;
  if (had_type == 0)
    r->rx_fds_judged = r->rx_fds_refused = 0;      /* a new frame */
  int rc = ward_wire_read (r->child.chan, &r->rx, &err);
  /* Descriptors are judged as they come, with a frame's first datagram:
   * parked in a frame left unfinished they would hold the runtime's
   * table, its reserve included. Only a CALL may bring any; refused, they
   * are closed now and the call fails when it is whole. */
  if ((rc == 0 || rc == 1) && r->rx.fds.n > 0 && !r->rx_fds_judged)
    {
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
    }
  if (rc == 0)
    {
      /* half a frame: the stall clock runs from its last growth */
      if (r->rx.type != 0 && (had_type == 0 || r->rx.body.len != had))
        r->rx_since = ward_now_ns ();
      if (had_type == 0 && r->rx.type != 0)
        r->rx_started = r->rx_since;
      if (!drain)
        rewatch (r);
      return 0;
    }
  r->rx_since = 0;
  if (rc == 2)
    {
      /* the exit record will follow -- unless the child closed its
       * channel (or sent an empty datagram, which reads the same) and
       * runs on: check_stalls ends it */
      stop_polling (r);
      r->closed_at = ward_now_ns ();
      return -1;
    }
  int type = r->rx.type;
  if (rc == 1 && type == WARD_F_DROP)
    {
      const char *bad = ward_broker_take_drop (r);
      ward_wire_rx_reset (&r->rx);
      if (bad)
        return breach (r, bad);
      /* one frame at a time: the channel is watched again for the next
       * (draining: the next is read at once) */
      if (!drain)
        rewatch (r);
      return drain;
    }
  if (rc == 1 && (type == WARD_F_CALL || type == WARD_F_EXIT) && ward_broker_forged_handle (r, type))
    {
      ward_wire_rx_reset (&r->rx);
      return breach (r, "ended: malformed frame: a handle the runtime did not give it");
    }
  if (rc == 1 && type == WARD_F_CALL && r->rx_fds_refused)
    {
      /* the call fails, the child goes on: nothing of it is kept */
      char why[WARD_ERR_MSG_MAX];
      snprintf (why, sizeof why, "%s", r->refused.msg);
      ward_wire_rx_reset (&r->rx);
      to_proxy (r, F_REFUSED, why, strlen (why), NULL);
      return 1;
    }
  if (rc == 1 && (type == WARD_F_CALL || type == WARD_F_EXIT))
    {
      /* only a CALL's arguments may refer to descriptors */
      to_proxy (r, type, r->rx.body.data, r->rx.body.len,
                type == WARD_F_CALL ? &r->rx.fds : NULL);
      ward_wire_rx_reset (&r->rx);
      if (type == WARD_F_EXIT)
        {
          stop_polling (r);
          return -1;
        }
      return 1;                         /* ONESHOT: re-armed by the reply */
    }
  char why[WARD_ERR_MSG_MAX + 64];
  if (rc == 1)
    snprintf (why, sizeof why, "ended: malformed frame: a child may not send frame type %d",
              type);
  else
    snprintf (why, sizeof why, "ended: %s", err.msg);
  return breach (r, why);
}

/* r's child took nothing for the stall time while frames waited: nothing
 * more is written, the child is ended, audited, its stand-in told why.
 * Called with br.lock. */
static void
end_stalled (ward_remote *r, const char *why)
{
  pthread_mutex_lock (&r->tx_lock);
  r->tx_ended = 1;
  r->stalled_since = 0;
  ward_wire_tx_free (&r->tx);
  pthread_mutex_unlock (&r->tx_lock);
  end_audited (r, WARD_ACTION (SANDBOX_STALLED), why);
}

/* r's channel has room: write what waits; wake the stand-in once it may
 * forward again. Called with br.lock. */
static void
writable (ward_remote *r)
{
  ward_err err;
  pthread_mutex_lock (&r->tx_lock);
  int rc = r->tx_ended ? 0 : tx_push (r, &err);
  int room = r->tx.bytes < TX_LIMIT;
  pthread_mutex_unlock (&r->tx_lock);
  if (rc < 0)
    {
      /* the child is gone or going: its exit record says how */
      pthread_mutex_lock (&r->tx_lock);
      r->tx_ended = 1;
      r->stalled_since = 0;
      ward_wire_tx_free (&r->tx);
      pthread_mutex_unlock (&r->tx_lock);
      kill_child (r);
    }
  else if (room && r->proxy)
    {
      if (r->rearm_on_room)
        {
          r->rearm_on_room = 0;
          rewatch (r);
        }
      ward_proc_wake (r->proxy);
    }
}

/* Whether the stall time since `since` (ns) has run out at now; if not,
 * *soonest (ns, -1: none yet) becomes what is left when that is sooner. */
static int
stall_due (int64_t since, int64_t now, int64_t *soonest)
{
  int64_t left = since + br.stall_ns - now;
  if (left <= 0)
    return 1;
  if (*soonest < 0 || left < *soonest)
    *soonest = left;
  return 0;
}

/* End the children that took nothing for the stall time while frames
 * waited, sent nothing more of a frame they began, or closed their
 * channel and ran on; returns the wait
 * until the next such deadline (ms, -1: none). Called with br.lock. */
static int
check_stalls (void)
{
  int64_t now = ward_now_ns (), soonest = -1;
  long long ms = (long long) (br.stall_ns / 1000000);
  ward_remote *oldest = oldest_frame ();
  size_t total = br.rx_total;
  char why[160];
  for (ward_remote *r = br.list; r; r = r->next)
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
      else if (r->rx_waiting && (br.rx_total < br.rx_limit || r == oldest))
        {
          /* room again, or its frame is now the oldest: read it. Both
           * stall clocks start afresh: a child blocked writing to a
           * channel nobody read could neither finish its frame nor read */
          r->rx_waiting = 0;
          if (r->rx.type != 0)
            r->rx_since = now;
          pthread_mutex_lock (&r->tx_lock);
          if (r->stalled_since != 0)
            r->stalled_since = now;
          pthread_mutex_unlock (&r->tx_lock);
          rewatch (r);
        }
      if (r->rx_since != 0 && r->polling && !r->ended && !r->rx_waiting
          && stall_due (r->rx_since, now, &soonest))
        {
          snprintf (why, sizeof why, "ended: reading the channel: it left a frame "
                    "unfinished (%zu bytes) and sent nothing more of it for %lld ms",
                    r->rx.body.len, ms);
          /* what it sent is released now, not when its end is seen */
          r->rx_since = 0;
          stop_polling (r);
          ward_wire_rx_reset (&r->rx);
          rx_account (r);
          end_audited (r, WARD_ACTION (SANDBOX_STALLED), why);
          continue;
        }
      pthread_mutex_lock (&r->tx_lock);
      int64_t since = r->tx_ended || r->ended ? 0 : r->stalled_since;
      pthread_mutex_unlock (&r->tx_lock);
      if (since == 0 || r->rx_waiting)
        continue;               /* (waiting: the runtime does not read it) */
      if (stall_due (since, now, &soonest))
        {
          snprintf (why, sizeof why, "ended: writing to the channel: it read nothing for "
                    "%lld ms", ms);
          end_stalled (r, why);
        }
    }
  if (br.rx_total < total)
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
    for (ward_remote *r = br.list; r; r = r->next)
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
                  || epoll_ctl (br.ep, EPOLL_CTL_DEL, wsb_events_fd (), NULL) < 0;
      for (ward_remote *r = br.list; r; r = r->next)
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
      int n = epoll_wait (br.ep, evs, 32, timeout);
      if (n < 0 && errno != EINTR)
        break;
      pthread_mutex_lock (&br.lock);
      if (br.stop)
        {
          pthread_mutex_unlock (&br.lock);
          break;
        }
      for (int i = 0; i < n; i++)
        {
          void *ptr = evs[i].data.ptr;
          if (ptr == &br.wake)
            {
              char c[64];
              while (read (br.wake[0], c, sizeof c) > 0)
                ;
            }
          else if (ptr == &br.list)
            {
              if (take_exits () < 0)
                {
                  pthread_mutex_unlock (&br.lock);
                  return NULL;
                }
            }
          else
            {
              /* still ours? (released while we waited for the lock) */
              for (ward_remote *r = br.list; r; r = r->next)
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
      pthread_mutex_unlock (&br.lock);
    }
  return NULL;
}

/* Undo what start_reader made before it failed: nothing is left open,
 * and the next spawn tries afresh. Called with br.lock. */
static void
unmake_reader (void)
{
  if (br.ep >= 0)
    close (br.ep);
  for (int i = 0; i < 2; i++)
    if (br.wake[i] >= 0)
      close (br.wake[i]);
  br.ep = br.wake[0] = br.wake[1] = -1;
}

/* Called with br.lock. On failure nothing it made is left (err says
 * which call failed). */
static int
start_reader (ward_err *err)
{
  if (br.started)
    return 0;
  if (wfault_at ("broker.epoll") || (br.ep = epoll_create1 (EPOLL_CLOEXEC)) < 0)
    {
      ward_err_set (err, WARD_E_INTERNAL, errno, "starting the subprocess reader: "
                    "epoll_create1");
      unmake_reader ();
      return -1;
    }
  if (wfault_at ("broker.wake-pipe") || pipe2 (br.wake, O_CLOEXEC | O_NONBLOCK) < 0)
    {
      ward_err_set (err, WARD_E_INTERNAL, errno, "starting the subprocess reader: "
                    "pipe2");
      unmake_reader ();
      return -1;
    }
  struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &br.wake };
  struct epoll_event ex = { .events = EPOLLIN, .data.ptr = &br.list };
  if (wfault_at ("broker.reader-watch")
      || epoll_ctl (br.ep, EPOLL_CTL_ADD, br.wake[0], &ev) < 0
      || epoll_ctl (br.ep, EPOLL_CTL_ADD, wsb_events_fd (), &ex) < 0)
    {
      ward_err_set (err, WARD_E_INTERNAL, errno, "starting the subprocess reader: "
                    "epoll_ctl");
      unmake_reader ();
      return -1;
    }
  br.stall_ns = (int64_t) SEND_TIMEOUT_S * 1000000000;
  br.rx_limit = RX_TOTAL_LIMIT;
#ifdef WARD_TEST_HOOKS
  const char *ms = getenv ("WARD_TEST_STALL_MS");   /* tests only */
  if (ms && atoll (ms) > 0)
    br.stall_ns = atoll (ms) * 1000000;
  const char *kib = getenv ("WARD_TEST_RX_TOTAL_KIB");
  if (kib && atoll (kib) > 0)
    br.rx_limit = (size_t) atoll (kib) << 10;
#endif
  int rc = wfault_at ("broker.reader-thread") ? EAGAIN
           : pthread_create (&br.thread, NULL, reader_main, NULL);
  if (rc != 0)
    {
      ward_err_set (err, WARD_E_INTERNAL, rc, "starting the subprocess reader");
      unmake_reader ();
      return -1;
    }
  br.started = 1;
  return 0;
}

void
ward_broker_shutdown (void)
{
  pthread_mutex_lock (&br.lock);
  int started = br.started;
  br.stop = 1;
  pthread_mutex_unlock (&br.lock);
  if (started)
    {
      wake_reader ();
      pthread_join (br.thread, NULL);
    }
  /* the reader is gone: what still waits for a detached child is written
   * before ward exits and its channel closes */
  pthread_mutex_lock (&br.lock);
  for (ward_remote *r = br.list; r; r = r->next)
    if (r->detached && !r->ended && r->child.chan >= 0)
      flush_detached (r);
  pthread_mutex_unlock (&br.lock);
}

/* Make the child for profile p and put it on the reader's list: on the
 * sandboxed host sh, else for spawn_vm's caller `owner` (a serial). A
 * refusal for a limit is audited against the calling process. */
static ward_remote *
prepare (const wsb_profile *p, const sbx_host *sh, uint64_t owner, uint64_t memory,
         int64_t mailbox, ward_err *err)
{
  /* what a refusal was on: the host, or spawn_vm's subprocess table */
  const char *scope = sh ? ward_host_name (sh->host) : "spawn_vm";
  if (ward_run_ending ())
    {
      /* no child is built for a spawn that ward_spawn would refuse */
      ward_err_set (err, WARD_E_UNAVAILABLE, 0, WARD_RUN_ENDING_MSG);
      return NULL;
    }
  if (!wsb_supervisor_running ())
    {
      ward_err_set (err, WARD_E_UNAVAILABLE, 0, "the sandbox supervisor is not running%s%s",
                    ward_broker_no_supervisor[0] ? ": " : "", ward_broker_no_supervisor);
      return NULL;
    }
  /* Its channel and pidfd, and the supervisor's reply that brings them,
   * must fit below the runtime's reserve. */
  if (ward_fd_room (5, "no subprocess actor can start", err) < 0)
    {
      ward_proc_audit_limit (ward_current (), WARD_ACTION (LIMIT_FD_RESERVE), scope);
      return NULL;
    }
  ward_remote *r = calloc (1, sizeof *r);
  if (r == NULL)
    {
      ward_err_set (err, WARD_E_INTERNAL, ENOMEM, "spawning a subprocess actor");
      return NULL;
    }
  r->sh = sh;
  r->owner = owner;
  r->memory = memory;
  r->cpu_limit_ns = (int64_t) p->limits.cpu_ms * 1000000;
  r->mailbox = mailbox;
  r->child.chan = r->child.pidfd = r->out_fd = -1;
  pthread_mutex_init (&r->held_lock, NULL);
  pthread_mutex_init (&r->tx_lock, NULL);
  ward_wire_tx_init (&r->tx);
  atomic_init (&r->busy, 1);      /* until BOOT has gone */
  ward_wire_rx_init (&r->rx);
  r->rx.nonblock = 1;
  atomic_uint *live = sh ? &sbx_live[sh - sbx_hosts] : &vm_live;
  unsigned had = atomic_fetch_add (live, 1);
  r->counted = 1;
  if (had >= (sh ? sh->processes : ward_cfg.sandbox_processes))
    {
      if (sh)
        ward_err_set (err, WARD_E_UNAVAILABLE, 0, "%u processes already live (the limit "
                      "of its sandbox profile `%s`)", had, sh->profile);
      else
        ward_err_set (err, WARD_E_UNAVAILABLE, 0, "%u subprocess actors of spawn_vm already "
                      "live (the limit, --sandbox-processes)", had);
      ward_proc_audit_limit (ward_current (), WARD_ACTION (LIMIT_PROCESSES), scope);
      ward_broker_abort (r);
      return NULL;
    }
  if ((r->tally = ward_fdtally_new (sh ? sh->fds_in_flight : ward_cfg.sandbox_fds)) == NULL)
    {
      ward_err_set (err, WARD_E_INTERNAL, ENOMEM, "spawning a subprocess actor");
      ward_broker_abort (r);
      return NULL;
    }
  if (wsb_spawn (p, &r->child, err) < 0)
    {
      r->child.chan = r->child.pidfd = -1;
      ward_broker_abort (r);
      return NULL;
    }
  r->out_fd = fcntl (r->child.chan, F_DUPFD_CLOEXEC, 0);
  if (r->out_fd < 0 || ward_fd_reserved (r->child.chan) || ward_fd_reserved (r->child.pidfd)
      || ward_fd_reserved (r->out_fd))
    {
      /* another thread took the room meanwhile */
      syscall (SYS_pidfd_send_signal, r->child.pidfd, SIGKILL, NULL, 0);
      ward_fd_refuse ("no subprocess actor can start", err);
      ward_proc_audit_limit (ward_current (), WARD_ACTION (LIMIT_FD_RESERVE), scope);
      ward_broker_abort (r);
      return NULL;
    }
  /* every write to the child is made without waiting (ward_broker_put_frame); the
   * timeout is the backstop should one ever wait: no timeout, no child */
  struct timeval tv = { .tv_sec = SEND_TIMEOUT_S };
  if (wfault_at ("broker.sndtimeo")
      || setsockopt (r->child.chan, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv) < 0)
    {
      ward_err_set (err, WARD_E_INTERNAL, errno, "spawning a subprocess actor: "
                    "no send timeout on its channel");
      ward_broker_abort (r);
      return NULL;
    }
  pthread_mutex_lock (&br.lock);
  int rc = start_reader (err);
  if (rc == 0)
    {
      r->next = br.list;
      br.list = r;
    }
  pthread_mutex_unlock (&br.lock);
  if (rc < 0)
    {
      ward_broker_abort (r);
      return NULL;
    }
  return r;
}

/* The descriptor stream i (0, 1 or 2) of a host's child gets, as its
 * profile says: ward's own, none (-1: /dev/null), or when the profile is
 * silent no stdin and ward's own stdout and stderr. */
static int
stdio_fd (enum ward_stdio mode, int i)
{
  switch (mode)
    {
    case WARD_STDIO_INHERIT:
      return i;
    case WARD_STDIO_NULL:
      return -1;
    case WARD_STDIO_DEFAULT:
      break;
    }
  return i == STDIN_FILENO ? -1 : i;
}

ward_remote *
ward_broker_prepare (ward_host *h, ward_err *err)
{
  const sbx_host *sh = find_host (h);
  if (sh == NULL)
    {
      ward_err_set (err, WARD_E_INTERNAL, 0, "host %s has no sandbox profile",
                    ward_host_name (h));
      return NULL;
    }
  const ward_profile *s = &sh->spec;
  /* the profile's environment: pointers into the spec, which lives as
   * long as the host */
  const char *env[sizeof s->environment / 2 + 1];   /* entries are 2 bytes or more */
  size_t nenv = 0;
  for (const char *e = s->environment; *e; e += strlen (e) + 1)
    env[nenv++] = e;
  env[nenv] = NULL;
  int fds[3];
  for (int i = 0; i < 3; i++)
    fds[i] = stdio_fd (s->stdio[i], i);
  wsb_profile p = {
    .limits = s->limits,
    .seccomp = s->seccomp[0] ? WSB_SECCOMP_DEFAULT : WSB_SECCOMP_NONE,
    .hostname = s->hostname[0] ? s->hostname : NULL,
    .init_script = sh->init, .init_len = sh->init_len,
    .init_name = s->init[0] ? s->init : NULL, .init_arg_fd = -1,
    .stdin_fd = fds[0], .stdout_fd = fds[1], .stderr_fd = fds[2],
    .environ = nenv ? env : NULL,
    /* every spawn on a host asks for the same child: one is kept ready */
    .warm = 1,
  };
  /* The address space holds the child's binary, libraries and threads
   * besides the Lua heap, which the allocator caps at `memory` itself. */
  p.limits.memory = s->limits.memory ? AS_LIMIT (s->limits.memory + WARD_BROKER_AS_SLACK) : 0;
  ward_remote *r = prepare (&p, sh, 0, s->limits.memory ? s->limits.memory : ward_cfg.mem_limit,
                            s->mailbox > 0 ? s->mailbox : (int64_t) ward_cfg.mailbox_limit, err);
  if (r == NULL)
    ward_err_prefix (err, "host %s", ward_host_name (h));
  return r;
}

ward_remote *
ward_broker_prepare_vm (const ward_proc *caller, const ward_subprocess_opts *o, ward_err *err)
{
  /* the caller's live subprocess actors: those on the list that it made
   * (one caller spawns one at a time, so none is being made meanwhile) */
  unsigned mine = 0;
  pthread_mutex_lock (&br.lock);
  for (ward_remote *r = br.list; r; r = r->next)
    mine += r->sh == NULL && r->owner == caller->serial;
  pthread_mutex_unlock (&br.lock);
  if (mine >= ward_cfg.sandbox_children)
    {
      ward_proc_audit_limit (caller, WARD_ACTION (LIMIT_CHILDREN), caller->pid);
      ward_err_set (err, WARD_E_UNAVAILABLE, 0, "process %s already has %u live subprocess "
                    "actors of spawn_vm (the limit, --sandbox-children)", caller->pid, mine);
      return NULL;
    }
  wsb_profile p = {
    .limits = { .namespaces = o->namespaces, .capabilities = 0,
                .memory = AS_LIMIT (ward_cfg.mem_limit + WARD_BROKER_AS_SLACK),
                .nofile = -1, .children = -1 },
    .seccomp = WSB_SECCOMP_DEFAULT,
    .init_script = o->init_script, .init_len = o->init_len,
    .init_name = o->init_script ? "init.script" : NULL, .init_arg_fd = o->init_arg_fd,
    .stdin_fd = o->stdin_fd, .stdout_fd = o->stdout_fd, .stderr_fd = o->stderr_fd,
    .environ = o->environ,
  };
  return prepare (&p, NULL, caller->serial, ward_cfg.mem_limit,
                  (int64_t) ward_cfg.mailbox_limit, err);
}

void
ward_broker_attach (ward_proc *proxy)
{
  ward_remote *r = proxy->remote;
  pthread_mutex_lock (&br.lock);
  r->proxy = proxy;
  ward_proc_ref (proxy);
  pthread_mutex_unlock (&br.lock);
  /* what it sends for its child is counted with what the child sends */
  atomic_fetch_add (&r->tally->refs, 1);
  proxy->fd_tally = r->tally;
  /* the profile's wall-clock limit: the stand-in is ended at the
   * deadline, and the child with it */
  if (r->sh && r->sh->spec.wall_ms)
    {
      char why[128];
      snprintf (why, sizeof why, "ran past the wall-clock limit of %llu ms of its sandbox "
                "profile `%s`", (unsigned long long) r->sh->spec.wall_ms, r->sh->profile);
      ward_timer_add (ward_now_ns () + (int64_t) r->sh->spec.wall_ms * 1000000, WARD_TIMER_DEADLINE,
                      proxy, 0, why);
    }
}

int
ward_broker_bind_owner (ward_proc *proxy, ward_proc *owner, ward_err *err)
{
  ward_remote *r = proxy->remote;
  r->owner = owner->serial;
  snprintf (r->owner_pid, sizeof r->owner_pid, "%s", owner->pid);
  /* The stand-in learns of its owner's end like any monitor. */
  return ward_monitor (proxy, owner, err);
}

void
ward_broker_charge_cpu (ward_proc *proxy, int64_t ns)
{
  ward_remote *r = proxy->remote;
  r->cpu_used_ns += ns;
  if (r->cpu_limit_ns == 0 || r->cpu_used_ns <= r->cpu_limit_ns || r->cpu_spent)
    return;
  r->cpu_spent = 1;
  snprintf (r->own_why, sizeof r->own_why, "ended: the runtime spent its CPU limit "
            "(%lld ms) on its calls", (long long) (r->cpu_limit_ns / 1000000));
  pthread_mutex_lock (&br.lock);
  stop_polling (r);
  end_audited (r, WARD_ACTION (LIMIT_CPU), r->own_why);
  pthread_mutex_unlock (&br.lock);
}

size_t
ward_broker_proxy_memory (const ward_remote *r)
{
  uint64_t m = r->memory + (1u << 20);
  return m < ward_cfg.mem_limit ? (size_t) m : ward_cfg.mem_limit;
}

int
ward_broker_owner_is (const ward_proc *p, uint64_t serial)
{
  return p->remote != NULL && p->remote->owner != 0 && p->remote->owner == serial;
}

/* The remote of the stand-in `pid`, with br.lock held; NULL (unlocked, err
 * set) when there is none. */
static ward_remote *
find_remote (const char *pid, ward_err *err)
{
  pthread_mutex_lock (&br.lock);
  for (ward_remote *r = br.list; r; r = r->next)
    if (r->proxy && strcmp (r->proxy->pid, pid) == 0)
      return r;
  pthread_mutex_unlock (&br.lock);
  ward_err_set (err, WARD_E_NOT_FOUND, 0, "process %s not found (the subprocess actor has "
                "exited)", pid);
  return NULL;
}

int
ward_broker_kill (const char *pid, int signo, ward_err *err)
{
  ward_remote *r = find_remote (pid, err);
  if (r == NULL)
    return -1;
  int rc = 0;
  if (!r->ended && syscall (SYS_pidfd_send_signal, r->child.pidfd, signo, NULL, 0) < 0)
    rc = ward_err_set (err, errno == EINVAL ? WARD_E_INVALID : WARD_E_INTERNAL, errno,
                       "kill: signal %d to %s: %s", signo, pid, strerror (errno));
  pthread_mutex_unlock (&br.lock);
  return rc;
}

int
ward_broker_detach (const char *pid, ward_err *err)
{
  ward_remote *r = find_remote (pid, err);
  if (r == NULL)
    return -1;
  r->detached = 1;
  pid_t child = r->child.pid;
  pthread_mutex_unlock (&br.lock);
  if (wsb_detach (child, err) < 0)
    return -1;
  /* The child learns it, so that it goes on when its channel closes (the
   * run ends): frames after this one still reach it while the run lasts.
   * Sent by the caller's thread, which holds the stand-in's channel only
   * while it writes this one frame. */
  r = find_remote (pid, err);
  if (r == NULL)
    return 0;                   /* it has ended meanwhile: nothing to tell */
  atomic_fetch_add (&r->busy, 1);
  int rc = ward_broker_put_frame (r, WARD_F_DETACHED, NULL, 0, NULL, err);
  atomic_fetch_sub (&r->busy, 1);
  pthread_mutex_unlock (&br.lock);
  return rc;
}

long
ward_broker_child_pid (const char *pid, ward_err *err)
{
  ward_remote *r = find_remote (pid, err);
  if (r == NULL)
    return -1;
  long v = r->child.pid;
  pthread_mutex_unlock (&br.lock);
  return v;
}

uint64_t
ward_broker_owner (const char *pid)
{
  ward_err err;
  ward_remote *r = find_remote (pid, &err);
  if (r == NULL)
    return 0;
  uint64_t v = r->owner;
  pthread_mutex_unlock (&br.lock);
  return v;
}

static void
unlist (ward_remote *r)
{
  pthread_mutex_lock (&br.lock);
  for (ward_remote **pp = &br.list; *pp; pp = &(*pp)->next)
    if (*pp == r)
      {
        *pp = r->next;
        break;
      }
  stop_polling (r);
  if (r->rx_counted)
    {
      /* room for the frames that wait: the reader looks again */
      br.rx_total -= r->rx_counted;
      r->rx_counted = 0;
      wake_reader ();
    }
  if (r->out_watched)
    (void) epoll_ctl (br.ep, EPOLL_CTL_DEL, r->out_fd, NULL);  /* as in stop_polling */
  r->out_watched = 0;
  kill_child (r);
  if (r->proxy)
    ward_proc_unref (r->proxy);
  r->proxy = NULL;
  pthread_mutex_unlock (&br.lock);
}

/* A detached child goes on once its channel closes (the run ends), if it
 * knows it was detached: what still waits for it (its BOOT, DETACHED) is
 * written first, for at most the stall time. r is off the reader's list,
 * or the reader has stopped. */
static void
flush_detached (ward_remote *r)
{
  int64_t end = ward_now_ns () + (br.stall_ns > 0 ? br.stall_ns
                                  : (int64_t) SEND_TIMEOUT_S * 1000000000);
  ward_err err;
  pthread_mutex_lock (&r->tx_lock);
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
  pthread_mutex_unlock (&r->tx_lock);
}

void
ward_broker_abort (ward_remote *r)
{
  if (r == NULL)
    return;
  unlist (r);
  if (r->detached && !r->ended && r->child.chan >= 0)
    flush_detached (r);
  if (r->child.chan >= 0)
    close (r->child.chan);
  if (r->child.pidfd >= 0)
    close (r->child.pidfd);
  if (r->out_fd >= 0)
    close (r->out_fd);
  ward_wire_tx_free (&r->tx);
  pthread_mutex_destroy (&r->tx_lock);
  ward_wire_rx_free (&r->rx);
  ward_broker_held_free (r);
  if (r->counted)
    atomic_fetch_sub (r->sh ? &sbx_live[r->sh - sbx_hosts] : &vm_live, 1);
  ward_fdtally_unref (r->tally);
  free (r);
}

void
ward_broker_release (ward_proc *proxy)
{
  ward_remote *r = proxy->remote;
  proxy->remote = NULL;
  if (r == NULL)
    return;
  free (r->exit_data);
  ward_broker_abort (r);
}

/* Writing to the child failed: it is gone, or it does not read. End it;
 * the reader's notice of its end follows, and this reason wins. */
void
ward_broker_channel_broken (ward_remote *r, const ward_err *err)
{
  pthread_mutex_lock (&br.lock);
  /* the reader's reason, when it ended the child first, is the one told */
  if (r->own_why[0] == '\0' && !r->broken)
    snprintf (r->own_why, sizeof r->own_why, "ended: %s", err->msg);
  kill_child (r);
  pthread_mutex_unlock (&br.lock);
}

/* The channels naming the stand-in as the child counts them: UINT32_MAX
 * for the run's first process, which no channel names; else 0 or 1 (the
 * child needs only whether any remains). Remembered as told. */
unsigned
ward_broker_senders_peek (ward_proc *p)
{
  pthread_mutex_lock (&p->lock);
  unsigned n = p->vm_senders > 0;
  pthread_mutex_unlock (&p->lock);
  return n;
}

uint32_t
ward_broker_senders_now (ward_proc *p)
{
  if (p->is_first)
    return UINT32_MAX;
  unsigned n = ward_broker_senders_peek (p);
  p->remote->told_senders = (int) n;
  return n;
}

/* Send BOOT and start watching the channel: from ward_spawn, on the
 * spawner's thread, so that the child boots while the stand-in is still
 * being made. A failure is kept for the stand-in's boot() to raise. */
void
ward_broker_boot (ward_proc *p)
{
  ward_remote *r = p->remote;
  ward_err err;
  wbuf b;
  wbuf_init (&b, 0);
  /* the definition as compiled here: the child need not compile it */
  const ward_def *def = ward_def_get (p->def_path, 0, &err);
  int rc = def == NULL ? -1 : 0;
  if (rc == 0)
    {
      const char *code;
      size_t code_len;
      ward_def_code (def, &code, &code_len);
      const char *chunk = ward_def_display (p->def_path);
      const char *host = ward_host_name (p->host);
      rc = ward_wire_put_str (&b, p->pid, strlen (p->pid), &err) < 0
        || ward_wire_put_str (&b, p->parent_pid, strlen (p->parent_pid), &err) < 0
        || ward_wire_put_str (&b, p->frame, strlen (p->frame), &err) < 0
        || ward_wire_put_str (&b, host, strlen (host), &err) < 0
        || ward_wire_put_str (&b, p->def_id, strlen (p->def_id), &err) < 0
        || ward_wire_put_str (&b, chunk, strlen (chunk), &err) < 0
        || ward_wire_put_str (&b, p->actor_id, strlen (p->actor_id), &err) < 0
        || ward_wire_put_str (&b, code, code_len, &err) < 0
        || ward_wire_put_str (&b, (const char *) p->args, p->args_len, &err) < 0
        || ward_wire_put_str (&b, (const char *) p->context, p->context ? p->context_len : 0,
                              &err) < 0
        || ward_wire_put_u32 (&b, (uint32_t) p->nscope, &err) < 0 ? -1 : 0;
    }
  for (size_t i = 0; rc == 0 && i < p->nscope; i++)
    rc = ward_wire_put_str (&b, p->scope[i], strlen (p->scope[i]), &err);
  if (rc == 0)
    rc = ward_wire_put_i64 (&b, (int64_t) r->memory, &err) < 0
         || ward_wire_put_i64 (&b, r->mailbox, &err) < 0
         || ward_wire_put_i64 (&b, (int64_t) ward_cfg.instr_budget, &err) < 0
         || ward_wire_put_u32 (&b, (uint32_t) p->is_worker, &err) < 0
         || ward_wire_put_u32 (&b, ward_broker_senders_now (p), &err) < 0 ? -1 : 0;
  if (rc == 0)
    {
      ward_broker_grant_handles (r, p->args, p->args_len);
      if (p->context)
        {
          /* the child's copy of the context, its own: counted beside the
           * stand-in's, given back when the child ends */
          ward_vmchan_adjust_values (p->context, p->context_len, 1);
          ward_broker_grant_handles (r, p->context, p->context_len);
        }
      rc = ward_broker_put_frame (r, WARD_F_BOOT, b.data, b.len, NULL, &err);
    }
  wbuf_free (&b);
  free (p->args);
  p->args = NULL;
  p->args_len = 0;
  if (rc == 0)
    {
      pthread_mutex_lock (&br.lock);
      struct epoll_event ev = { .events = EPOLLIN | EPOLLONESHOT, .data.ptr = r };
      /* (the reader may stop polling as soon as the lock is released: a
       * child that breaks the protocol at once) */
      if (!wfault_at ("broker.watch") && epoll_ctl (br.ep, EPOLL_CTL_ADD, r->child.chan, &ev) == 0)
        r->polling = 1;
      else
        {
          /* unwatched, the child would wait for answers for ever */
          rc = ward_err_set (&err, WARD_E_INTERNAL, errno, "watching the channel");
          kill_child (r);
        }
      pthread_mutex_unlock (&br.lock);
    }
  if (rc < 0)
    {
      r->boot_failed = 1;
      r->boot_err = err;
    }
  else
    atomic_fetch_sub (&r->busy, 1);
}

int
ward_broker_forward_now (ward_proc *proxy, const ward_msg *m)
{
  ward_remote *r = proxy->remote;
  if (atomic_load (&r->busy) != 0 || r->boot_failed)
    return -1;
  wbuf b;
  wbuf_init (&b, 0);
  ward_err err;
  /* anything but sent (full, too big, broken) goes the proxy's way, which
   * waits, or reports the broken channel. Its handles are the child's
   * before it can name them; not sent, they are taken back, to be granted
   * once, when the proxy sends the message. */
  ward_broker_grant_msg (r, m);
  /* (after what waits, never before it) */
  pthread_mutex_lock (&r->tx_lock);
  int rc = r->tx.head == NULL && !r->tx_ended && ward_remote_msg_encode (m, &b, &err) == 0
           && ward_wire_send_now (r->child.chan, WARD_F_MSG, b.data, b.len, m->fds, &err) == 0
           ? 0 : -1;
  pthread_mutex_unlock (&r->tx_lock);
  wbuf_free (&b);
  if (rc < 0)
    ward_broker_ungrant_msg (r, m);
  return rc;
}

/* Watch r's channel again after a frame was taken (rewatch, with the
 * reader's lock). */
void
ward_broker_rearm (ward_remote *r)
{
  pthread_mutex_lock (&br.lock);
  /* With TX_LIMIT waiting for the child, its next call is not read until
   * it has read some (writable rewatches): a child that sends calls and
   * reads their replies slowly cannot grow its queue without bound. */
  pthread_mutex_lock (&r->tx_lock);
  int full = r->tx.bytes >= TX_LIMIT && !r->tx_ended;
  pthread_mutex_unlock (&r->tx_lock);
  if (full)
    r->rearm_on_room = 1;
  else
    rewatch (r);
  pthread_mutex_unlock (&br.lock);
}
