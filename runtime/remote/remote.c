/* remote.c -- the child side of a subprocess actor: a one-process runtime
 * inside the sandbox whose calls beyond the actor travel to the runtime
 * (remote.h), and the message framing both ends share. The copies of
 * channels the child holds are counted in rhandle.c. */
#include "config.h"
#include "rchild.h"
#include "wfd.h"
#include "wire.h"
#include "vm.h"
#include "codec.h"
#include "fdvec.h"
#include "sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <seccomp.h>
#include <signal.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>
#include <lauxlib.h>
#include <lualib.h>
#include <poll.h>

int ward_remote_chan = -1;
int ward_remote_tracks_senders;
_Atomic int ward_remote_gone;

/* ---- messages on the wire (both ends) ---- */

int
ward_remote_msg_encode (const ward_msg *m, wbuf *b, ward_err *err)
{
  if (ward_wire_put_u32 (b, (uint32_t) m->kind, err) < 0
      || ward_wire_put_u32 (b, (uint32_t) m->is_error | (m->topic ? 2u : 0u), err) < 0
      || ward_wire_put_i64 (b, m->at, err) < 0
      || ward_wire_put_str (b, m->from, strlen (m->from), err) < 0
      || ward_wire_put_str (b, m->topic ? m->topic : "", m->topic ? strlen (m->topic) : 0,
                            err) < 0
      || ward_wire_put_str (b, (const char *) m->data, m->len, err) < 0)
    return -1;
  return 0;
}

ward_msg *
ward_remote_msg_decode (ward_wire_in *in, ward_err *err)
{
  uint32_t kind, flags;
  int64_t at;
  char from[64], topic[4096];
  const char *data;
  size_t len;
  if (ward_wire_get_u32 (in, &kind, err) < 0 || ward_wire_get_u32 (in, &flags, err) < 0
      || ward_wire_get_i64 (in, &at, err) < 0
      || ward_wire_get_cstr (in, from, sizeof from, err) < 0
      || ward_wire_get_cstr (in, topic, sizeof topic, err) < 0
      || ward_wire_get_str (in, &data, &len, err) < 0)
    return NULL;
  if (kind > WARD_MSG_EXEC || kind == WARD_MSG_TIMER || (flags & ~3u) != 0
      || ((flags & 2) != 0) != (kind == WARD_MSG_USER))
    {
      ward_err_set (err, WARD_E_INVALID, 0, "malformed frame: bad message header");
      return NULL;
    }
  ward_msg *m = ward_msg_new ((int) kind, from, kind == WARD_MSG_USER ? topic : NULL,
                              data, len);
  if (m == NULL)
    {
      ward_err_set (err, WARD_E_INTERNAL, ENOMEM, "receiving a message");
      return NULL;
    }
  m->is_error = (int) (flags & 1);
  m->at = at;
  return m;
}

int
ward_remote_msg_holds_values (const ward_msg *m)
{
  /* an event's error text is only text to the child, whatever its bytes:
   * a process that ends with an error it chose names nothing */
  switch (m->kind)
    {
    case WARD_MSG_USER:
    case WARD_MSG_VM:
      return 1;
    case WARD_MSG_EXIT:
    case WARD_MSG_EXEC:
      return !m->is_error;
    default:
      return 0;
    }
}

/* ---- the child ---- */

#ifndef SYS_SECCOMP
# define SYS_SECCOMP 1                  /* si_code of a seccomp trap */
#endif

/* SIGSYS from a seccomp trap (an init script's seccomp_kill): tell the
 * runtime which call it was, as the actor's end, then die by the signal.
 * The call never ran; the process is ending, so the name's lookup may
 * allocate. */
