/* sched.c -- hosts: named pools of worker threads with work stealing.
 * Each worker owns a FIFO run queue; an idle worker steals from the others
 * before it sleeps on the host's condition variable. */
#include "config.h"
#include "rt.h"
#include "vm.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

typedef struct ward_worker {
  ward_host *host;
  pthread_t thread;
  pthread_mutex_t lock;
  ward_proc *head, *tail;       /* run queue */
  size_t len;
  int index;
  int started;
  int owe_wake;                 /* pushed to itself without waking anyone */
  atomic_ulong runs, steals;    /* slices run; processes taken from others */
} ward_worker;

struct ward_host {
  char name[128];
  pthread_mutex_t lock;         /* workers array, sleeping */
  pthread_cond_t wake;
  ward_worker **workers;
  atomic_int nworkers;
  atomic_long queued;           /* processes in all run queues */
  atomic_int sleepers;
  atomic_int busy;                      /* workers inside a slice */
  atomic_uint rr;               /* round robin for pushes from outside */
  int stopping;
  int transient;                /* freed after its last hold (rt.h) */
  ward_host_io io;              /* its worker waits on a source of its own (rt.h) */
  atomic_int holds;
  ward_host *next;
};

static pthread_mutex_t ward_sched_hosts_lock = PTHREAD_MUTEX_INITIALIZER;
static ward_host *ward_sched_hosts;
static ward_host *ward_sched_retired;      /* transient hosts whose threads are ending */
/* Set by ward_hosts_stop before it frees the hosts: processes freed later
 * (timers' last references) must not touch their host. */
static atomic_int ward_sched_hosts_gone;
static _Thread_local ward_worker *tls_worker;
static _Thread_local ward_proc *tls_proc;

ward_proc *
ward_current (void)
{
  return tls_proc;
}

/* ward_sched_hold_pushes: the pushes held, each with a reference */
#define HELD_PUSHES 4
static _Thread_local int tls_holding, tls_nheld;
static _Thread_local ward_proc *tls_held[HELD_PUSHES];

void
ward_sched_hold_pushes (void)
{
  tls_holding = 1;
}

void
ward_sched_release_pushes (void)
{
  tls_holding = 0;
  for (int i = 0; i < tls_nheld; i++)
    {
      ward_sched_push (tls_held[i]);
      ward_proc_unref (tls_held[i]);
    }
  tls_nheld = 0;
}

static _Thread_local int tls_acting;

ward_proc *
ward_sched_act_as (ward_proc *p)
{
  ward_proc *was = tls_proc;
  tls_proc = p;
  tls_acting = p != NULL;         /* (only threads that run no process act) */
  return was;
}

int
ward_sched_acting (void)
{
  return tls_acting;
}

const char *
ward_host_name (const ward_host *h)
{
  return h->name;
}

ward_host *
ward_host_find (const char *name)
{
  ward_lock (&ward_sched_hosts_lock, WARD_LOCK_HOSTS);
  ward_host *h = ward_sched_hosts;
  while (h && (strcmp (h->name, name) != 0
               || (h->transient && atomic_load (&h->holds) == 0)))
    h = h->next;
  if (h && h->transient)
    atomic_fetch_add (&h->holds, 1);
  ward_unlock (&ward_sched_hosts_lock);
  return h;
}

void
ward_host_hold (ward_host *h)
{
  if (h == NULL || atomic_load (&ward_sched_hosts_gone) || !h->transient)
    return;
  ward_lock (&ward_sched_hosts_lock, WARD_LOCK_HOSTS);
  atomic_fetch_add (&h->holds, 1);
  ward_unlock (&ward_sched_hosts_lock);
}

void
ward_host_drop (ward_host *h)
{
  if (h == NULL || atomic_load (&ward_sched_hosts_gone) || !h->transient)
    return;
  ward_lock (&ward_sched_hosts_lock, WARD_LOCK_HOSTS);
  int last = atomic_fetch_sub (&h->holds, 1) == 1;
  if (last)
    {
      /* no process can be spawned here again: out of the list, then its
       * workers end (what called this may be one of them) */
      for (ward_host **pp = &ward_sched_hosts; *pp; pp = &(*pp)->next)
        if (*pp == h)
          {
            *pp = h->next;
            break;
          }
      h->next = ward_sched_retired;
      ward_sched_retired = h;
    }
  ward_unlock (&ward_sched_hosts_lock);
  if (last)
    {
      ward_lock (&h->lock, WARD_LOCK_HOST);
      h->stopping = 1;
      pthread_cond_broadcast (&h->wake);
      if (h->io.wake)
        h->io.wake (h->io.ctx);
      ward_unlock (&h->lock);
    }
}

