/* timer.c -- one thread that fires timers: time.after/sleep channels and
 * the enforced deadline of cancel. A binary heap ordered by due time. The
 * thread starts with the first timer: a run that sets none has none. */
#include "config.h"
#include "rt.h"
#include "wgrow.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* A timer: its place in the heap is kept up to date, and it is linked into
 * its process's list (ward_proc timer_list), so that a process that ends
 * drops its own timers without a look at anyone else's. */
typedef struct ward_timer {
  int64_t when;
  int kind;
  ward_proc *p;         /* a reference */
  int port;
  size_t at;            /* its index in the heap */
  struct ward_timer *next, **pprev;     /* p's timers (under the lock) */
  char why[160];
} timer;

static struct {
  pthread_mutex_t lock;
  pthread_cond_t cond;
  pthread_t thread;
  timer **heap;
  size_t n, cap;
  int running, stop;
} ward_timers = { .lock = PTHREAD_MUTEX_INITIALIZER };

int64_t
ward_now_ns (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (int64_t) ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int64_t
ward_thread_cpu_ns (void)
{
  struct timespec ts;
  if (clock_gettime (CLOCK_THREAD_CPUTIME_ID, &ts) < 0)
    return 0;
  return (int64_t) ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int64_t
ward_wall_ms (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_REALTIME, &ts);
  return (int64_t) ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static void
heap_swap (size_t a, size_t b)
{
  timer *t = ward_timers.heap[a];
  ward_timers.heap[a] = ward_timers.heap[b];
  ward_timers.heap[b] = t;
  ward_timers.heap[a]->at = a;
  ward_timers.heap[b]->at = b;
}

static void
heap_up (size_t i)
{
  while (i > 0 && ward_timers.heap[(i - 1) / 2]->when > ward_timers.heap[i]->when)
    {
      heap_swap (i, (i - 1) / 2);
      i = (i - 1) / 2;
    }
}

static void
heap_down (size_t i)
{
  for (;;)
    {
      size_t l = 2 * i + 1, r = l + 1, m = i;
      if (l < ward_timers.n && ward_timers.heap[l]->when < ward_timers.heap[m]->when)
        m = l;
      if (r < ward_timers.n && ward_timers.heap[r]->when < ward_timers.heap[m]->when)
        m = r;
      if (m == i)
        return;
      heap_swap (i, m);
      i = m;
    }
}

/* Take t out of the heap and out of its process's list (with the lock);
 * the caller owns it then. */
static void
heap_take (timer *t)
{
  size_t i = t->at, last = --ward_timers.n;
  if (i != last)
    {
      /* the last one fills the hole, then goes up or down to its place
       * (if it goes up, what comes down to i is in order already) */
      ward_timers.heap[i] = ward_timers.heap[last];
      ward_timers.heap[i]->at = i;
      heap_up (i);
      heap_down (i);
    }
  *t->pprev = t->next;
  if (t->next)
    t->next->pprev = t->pprev;
  atomic_fetch_sub (&t->p->timers, 1);
}

static void
fire (timer *t)
{
  if (t->kind == WARD_TIMER_DEADLINE)
    ward_proc_kill (t->p, "%s", t->why);
  else
    {
      ward_msg *m = ward_msg_new (WARD_MSG_TIMER, "", NULL, NULL, 0);
      if (m)
        {
          m->port = t->port;
          m->at = ward_wall_ms ();
          ward_deliver (t->p, m, NULL);
        }
      else
        ward_proc_kill (t->p, "out of memory firing a timer");
    }
  ward_proc_unref (t->p);
  free (t);
}

static void *
timer_main (void *arg)
{
  ward_lock (&ward_timers.lock, WARD_LOCK_TIMERS);
  while (!ward_timers.stop)
    {
      if (ward_timers.n == 0)
        {
          pthread_cond_wait (&ward_timers.cond, &ward_timers.lock);
          continue;
        }
      int64_t now = ward_now_ns ();
      if (ward_timers.heap[0]->when > now)
        {
          struct timespec ts;
          int64_t when = ward_timers.heap[0]->when;
          ts.tv_sec = when / 1000000000LL;
          ts.tv_nsec = when % 1000000000LL;
          pthread_cond_timedwait (&ward_timers.cond, &ward_timers.lock, &ts);
          continue;
        }
      timer *t = ward_timers.heap[0];
      heap_take (t);
      ward_unlock (&ward_timers.lock);
      fire (t);
      ward_lock (&ward_timers.lock, WARD_LOCK_TIMERS);
    }
  ward_unlock (&ward_timers.lock);
  return NULL;
}

int
ward_timers_start (ward_err *err)
{
  pthread_condattr_t ca;
  int rc = pthread_condattr_init (&ca);
  if (rc == 0)
    {
      rc = pthread_condattr_setclock (&ca, CLOCK_MONOTONIC);
      if (rc == 0)
        rc = pthread_cond_init (&ward_timers.cond, &ca);
      pthread_condattr_destroy (&ca);
    }
  if (rc != 0)
    return ward_err_set (err, WARD_E_INTERNAL, rc, "setting up the timers");
  ward_timers.stop = 0;
  return 0;
}

/* The thread, at the first timer (lock held): 0, or -1 when it cannot be
 * started. */
static int
thread_locked (void)
{
  if (ward_timers.running)
    return 0;
  if (ward_timers.stop || pthread_create (&ward_timers.thread, NULL, timer_main, NULL) != 0)
    return -1;
  ward_timers.running = 1;
  return 0;
}

void
ward_timers_stop (void)
{
  ward_lock (&ward_timers.lock, WARD_LOCK_TIMERS);
  ward_timers.stop = 1;                 /* and no thread starts from now */
  int running = ward_timers.running;
  pthread_cond_signal (&ward_timers.cond);
  ward_unlock (&ward_timers.lock);
  if (running)
    pthread_join (ward_timers.thread, NULL);
  ward_timers.running = 0;
  for (size_t i = 0; i < ward_timers.n; i++)
    {
      ward_timers.heap[i]->p->timer_list = NULL;
      ward_proc_unref (ward_timers.heap[i]->p);
      free (ward_timers.heap[i]);
    }
  free (ward_timers.heap);
  ward_timers.heap = NULL;
  ward_timers.n = ward_timers.cap = 0;
}

void
ward_timer_add (int64_t when_ns, int kind, ward_proc *p, int port, const char *why)
{
  timer *t = calloc (1, sizeof *t);
  ward_lock (&ward_timers.lock, WARD_LOCK_TIMERS);
  if (thread_locked () < 0)
    {
      ward_unlock (&ward_timers.lock);
      free (t);
      ward_proc_kill (p, "cannot start the timer thread");
      return;
    }
  if (t == NULL || WARD_GROW (ward_timers.heap, ward_timers.cap, ward_timers.n + 1, 64) != 0)
    {
      ward_unlock (&ward_timers.lock);
      free (t);
      ward_proc_kill (p, "out of memory adding a timer");
      return;
    }
  t->when = when_ns;
  t->kind = kind;
  t->p = p;
  ward_proc_ref (p);
  atomic_fetch_add (&p->timers, 1);
  t->port = port;
  if (why)
    snprintf (t->why, sizeof t->why, "%s", why);
  t->next = p->timer_list;
  if (t->next)
    t->next->pprev = &t->next;
  t->pprev = &p->timer_list;
  p->timer_list = t;
  t->at = ward_timers.n;
  ward_timers.heap[ward_timers.n] = t;
  heap_up (ward_timers.n++);
  pthread_cond_signal (&ward_timers.cond);
  ward_unlock (&ward_timers.lock);
}

void
ward_timers_forget (ward_proc *p)
{
  if (atomic_load (&p->timers) == 0)
    return;                     /* the usual case: nothing to look for */
  timer *gone = NULL;
  ward_lock (&ward_timers.lock, WARD_LOCK_TIMERS);
  while (p->timer_list)
    {
      timer *t = p->timer_list;
      heap_take (t);
      t->next = gone;
      gone = t;
    }
  pthread_cond_signal (&ward_timers.cond);        /* its earliest may have gone */
  ward_unlock (&ward_timers.lock);
  while (gone)
    {
      timer *t = gone;
      gone = t->next;
      ward_proc_unref (p);                /* the caller holds its own */
      free (t);
    }
}
