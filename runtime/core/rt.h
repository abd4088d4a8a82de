/* rt.h -- the runtime's internal contract: hosts, processes, mailboxes,
 * topology, registry and timers. Prefix ward_ throughout runtime/. */
#ifndef WARD_RT_H
#define WARD_RT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <lua.h>
#include "werr.h"
#include "wbuf.h"
#include "policy.h"
#include "arena.h"

typedef struct ward_host ward_host;
typedef struct ward_proc ward_proc;
typedef struct ward_msg ward_msg;
typedef struct ward_remote ward_remote;
typedef struct ward_msgpool ward_msgpool;

/* ---- locks and their order ----
 * Every mutex of the runtime has a rank; a thread may take a lock only
 * while every lock it holds has a lower rank (outer first, inner last), so
 * no two threads can wait for each other. Waiting on a condition variable
 * keeps the rank of its mutex. Code calling out while it holds a lock
 * (deliveries, wakes, a process's last reference freeing it) only ever
 * goes inward. Outer to inner:
 *
 *   TOPO          topo.c `ward_topo_lock`: links, monitors, the name
 *                 registry, and ward_proc's monitors/monitoring/links/names.
 *                 Holds while looking processes up (TABLE) and reading their
 *                 state (PROC).
 *   BROKER        remote/breader.c `ward_broker_rd.lock`: the list of
 *                 subprocess actors, the reader's epoll set and stall clocks.
 *                 Its reader delivers to stand-ins (PROC), wakes them, and
 *                 releases channels (TABLE, PROC) under it.
 *   TABLE         proc.c `ward_pid_table.lock` (a rwlock): the PID table and
 *                 the run-ending flag. Nothing is taken under it.
 *   PROC          ward_proc.lock: state, mailbox, the options beside them
 *                 (rt.h; also taken in lua/ and remote/). Never two at once.
 *                 A delivery to a stand-in forwards under it (STANDIN_*);
 *                 a message freed under it gives back a child's copies
 *                 (CHILD_*).
 *   STANDIN_TX    remote/broker.h `r->tx_lock`: a stand-in's frames waiting
 *                 for its child.
 *   STANDIN_HELD  remote/broker.h `r->held_lock`: the handles a child holds.
 *   CHILD         remote/remote.c `ward_remote_child.lock`: a subprocess
 *                 actor's end of the run (ended, ending, detached).
 *   CHILD_COPIES  remote/rhandle.c `ward_remote_copies.lock`: the channel
 *                 copies a child holds, its pending calls and DROPs.
 *   CHILD_TX      remote/remote.c `ward_remote_tx_lock`: frames from a child
 *                 to the runtime, one at a time (also taken with trylock).
 *   DEFS          vm/defs.c `ward_defs_lock`: the compiled definitions.
 *   TIMERS        timer.c `ward_timers.lock`: the timer heap (timers fire
 *                 unlocked).
 *   HOSTS         sched.c `ward_sched_hosts_lock`: the list of hosts,
 *                 retired ones, holds.
 *   HOST          a host's `lock`: its workers array and sleepers.
 *   RUNQ          a worker's `lock`: its run queue.
 *   LIVE          proc.c `ward_pid_table.live_lock`: the count of live
 *                 processes.
 *   RUN           main.c `ward_run_state.lock`: the run's end.
 *   MSGPOOL       msgpool.c `ward_msgpool_idle_lock`: the message pools
 *                 no worker owns. Nothing is taken under it.
 *   PROCPOOL      proc.c `ward_proc_pool.pop_lock`: the one taking a
 *                 block from the pool of ended processes' blocks. Nothing
 *                 is taken under it.
 *
 * The locks of the libraries below (policy's gate, audit and cache, the
 * sandbox client's) are innermost: taken under any of these, they never
 * call back into the runtime.
 *
 * ward_lock and the others below take and release a lock of the runtime
 * with its rank. Built with WARD_LOCK_DEBUG (configure
 * --enable-sanitizers), each thread keeps the locks it holds and aborts
 * at the first one taken out of order; otherwise they are the pthread
 * calls. A trylock never waits, so it may be out of order; what is taken
 * under it may not. */