static void
on_sigsys (int sig, siginfo_t *si, void *uc)
{
  (void) uc;
  char *name = si->si_code == SYS_SECCOMP
               ? seccomp_syscall_resolve_num_arch (si->si_arch, si->si_syscall) : NULL;
  char text[200];
  int n = snprintf (text, sizeof text, "killed by SIGSYS (seccomp: %s)",
                    name ? name : "a system call the filter traps");
  /* EXIT's body (abnormal, then the text), and the frame, without
   * allocating: this is a signal handler */
  uint8_t body[4 + 4 + sizeof text], frame[4 + sizeof body];
  uint32_t len = n < 0 ? 0u : n >= (int) sizeof text ? (uint32_t) sizeof text - 1 : (uint32_t) n;
  body[0] = 1;                            /* abnormal */
  body[1] = body[2] = body[3] = 0;
  for (int i = 0; i < 4; i++)
    body[4 + i] = (uint8_t) (len >> (8 * i));   /* little-endian, as wire.c's */
  memcpy (body + 8, text, len);
  size_t flen = ward_wire_frame_into (frame, sizeof frame, WARD_F_EXIT, body, 8 + len);
  if (flen > 0)
    send (ward_remote_chan, frame, flen, MSG_NOSIGNAL);
  /* the default action ends the child as the signal; failing that (the
   * handler would run again), it ends with the shell's status for it */
  if (signal (sig, SIG_DFL) == SIG_ERR)
    _exit (128 + sig);
  raise (sig);
}

static struct {
  ward_proc *actor;
  pthread_mutex_t lock;
  pthread_cond_t cond;
  int ended;
  int ending;                   /* the actor is ending: no DROP goes before EXIT */
  int detached;                 /* DETACHED came: the runtime's end is not ours */
} ward_remote_child = { .lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER };

/* Frames to the runtime are written by the actor's thread (its calls, its DROPs)
 * and at its end (ward_remote_exited): one at a time. */
pthread_mutex_t ward_remote_tx_lock = PTHREAD_MUTEX_INITIALIZER;

/* The channel closed (or failed) under a detached actor: the run has ended
 * without it (Emilua's detach: "allowed to outlive the calling process").
 * It goes on with what it has -- its Lua state, its descriptors, its
 * timers, its standard streams -- and nothing of the runtime: its end of
 * the channel is shut, no channel names it any more (its inbox gives what
 * is queued, then "channel closed"), and every call to the runtime fails
 * (ward_remote_call). */
static void
runtime_gone (void)
{
  atomic_store (&ward_remote_gone, 1);
  (void) shutdown (ward_remote_chan, SHUT_RDWR);
  ward_lock (&ward_remote_child.actor->lock, WARD_LOCK_PROC);
  ward_remote_child.actor->vm_senders = 0;
  ward_unlock (&ward_remote_child.actor->lock);
  ward_proc_wake (ward_remote_child.actor);   /* a call or a receive waiting sees it */
}

/* Frames from the runtime: messages into the actor's mailbox, replies to
 * its port for them. Anything wrong with the channel ends the actor. The
 * copies of channels in what it delivers are counted before the actor can
 * see them. They are taken by the worker that runs the actor, when it has
 * nothing to run and from ward_sched_nudge (the host's io, below): what
 * comes is run by the thread that took it. Under the compromised-child
 * harness, whose pace holds the taker up, a reader thread of their own
 * takes them instead (reader_main). */
static struct {
  ward_wire_rx rx;
  int done;                     /* nothing more is read from the channel */
  int wake;                     /* an eventfd: a push to the waiting worker */
  int64_t polled;               /* when ward_sched_nudge last looked (ns) */
} ward_remote_in = { .wake = -1 };

/* While the actor's worker takes frames, it must not wait to write a DROP
 * (rhandle.c), as a reader thread must not. */
_Thread_local int ward_remote_taking;

/* Take one frame from the channel (rx: blocking or not). 1: taken, go on;
 * 0: nothing more for now; -1: nothing more will be read (the actor was
 * told why, or has ended). */