static ward_proc *
queue_pop (ward_worker *w)
{
  ward_lock (&w->lock, WARD_LOCK_RUNQ);
  ward_proc *p = w->head;
  if (p)
    {
      w->head = p->next_run;
      if (w->head == NULL)
        w->tail = NULL;
      w->len--;
      p->next_run = NULL;
    }
  ward_unlock (&w->lock);
  return p;
}

static size_t
queue_push (ward_worker *w, ward_proc *p)
{
  ward_lock (&w->lock, WARD_LOCK_RUNQ);
  p->next_run = NULL;
  if (w->tail)
    w->tail->next_run = p;
  else
    w->head = p;
  w->tail = p;
  size_t n = ++w->len;
  ward_unlock (&w->lock);
  return n;
}

/* Take work: own queue first, then steal from the others in turn. */
static ward_proc *
find_work (ward_worker *self)
{
  ward_host *h = self->host;
  ward_proc *p = queue_pop (self);
  if (p == NULL)
    {
      int n = atomic_load (&h->nworkers);
      for (int i = 1; i < n && p == NULL; i++)
        p = queue_pop (h->workers[(self->index + i) % n]);
      if (p)
        atomic_fetch_add_explicit (&self->steals, 1, memory_order_relaxed);
    }
  if (p)
    atomic_fetch_sub (&h->queued, 1);
  return p;
}

static void *
worker_main (void *arg)
{
  ward_worker *w = arg;
  ward_host *h = w->host;
  tls_worker = w;
  ward_msgpool_attach ();
  for (;;)
    {
      ward_proc *p = find_work (w);
      if (p)
        {
          tls_proc = p;
          atomic_fetch_add_explicit (&w->runs, 1, memory_order_relaxed);
          atomic_fetch_add_explicit (&h->busy, 1, memory_order_relaxed);
          w->owe_wake = 0;
          ward_proc_run (p);
          atomic_fetch_sub_explicit (&h->busy, 1, memory_order_relaxed);
          tls_proc = NULL;
          ward_proc_unref (p);          /* the run queue's reference */
          continue;
        }
      ward_msgpool_idle ();
      ward_lock (&h->lock, WARD_LOCK_HOST);
      atomic_fetch_add (&h->sleepers, 1);
      /* A push to a busy worker's own queue signals nobody (see
       * ward_sched_push); if that worker then stays in one long slice --
       * a C function the count hook cannot interrupt -- what it queued
       * must not wait for it. While any worker is busy, sleepers look
       * again every 2 ms and steal what is queued. */
      while (atomic_load (&h->queued) == 0 && !h->stopping)
        {
          if (h->io.idle)
            {
              /* sleepers counted first: a push from now on wakes it */
              ward_host_io io = h->io;
              ward_unlock (&h->lock);
              io.idle (io.ctx);
              ward_lock (&h->lock, WARD_LOCK_HOST);
            }
          else if (atomic_load_explicit (&h->busy, memory_order_relaxed) == 0)
            pthread_cond_wait (&h->wake, &h->lock);
          else
            {
              struct timespec ts;
              clock_gettime (CLOCK_REALTIME, &ts);
              ts.tv_nsec += 2000000;
              if (ts.tv_nsec >= 1000000000L)
                ts.tv_sec++, ts.tv_nsec -= 1000000000L;
              pthread_cond_timedwait (&h->wake, &h->lock, &ts);
            }
        }
      atomic_fetch_sub (&h->sleepers, 1);
      int stop = h->stopping && atomic_load (&h->queued) == 0;
      ward_unlock (&h->lock);
      if (stop)
        break;
    }
  ward_lproc_thread_exit ();
  ward_msgpool_detach ();
  return NULL;
}