enum ward_lock_rank {
  WARD_LOCK_TOPO = 10,
  WARD_LOCK_BROKER = 20,
  WARD_LOCK_TABLE = 30,
  WARD_LOCK_PROC = 40,
  WARD_LOCK_STANDIN_TX = 50,
  WARD_LOCK_STANDIN_HELD = 52,
  WARD_LOCK_CHILD = 54,
  WARD_LOCK_CHILD_COPIES = 56,
  WARD_LOCK_CHILD_TX = 58,
  WARD_LOCK_DEFS = 60,
  WARD_LOCK_TIMERS = 70,
  WARD_LOCK_HOSTS = 80,
  WARD_LOCK_HOST = 82,
  WARD_LOCK_RUNQ = 84,
  WARD_LOCK_LIVE = 90,
  WARD_LOCK_RUN = 95,
  WARD_LOCK_MSGPOOL = 97,
  WARD_LOCK_PROCPOOL = 98
};

#ifdef WARD_LOCK_DEBUG
/* lock.c: the thread's held locks -- checked before waiting for one,
 * then recorded; dropped on release. */
void ward_lock_taking (const void *lock, enum ward_lock_rank rank);
void ward_lock_taken (const void *lock, enum ward_lock_rank rank);
void ward_lock_released (const void *lock);
#else
#define ward_lock_taking(lock, rank) ((void) (lock), (void) (rank))
#define ward_lock_taken(lock, rank) ((void) (lock), (void) (rank))
#define ward_lock_released(lock) ((void) (lock))
#endif

/* fn (T *lock, rank): take lock by take, in its rank's order. */
#define WARD_LOCK_TAKE(fn, T, take)                                     \
  static inline void fn (T *lock, enum ward_lock_rank rank)             \
  {                                                                     \
    ward_lock_taking (lock, rank);                                      \
    take (lock);                                                        \
    ward_lock_taken (lock, rank);                                       \
  }
/* fn (T *lock): release lock by give. */
#define WARD_LOCK_GIVE(fn, T, give)                                     \
  static inline void fn (T *lock)                                       \
  {                                                                     \
    ward_lock_released (lock);                                          \
    give (lock);                                                        \
  }

WARD_LOCK_TAKE (ward_lock, pthread_mutex_t, pthread_mutex_lock)
WARD_LOCK_TAKE (ward_rdlock, pthread_rwlock_t, pthread_rwlock_rdlock)
WARD_LOCK_TAKE (ward_wrlock, pthread_rwlock_t, pthread_rwlock_wrlock)
WARD_LOCK_GIVE (ward_unlock, pthread_mutex_t, pthread_mutex_unlock)
WARD_LOCK_GIVE (ward_rwunlock, pthread_rwlock_t, pthread_rwlock_unlock)

/* 0: taken */
static inline int
ward_trylock (pthread_mutex_t *m, enum ward_lock_rank rank)
{
  int rc = pthread_mutex_trylock (m);
  if (rc == 0)
    ward_lock_taken (m, rank);
  return rc;
}

/* ---- run-wide settings (from the command line) ---- */
typedef struct ward_config {
  char root[4096];            /* where definition ids resolve */
  char main_path[4096];       /* the first process's file */
  int threads;                /* workers of ward:main */
  size_t mem_limit;           /* bytes per process (lua_Alloc cap) */
  size_t mailbox_limit;       /* messages queued per process */
  size_t mailbox_bytes;       /* their bytes (payload and topic); 0 = no limit */
  uint64_t instr_budget;      /* 0 = none; instructions per process */
  unsigned max_children;      /* live children per process */
  size_t max_processes;       /* live processes in the run (0 = no limit) */
  /* defaults of the sandbox profile fields that bound what the runtime
   * holds for a sandboxed host (common/wprofile.h, ward_profile) */
  unsigned sandbox_children;  /* live children of each of its processes */
  unsigned sandbox_processes; /* its live processes */
  unsigned sandbox_fds;       /* descriptors each of its processes has in flight */
  unsigned mailbox_fds;       /* descriptors queued in one mailbox */
  unsigned fd_reserve;        /* descriptors sandboxed work never takes (fdvec.h) */
  int audit_sync;             /* --audit-sync: a denied call waits for its commit */
} ward_config;