static int
take_frame (ward_wire_rx *rx)
{
  ward_err err;
  const char *why = NULL;
  char buf[WARD_ERR_MSG_MAX + 64];
  int rc = ward_wire_read (ward_remote_chan, rx, &err);
  if (rc == 0)
    return 0;
  if (rc == 2 || rc < 0)
    {
      ward_lock (&ward_remote_child.lock, WARD_LOCK_CHILD);
      int detached = ward_remote_child.detached;
      ward_unlock (&ward_remote_child.lock);
      if (detached)
        {
          runtime_gone ();
          return -1;
        }
    }
  if (rc == 2)
    {
      ward_proc_kill (ward_remote_child.actor, "the runtime closed the channel");
      return -1;
    }
  if (rc < 0)
    {
      ward_proc_kill (ward_remote_child.actor, "channel to the runtime: %s", err.msg);
      return -1;
    }
  ward_msg *m = NULL;
  if (rx->type == WARD_F_MSG)
    {
      ward_wire_in in = { rx->body.data, rx->body.data + rx->body.len };
      m = ward_remote_msg_decode (&in, &err);
      if (m != NULL && ward_msg_take_fds (m, &rx->fds, &err) < 0)
        {
          ward_msg_free (m);
          m = NULL;
        }
      if (m != NULL)
        ward_remote_msg_granted (m);
    }
  else if (rx->type == WARD_F_SENDERS)
    {
      /* the runtime's count of the channels naming the actor */
      ward_wire_in in = { rx->body.data, rx->body.data + rx->body.len };
      uint32_t n;
      if (ward_wire_get_u32 (&in, &n, &err) < 0 || n > INT32_MAX)
        {
          ward_wire_rx_reset (rx);
          ward_proc_kill (ward_remote_child.actor,
                          "receiving from the runtime: malformed SENDERS frame");
          return -1;
        }
      ward_wire_rx_reset (rx);
      ward_lock (&ward_remote_child.actor->lock, WARD_LOCK_PROC);
      ward_remote_child.actor->vm_senders = (int) n;
      ward_unlock (&ward_remote_child.actor->lock);
      ward_proc_wake (ward_remote_child.actor);
      return 1;
    }
  else if (rx->type == WARD_F_DETACHED)
    {
      int empty = rx->body.len == 0 && rx->fds.n == 0;
      ward_wire_rx_reset (rx);
      if (!empty)
        {
          ward_proc_kill (ward_remote_child.actor,
                          "receiving from the runtime: malformed DETACHED frame");
          return -1;
        }
      ward_lock (&ward_remote_child.lock, WARD_LOCK_CHILD);
      ward_remote_child.detached = 1;
      ward_unlock (&ward_remote_child.lock);
      return 1;
    }
  else if (rx->type == WARD_F_REPLY)
    {
      m = ward_msg_new (WARD_MSG_WIRE, "", NULL, rx->body.data, rx->body.len);
      if (m == NULL)
        ward_err_set (&err, WARD_E_INTERNAL, ENOMEM, "receiving a reply");
      /* a result may carry descriptors (fs.open's, a granted stream's) */
      else if (rx->fds.n > 0 && ward_msg_take_fds (m, &rx->fds, &err) < 0)
        {
          ward_msg_free (m);
          m = NULL;
        }
      else
        ward_remote_msg_granted (m);
    }
  else
    ward_err_set (&err, WARD_E_INVALID, 0, "unexpected frame type %d", rx->type);
  ward_wire_rx_reset (rx);
  if (m == NULL || ward_deliver (ward_remote_child.actor, m, &err) < 0)
    {
      if (err.kind == WARD_E_NOT_FOUND)     /* the actor has ended */
        return -1;
      snprintf (buf, sizeof buf, "receiving from the runtime: %s", err.msg);
      why = buf;
      ward_proc_kill (ward_remote_child.actor, "%s", why);
      return -1;
    }
  return 1;
}

/* Take the frames the channel holds now (the actor's worker): every one,
 * or (one) the first only -- a wait that finds the channel readable
 * again takes the next, with no read that finds nothing. */
static void
take_frames (int one)
{
  if (ward_remote_in.done)
    return;
  ward_remote_taking = 1;
  int rc;
  while ((rc = take_frame (&ward_remote_in.rx)) == 1 && !one)
    ;
  ward_remote_taking = 0;
  if (rc < 0)
    ward_remote_in.done = 1;
}

/* The host's io: the worker, with nothing to run, waits for a frame or a
 * push from another thread (a timer's, say). */
static void
io_idle (void *ctx)
{
  (void) ctx;
  struct pollfd pf[2] = { { .fd = ward_remote_in.wake, .events = POLLIN },
                          { .fd = ward_remote_in.done ? -1 : ward_remote_chan,
                            .events = POLLIN } };
  if (poll (pf, 2, -1) < 0)
    return;
  if (pf[0].revents)
    {
      uint64_t v;
      if (read (ward_remote_in.wake, &v, sizeof v) < 0)
        { /* (another took it: awake anyway) */ }
    }
  if (pf[1].revents)
    take_frames (1);
}

static void
io_wake (void *ctx)
{
  (void) ctx;
  uint64_t one = 1;
  if (write (ward_remote_in.wake, &one, sizeof one) < 0)
    { /* the counter is full: the worker is awake anyway */ }
}

