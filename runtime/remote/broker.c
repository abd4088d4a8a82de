/* broker.c -- the runtime side of subprocess actors (remote.h): sandboxed
 * hosts, the child made for each spawn on them and its life (BOOT, what
 * spawn_vm's channel does to it, its end). The reader thread that watches
 * every child's channel is breader.c; the handles a child holds,
 * bhandle.c; the stand-in's Lua module, which forwards and performs,
 * bproxy.c. */
#include "config.h"
#include "broker.h"
#include "vm.h"
#include "codec.h"
#include "fdvec.h"
#include "sandbox.h"
#include "wfault.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
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
  char profile[WARD_PROFILE_NAME_MAX];
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
  ward_lock (&ward_broker_rd.lock, WARD_LOCK_BROKER);
  int rc = ward_broker_start_reader (err);
  if (rc == 0)
    {
      r->next = ward_broker_rd.list;
      ward_broker_rd.list = r;
    }
  ward_unlock (&ward_broker_rd.lock);
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
      return ward_fd_std (i);
    case WARD_STDIO_NULL:
      return -1;
    case WARD_STDIO_DEFAULT:
      break;
    }
  return i == STDIN_FILENO ? -1 : ward_fd_std (i);
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
  ward_lock (&ward_broker_rd.lock, WARD_LOCK_BROKER);
  for (ward_remote *r = ward_broker_rd.list; r; r = r->next)
    mine += r->sh == NULL && r->owner == caller->serial;
  ward_unlock (&ward_broker_rd.lock);
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
  ward_lock (&ward_broker_rd.lock, WARD_LOCK_BROKER);
  r->proxy = proxy;
  ward_proc_ref (proxy);
  ward_unlock (&ward_broker_rd.lock);
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

/* Add ns to what r's child cost the runtime: 1 when that passes its limit
 * now (once), so that the caller ends it. */
static int
charge_cpu (ward_remote *r, int64_t ns)
{
  int64_t used = atomic_fetch_add (&r->cpu_used_ns, ns) + ns;
  return r->cpu_limit_ns != 0 && used > r->cpu_limit_ns
         && atomic_exchange (&r->cpu_spent, 1) == 0;
}

/* With the reader's lock: r's child cost the runtime its CPU limit. */
static void
end_cpu_spent (ward_remote *r)
{
  snprintf (r->own_why, sizeof r->own_why, "ended: the runtime spent its CPU limit "
            "(%lld ms) on its calls", (long long) (r->cpu_limit_ns / 1000000));
  ward_broker_stop_polling (r);
  ward_broker_end_audited (r, WARD_ACTION (LIMIT_CPU), r->own_why);
}

void
ward_broker_charge_cpu (ward_proc *proxy, int64_t ns)
{
  ward_remote *r = proxy->remote;
  if (!charge_cpu (r, ns))
    return;
  ward_lock (&ward_broker_rd.lock, WARD_LOCK_BROKER);
  end_cpu_spent (r);
  ward_unlock (&ward_broker_rd.lock);
}