extern ward_config ward_cfg;

/* ---- messages ---- */
enum ward_msg_kind {
  WARD_MSG_USER,       /* process.send: topic + encoded payload values */
  WARD_MSG_VM,         /* spawn_vm channel send: one encoded value */
  WARD_MSG_EXIT,       /* event: payload = encoded result, or error text */
  WARD_MSG_LINK_DOWN,  /* event: error text */
  WARD_MSG_CANCEL,     /* event: deadline (ms since epoch) */
  WARD_MSG_TIMER,      /* time.after fired: at = now */
  WARD_MSG_EXEC,       /* exec result: like EXIT */
  WARD_MSG_WIRE        /* a frame of a subprocess actor's channel (remote.h) */
};

struct ward_msg {
  ward_msg *next;
  int kind;
  int port;            /* filled at delivery */
  int is_error;        /* EXIT/EXEC/LINK_DOWN: payload is error text */
  unsigned topic_len;  /* strlen (topic), 0 without one */
  int64_t at;          /* CANCEL deadline / TIMER time, ms since epoch */
  char from[64];       /* sender PID ("" for the runtime) */
  char *topic;         /* USER: points into the same allocation */
  size_t len;
  uint8_t *data;       /* points into the same allocation */
  struct ward_fdvec *fds;  /* descriptors the payload refers to (fdvec.h), or NULL */
  struct ward_fdtally *tally;  /* the sender's count of descriptors in flight, or NULL */
  unsigned charged;            /* what this message counts there */
  /* In a subprocess actor: the channels in its values are copies the
   * child counts as held (rhandle.c) until it is decoded (the channels made
   * take them over) or freed undecoded (they are dropped). 0 elsewhere. */
  int handles;
  ward_msgpool *pool;  /* whose cache the block goes back to, or NULL (msgpool.c) */
};

/* Message memory (msgpool.c). A worker thread has a cache of blocks of
 * WARD_MSGPOOL_SLOT bytes: a small message it makes comes from there, and
 * goes back there when freed by any thread -- returned in batches, never
 * through another thread's malloc arena. Other threads, and bigger
 * messages, use malloc. attach/detach: a worker's start and end; idle:
 * before it sleeps (what it holds for others goes back, its cache is cut
 * to a few hundred blocks). */
#define WARD_MSGPOOL_SLOT 256
void *ward_msgpool_alloc (size_t size, ward_msgpool **owner);   /* *owner: for m->pool */
void ward_msgpool_free (ward_msg *m);
void ward_msgpool_attach (void);
void ward_msgpool_idle (void);
void ward_msgpool_detach (void);

/* Descriptors in flight: how many a sender (a process of a sandboxed host)
 * has put in messages that are not yet freed, shared by those messages. */
typedef struct ward_fdtally {
  atomic_uint refs;
  atomic_uint n;
  unsigned limit;
} ward_fdtally;
ward_fdtally *ward_fdtally_new (unsigned limit);   /* NULL when out of memory */
void ward_fdtally_unref (ward_fdtally *t);   /* frees it with the last reference; NULL is fine */
/* Charge m's descriptors to t (which m then holds) unless that would pass
 * its limit: 0, or -1 with UNAVAILABLE (m untouched). */
int ward_msg_charge (ward_msg *m, ward_fdtally *t, const char *who, ward_err *err);

/* Ports of a mailbox: fixed ones, then topics and timers. */
enum { WARD_PORT_INBOX = 0, WARD_PORT_EVENTS = 1, WARD_PORT_VM = 2,
       WARD_PORT_EXEC = 3, WARD_PORT_WIRE = 4, WARD_PORT_FIRST_DYNAMIC = 16 };

/* A message of `kind` from PID `from` (cut to fit, may be NULL) with a copy
 * of topic (may be NULL) and of len bytes of data, in one allocation the
 * caller owns (ward_msg_free, or ward_deliver which takes it). NULL when
 * out of memory or the size would overflow. */
ward_msg *ward_msg_new (int kind, const char *from, const char *topic,
                        const void *data, size_t len);
