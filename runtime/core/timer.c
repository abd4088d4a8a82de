/* timer.c -- one thread that fires timers: time.after/sleep channels and
 * the enforced deadline of cancel. A binary heap ordered by due time. */
#include "config.h"
#include "rt.h"
#include "wgrow.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct timer {
  int64_t when;
  int kind;
  ward_proc *p;         /* a reference */
  int port;
  char why[160];
} timer;

static struct {
  pthread_mutex_t lock;
  pthread_cond_t cond;
  pthread_t thread;
  timer *heap;
  size_t n, cap;
  int running, stop;
} T = { .lock = PTHREAD_MUTEX_INITIALIZER };

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
  timer t = T.heap[a];
  T.heap[a] = T.heap[b];
  T.heap[b] = t;
}

static void
heap_up (size_t i)
{
  while (i > 0 && T.heap[(i - 1) / 2].when > T.heap[i].when)
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
      if (l < T.n && T.heap[l].when < T.heap[m].when)
        m = l;
      if (r < T.n && T.heap[r].when < T.heap[m].when)
        m = r;
      if (m == i)
        return;
      heap_swap (i, m);
      i = m;
    }
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
}

static void *
timer_main (void *arg)
{
  ward_lock (&T.lock, WARD_LOCK_TIMERS);
  while (!T.stop)
    {
      if (T.n == 0)
        {
          pthread_cond_wait (&T.cond, &T.lock);
          continue;
        }
      int64_t now = ward_now_ns ();
      if (T.heap[0].when > now)
        {
          struct timespec ts;
          int64_t when = T.heap[0].when;
          ts.tv_sec = when / 1000000000LL;
          ts.tv_nsec = when % 1000000000LL;
          pthread_cond_timedwait (&T.cond, &T.lock, &ts);
          continue;
        }
      timer t = T.heap[0];
      T.heap[0] = T.heap[--T.n];
      heap_down (0);
      atomic_fetch_sub (&t.p->timers, 1);
      ward_unlock (&T.lock);
      fire (&t);
      ward_lock (&T.lock, WARD_LOCK_TIMERS);
    }
  ward_unlock (&T.lock);
  return NULL;
}

int
ward_timers_start (ward_err *err)
{
  pthread_condattr_t ca;
  pthread_condattr_init (&ca);
  pthread_condattr_setclock (&ca, CLOCK_MONOTONIC);
  pthread_cond_init (&T.cond, &ca);
  pthread_condattr_destroy (&ca);
  int rc = pthread_create (&T.thread, NULL, timer_main, NULL);
  if (rc != 0)
    return ward_err_set (err, WARD_E_INTERNAL, rc, "starting the timer thread");
  T.running = 1;
  return 0;
}

void
ward_timers_stop (void)
{
  if (!T.running)
    return;
  ward_lock (&T.lock, WARD_LOCK_TIMERS);
  T.stop = 1;
  pthread_cond_signal (&T.cond);
  ward_unlock (&T.lock);
  pthread_join (T.thread, NULL);
  T.running = 0;
  for (size_t i = 0; i < T.n; i++)
    ward_proc_unref (T.heap[i].p);
  free (T.heap);
  T.heap = NULL;
  T.n = T.cap = 0;
}

void
ward_timer_add (int64_t when_ns, int kind, ward_proc *p, int port, const char *why)
{
  ward_lock (&T.lock, WARD_LOCK_TIMERS);
  if (WARD_GROW (T.heap, T.cap, T.n + 1, 64) != 0)
    {
      ward_unlock (&T.lock);
      ward_proc_kill (p, "out of memory adding a timer");
      return;
    }
  timer *t = &T.heap[T.n];
  memset (t, 0, sizeof *t);
  t->when = when_ns;
  t->kind = kind;
  t->p = p;
  ward_proc_ref (p);
  atomic_fetch_add (&p->timers, 1);
  t->port = port;
  if (why)
    snprintf (t->why, sizeof t->why, "%s", why);
  heap_up (T.n++);
  pthread_cond_signal (&T.cond);
  ward_unlock (&T.lock);
}

void
ward_timers_forget (ward_proc *p)
{
  if (atomic_load (&p->timers) == 0)
    return;                     /* the usual case: nothing to look for */
  size_t dropped = 0;
  ward_lock (&T.lock, WARD_LOCK_TIMERS);
  for (size_t i = 0; i < T.n;)
    if (T.heap[i].p == p)
      {
        T.heap[i] = T.heap[--T.n];
        dropped++;
      }
    else
      i++;
  for (size_t i = T.n / 2; i-- > 0;)
    heap_down (i);
  atomic_fetch_sub (&p->timers, (unsigned) dropped);
  pthread_cond_signal (&T.cond);        /* its earliest may have gone */
  ward_unlock (&T.lock);
  while (dropped-- > 0)
    ward_proc_unref (p);                /* the caller holds its own */
}