/* From ward_sched_nudge, while the actor runs on for long (a long slice,
 * a wait on a descriptor): what came meanwhile is taken into its mailbox,
 * at most once a millisecond, as a reader thread would. */
static void
io_poll (void *ctx)
{
  (void) ctx;
  int64_t now = ward_now_ns ();
  if (now - ward_remote_in.polled < 1000000)
    return;
  ward_remote_in.polled = now;
  take_frames (0);
}

/* The harness's reader thread (WARD_TEST_RAW_WIRE): frames are taken one
 * at a time, at the pace the harness sets. */
static void *
reader_main (void *unused)
{
  (void) unused;
  /* started before BOOT (a child built ahead has it ready): the frames
   * after BOOT are the actor's, once it exists */
  ward_lock (&ward_remote_child.lock, WARD_LOCK_CHILD);
  while (ward_remote_child.actor == NULL && !ward_remote_child.ended)
    pthread_cond_wait (&ward_remote_child.cond, &ward_remote_child.lock);
  int ended = ward_remote_child.ended;
  ward_unlock (&ward_remote_child.lock);
  if (ended)
    return NULL;
  ward_wire_rx rx;
  ward_wire_rx_init (&rx);
  for (;;)
    {
#ifdef WARD_TEST_HOOKS
      if (ward_remote_raw && rx.type == 0)
        ward_rawwire_pace ();
#endif
      if (take_frame (&rx) < 0)
        break;
    }
  ward_wire_rx_free (&rx);
  return NULL;
}

int
ward_remote_actor_done (void)
{
  ward_lock (&ward_remote_child.lock, WARD_LOCK_CHILD);
  int done = ward_remote_child.ended || ward_remote_child.ending || ward_remote_child.actor == NULL;
  ward_unlock (&ward_remote_child.lock);
  return done;
}

void
ward_remote_ending (void)
{
  ward_lock (&ward_remote_child.lock, WARD_LOCK_CHILD);
  ward_remote_child.ending = 1;
  ward_unlock (&ward_remote_child.lock);
}

void
ward_remote_exited (int abnormal, const uint8_t *result, size_t len, const char *error)
{
  wbuf b;
  wbuf_init (&b, 0);
  ward_err err;
  if (ward_wire_put_u32 (&b, (uint32_t) !!abnormal, &err) == 0
      && (abnormal ? ward_wire_put_str (&b, error, strlen (error), &err)
                   : ward_wire_put_str (&b, (const char *) result, len, &err)) == 0)
    {
      ward_lock (&ward_remote_tx_lock, WARD_LOCK_CHILD_TX);
      (void) ward_wire_send (ward_remote_chan, WARD_F_EXIT, b.data, b.len, &err);
      ward_unlock (&ward_remote_tx_lock);
    }
  wbuf_free (&b);
  ward_lock (&ward_remote_child.lock, WARD_LOCK_CHILD);
  ward_remote_child.ended = 1;
  pthread_cond_broadcast (&ward_remote_child.cond);
  ward_unlock (&ward_remote_child.lock);
}

/* The definitions the runtime sent (BOOT's, upgrades'), each kept for the
 * actor's life (ward_def_from_code never frees): found again by their
 * chunkname and code. */
typedef struct sent_def {
  struct sent_def *next;
  char *chunk;
  char *code;
  size_t len;
  const ward_def *def;
} sent_def;
static sent_def *sent_defs;

const ward_def *
ward_remote_def (const char *chunk, const char *code, size_t len, ward_err *err)
{
  for (sent_def *d = sent_defs; d; d = d->next)
    if (d->len == len && strcmp (d->chunk, chunk) == 0 && memcmp (d->code, code, len) == 0)
      return d->def;
  sent_def *d = calloc (1, sizeof *d);
  if (d == NULL || (d->chunk = strdup (chunk)) == NULL
      || (d->code = malloc (len ? len : 1)) == NULL)
    {
      if (d)
        free (d->chunk);
      free (d);
      ward_err_set (err, WARD_E_INTERNAL, ENOMEM, "keeping a definition");
      return NULL;
    }
  memcpy (d->code, code, len);
  d->len = len;
  if ((d->def = ward_def_from_code (chunk, code, len, err)) == NULL)
    {
      free (d->code);
      free (d->chunk);
      free (d);
      return NULL;
    }
  d->next = sent_defs;
  sent_defs = d;
  return d->def;
}

