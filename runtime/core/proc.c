/* proc.c -- processes: the PID table, spawn, running a slice, exit, kill.
 * A process's VM is created on its own host's worker at its first slice. */
#include "config.h"
#include "rt.h"
#include "wgrow.h"
#include "remote.h"
#include "vm.h"
#include "codec.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <lauxlib.h>

/* (main.c sets the rest from the command line; these hold without it) */
ward_config ward_cfg = { .sandbox_children = 16, .sandbox_processes = 256, .sandbox_fds = 64,
                         .mailbox_fds = 256, .fd_reserve = 64 };

/* ---- the table of live processes, by serial ----
 * Chained through the processes themselves (ward_proc table_next), with as
 * many chains as live processes at least: doubled when they outnumber
 * them, so that a look-up walks one process or two at a million live as at
 * a thousand. Serials are handed out in order, so serial & (n - 1) spreads
 * them evenly. */
#define FIRST_CHAINS 4096
static struct {
  pthread_rwlock_t lock;
  atomic_uint_fast64_t serial;
  ward_proc **chains;           /* nchains (a power of two), under lock */
  size_t nchains, entries;
  /* Live processes: counted without a lock; live_lock is taken only to
   * wait for none, and by the one that ends the last (to wake waiters:
   * a waiter reads the count under the lock, so the wake cannot fall
   * between its read and its wait). */
  atomic_size_t live;
  pthread_mutex_t live_lock;
  pthread_cond_t none_left;
  atomic_int ending;            /* no process may start (written under lock) */
} ward_pid_table = { .lock = PTHREAD_RWLOCK_INITIALIZER, .live_lock = PTHREAD_MUTEX_INITIALIZER,
            .none_left = PTHREAD_COND_INITIALIZER };

static ward_proc **
chain_of (uint64_t serial)
{
  return &ward_pid_table.chains[serial & (ward_pid_table.nchains - 1)];
}

/* Room for one more entry, with the table's lock held for writing: -1 when
 * out of memory (only when there is no table yet: a full one still takes
 * entries, in longer chains). */
static int
table_room (void)
{
  return WARD_CHAINS_ROOM (ward_pid_table.chains, ward_pid_table.nchains,
                           ward_pid_table.entries, FIRST_CHAINS, table_next, serial);
}

static int
refuse_ending (ward_err *err)
{
  return ward_err_set (err, WARD_E_UNAVAILABLE, 0, WARD_RUN_ENDING_MSG);
}

/* Enter p into the table, unless the run is ending: the flag is read under
 * the same lock ward_proc_kill_all sets it under, so a process is either
 * in the table when every process is ended, or never starts. */
static int
table_insert (ward_proc *p, ward_err *err)
{
  ward_wrlock (&ward_pid_table.lock, WARD_LOCK_TABLE);
  int ending = ward_pid_table.ending, room = ending ? 0 : table_room ();
  if (!ending && room == 0)
    {
      ward_proc **c = chain_of (p->serial);
      p->table_next = *c;
      *c = p;
      ward_pid_table.entries++;
    }
  ward_rwunlock (&ward_pid_table.lock);
  if (ending || room < 0)
    return ending ? refuse_ending (err)
                  : ward_err_set (err, WARD_E_INTERNAL, ENOMEM, "spawning");
  atomic_fetch_add (&ward_pid_table.live, 1);
  return 0;
}

/* (read without the lock: table_insert reads it again under it) */
int
ward_run_ending (void)
{
  return atomic_load (&ward_pid_table.ending);
}

static void
table_remove (ward_proc *p)
{
  ward_wrlock (&ward_pid_table.lock, WARD_LOCK_TABLE);
  for (ward_proc **pp = ward_pid_table.nchains ? chain_of (p->serial) : NULL; pp && *pp;
       pp = &(*pp)->table_next)
    if (*pp == p)
      {
        *pp = p->table_next;
        p->table_next = NULL;
        ward_pid_table.entries--;
        break;
      }
  ward_rwunlock (&ward_pid_table.lock);
  if (atomic_fetch_sub (&ward_pid_table.live, 1) == 1)
    {
      ward_lock (&ward_pid_table.live_lock, WARD_LOCK_LIVE);
      pthread_cond_broadcast (&ward_pid_table.none_left);
      ward_unlock (&ward_pid_table.live_lock);
    }
}

ward_proc *
ward_proc_by_serial (uint64_t serial)
{
  ward_proc *found = NULL;
  ward_rdlock (&ward_pid_table.lock, WARD_LOCK_TABLE);
  for (ward_proc *p = ward_pid_table.nchains ? *chain_of (serial) : NULL; p; p = p->table_next)
    if (p->serial == serial)
      {
        found = p;
        ward_proc_ref (found);
        break;
      }
  ward_rwunlock (&ward_pid_table.lock);
  return found;
}