void ward_msg_free (ward_msg *m);   /* also closes the descriptors left in it */
/* What m counts against its receiver's mailbox byte limit: its payload
 * and topic bytes. */
size_t ward_msg_bytes (const ward_msg *m);
/* Move the descriptors of v into m (v is left empty); nothing to do when v
 * holds none. -1 with err when out of memory (v is then untouched). */
int ward_msg_take_fds (ward_msg *m, struct ward_fdvec *v, ward_err *err);

/* ---- hosts (thread pools with work stealing) ---- */
/* A host of `threads` (1..1024) workers, started now and joined by
 * ward_hosts_stop, which also frees it. NULL with err: INVALID for a name
 * too long or a bad count, INTERNAL when a thread cannot start. */
ward_host *ward_host_create (const char *name, int threads, ward_err *err);
/* The host named name, or NULL. A transient host (ward_host_create_transient)
 * is returned with a hold the caller drops (ward_host_drop) once it has
 * spawned there or given up; NULL once its last process has ended. */
ward_host *ward_host_find (const char *name);
/* A host that lives while processes do (spawn_vm's contexts): created with
 * one hold (its creator's, dropped once the first spawn there is made or
 * failed); each process on it holds it (ward_host_hold at its spawn,
 * dropped when it is freed); when the last hold goes its threads end and
 * are joined, and it is freed, at the next transient host's creation or at
 * ward_hosts_stop. Holds on other hosts do nothing. */
ward_host *ward_host_create_transient (const char *name, int threads, ward_err *err);
void ward_host_hold (ward_host *h);
void ward_host_drop (ward_host *h);
const char *ward_host_name (const ward_host *h);   /* h's own string */
/* Start n (0..1024) more workers on h: 0, or -1 with INVALID (n out of
 * range), UNAVAILABLE (h would pass 1024) or INTERNAL (a thread cannot
 * start; those already started keep running). */
int ward_host_add_threads (ward_host *h, int n, ward_err *err);
void ward_sched_push (ward_proc *p);          /* p must be RUNNABLE */
/* A worker's push to its own queue wakes nobody, betting that the running
 * process blocks soon and the worker runs what it queued. Code that runs
 * on for long (the count hook, long C loops) calls this to settle the bet:
 * it wakes a sleeper when something queued here is still waiting. */
void ward_sched_nudge (void);
void ward_hosts_stop (void);                  /* stop and join every worker */
/* A host of one worker whose processes are fed by one source of its own
 * (a subprocess actor's channel) may have its worker wait on that source
 * itself rather than on the host's condition variable, so that what comes
 * is taken and run on one thread, with no hand-off between two: idle is
 * called by the worker with nothing to run and waits until the source has
 * something (which it takes) or wake is called (by a push from another
 * thread, or the host stopping); poll takes what came without waiting,
 * from ward_sched_nudge (code that runs on for long). ward_host_set_io
 * installs them (NULL: the condition variable again). */
typedef struct ward_host_io {
  void (*idle) (void *ctx);
  void (*wake) (void *ctx);
  void (*poll) (void *ctx);
  void *ctx;
} ward_host_io;
void ward_host_set_io (ward_host *h, const ward_host_io *io);
/* Per-worker counters of h (slices run, processes stolen); returns the
 * number of workers. */
int ward_host_stats (ward_host *h, unsigned long *runs, unsigned long *steals, int max);
ward_proc *ward_current (void);               /* the process on this thread */
/* A thread that is no worker (the broker's reader) acting for p -- a call
 * it performs as p, which the permission engine judges and the mailboxes
 * charge to p -- makes p its current process for that act: returns the
 * one it had, to be put back when the act is done. */
ward_proc *ward_sched_act_as (ward_proc *p);
/* Whether this thread is acting for its current process (act_as): what
 * the process keeps for its own threads alone (the target it named last)
 * is then left alone. */
int ward_sched_acting (void);
/* Between hold and release, what this thread pushes (the processes its
 * deliveries wake) waits, up to a few, and is pushed at release: the
 * broker's reader answers a child before the target of its send can take
 * the CPU from it. */
void ward_sched_hold_pushes (void);
void ward_sched_release_pushes (void);