static void
wake_one (ward_host *h)
{
  ward_lock (&h->lock, WARD_LOCK_HOST);
  int io = h->io.wake != NULL;
  if (io)
    h->io.wake (h->io.ctx);
  ward_unlock (&h->lock);
  /* Signalled after the lock is given back, so that the sleeper it wakes
   * does not at once wait for the lock this thread holds. No wake-up is
   * lost: what was queued counts in h->queued before the lock was taken,
   * so a sleeper that looked before then is waiting by now (cond_wait
   * gave the lock back), and one that looks after sees it. */
  if (!io)
    pthread_cond_signal (&h->wake);
}

void
ward_host_set_io (ward_host *h, const ward_host_io *io)
{
  ward_lock (&h->lock, WARD_LOCK_HOST);
  if (io)
    h->io = *io;
  else
    memset (&h->io, 0, sizeof h->io);
  pthread_cond_broadcast (&h->wake);   /* a worker asleep looks again */
  ward_unlock (&h->lock);
}

void
ward_sched_push (ward_proc *p)
{
  ward_host *h = p->host;
  ward_worker *w = tls_worker;
  ward_proc_ref (p);
  if (tls_holding && tls_nheld < HELD_PUSHES)
    {
      tls_held[tls_nheld++] = p;        /* its reference is the one just taken */
      return;
    }
  int local = w != NULL && w->host == h;
  if (!local)
    {
      int n = atomic_load (&h->nworkers);
      w = h->workers[atomic_fetch_add (&h->rr, 1) % (unsigned) n];
    }
  size_t len = queue_push (w, p);
  atomic_fetch_add (&h->queued, 1);
  /* A worker's own push is run by itself next unless it already has work
   * queued: waking a sleeper to steal one process costs more than it
   * saves. A second queued process (a preempted one included) wakes one. */
  if (local && len == 1)
    w->owe_wake = 1;                    /* paid by ward_sched_nudge if need be */
  else if (atomic_load (&h->sleepers) > 0)
    wake_one (h);
}

void
ward_sched_nudge (void)
{
  ward_worker *w = tls_worker;
  if (w != NULL && w->host->io.poll)
    w->host->io.poll (w->host->io.ctx);
  if (w == NULL || !w->owe_wake)
    return;
  w->owe_wake = 0;
  ward_host *h = w->host;
  if (atomic_load (&h->queued) > 0 && atomic_load (&h->sleepers) > 0)
    wake_one (h);
}

int
ward_host_add_threads (ward_host *h, int n, ward_err *err)
{
  if (n < 0 || n > 1024)
    return ward_err_set (err, WARD_E_INVALID, 0, "thread count %d out of range 0..1024", n);
  ward_lock (&h->lock, WARD_LOCK_HOST);
  int have = atomic_load (&h->nworkers);
  if (have + n > 1024)
    {
      ward_unlock (&h->lock);
      return ward_err_set (err, WARD_E_UNAVAILABLE, 0,
                           "host %s would have more than 1024 threads", h->name);
    }
  /* The array is allocated once at its maximum so that thieves may read it
   * without the lock while it grows. */
  for (int i = 0; i < n; i++)
    {
      ward_worker *w = calloc (1, sizeof *w);
      if (w == NULL)
        {
          ward_unlock (&h->lock);
          return ward_err_set (err, WARD_E_INTERNAL, ENOMEM, "adding a worker to %s", h->name);
        }
      w->host = h;
      w->index = have + i;
      pthread_mutex_init (&w->lock, NULL);
      h->workers[have + i] = w;
      int rc = pthread_create (&w->thread, NULL, worker_main, w);
      if (rc != 0)
        {
          h->workers[have + i] = NULL;
          free (w);
          ward_unlock (&h->lock);
          return ward_err_set (err, WARD_E_UNAVAILABLE, rc, "starting a worker thread for %s",
                               h->name);
        }
      w->started = 1;
      atomic_store (&h->nworkers, have + i + 1);
    }
  ward_unlock (&h->lock);
  return 0;
}