/* "{host|0x1f}" -> serial, checking the host part. */
ward_proc *
ward_proc_get (const char *pid)
{
  const char *bar = strrchr (pid, '|');
  size_t len = strlen (pid);
  if (pid[0] != '{' || bar == NULL || len < 6 || pid[len - 1] != '}' || strncmp (bar, "|0x", 3))
    return NULL;
  char *end;
  errno = 0;
  uint64_t serial = strtoull (bar + 3, &end, 16);
  if (errno || end != pid + len - 1)
    return NULL;
  ward_proc *p = ward_proc_by_serial (serial);
  if (p && strcmp (p->pid, pid) != 0)
    {
      ward_proc_unref (p);
      return NULL;
    }
  return p;
}

ward_proc *
ward_resolve (const char *dest, ward_err *err)
{
  if (dest[0] == '\0')
    {
      ward_err_set (err, WARD_E_INVALID, 0, "empty destination");
      return NULL;
    }
  if (dest[0] == '{')
    {
      ward_proc *p = ward_proc_get (dest);
      if (p == NULL)
        ward_err_set (err, WARD_E_NOT_FOUND, 0,
                      "process %s not found (it has exited or never existed)", dest);
      return p;
    }
  char pid[64];
  if (ward_registry_lookup (dest, pid, sizeof pid) < 0)
    {
      ward_err_set (err, WARD_E_NOT_FOUND, 0,
                    "name `%s` not found (no process is registered under it)", dest);
      return NULL;
    }
  ward_proc *p = ward_proc_get (pid);
  if (p == NULL)
    ward_err_set (err, WARD_E_NOT_FOUND, 0,
                  "name `%s` not found (no process is registered under it)", dest);
  return p;
}

size_t
ward_proc_count (void)
{
  return atomic_load (&ward_pid_table.live);
}

void
ward_wait_all_exited (void)
{
  ward_lock (&ward_pid_table.live_lock, WARD_LOCK_LIVE);
  while (atomic_load (&ward_pid_table.live) > 0)
    pthread_cond_wait (&ward_pid_table.none_left, &ward_pid_table.live_lock);
  ward_unlock (&ward_pid_table.live_lock);
}

/* Up to max processes of the table not yet killed, each with a reference
 * (table lock held): how many. The walk stops once it has seen every
 * entry. */
static size_t
take_unkilled_locked (ward_proc **out, size_t max)
{
  size_t n = 0, seen = 0, all = ward_pid_table.entries;
  for (size_t b = 0; b < ward_pid_table.nchains && seen < all && n < max; b++)
    for (ward_proc *p = ward_pid_table.chains[b]; p && n < max; p = p->table_next)
      {
        seen++;
        if (!atomic_load (&p->killed))
          {
            ward_proc_ref (p);
            out[n++] = p;
          }
      }
  return n;
}

void
ward_proc_kill_all (const char *why)
{
  /* From here on no process may start: a chain of processes, each
   * spawning its successor, would otherwise outrun the kills below. */
  ward_wrlock (&ward_pid_table.lock, WARD_LOCK_TABLE);
  ward_pid_table.ending = 1;
  size_t cap = ward_pid_table.entries;
  /* all of them at once; without the memory for that, a few at a time
   * (each round walks the table again: slow, but every process ends) */
  ward_proc *few[256], **all = cap > 256 ? malloc (cap * sizeof *all) : NULL;
  if (all == NULL)
    cap = 256;
  for (;;)
    {
      size_t n = take_unkilled_locked (all ? all : few, cap);
      ward_rwunlock (&ward_pid_table.lock);
      for (size_t i = 0; i < n; i++)
        {
          ward_proc_kill ((all ? all : few)[i], "%s", why);
          ward_proc_unref ((all ? all : few)[i]);
        }
      if (all != NULL || n < cap)
        break;
      ward_rdlock (&ward_pid_table.lock, WARD_LOCK_TABLE);
    }
  free (all);
}

/* ---- reference counting ---- */
void
ward_proc_ref (ward_proc *p)
{
  atomic_fetch_add_explicit (&p->refs, 1, memory_order_relaxed);
}

/* ---- process blocks ----
 * A process is one block: its struct, then PROC_INLINE bytes where its
 * short copies go (ward_proc_free_copy). Blocks of ended processes are
 * kept, up to PROC_POOL_MAX, for the next spawns: a process is mostly
 * spawned on one worker and freed on another, and malloc's memory handed
 * between threads so has each take the other's arena lock (futex waits
 * on both sides, at every spawn). A block is zeroed whole as it is taken
 * again: nothing of the process before is left in it.
 *
 * The pool is a stack: pushed without a lock (compare-and-swap), popped
 * by one thread at a time (pop_lock) -- with one popper, the block at the
 * top cannot leave and come back between its read and the swap. */
/* (a path of some 60 bytes, its id, the actor and a few arguments: the
 * block is then no larger than the struct and the separate copies it
 * replaces, so an idle process costs no more; longer copies are malloc'd) */