/* ---- processes ---- */
enum ward_state { WARD_ST_NEW, WARD_ST_RUNNABLE, WARD_ST_RUNNING,
                  WARD_ST_WAITING, WARD_ST_DONE };
enum ward_yield { WARD_Y_NONE, WARD_Y_PREEMPT, WARD_Y_BLOCK, WARD_Y_UPGRADE };

typedef struct ward_port {
  int id;
  char *topic;          /* NULL for fixed and timer ports */
  int raw;              /* deliver payload, not Message objects */
  ward_msg *head, *tail;
  size_t n;
} ward_port;

typedef struct ward_serials { uint64_t *v; size_t n, cap; } ward_serials;

struct ward_proc {
  atomic_int refs;
  uint64_t serial;
  ward_proc *table_next;        /* its chain in the table of live processes
                                   (proc.c, under the table's lock) */
  char pid[64];
  ward_host *host;
  uint64_t parent;              /* serial, 0 for the first process */
  char parent_pid[64];
  char frame[64];               /* process.id(): the call chain */

  /* security */
  char *actor_id;
  char **scope; size_t nscope;
  uint8_t *context; size_t context_len;   /* encoded table, may be NULL */

  /* what to run */
  char *def_id;                 /* "ns:name" or "" for the main script */
  char *def_path;
  const void *def;              /* the compiled definition (vm.h ward_def), or NULL */
  uint8_t *args; size_t args_len;  /* encoded spawn arguments */
  int is_worker;                /* _CONTEXT = 'worker' (spawn_vm) */
  int is_first;

  /* the VM (touched only by the thread running the process) */
  lua_State *L, *co;
  void (*on_block) (void);      /* its face's step before blocking (vm/face.h),
                                   or NULL: read where it blocks, a hot path */
  int nargs;
  enum ward_yield yield_reason;
  unsigned slice;               /* hook ticks in this slice */
  int64_t slice_start_ns;
  uint64_t instructions;
  size_t mem_used, mem_limit, mem_peak;
  ward_arena arena;             /* where the VM's memory comes from */
  /* metatables of ward's types in this VM, as met (vm/face.c): by the
   * address of the type's name, the registry slot and the table itself */
  struct { const char *tname; int ref; const void *mt; } meta[3];
  int nmeta;

  /* scheduling */
  pthread_mutex_t lock;         /* state, mailbox, options (WARD_LOCK_PROC) */
  enum ward_state state;
  int wake_pending;
  ward_proc *next_run;          /* run-queue link */

  /* mailbox (under lock) */
  ward_port *ports; size_t nports, cap_ports;
  int next_port;
  /* What the mailbox holds, its batch included: changed under the lock,
   * but for the batch's messages, which leave it without (mailbox.c). */
  atomic_size_t queued_user;
  atomic_uint queued_fds;       /* descriptors in queued messages */
  atomic_size_t queued_bytes;   /* of those messages and of queued EXIT and
                                   LINK_DOWN events (ward_msg_bytes) */
  /* The batch: messages of port batch_port that the process took from it
   * in one go (mailbox.c), older than what the port still holds. Only the
   * thread running the process touches them. */
  ward_msg *batch;
  int batch_port;
  int trap_links;
  int vm_senders;               /* open spawn_vm channels naming this process */
  int vm_closed_seen;
  int vm_inbox_closed;           /* its Emilua inbox was closed (inbox:close) */

  /* termination */
  atomic_int killed;            /* set once: the kill reason below is final */
  int64_t cancel_deadline_ns;   /* the earliest cancel deadline timed (under lock) */
  char kill_msg[256];
  int exec_waiter;              /* parent waits on WARD_PORT_EXEC */
  ward_msg *receiving;          /* popped, being turned into Lua values */
  atomic_int ended;             /* set as its state becomes DONE */
  /* The process it last named by PID (ward_proc_target), with a
   * reference: the next call naming it skips the lookup while it has not
   * ended, and the gate while its answers have not changed. Its own
   * thread's only; dropped as it ends. */
  ward_proc *last_target;
  /* ... and the action the gate allowed it on that process, with the
   * generation of the gate's answers then (ward_authorize_generation) */
  const char *last_allowed;
  uint64_t last_allowed_gen;
  unsigned last_allowed_names;  /* and the target's names_gen then */