/* BOOT: the strings and limits of the actor. */
typedef struct boot {
  char pid[64], parent_pid[64], frame[64], host[128], def_id[300], chunk[600], actor[300];
  const char *source; size_t source_len;   /* the compiled definition */
  const char *args; size_t args_len;
  const char *context; size_t context_len;
  char *scope[64]; size_t nscope;
  int64_t mem_limit, mailbox_limit, instr_budget;
  uint32_t is_worker;
  uint32_t senders;             /* channels naming the actor; UINT32_MAX = not counted */
} boot;

static int
parse_boot (ward_wire_in *in, boot *b, ward_err *err)
{
  uint32_t nscope;
  if (ward_wire_get_cstr (in, b->pid, sizeof b->pid, err) < 0
      || ward_wire_get_cstr (in, b->parent_pid, sizeof b->parent_pid, err) < 0
      || ward_wire_get_cstr (in, b->frame, sizeof b->frame, err) < 0
      || ward_wire_get_cstr (in, b->host, sizeof b->host, err) < 0
      || ward_wire_get_cstr (in, b->def_id, sizeof b->def_id, err) < 0
      || ward_wire_get_cstr (in, b->chunk, sizeof b->chunk, err) < 0
      || ward_wire_get_cstr (in, b->actor, sizeof b->actor, err) < 0
      || ward_wire_get_str (in, &b->source, &b->source_len, err) < 0
      || ward_wire_get_str (in, &b->args, &b->args_len, err) < 0
      || ward_wire_get_str (in, &b->context, &b->context_len, err) < 0
      || ward_wire_get_u32 (in, &nscope, err) < 0)
    return -1;
  if (nscope > 64)
    return ward_err_set (err, WARD_E_INVALID, 0, "malformed boot frame: %u policies", nscope);
  for (b->nscope = 0; b->nscope < nscope; b->nscope++)
    {
      char name[256];
      if (ward_wire_get_cstr (in, name, sizeof name, err) < 0)
        return -1;
      if ((b->scope[b->nscope] = strdup (name)) == NULL)
        return ward_err_set (err, WARD_E_INTERNAL, ENOMEM, "reading the boot frame");
    }
  if (ward_wire_get_i64 (in, &b->mem_limit, err) < 0
      || ward_wire_get_i64 (in, &b->mailbox_limit, err) < 0
      || ward_wire_get_i64 (in, &b->instr_budget, err) < 0
      || ward_wire_get_u32 (in, &b->is_worker, err) < 0
      || ward_wire_get_u32 (in, &b->senders, err) < 0)
    return -1;
  if (b->mem_limit < (64 << 10) || b->mailbox_limit < 1 || b->instr_budget < 0)
    return ward_err_set (err, WARD_E_INVALID, 0, "malformed boot frame: bad limits");
  return 0;
}

/* A child built ahead of its spawn (a warm profile) has time before BOOT:
 * run the interpreter once, so that the pages of its code and of malloc's
 * arena are this process's before the actor needs them. Skipped when BOOT
 * is already waiting. */
static void
warm_up (int chan)
{
  struct pollfd pf = { .fd = chan, .events = POLLIN };
  if (poll (&pf, 1, 0) != 0)
    return;
  lua_State *L = luaL_newstate ();
  if (L == NULL)
    return;
  luaL_openlibs (L);
  if (luaL_dostring (L, "local t = {} for i = 1, 200 do t[i] = tostring(i) .. 'x' end "
                     "return { s = table.concat(t, ','), n = #t, t }") == LUA_OK)
    {
      /* and the codec, both ways, as a first message will */
      wbuf b;
      wbuf_init (&b, 0);
      ward_err err;
      int n;
      if (ward_codec_encode (L, -1, 1, &b, ward_codec_opts_rt (), &err) == 0)
        (void) ward_codec_decode (L, b.data, b.len, ward_codec_opts_rt (), &n, &err);
      wbuf_free (&b);
    }
  lua_close (L);
}