#define PROC_INLINE 128
#define PROC_BLOCK (sizeof (ward_proc) + PROC_INLINE)
#define PROC_POOL_MAX 1024

static struct {
  _Atomic (ward_proc *) top;          /* linked through table_next */
  atomic_size_t n;
  pthread_mutex_t pop_lock;
} ward_proc_pool = { .pop_lock = PTHREAD_MUTEX_INITIALIZER };

static inline char *
proc_inline (ward_proc *p)
{
  return (char *) (p + 1);
}

static ward_proc *
proc_block_new (void)
{
  ward_proc *p = NULL;
  if (atomic_load_explicit (&ward_proc_pool.top, memory_order_relaxed) != NULL)
    {
      ward_lock (&ward_proc_pool.pop_lock, WARD_LOCK_PROCPOOL);
      p = atomic_load_explicit (&ward_proc_pool.top, memory_order_acquire);
      while (p != NULL
             && !atomic_compare_exchange_weak_explicit (&ward_proc_pool.top, &p, p->table_next,
                                                        memory_order_acquire,
                                                        memory_order_acquire))
        ;
      ward_unlock (&ward_proc_pool.pop_lock);
      if (p != NULL)
        {
          atomic_fetch_sub_explicit (&ward_proc_pool.n, 1, memory_order_relaxed);
          memset (p, 0, PROC_BLOCK);
          return p;
        }
    }
  return calloc (1, PROC_BLOCK);
}

static void
proc_block_free (ward_proc *p)
{
  if (atomic_fetch_add_explicit (&ward_proc_pool.n, 1, memory_order_relaxed) >= PROC_POOL_MAX)
    {
      atomic_fetch_sub_explicit (&ward_proc_pool.n, 1, memory_order_relaxed);
      free (p);
      return;
    }
  ward_proc *top = atomic_load_explicit (&ward_proc_pool.top, memory_order_relaxed);
  do
    p->table_next = top;
  while (!atomic_compare_exchange_weak_explicit (&ward_proc_pool.top, &top, p,
                                                 memory_order_release, memory_order_relaxed));
}

/* A copy of len bytes of src for p (a NUL after them): in its block while
 * there is room (*used bytes of it are taken: a multiple of 16, at most
 * PROC_INLINE), else malloc'd. */
static void *
proc_copy (ward_proc *p, size_t *used, const void *src, size_t len)
{
  void *d;
  if (len < PROC_INLINE - *used)
    {
      d = proc_inline (p) + *used;
      *used += (len + 1 + 15) & ~(size_t) 15;      /* (aligned as malloc's) */
    }
  else if ((d = malloc (len + 1)) == NULL)
    return NULL;
  memcpy (d, src, len);
  ((char *) d)[len] = '\0';
  return d;
}

void
ward_proc_free_copy (ward_proc *p, void *copy)
{
  char *c = copy;
  if (c < proc_inline (p) || c >= proc_inline (p) + PROC_INLINE)
    free (copy);
}

static void
proc_free (ward_proc *p)
{
  ward_mailbox_free (p);
  ward_msg_free (p->receiving);
  if (p->last_target)
    ward_proc_unref (p->last_target);
  ward_fdtally_unref (p->fd_tally);
  ward_proc_free_copy (p, p->actor_id);
  for (size_t i = 0; i < p->nscope; i++)
    free (p->scope[i]);
  free (p->scope);
  if (p->context && ward_remote_chan < 0)
    ward_vmchan_adjust_values (p->context, p->context_len, -1);
  ward_proc_free_copy (p, p->context);
  ward_proc_free_copy (p, p->def_id);
  ward_proc_free_copy (p, p->def_path);
  ward_proc_free_copy (p, p->args);
  free (p->monitors.v);
  free (p->monitoring.v);
  free (p->links.v);
  /* (its names went with ward_topology_exit, or it never had any) */
  pthread_mutex_destroy (&p->lock);
  ward_host *h = p->host;
  proc_block_free (p);
  ward_host_drop (h);         /* a context's last process ends its threads */
}

void
ward_proc_unref (ward_proc *p)
{
  if (atomic_fetch_sub_explicit (&p->refs, 1, memory_order_acq_rel) == 1)
    proc_free (p);
}

/* ---- the gate ---- */
void
ward_proc_gate_view (const ward_proc *p, const ward_proc *target, ward_actor *actor,
                     ward_attrs *attrs)
{
  *actor = (ward_actor) { .id = p->actor_id, .scope = (const char *const *) p->scope,
                          .nscope = p->nscope };
  *attrs = (ward_attrs) { .pid = p->pid, .host = ward_host_name (p->host),
                          .parent = ward_parent_attr (p) };
  if (target)
    {
      attrs->target_actor = target->actor_id;
      attrs->target_host = ward_host_name (target->host);
      attrs->target_parent = ward_parent_attr (target);
    }
}