/* Join and free the hosts of list (their workers are stopping or stopped). */
static void
free_hosts (ward_host *list)
{
  /* Join every worker of every host before freeing any: an idle worker
   * may still look into another's queue while it winds down. */
  for (ward_host *h = list; h; h = h->next)
    {
      int n = atomic_load (&h->nworkers);
      for (int i = 0; i < n; i++)
        pthread_join (h->workers[i]->thread, NULL);
    }
  while (list)
    {
      ward_host *h = list;
      list = h->next;
      int n = atomic_load (&h->nworkers);
      for (int i = 0; i < n; i++)
        {
          pthread_mutex_destroy (&h->workers[i]->lock);
          free (h->workers[i]);
        }
      free (h->workers);
      pthread_mutex_destroy (&h->lock);
      pthread_cond_destroy (&h->wake);
      free (h);
    }
}

/* Join and free the transient hosts that lost their last hold, unless the
 * caller is one of their workers (it cannot join itself: they wait). */
static void
reap_retired (void)
{
  ward_lock (&ward_sched_hosts_lock, WARD_LOCK_HOSTS);
  ward_host *list = ward_sched_retired, *keep = NULL;
  ward_sched_retired = NULL;
  ward_host *mine = tls_worker ? tls_worker->host : NULL;
  for (ward_host **pp = &list; *pp;)
    if (*pp == mine)
      {
        keep = *pp;
        *pp = keep->next;
        keep->next = NULL;
      }
    else
      pp = &(*pp)->next;
  ward_sched_retired = keep;
  ward_unlock (&ward_sched_hosts_lock);
  free_hosts (list);
}

static ward_host *host_create (const char *name, int threads, int transient, ward_err *err);

ward_host *
ward_host_create_transient (const char *name, int threads, ward_err *err)
{
  reap_retired ();
  return host_create (name, threads, 1, err);
}

ward_host *
ward_host_create (const char *name, int threads, ward_err *err)
{
  return host_create (name, threads, 0, err);
}

static ward_host *
host_create (const char *name, int threads, int transient, ward_err *err)
{
  if (strlen (name) >= sizeof ((ward_host *) 0)->name)
    {
      ward_err_set (err, WARD_E_INVALID, 0, "host name too long");
      return NULL;
    }
  if (threads < 1)
    {
      ward_err_set (err, WARD_E_INVALID, 0, "a host needs at least one thread");
      return NULL;
    }
  ward_host *h = calloc (1, sizeof *h);
  if (h == NULL || (h->workers = calloc (1024, sizeof *h->workers)) == NULL)
    {
      free (h);
      ward_err_set (err, WARD_E_INTERNAL, ENOMEM, "creating host %s", name);
      return NULL;
    }
  strcpy (h->name, name);
  h->transient = transient;
  atomic_init (&h->holds, transient);   /* the creator's */
  pthread_mutex_init (&h->lock, NULL);
  pthread_cond_init (&h->wake, NULL);
  if (ward_host_add_threads (h, threads, err) < 0 && atomic_load (&h->nworkers) == 0)
    {
      free (h->workers);
      free (h);
      return NULL;
    }
  ward_lock (&ward_sched_hosts_lock, WARD_LOCK_HOSTS);
  h->next = ward_sched_hosts;
  ward_sched_hosts = h;
  ward_unlock (&ward_sched_hosts_lock);
  return h;
}

int
ward_host_stats (ward_host *h, unsigned long *runs, unsigned long *steals, int max)
{
  int n = atomic_load (&h->nworkers);
  for (int i = 0; i < n && i < max; i++)
    {
      runs[i] = atomic_load (&h->workers[i]->runs);
      steals[i] = atomic_load (&h->workers[i]->steals);
    }
  return n;
}

void
ward_hosts_stop (void)
{
  ward_lock (&ward_sched_hosts_lock, WARD_LOCK_HOSTS);
  ward_host *list = ward_sched_hosts;
  ward_sched_hosts = NULL;
  atomic_store (&ward_sched_hosts_gone, 1);
  if (list == NULL)
    list = ward_sched_retired;
  else
    {
      ward_host *last = list;
      while (last->next)
        last = last->next;
      last->next = ward_sched_retired;     /* already stopping */
    }
  ward_sched_retired = NULL;
  ward_unlock (&ward_sched_hosts_lock);
  for (ward_host *h = list; h; h = h->next)
    {
      ward_lock (&h->lock, WARD_LOCK_HOST);
      h->stopping = 1;
      pthread_cond_broadcast (&h->wake);
      if (h->io.wake)
        h->io.wake (h->io.ctx);
      ward_unlock (&h->lock);
    }
  free_hosts (list);
}