void
ward_broker_charge_cpu_locked (ward_remote *r, int64_t ns)
{
  if (charge_cpu (r, ns))
    end_cpu_spent (r);
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

/* The remote of the stand-in `pid`, with the reader's lock held; NULL (unlocked, err
 * set) when there is none. */
static ward_remote *
find_remote (const char *pid, ward_err *err)
{
  ward_lock (&ward_broker_rd.lock, WARD_LOCK_BROKER);
  for (ward_remote *r = ward_broker_rd.list; r; r = r->next)
    if (r->proxy && strcmp (r->proxy->pid, pid) == 0)
      return r;
  ward_unlock (&ward_broker_rd.lock);
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
  ward_unlock (&ward_broker_rd.lock);
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
  ward_unlock (&ward_broker_rd.lock);
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
  ward_unlock (&ward_broker_rd.lock);
  return rc;
}

long
ward_broker_child_pid (const char *pid, ward_err *err)
{
  ward_remote *r = find_remote (pid, err);
  if (r == NULL)
    return -1;
  long v = r->child.pid;
  ward_unlock (&ward_broker_rd.lock);
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
  ward_unlock (&ward_broker_rd.lock);
  return v;
}

static void
unlist (ward_remote *r)
{
  ward_lock (&ward_broker_rd.lock, WARD_LOCK_BROKER);
  for (ward_remote **pp = &ward_broker_rd.list; *pp; pp = &(*pp)->next)
    if (*pp == r)
      {
        *pp = r->next;
        break;
      }
  ward_broker_stop_polling (r);
  if (r->rx_counted)
    {
      /* room for the frames that wait: the reader looks again */
      ward_broker_rd.rx_total -= r->rx_counted;
      r->rx_counted = 0;
      ward_broker_wake_reader ();
    }
  if (r->out_watched)
    (void) epoll_ctl (ward_broker_rd.ep, EPOLL_CTL_DEL, r->out_fd, NULL);  /* as stop_polling */
  r->out_watched = 0;
  ward_broker_kill_child (r);
  if (r->proxy)
    ward_proc_unref (r->proxy);
  r->proxy = NULL;
  ward_unlock (&ward_broker_rd.lock);
}

void
ward_broker_abort (ward_remote *r)
{
  if (r == NULL)
    return;
  unlist (r);
  if (r->detached && !r->ended && r->child.chan >= 0)
    ward_broker_flush_detached (r);
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
ward_broker_channel_broken_locked (ward_remote *r, const ward_err *err)
{
  /* the reader's reason, when it ended the child first, is the one told */
  if (r->own_why[0] == '\0' && !r->broken)
    snprintf (r->own_why, sizeof r->own_why, "ended: %s", err->msg);
  ward_broker_kill_child (r);
}

void
ward_broker_channel_broken (ward_remote *r, const ward_err *err)
{
  ward_lock (&ward_broker_rd.lock, WARD_LOCK_BROKER);
  ward_broker_channel_broken_locked (r, err);
  ward_unlock (&ward_broker_rd.lock);
}

/* The channels naming the stand-in as the child counts them: UINT32_MAX
 * for the run's first process, which no channel names; else 0 or 1 (the
 * child needs only whether any remains). Remembered as told. */
unsigned
ward_broker_senders_peek (ward_proc *p)
{
  ward_lock (&p->lock, WARD_LOCK_PROC);
  unsigned n = p->vm_senders > 0;
  ward_unlock (&p->lock);
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
  ward_proc_free_copy (p, p->args);
  p->args = NULL;
  p->args_len = 0;
  if (rc == 0)
    {
      ward_lock (&ward_broker_rd.lock, WARD_LOCK_BROKER);
      struct epoll_event ev = { .events = EPOLLIN | EPOLLONESHOT, .data.ptr = r };
      /* (the reader may stop polling as soon as the lock is released: a
       * child that breaks the protocol at once) */
      if (!wfault_at ("broker.watch")
          && epoll_ctl (ward_broker_rd.ep, EPOLL_CTL_ADD, r->child.chan, &ev) == 0)
        r->polling = 1;
      else
        {
          /* unwatched, the child would wait for answers for ever */
          rc = ward_err_set (&err, WARD_E_INTERNAL, errno, "watching the channel");
          ward_broker_kill_child (r);
        }
      ward_unlock (&ward_broker_rd.lock);
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
  ward_lock (&r->tx_lock, WARD_LOCK_STANDIN_TX);
  int rc = r->tx.head == NULL && !r->tx_ended && ward_remote_msg_encode (m, &b, &err) == 0
           && ward_wire_send_now (r->child.chan, WARD_F_MSG, b.data, b.len, m->fds, &err) == 0
           ? 0 : -1;
  ward_unlock (&r->tx_lock);
  wbuf_free (&b);
  if (rc < 0)
    ward_broker_ungrant_msg (r, m);
  return rc;
}

/* Watch r's channel again after a frame was taken (ward_broker_rewatch, with the
 * reader's lock). */
void
ward_broker_rearm_locked (ward_remote *r)
{
  /* With TX_LIMIT waiting for the child, its next call is not read until
   * it has read some (the reader rewatches it): a child that sends calls and
   * reads their replies slowly cannot grow its queue without bound. */
  ward_lock (&r->tx_lock, WARD_LOCK_STANDIN_TX);
  int full = r->tx.bytes >= TX_LIMIT && !r->tx_ended;
  ward_unlock (&r->tx_lock);
  if (full)
    r->rearm_on_room = 1;
  else
    ward_broker_rewatch (r);
}

void
ward_broker_rearm (ward_remote *r)
{
  ward_lock (&ward_broker_rd.lock, WARD_LOCK_BROKER);
  ward_broker_rearm_locked (r);
  ward_unlock (&ward_broker_rd.lock);
}