void
ward_proc_audit_limit (const ward_proc *p, const char *action, const char *resource)
{
  ward_actor actor = { 0 };
  ward_attrs attrs = { 0 };
  if (p)
    ward_proc_gate_view (p, NULL, &actor, &attrs);
  ward_audit_limit (&actor, action, resource, &attrs);
}

/* target.names for a request on target: the names it holds, or left
 * unset (NULL) out of memory, so that a rule reading them fails closed.
 * Returns the block to free. */
char **
ward_proc_target_names (ward_proc *target, ward_attrs *attrs)
{
  static const char *const none[1] = { NULL };
  char **names;
  size_t n;
  /* A thread acting for a process (the broker's reader) holds a lock that
   * ranks after the registry's: it hands sends to named processes to the
   * stand-in, and one named meanwhile is judged with target.names unset
   * (a rule that reads them fails closed). */
  if (ward_sched_acting () && atomic_load (&target->nnames) > 0)
    return NULL;
  if (ward_registry_names_of (target, &names, &n) < 0)
    return NULL;
  attrs->target_names = names ? (const char *const *) names : none;
  attrs->ntarget_names = n;
  return names;
}

static int
authorize (ward_proc *p, const char *const *pairs, int n, ward_proc *target,
           const ward_attrs *extra, ward_err *err)
{
  ward_actor actor;
  ward_attrs attrs;
  ward_proc_gate_view (p, target, &actor, &attrs);
  if (extra)
    {
      attrs.path = extra->path;
      attrs.address = extra->address;
    }
  char **names = target ? ward_proc_target_names (target, &attrs) : NULL;
  int denied = -1;
  for (int i = 0; i < n; i++)
    if (ward_authorize (&actor, pairs[2 * i], pairs[2 * i + 1], &attrs) != WARD_ALLOW
        && denied < 0)
      denied = i;
  free (names);
  if (denied >= 0)
    /* (the resource at most as long as the message: formatting one of
     * megabytes would cost the denied caller time for nothing shown) */
    return ward_err_set (err, WARD_E_PERMISSION_DENIED, 0,
                         "permission denied: %s on %.*s (actor %s%s)", pairs[2 * denied],
                         (int) strnlen (pairs[2 * denied + 1], WARD_ERR_MSG_MAX),
                         pairs[2 * denied + 1], p->actor_id,
                         ward_actor_declared (&actor) ? "" : " is not declared");
  return 0;
}

int
ward_proc_authorize (ward_proc *p, const char *const *pairs, int n, ward_proc *target,
                     ward_err *err)
{
  return authorize (p, pairs, n, target, NULL, err);
}

int
ward_proc_authorize_with (ward_proc *p, const char *const *pairs, int n, const ward_attrs *extra,
                          ward_err *err)
{
  return authorize (p, pairs, n, NULL, extra, err);
}

int
ward_proc_authorize1 (ward_proc *p, const char *action, const char *resource,
                      ward_proc *target, ward_err *err)
{
  const char *pair[2] = { action, resource };
  return ward_proc_authorize (p, pair, 1, target, err);
}

/* Authorize, then look up: what a caller that may not `action` the target
 * learns does not depend on whether the target exists. A name is resolved
 * only for a caller that may look it up; a target that does not exist is
 * asked about without target attributes (so a rule that needs them does
 * not match), and only a caller that is then allowed learns NOT_FOUND. */
/* The process p last named by the PID dest, a new reference, if it is
 * the same PID and that process has not ended: what ward_resolve would
 * find, without parsing the PID or taking the table's lock. (A sender
 * names the same process again and again.) */
static ward_proc *
target_cached (ward_proc *p, const char *dest)
{
  ward_proc *t = p->last_target;
  if (t == NULL || dest[0] != '{' || strcmp (t->pid, dest) != 0)
    return NULL;
  if (atomic_load_explicit (&t->ended, memory_order_acquire))
    {
      p->last_target = NULL;            /* (what it still holds is freed) */
      p->last_allowed = NULL;
      ward_proc_unref (t);
      return NULL;
    }
  ward_proc_ref (t);
  return t;
}

static void
target_remember (ward_proc *p, const char *dest, ward_proc *t)
{
  if (dest[0] != '{' || t == p->last_target)
    return;
  if (p->last_target)
    ward_proc_unref (p->last_target);
  ward_proc_ref (t);
  p->last_target = t;
  p->last_allowed = NULL;
}