int
ward_remote_main (int chan)
{
  ward_remote_chan = chan;
  ward_err err;
  ward_wire_rx rx;
  ward_wire_rx_init (&rx);
  boot b;
  memset (&b, 0, sizeof b);
  ward_host *h = NULL;
  struct sigaction sa;
  memset (&sa, 0, sizeof sa);
  sa.sa_sigaction = on_sigsys;
  sa.sa_flags = SA_SIGINFO | SA_NODEFER;
  /* without the handler a trapped call still ends the child, but its
   * monitor would not learn which: the child does not start */
  if (sigaction (SIGSYS, &sa, NULL) < 0)
    {
      ward_err_set (&err, WARD_E_INTERNAL, errno, "the SIGSYS handler");
      goto fail;
    }

  /* Few threads, small stacks and one malloc arena: the address space
   * limit of the profile must hold the whole child. The runtime is made
   * before BOOT comes: a child built ahead (a warm profile) has it ready. */
  mallopt (M_ARENA_MAX, 1);
  pthread_attr_t attr;
  if (pthread_attr_init (&attr) == 0)
    {
      pthread_attr_setstacksize (&attr, 1u << 20);
      pthread_setattr_default_np (&attr);
      pthread_attr_destroy (&attr);
    }
  ward_cfg.root[0] = '\0';
  ward_cfg.threads = 1;
  ward_cfg.max_processes = 1;
  int threaded = 0;             /* frames taken by a reader thread of their own */
#ifdef WARD_TEST_HOOKS
  threaded = ward_remote_raw;
#endif
  pthread_t reader;
  int e = 0;
  if (ward_timers_start (&err) < 0 || (h = ward_host_create ("ward:subprocess", 1, &err)) == NULL)
    goto fail;
  if (threaded)
    {
      if ((e = pthread_create (&reader, NULL, reader_main, NULL)) != 0)
        {
          ward_err_set (&err, WARD_E_INTERNAL, e, "starting the channel reader");
          goto fail;
        }
      ward_remote_copies_reader (reader);  /* before the actor exists: rhandle.c send_drop */
    }
  else
    {
      ward_wire_rx_init (&ward_remote_in.rx);
      ward_remote_in.rx.nonblock = 1;
      if ((ward_remote_in.wake = eventfd (0, EFD_CLOEXEC | EFD_NONBLOCK)) < 0)
        {
          ward_err_set (&err, WARD_E_INTERNAL, errno, "the worker's wake-up eventfd");
          goto fail;
        }
    }

  if (wsb_child_waits ())
    warm_up (chan);
  int rc = ward_wire_read (chan, &rx, &err);
  if (rc != 1 || rx.type != WARD_F_BOOT)
    {
      if (rc == 1)
        ward_err_set (&err, WARD_E_INVALID, 0, "the first frame is not BOOT");
      else if (rc != -1)
        ward_err_set (&err, WARD_E_INVALID, 0, "the channel closed before BOOT");
      goto fail;
    }
  ward_wire_in in = { rx.body.data, rx.body.data + rx.body.len };
  if (parse_boot (&in, &b, &err) < 0)
    goto fail;
  /* the arguments' copies: the actor's first VM takes them over */
  ward_remote_copies_grant ((const uint8_t *) b.args, b.args_len);
  /* the context's copies stay held while the actor lives: it is decoded
   * anew in each VM (after an upgrade too), each decode counting its own
   * (process.context) */
  ward_remote_copies_grant ((const uint8_t *) b.context, b.context_len);
  snprintf (ward_cfg.main_path, sizeof ward_cfg.main_path, "%s", b.chunk);
  ward_cfg.mem_limit = (size_t) b.mem_limit;
  ward_cfg.mailbox_limit = (size_t) b.mailbox_limit;
  ward_cfg.instr_budget = (uint64_t) b.instr_budget;
  ward_remote_tracks_senders = b.senders != UINT32_MAX;

  const ward_def *def = ward_remote_def (b.chunk, b.source, b.source_len, &err);
  if (def == NULL)
    goto fail;
  ward_spawn_req req = { .def_id = b.def_id, .path = b.chunk, .def = def, .host = h,
                         .args = (const uint8_t *) b.args, .args_len = b.args_len,
                         .actor_id = b.actor, .scope = (const char *const *) b.scope,
                         .nscope = b.nscope, .set_scope = 1,
                         .context = (const uint8_t *) b.context,
                         .context_len = b.context_len, .set_context = b.context_len > 0,
                         .first = 1, .pid = b.pid, .parent_pid = b.parent_pid,
                         .frame = b.frame, .hold = 1, .is_worker = b.is_worker != 0,
                         .vm_senders = ward_remote_tracks_senders ? (int) b.senders : 0 };
  ward_proc *actor = ward_spawn (NULL, &req, &err);
  if (actor == NULL)
    goto fail;
#ifdef WARD_TEST_HOOKS
  /* the VM made now rather than at the first slice, to hold `wire` */
  if (ward_remote_raw
      && (ward_vm_boot (actor, &err) < 0 || ward_rawwire_install (actor->L, &err) < 0))
    goto fail;
#endif
  ward_wire_rx_free (&rx);
  ward_lock (&ward_remote_child.lock, WARD_LOCK_CHILD);
  ward_remote_child.actor = actor;
  pthread_cond_broadcast (&ward_remote_child.cond);   /* the reader takes over the channel */
  ward_unlock (&ward_remote_child.lock);
  if (!threaded)
    {
      /* the actor's worker takes the channel over */
      ward_host_io io = { .idle = io_idle, .wake = io_wake, .poll = io_poll };
      ward_host_set_io (h, &io);
    }
  ward_sched_push (actor);
  ward_lock (&ward_remote_child.lock, WARD_LOCK_CHILD);
  while (!ward_remote_child.ended)
    pthread_cond_wait (&ward_remote_child.cond, &ward_remote_child.lock);
  ward_unlock (&ward_remote_child.lock);
  return 0;

fail:
  ward_wire_rx_free (&rx);
  {
    /* Tell the runtime why, as the actor's end. */
    char msg[WARD_ERR_MSG_MAX + 32];
    snprintf (msg, sizeof msg, "subprocess start: %s", err.msg);
    ward_remote_exited (1, NULL, 0, msg);
  }
  return 1;
}

