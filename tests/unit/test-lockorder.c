/* test-lockorder.c -- the lock order of runtime/core/rt.h as checked in
 * builds with WARD_LOCK_DEBUG (configure --enable-sanitizers; this test is
 * always compiled with it, with lock.c): nesting in rank order passes; a lock taken under one of an equal or higher rank,
 * or a release of a lock not held, aborts naming the locks. Each case runs
 * in a child of its own, whose stderr and end are read. */
#include "config.h"
#include "tap.h"
#include "rt.h"

#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#ifdef WARD_LOCK_DEBUG
static pthread_mutex_t a = PTHREAD_MUTEX_INITIALIZER, b = PTHREAD_MUTEX_INITIALIZER;
static pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;

/* Run fn in a child: its wait status, and its stderr in out. */
static int
in_child (void (*fn) (void), char *out, size_t outsz)
{
  int p[2];
  if (pipe (p) < 0)
    return -1;
  pid_t pid = fork ();
  if (pid == 0)
    {
      dup2 (p[1], 2);
      close (p[0]);
      fn ();
      _exit (0);
    }
  close (p[1]);
  size_t n = 0;
  ssize_t r;
  while (n + 1 < outsz && (r = read (p[0], out + n, outsz - 1 - n)) > 0)
    n += (size_t) r;
  out[n] = '\0';
  close (p[0]);
  int st = -1;
  while (waitpid (pid, &st, 0) < 0 && errno == EINTR)
    ;
  return st;
}

static void
in_order (void)
{
  ward_lock (&a, WARD_LOCK_TOPO);
  ward_wrlock (&rw, WARD_LOCK_TABLE);
  ward_lock (&b, WARD_LOCK_PROC);
  ward_unlock (&a);               /* released out of order: allowed */
  ward_unlock (&b);
  ward_rwunlock (&rw);
  ward_lock (&b, WARD_LOCK_RUN);  /* nothing held: any rank */
  ward_unlock (&b);
}

static void
inverted (void)
{
  ward_lock (&b, WARD_LOCK_RUN);
  ward_lock (&a, WARD_LOCK_TOPO);
}

static void
same_rank (void)
{
  ward_lock (&a, WARD_LOCK_PROC);
  ward_lock (&b, WARD_LOCK_PROC);
}

static void
not_held (void)
{
  ward_unlock (&a);
}

static void
check (const char *what, void (*fn) (void), int aborts, const char *says)
{
  char err[2048];
  int st = in_child (fn, err, sizeof err);
  if (!aborts)
    {
      ok (WIFEXITED (st) && WEXITSTATUS (st) == 0, "%s: runs to its end", what);
      is_str (err, "", "%s: and says nothing", what);
      return;
    }
  ok (WIFSIGNALED (st) && WTERMSIG (st) == SIGABRT, "%s: aborts (status %#x)", what, st);
  ok (strstr (err, says) != NULL, "%s: saying \"%s\"", what, says);
  if (strstr (err, says) == NULL)
    printf ("#   stderr: %s\n", err);
}
#endif

int
main (void)
{
#ifndef WARD_LOCK_DEBUG
  printf ("1..0 # SKIP built without WARD_LOCK_DEBUG (configure --enable-sanitizers)\n");
  return 0;
#else
  plan (8);
  check ("TOPO, TABLE, PROC, then RUN alone", in_order, 0, NULL);
  check ("TOPO under RUN", inverted, 1, "ward: lock order broken: taking");
  check ("two PROC locks", same_rank, 1, "ward: lock order broken: taking");
  check ("a release of a lock not held", not_held, 1, "releasing a lock not held");
  return done ();
#endif
}