ward_proc *
ward_proc_target (ward_proc *p, const char *action, const char *dest, const char *resource,
                  ward_err *err)
{
  if (dest[0] != '{'
      && ward_proc_authorize1 (p, WARD_ACTION (REGISTRY_LOOKUP), dest, NULL, err) < 0)
    return NULL;
  /* (the cache is the process's own threads': not one acting for it) */
  int own = p == ward_current () && !ward_sched_acting ();
  ward_proc *t = own ? target_cached (p, dest) : NULL;
  if (t == NULL && (t = ward_resolve (dest, err)) != NULL && own)
    target_remember (p, dest, t);
  if (t == NULL)
    {
      if (err->kind == WARD_E_NOT_FOUND)
        {
          ward_err keep = *err;
          if (ward_proc_authorize1 (p, action, resource ? resource : dest, NULL, err) == 0)
            *err = keep;
        }
      return NULL;
    }
  /* The gate is asked on every call; an ALLOW on the process named last
   * is its answer again while its answers have not changed (a denial is
   * asked, and recorded, each time). */
  uint64_t gen = 0;
  unsigned names_gen = 0;
  if (own && resource == NULL && t == p->last_target)
    {
      gen = ward_authorize_generation ();
      names_gen = atomic_load (&t->names_gen);
      if (gen != 0 && p->last_allowed == action && p->last_allowed_gen == gen
          && p->last_allowed_names == names_gen)
        return t;
    }
  /* target attributes go with a PID resource only */
  if (ward_proc_authorize1 (p, action, resource ? resource : t->pid, resource ? NULL : t,
                            err) < 0)
    {
      ward_proc_unref (t);
      return NULL;
    }
  if (gen != 0 && ward_authorize_generation () == gen)
    {
      p->last_allowed = action;         /* (decided within that generation) */
      p->last_allowed_gen = gen;
      p->last_allowed_names = names_gen; /* (and on the names the target held then) */
    }
  return t;
}

/* ---- wake and kill ---- */
int
ward_proc_wake_locked (ward_proc *p)
{
  if (p->state == WARD_ST_WAITING)
    {
      p->state = WARD_ST_RUNNABLE;
      return 1;
    }
  if (p->state == WARD_ST_RUNNING)
    p->wake_pending = 1;
  return 0;
}

void
ward_proc_wake (ward_proc *p)
{
  ward_lock (&p->lock, WARD_LOCK_PROC);
  int push = ward_proc_wake_locked (p);
  ward_unlock (&p->lock);
  if (push)
    ward_sched_push (p);
}

void
ward_proc_kill (ward_proc *p, const char *fmt, ...)
{
  /* The first kill wins (killed is set only here, under the lock). The
   * reason is written before killed is: a process that sees killed, on
   * any core, reads the whole reason (release, and acquire in vm.c). */
  ward_lock (&p->lock, WARD_LOCK_PROC);
  if (p->state == WARD_ST_DONE || atomic_load (&p->killed))
    {
      ward_unlock (&p->lock);
      return;
    }
  va_list ap;
  va_start (ap, fmt);
  vsnprintf (p->kill_msg, sizeof p->kill_msg, fmt, ap);
  va_end (ap);
  atomic_store_explicit (&p->killed, 1, memory_order_release);
  ward_unlock (&p->lock);
  ward_proc_wake (p);
}

/* ---- spawn ---- */
/* p's copy of the string s (NULL for NULL), *fail set when out of memory;
 * used counts the bytes of p's block taken (proc_copy). */
static char *
dup_or_null (ward_proc *p, size_t *used, const char *s, int *fail)
{
  if (s == NULL)
    return NULL;
  char *d = proc_copy (p, used, s, strlen (s));
  if (d == NULL)
    *fail = 1;
  return d;
}

static int
copy_bytes (ward_proc *p, size_t *used, uint8_t **dst, size_t *dlen, const uint8_t *src,
            size_t len)
{
  *dst = NULL;
  *dlen = 0;
  if (len == 0)
    return 0;
  if ((*dst = proc_copy (p, used, src, len)) == NULL)
    return -1;
  *dlen = len;
  return 0;
}

int
ward_spawn_admit (const ward_proc *parent, ward_err *err)
{
  if (parent == NULL)
    return 0;
  unsigned n = atomic_load (&parent->live_children);
  if (n >= ward_cfg.max_children)
    {
      ward_proc_audit_limit (parent, WARD_ACTION (LIMIT_CHILDREN), parent->pid);
      return ward_err_set (err, WARD_E_UNAVAILABLE, 0, "process %s already has %u live "
                           "children (the limit)", parent->pid, ward_cfg.max_children);
    }
  /* a sandboxed host's process: its profile's bound, far below the run's */
  unsigned lim = ward_broker_children_limit (parent->host);
  if (n >= lim)
    {
      ward_proc_audit_limit (parent, WARD_ACTION (LIMIT_CHILDREN), parent->pid);
      return ward_err_set (err, WARD_E_UNAVAILABLE, 0, "process %s already has %u live "
                           "children (the limit of host %s)", parent->pid, n,
                           ward_host_name (parent->host));
    }
  return 0;
}

/* Whether a process may start now: the run is not ending, parent may have
 * one more child and the run one more process. 0, or -1 with err. */