  /* topology (under the global topology lock) */
  ward_serials monitors;        /* who monitors me */
  ward_serials monitoring;      /* whom I monitor */
  ward_serials links;
  struct ward_reg_entry *names; /* registry names held: a list (topo.c,
                                   under the topology lock) */
  atomic_uint nnames;           /* how many (read without the lock: none
                                   is target.names = [] at no cost) */
  atomic_uint names_gen;        /* changes each time they change: an
                                   answer that read target.names is
                                   reused only while it has not */
  atomic_uint live_children;
  atomic_uint timers;           /* its timers not yet fired (timer.c) */
  struct ward_timer *timer_list;  /* those timers (timer.c, under its lock) */
  int is_master;
  ward_remote *remote;          /* a subprocess actor's stand-in (remote.h) */
  ward_fdtally *fd_tally;       /* what it sends is counted (a sandboxed host's
                                   process), or NULL */
};

/* The parent PID as a request attribute: none (NULL) for the first
 * process, so that `attr has "parent"` is false for it. */
static inline const char *
ward_parent_attr (const ward_proc *p)
{
  return p->parent_pid[0] ? p->parent_pid : NULL;
}

/* Spawn request, filled by the Lua layer. */
typedef struct ward_spawn_req {
  const char *def_id;           /* "ns:name", or NULL with path for the main script */
  const char *path;             /* resolved file */
  const void *def;              /* its compiled definition, when already looked up */
  ward_host *host;
  const uint8_t *args; size_t args_len;
  const char *actor_id;         /* NULL: inherit */
  const char *const *scope; size_t nscope; int set_scope;
  const uint8_t *context; size_t context_len; int set_context;
  int monitor, link, exec_wait, is_worker;
  int first;                    /* the run's first process (and master) */
  int master;                   /* takes the master role (spawn_vm new_master) */
  int vm_senders;               /* spawn_vm channels already naming the child */
  const char *name;             /* register under this name, or NULL */
  int hold;                     /* runnable but not scheduled: the caller
                                   queues messages, then ward_sched_push */
  int ask_send;                 /* ask process.send on the child, as the
                                   parent, before anything else is done
                                   (a builder's queued messages) */
  ward_remote *remote;          /* run as a subprocess actor (remote.h) */
  /* the identity given by the runtime to a subprocess actor's own VM */
  const char *pid, *parent_pid, *frame;
} ward_spawn_req;

/* Whether parent may have one more live child (the run's --children, and
 * for a process of a sandboxed host its profile's live_children): 0, or -1
 * with UNAVAILABLE. ward_spawn asks it too; a caller asks first when the
 * spawn costs something before ward_spawn (a sandboxed child). */
int ward_spawn_admit (const ward_proc *parent, ward_err *err);

/* Spawn a process; returns a reference the caller must drop with
 * ward_proc_unref (the child may already have run and exited). */
ward_proc *ward_spawn (ward_proc *parent, const ward_spawn_req *req, ward_err *err);
/* A process is freed (its VM closed, its mailbox emptied) when its last
 * reference goes; the process table holds one while it lives. */
void ward_proc_ref (ward_proc *p);
void ward_proc_unref (ward_proc *p);
/* A process's copies of its definition's id and path, its actor id, its
 * context and its spawn arguments are kept in its own block when they fit
 * (proc.c): one is given up with ward_proc_free_copy (free for one that
 * did not fit, nothing for one in the block), never with free. */
void ward_proc_free_copy (ward_proc *p, void *copy);
/* Find a live process by PID string or serial; a new reference, or NULL. */
ward_proc *ward_proc_get (const char *pid);
ward_proc *ward_proc_by_serial (uint64_t serial);
/* Resolve "PID or registered name"; err NOT_FOUND / INVALID. */
ward_proc *ward_resolve (const char *dest, ward_err *err);
/* Make p runnable if it waits; otherwise remember a wake is due. */
void ward_proc_wake (ward_proc *p);
/* The same with p->lock held: 1 when the caller must ward_sched_push (p)
 * once it has dropped the lock. */