/* ---- calls forwarded to the runtime ---- */

int
ward_remote_take_reply (ward_proc *p, ward_remote_reply *r)
{
  ward_msg *m = ward_port_pop (p, WARD_PORT_WIRE);
  if (m == NULL)
    return 0;
  ward_remote_call_done (0);    /* answered: the stand-in has its own copies */
  ward_remote_try_drops ();
  ward_msg_hold (p, m);
  ward_wire_in in = { m->data, m->data + m->len };
  ward_err err;
  if (ward_wire_get_u32 (&in, &r->st, &err) < 0 || ward_wire_get_str (&in, &r->a, &r->alen, &err) < 0
      || ward_wire_get_str (&in, &r->b, &r->blen, &err) < 0)
    {
      ward_msg_release (p);
      return -1;
    }
  return 1;
}

/* A call to the runtime, which has gone (runtime_gone): require raises, as
 * a refusal does (it must not open what was never asked); every other
 * call gives nil and an UNAVAILABLE error. */
static int
gone (lua_State *L, const char *op)
{
  lua_settop (L, 0);
  if (strcmp (op, "require") == 0)
    return luaL_error (L, "require: the runtime has ended (this actor was detached "
                       "and outlived the run)");
  return ward_push_error (L, WARD_E_UNAVAILABLE, "%s: the runtime has ended (this actor "
                          "was detached and outlived the run)", op);
}

static int
call_k (lua_State *L, int status, lua_KContext ctx)
{
  (void) status;
  ward_vm_check_killed (L);
  ward_proc *p = ward_current ();
  ward_remote_reply rep;
  int got = ward_remote_take_reply (p, &rep);
  if (got == 0 && atomic_load (&ward_remote_gone))
    return gone (L, (const char *) ctx);
  if (got == 0)
    return ward_vm_block (L, ctx, call_k);
  lua_settop (L, 0);
  if (got < 0 || rep.st > 2)
    {
      if (got > 0)
        ward_msg_release (p);
      ward_proc_kill (p, "malformed reply from the runtime");
      ward_vm_check_killed (L);
      return 0;
    }
  ward_err err;
  const char *a = rep.a, *bm = rep.b;
  size_t alen = rep.alen, blen = rep.blen;
  uint32_t st = rep.st;
  if (st == 0)
    {
      int n = 0;
      p->receiving->handles = 0;        /* the channels made take its copies over */
      ward_codec_opts o = *ward_codec_opts_rt ();
      o.fds = p->receiving->fds;        /* what came with the reply; the rest closes with it */
      int rc = ward_codec_decode (L, (const uint8_t *) a, alen, &o, &n, &err);
      ward_msg_release (p);
      if (rc < 0)
        return luaL_error (L, "reply from the runtime: %s", err.msg);
      return n;
    }
  /* 1: nil and an error of kind a; 2: raised with message b */
  ward_kind kind = WARD_E_INTERNAL;
  for (int k = WARD_E_INVALID; k <= WARD_E_INTERNAL; k++)
    if (strlen (ward_kind_name ((ward_kind) k)) == alen
        && memcmp (ward_kind_name ((ward_kind) k), a, alen) == 0)
      kind = (ward_kind) k;
  lua_pushlstring (L, bm, blen);
  ward_msg_release (p);
  if (st == 2)
    return lua_error (L);
  return ward_push_error (L, kind, "%s", lua_tostring (L, -1));
}