static int
spawn_allowed (ward_proc *parent, const ward_spawn_req *req, ward_err *err)
{
  if (ward_run_ending ())
    return refuse_ending (err);         /* sooner than table_insert's, the same */
  if (ward_spawn_admit (parent, err) < 0)
    return -1;
  if (ward_cfg.max_processes && ward_proc_count () >= ward_cfg.max_processes)
    {
      ward_proc_audit_limit (parent, WARD_ACTION (LIMIT_PROCESSES), ward_host_name (req->host));
      return ward_err_set (err, WARD_E_UNAVAILABLE, 0, "the run already has %zu live processes "
                           "(the limit)", ward_cfg.max_processes);
    }
  return 0;
}

/* dst (n bytes) = s, cut to fit: snprintf's "%s" without its cost (a
 * spawn makes several). */
static void
copy_cut (char *dst, size_t n, const char *s)
{
  size_t len = strnlen (s, n - 1);
  memcpy (dst, s, len);
  dst[len] = '\0';
}

/* "{%s|0x%05" PRIx64 "}" of host and serial into dst (n bytes), cut to fit. */
static void
format_pid (char *dst, size_t n, const char *host, uint64_t serial)
{
  char hex[16];
  int k = 0;
  do
    {
      hex[k++] = "0123456789abcdef"[serial & 15];
      serial >>= 4;
    }
  while (serial);
  while (k < 5)
    hex[k++] = '0';
  char buf[sizeof hex + 256 + 8];
  size_t b = 0, hl = strnlen (host, 256);
  buf[b++] = '{';
  memcpy (buf + b, host, hl);
  b += hl;
  memcpy (buf + b, "|0x", 3);
  b += 3;
  while (k > 0)
    buf[b++] = hex[--k];
  buf[b++] = '}';
  buf[b] = '\0';
  copy_cut (dst, n, buf);
}

/* Who the child is: its serial and PID, its parent, its call chain. */
static void
spawn_identity (ward_proc *p, ward_proc *parent, const ward_spawn_req *req)
{
  p->serial = atomic_fetch_add (&ward_pid_table.serial, 1) + 1;
  if (req->pid)
    copy_cut (p->pid, sizeof p->pid, req->pid);
  else
    format_pid (p->pid, sizeof p->pid, ward_host_name (req->host), p->serial);
  if (parent)
    {
      p->parent = parent->serial;
      copy_cut (p->parent_pid, sizeof p->parent_pid, parent->pid);
    }
  /* A call chain (process.id) is shared by exec, which runs on behalf of
   * its caller; any other spawn starts a new chain. */
  copy_cut (p->frame, sizeof p->frame,
            req->frame ? req->frame : req->exec_wait && parent ? parent->frame : p->pid);
  if (req->parent_pid)
    copy_cut (p->parent_pid, sizeof p->parent_pid, req->parent_pid);
}

/* What the child is allowed and given: its actor, scope and context (the
 * parent's unless the request sets them). *fail is set when out of
 * memory. */
static void
spawn_security (ward_proc *p, ward_proc *parent, const ward_spawn_req *req, size_t *used,
                int *fail)
{
  p->actor_id = dup_or_null (p, used, req->actor_id ? req->actor_id
                             : parent ? parent->actor_id : "main", fail);
  const char *const *scope = req->set_scope ? req->scope
                             : parent ? (const char *const *) parent->scope : NULL;
  size_t nscope = req->set_scope ? req->nscope : parent ? parent->nscope : 0;
  if (nscope && (p->scope = calloc (nscope, sizeof *p->scope)) == NULL)
    *fail = 1;
  for (size_t i = 0; !*fail && i < nscope; i++, p->nscope++)
    if (scope[i] != NULL && (p->scope[i] = strdup (scope[i])) == NULL)
      *fail = 1;
  if (req->set_context)
    *fail |= copy_bytes (p, used, &p->context, &p->context_len, req->context,
                         req->context_len) < 0;
  else if (parent)
    *fail |= copy_bytes (p, used, &p->context, &p->context_len, parent->context,
                         parent->context_len) < 0;
  /* its copy of the context counts the channels in it while it is kept
   * (proc_free gives them back); in a subprocess actor the child counts
   * its own (remote.h) */
  if (p->context && ward_remote_chan < 0)
    ward_vmchan_adjust_values (p->context, p->context_len, 1);
}

/* The child as the request describes it, not yet in the table: NULL with
 * err when out of memory. */