int ward_proc_wake_locked (ward_proc *p);
/* End p abnormally with msg, whatever it is doing (pcall cannot stop it). */
void ward_proc_kill (ward_proc *p, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));
/* Run p for one slice on this worker (called by the scheduler). */
void ward_proc_run (ward_proc *p);
size_t ward_proc_count (void);                /* processes started, not yet ended */
void ward_wait_all_exited (void);             /* until no process is left */
/* End the run: from now on no process may start (ward_spawn fails with
 * UNAVAILABLE, WARD_RUN_ENDING_MSG), then every live process is killed with
 * `why`. A process is either among those killed or never starts, so a
 * chain of processes that each spawn their successor ends too. */
void ward_proc_kill_all (const char *why);
/* Whether ward_proc_kill_all has been called: the run is ending. */
int ward_run_ending (void);
#define WARD_RUN_ENDING_MSG "the run is ending: no process may start"

/* ---- the gate, as a process ---- */
/* The gate's view of p asking (target: the process a PID resource names,
 * or NULL); the strings are p's and target's. */
/* Set attrs' target.names to the names target holds (left unset out of
 * memory, or when this thread is acting for a process and target holds
 * names: the registry's lock ranks before the broker's; a rule reading
 * them then fails closed); returns what to free. */
char **ward_proc_target_names (ward_proc *target, ward_attrs *attrs);
void ward_proc_gate_view (const ward_proc *p, const ward_proc *target, ward_actor *actor,
                          ward_attrs *attrs);
/* Record a call refused for a limit of the run (`action`, a limit.* of
 * policy/include/actions.def) on `resource`, against p's actor: the process that
 * asked, or whose sending was refused; NULL for the runtime itself. */
void ward_proc_audit_limit (const ward_proc *p, const char *action, const char *resource);
/* Ask the gate, as p, for each of the n (action, resource) pairs; all are
 * asked, so that an audit shows every missing permission. 0, or -1 with
 * PERMISSION_DENIED naming the first denied pair. */
int ward_proc_authorize (ward_proc *p, const char *const *pairs, int n, ward_proc *target,
                         ward_err *err);
/* The same for a granted resource (fs.*, net.*): extra's path and address
 * (the path the script asked for, a resolved address) go with the request
 * as attr.path and attr.address. */
int ward_proc_authorize_with (ward_proc *p, const char *const *pairs, int n,
                              const ward_attrs *extra, ward_err *err);
int ward_proc_authorize1 (ward_proc *p, const char *action, const char *resource,
                          ward_proc *target, ward_err *err);
/* The process `dest` (a PID or a registered name) names, for p to do
 * `action` on it: a new reference, or NULL with err. The gate is asked
 * before anything is looked up, and a denied caller gets the same error
 * whether the target exists or not: a name needs process.registry.lookup
 * on it first; then `action` is asked on the target's PID with its
 * target.* attributes, or, for a target that does not exist, on `dest`
 * without them (NOT_FOUND only when that is allowed). With resource set
 * (registry.register on a name), `action` is asked on it instead, without
 * target attributes. */
ward_proc *ward_proc_target (ward_proc *p, const char *action, const char *dest,
                             const char *resource, ward_err *err);

/* ---- mailbox ---- */
/* Deliver m to p. USER messages go to a listening topic port or the inbox.
 * Returns -1 (m freed, err set) when p is gone or its mailbox is full:
 * user messages (USER, VM) count against ward_cfg.mailbox_limit messages
 * and ward_cfg.mailbox_bytes bytes (UNAVAILABLE). EXIT and LINK_DOWN
 * events count against the bytes too but are never refused: an EXIT whose
 * result would pass the limit comes with an error saying so instead. */
int ward_deliver (ward_proc *p, ward_msg *m, ward_err *err);
/* Pop the first message of a port, or NULL; the caller owns it. Called
 * by p itself (on the thread running it) -- it then takes the whole queue
 * of its inbox, its VM port or a topic or timer port under one lock, and
 * pops the rest without (p->batch) -- or, taking one at a time under the
 * lock, where p runs nowhere (its stand-in's forwarding, tests). So are
 * ward_port_ready, ward_port_open and ward_port_close. */