int
ward_remote_call (lua_State *L, const char *op)
{
  ward_vm_check_killed (L);
  if (atomic_load (&ward_remote_gone))
    return gone (L, op);
  if (!lua_isyieldable (L))
    return ward_push_error (L, WARD_E_INVALID, "%s cannot wait for the runtime here (inside "
                            "a metamethod or C callback that cannot yield)", op);
  ward_err err;
  wbuf args, b;
  wbuf_init (&args, 0);
  wbuf_init (&b, 0);
  int n = lua_gettop (L);
  /* descriptors travel with the call: the runtime's send dups them on */
  ward_fdvec fds = { 0 };
  ward_codec_opts o = *ward_codec_opts_rt ();
  o.fds = &fds;
  /* errors name values as the same call made in the runtime would */
  o.payload_from = strcmp (op, "send") == 0 ? 3 : strcmp (op, "vmchan.send") == 0 ? 2 : 0;
  int rc = ward_codec_encode (L, 1, n, &args, &o, &err);
  if (rc == 0)
    rc = ward_wire_put_str (&b, op, strlen (op), &err);
  if (rc == 0)
    rc = ward_wire_put_str (&b, (const char *) args.data, args.len, &err);
  int held = 0;
  if (rc == 0 && (rc = ward_remote_call_holds (args.data, args.len)) < 0)
    ward_err_set (&err, WARD_E_INTERNAL, ENOMEM, "%s: out of memory", op);
  else if (rc == 0)
    held = 1;
  if (rc == 0)
    {
      ward_remote_flush_drops ();   /* what waits goes first */
      ward_lock (&ward_remote_tx_lock, WARD_LOCK_CHILD_TX);
      rc = ward_wire_send_fds (ward_remote_chan, WARD_F_CALL, b.data, b.len, &fds, &err);
      ward_unlock (&ward_remote_tx_lock);
    }
  if (rc < 0 && held)
    ward_remote_call_done (1);  /* not sent: no reply will come */
  ward_fdvec_close (&fds);
  wbuf_free (&args);
  wbuf_free (&b);
  if (rc < 0 && atomic_load (&ward_remote_gone))
    return gone (L, op);
  if (rc < 0)
    return ward_push_err (L, &err);
  /* op is a literal: it outlives the wait */
  return ward_vm_block (L, (lua_KContext) op, call_k);
}

/* ward_remote_callk's function: op is its upvalue, which outlives the wait
 * (the closure is on the stack until the call returns). */
static int
call_op (lua_State *L)
{
  return ward_remote_call (L, lua_tostring (L, lua_upvalueindex (1)));
}

int
ward_remote_call_fd (lua_State *L, const char *op)
{
  int probe = fcntl (ward_remote_chan, F_DUPFD_CLOEXEC, 0);
  if (probe < 0)
    return ward_push_error (L, WARD_E_UNAVAILABLE, "%s: no descriptor left in this "
                            "process (%s)", op, strerror (errno));
  close (probe);
  return ward_remote_call (L, op);
}

void
ward_remote_proxies (lua_State *L, const char *module, const luaL_Reg *fns, lua_CFunction f)
{
  for (; fns->name; fns++)
    {
      lua_pushfstring (L, "%s.%s", module, fns->name);
      lua_pushcclosure (L, f, 1);
      lua_setfield (L, -2, fns->name);
    }
}

int
ward_remote_callk (lua_State *L, const char *op, int nargs, int nres, lua_KContext ctx,
                   lua_KFunction k)
{
  lua_pushstring (L, op);
  lua_pushcclosure (L, call_op, 1);
  lua_insert (L, -(nargs + 1));
  lua_callk (L, nargs, nres, ctx, k);
  return k (L, LUA_OK, ctx);
}