static ward_proc *
spawn_new (ward_proc *parent, const ward_spawn_req *req, ward_err *err)
{
  ward_proc *p = proc_block_new ();
  if (p == NULL)
    {
      ward_err_set (err, WARD_E_INTERNAL, ENOMEM, "spawning");
      return NULL;
    }
  atomic_init (&p->refs, 1);               /* the table's reference */
  pthread_mutex_init (&p->lock, NULL);
  p->host = req->host;
  ward_host_hold (p->host);                /* dropped by proc_free */
  spawn_identity (p, parent, req);
  p->is_worker = req->is_worker;
  p->is_first = req->first;
  p->is_master = req->first || req->master;
  p->vm_senders = req->vm_senders;
  p->state = WARD_ST_NEW;
  int fail = 0;
  size_t used = 0;              /* of p's block (proc_copy) */
  p->def_id = dup_or_null (p, &used, req->def_id ? req->def_id : "", &fail);
  p->def_path = dup_or_null (p, &used, req->path, &fail);
  p->def = req->def;
  p->remote = req->remote;
  spawn_security (p, parent, req, &used, &fail);
  fail |= copy_bytes (p, &used, &p->args, &p->args_len, req->args, req->args_len) < 0;
  p->exec_waiter = req->exec_wait;
  if (fail)
    {
      proc_free (p);
      ward_err_set (err, WARD_E_INTERNAL, ENOMEM, "spawning");
      return NULL;
    }
  return p;
}

/* Enter p into the run: allowed to be sent to when asked (req->ask_send),
 * in the table, counted as parent's child. 0, or -1 with err, p freed. */
static int
spawn_enter (ward_proc *parent, ward_proc *p, const ward_spawn_req *req, ward_err *err)
{
  /* Asked about the child as it will be (its PID, actor, host, parent)
   * while it is nobody's yet: denied, nothing has happened. */
  if ((req->ask_send && parent
       && ward_proc_authorize1 (parent, WARD_ACTION (SEND), p->pid, p, err) < 0)
      || table_insert (p, err) < 0)
    {
      p->remote = NULL;                 /* the caller's to abort */
      proc_free (p);
      return -1;
    }
  if (p->remote)
    ward_broker_attach (p);
  if (parent)
    atomic_fetch_add (&parent->live_children, 1);
  return 0;
}

/* Topology and name before the child can run, so that nothing it does
 * can be missed. 0, or -1 with err. */
static int
spawn_bind (ward_proc *parent, ward_proc *p, const ward_spawn_req *req, ward_err *err)
{
  if (req->name && ward_registry_register (req->name, p, err) < 0)
    return -1;
  if (req->monitor && ward_monitor (parent, p, err) < 0)
    return -1;
  if (req->link && ward_link (parent, p, err) < 0)
    return -1;
  return 0;
}

/* Nothing has run yet: end it silently, as if never spawned (err kept). */
static void
spawn_undo (ward_proc *parent, ward_proc *p, ward_err *err)
{
  ward_err keep = *err;
  p->remote = NULL;                 /* the caller's to abort */
  /* done first, as an exit is: nothing can take a name, link or monitor
   * on it once its topology is gone */
  ward_lock (&p->lock, WARD_LOCK_PROC);
  p->state = WARD_ST_DONE;
  ward_unlock (&p->lock);
  atomic_store_explicit (&p->ended, 1, memory_order_release);
  ward_topology_exit (p, 0, NULL, 0, NULL);
  if (parent)
    atomic_fetch_sub (&parent->live_children, 1);
  table_remove (p);
  ward_proc_unref (p);
  *err = keep;
}

ward_proc *
ward_spawn (ward_proc *parent, const ward_spawn_req *req, ward_err *err)
{
  if (spawn_allowed (parent, req, err) < 0)
    return NULL;
  ward_proc *p = spawn_new (parent, req, err);
  if (p == NULL || spawn_enter (parent, p, req, err) < 0)
    return NULL;
  if (spawn_bind (parent, p, req, err) < 0)
    {
      spawn_undo (parent, p, err);
      return NULL;
    }
  if (p->remote)
    ward_broker_boot (p);
  ward_lock (&p->lock, WARD_LOCK_PROC);    /* ward_deliver reads it under the lock */
  p->state = WARD_ST_RUNNABLE;
  ward_unlock (&p->lock);
  ward_proc_ref (p);                /* the caller's: p may exit at once */
  if (!req->hold)
    ward_sched_push (p);
  return p;
}

/* ---- exit ---- */
static void
proc_finish (ward_proc *p, int abnormal, const uint8_t *result, size_t len, const char *error)
{
  ward_lock (&p->lock, WARD_LOCK_PROC);
  p->state = WARD_ST_DONE;
  ward_unlock (&p->lock);
  atomic_store_explicit (&p->ended, 1, memory_order_release);
  if (p->last_target)
    {
      /* (two processes naming each other would hold each other forever) */
      ward_proc_unref (p->last_target);
      p->last_target = NULL;
    }
  if (p->is_first && ward_remote_chan >= 0)
    ward_remote_ending ();
  ward_vm_close (p);
  ward_timers_forget (p);       /* a deadline or time.after of an hour holds nothing */
  if (p->remote)
    ward_broker_release (p);
  if (p->is_first && ward_remote_chan >= 0)
    ward_remote_exited (abnormal, result, len, error);
  ward_topology_exit (p, abnormal, result, len, error);
  if (p->parent)
    {
      ward_proc *parent = ward_proc_by_serial (p->parent);
      if (parent)
        {
          atomic_fetch_sub (&parent->live_children, 1);
          ward_proc_unref (parent);
        }
    }
  if (p->is_master || p->is_first)
    ward_run_master_exited (p, abnormal, error);
  ward_mailbox_drop (p);
  table_remove (p);
  ward_proc_unref (p);              /* the table's reference */
}