ward_msg *ward_port_pop (ward_proc *p, int port);
/* Whether the port holds a message (0 for a port that does not exist). */
int ward_port_ready (ward_proc *p, int port);
/* Open a dynamic port: for a topic (copied; its messages are then
 * delivered there, raw payloads when raw is set, and the ones already
 * waiting in the inbox move to it, first and in order) or, with topic
 * NULL, for a timer. The port id, or -1 with ALREADY_EXISTS (the topic is
 * listened already) or INTERNAL (out of memory). */
int ward_port_open (ward_proc *p, const char *topic, int raw, ward_err *err);
/* Close a dynamic port: a topic's messages go back to the inbox, a
 * timer's are dropped. Fixed ports and unknown ids are left alone. */
void ward_port_close (ward_proc *p, int port);
/* Drop every message queued for p, which has ended (state DONE: nothing
 * is delivered to it any more), as it ends: what they hold (descriptors,
 * memory) does not wait for p's last reference to go. On p's thread. */
void ward_mailbox_drop (ward_proc *p);
/* Free every port and queued message of p (at its end, no lock taken). */
void ward_mailbox_free (ward_proc *p);

/* ---- topology and registry ---- */
/* Link a and b both ways (again is harmless): 0, or -1 with INVALID (a
 * process links to itself), NOT_FOUND (b has ended) or INTERNAL. */
int ward_link (ward_proc *a, ward_proc *b, ward_err *err);
/* Undo a link with the process of serial b: 1 if there was one, else 0. */
int ward_unlink (ward_proc *a, uint64_t b);
/* watcher gets target's EXIT: 0, or -1 with INVALID (itself), NOT_FOUND
 * (target has ended) or INTERNAL. */
int ward_monitor (ward_proc *watcher, ward_proc *target, ward_err *err);
/* Stop watching the process of serial target: 1 if watched, else 0. */
int ward_unmonitor (ward_proc *watcher, uint64_t target);
/* On exit: EXIT to monitors, LINK_DOWN (abnormal) to links, names freed. */
void ward_topology_exit (ward_proc *p, int abnormal, const uint8_t *result,
                         size_t len, const char *error);
/* Register name (copied) to p until p ends or the name is dropped: 0
 * (also when p holds it already), or -1 with ALREADY_EXISTS (another
 * process holds it), NOT_FOUND (p has ended) or INTERNAL. */
int ward_registry_register (const char *name, ward_proc *p, ward_err *err);
/* The PID holding name, written to pid (pidlen bytes): 0, or -1 if free. */
int ward_registry_lookup (const char *name, char *pid, size_t pidlen);
/* Drop name: 1 if it was registered, else 0. */
int ward_registry_unregister (const char *name);
/* The names p holds, for the gate's target.names: *names (one malloc'd
 * block, free it; NULL when there are none) and *n. 0, or -1 when out of
 * memory. Takes the topology lock when p holds a name. */
int ward_registry_names_of (ward_proc *p, char ***names, size_t *n);

/* ---- timers ---- */
enum ward_timer_kind { WARD_TIMER_PORT, WARD_TIMER_DEADLINE };
/* The timers: set up once per run (0, or -1 with INTERNAL), their thread
 * started by the first timer, and stopped and joined at the run's end,
 * with every timer left dropped. */
int ward_timers_start (ward_err *err);
void ward_timers_stop (void);
/* At `when_ns` (monotonic): TIMER message to port, or kill p (deadline).
 * A timer that cannot be kept (no memory, no thread) kills p, saying so. */
void ward_timer_add (int64_t when_ns, int kind, ward_proc *p, int port, const char *why);
/* p has ended: its timers are dropped, and the references they held. */
void ward_timers_forget (ward_proc *p);
int64_t ward_now_ns (void);        /* monotonic */
int64_t ward_thread_cpu_ns (void); /* the calling thread's CPU time (0: unknown) */
int64_t ward_wall_ms (void);       /* since the epoch */

/* ---- run control ---- */
/* Called as p ends (runtime/main.c): the run's first process leaves its
 * outcome (abnormal, error) for ward's exit status; when the master ends
 * the run is told to end. */
void ward_run_master_exited (ward_proc *p, int abnormal, const char *error);

#endif