/* Encode the exit value (top of the finished body's stack), protected:
 * the encoder allocates, and a process killed meanwhile cannot. */
typedef struct exit_enc { wbuf *out; ward_err *err; int rc; } exit_enc;

static int
encode_exit_call (lua_State *L)
{
  exit_enc *x = lua_touserdata (L, 2);
  x->rc = ward_codec_encode (L, 1, 1, x->out, ward_codec_opts_rt (), x->err);
  return 0;
}

static int
encode_exit (lua_State *co, wbuf *out, ward_err *err)
{
  exit_enc x = { out, err, -1 };
  lua_pushcfunction (co, encode_exit_call);
  lua_insert (co, -2);
  lua_pushlightuserdata (co, &x);
  if (lua_pcall (co, 2, 0, 0) != LUA_OK)
    {
      ward_err_set (err, WARD_E_INTERNAL, ENOMEM, "encoding the exit value");
      return -1;
    }
  return x.rc;
}

/* The body returned or raised: compute the exit and finish. */
static void
proc_exit (ward_proc *p, int status, int nres)
{
  char error[WARD_ERR_MSG_MAX + 64];
  wbuf result;
  wbuf_init (&result, 0);
  int abnormal = 1;
  if (atomic_load (&p->killed))
    snprintf (error, sizeof error, "%s", p->kill_msg);
  else if (status != LUA_OK)
    ward_vm_describe_error (p->co, -1, error, sizeof error);
  else
    {
      ward_err err;
      if (nres > 0)
        lua_settop (p->co, lua_gettop (p->co) - nres + 1);   /* keep the first value */
      else
        lua_pushnil (p->co);
      if (encode_exit (p->co, &result, &err) == 0)
        abnormal = 0;
      else if (atomic_load (&p->killed))   /* killed as it returned */
        snprintf (error, sizeof error, "%s", p->kill_msg);
      else
        snprintf (error, sizeof error, "exit value cannot be sent: %s", err.msg);
    }
  if (abnormal)
    proc_finish (p, 1, NULL, 0, error);
  else
    proc_finish (p, 0, result.data, result.len, NULL);
  wbuf_free (&result);
}

/* ---- one slice ---- */
void
ward_proc_run (ward_proc *p)
{
  ward_lock (&p->lock, WARD_LOCK_PROC);
  if (p->state != WARD_ST_RUNNABLE)
    {
      ward_unlock (&p->lock);
      return;
    }
  p->state = WARD_ST_RUNNING;
  p->wake_pending = 0;
  ward_unlock (&p->lock);

  ward_err err;
  if (p->L == NULL && ward_vm_boot (p, &err) < 0)
    {
      proc_finish (p, 1, NULL, 0, atomic_load (&p->killed) ? p->kill_msg : err.msg);
      return;
    }
  for (;;)
    {
      p->yield_reason = WARD_Y_NONE;
      p->slice = 0;
      p->slice_start_ns = ward_now_ns ();
      int nres = 0;
      /* a stand-in's work is its child's: charged to the child's CPU limit */
      int64_t cpu0 = p->remote ? ward_thread_cpu_ns () : 0;
      int st = lua_resume (p->co, NULL, p->nargs, &nres);
      if (p->remote)
        ward_broker_charge_cpu (p, ward_thread_cpu_ns () - cpu0);
      p->nargs = 0;
      if (st != LUA_YIELD)
        {
          proc_exit (p, st, nres);
          return;
        }
      lua_pop (p->co, nres);
      switch (p->yield_reason)
        {
        case WARD_Y_UPGRADE:
          if (ward_vm_upgrade (p, &err) < 0)
            {
              proc_finish (p, 1, NULL, 0, err.msg);
              return;
            }
          continue;                       /* run the new body now */
        case WARD_Y_BLOCK:
          ward_lock (&p->lock, WARD_LOCK_PROC);
          if (p->wake_pending || atomic_load (&p->killed))
            {
              p->wake_pending = 0;
              ward_unlock (&p->lock);
              continue;                   /* something arrived meanwhile */
            }
          p->state = WARD_ST_WAITING;
          ward_unlock (&p->lock);
          return;
        case WARD_Y_PREEMPT:
          ward_lock (&p->lock, WARD_LOCK_PROC);
          p->state = WARD_ST_RUNNABLE;
          ward_unlock (&p->lock);
          ward_sched_push (p);
          return;
        case WARD_Y_NONE:
          /* coroutine.yield at the top level is refused by our wrapper;
           * anything else yielding here is a bug: end the process. */
          proc_finish (p, 1, NULL, 0, "attempt to yield from outside a coroutine");
          return;
        }
    }
}
