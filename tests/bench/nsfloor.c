/* nsfloor.c -- what any cold-started sandbox pays on this machine, for the
 * start-up bench (tests/bench/startup.sh): the exec of a trivial process
 * (fork, exec of /bin/true, wait) and one clone3 with the six namespaces
 * of the strict profile (user, PID, network, mount, IPC, UTS) whose child
 * exits at once (clone, exit, wait). A cold `ward run --untrusted` or
 * `bwrap --unshare-all` pays both and more, so their sum is the floor that
 * ward's and bubblewrap's figures stand beside.
 *
 *   nsfloor [RUNS]
 *
 * Runs each RUNS times (default 5), alternating, and prints one line:
 *
 *   EXEC_US CLONE_US
 *
 * the medians of their wall times in microseconds (CLOCK_MONOTONIC).
 * Exits 0, 77 when the namespaces cannot be made here (no unprivileged
 * user namespaces), 1 on any other failure. Built with the check programs
 * so that it cannot rot (tests/bench/bench.mk). */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bstat.h"

/* clone3's argument, declared here: <linux/sched.h> clashes with glibc's
 * <sched.h> over the CLONE_* macros. */
struct clone_args_v0 {
  uint64_t flags, pidfd, child_tid, parent_tid, exit_signal;
  uint64_t stack, stack_size, tls;
};

static int
wait_for (pid_t pid)
{
  int st;
  while (waitpid (pid, &st, 0) < 0)
    if (errno != EINTR)
      return -1;
  return WIFEXITED (st) && WEXITSTATUS (st) == 0 ? 0 : -1;
}

/* One fork, exec of /bin/true and wait: its wall time, or -1. */
static double
time_exec (void)
{
  double t0 = bench_now_us ();
  pid_t pid = fork ();
  if (pid < 0)
    return -1;
  if (pid == 0)
    {
      execl ("/bin/true", "true", (char *) NULL);
      _exit (127);
    }
  if (wait_for (pid) < 0)
    return -1;
  return bench_now_us () - t0;
}

/* One clone3 with the six namespaces, the child exiting at once, and the
 * wait: its wall time, or -1 (errno set). */
static double
time_clone (void)
{
  struct clone_args_v0 ca;
  memset (&ca, 0, sizeof ca);
  ca.flags = CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWNS | CLONE_NEWIPC
             | CLONE_NEWUTS;
  ca.exit_signal = SIGCHLD;
  double t0 = bench_now_us ();
  long pid = syscall (SYS_clone3, &ca, sizeof ca);
  if (pid < 0)
    return -1;
  if (pid == 0)
    _exit (0);
  if (wait_for ((pid_t) pid) < 0)
    return -1;
  return bench_now_us () - t0;
}

int
main (int argc, char **argv)
{
  int runs = argc > 1 ? atoi (argv[1]) : 5;
  if (runs < 1 || runs > 100000)
    {
      fprintf (stderr, "usage: nsfloor [RUNS]\n");
      return 1;
    }
  double *ex = calloc ((size_t) runs, sizeof *ex), *cl = calloc ((size_t) runs, sizeof *cl);
  if (ex == NULL || cl == NULL)
    return 1;
  for (int i = 0; i < runs; i++)
    {
      if ((ex[i] = time_exec ()) < 0)
        {
          fprintf (stderr, "nsfloor: fork and exec of /bin/true failed\n");
          return 1;
        }
      if ((cl[i] = time_clone ()) < 0)
        {
          int e = errno;
          fprintf (stderr, "nsfloor: clone3 with six namespaces: %s\n", strerror (e));
          return e == EPERM || e == EINVAL || e == ENOSPC || e == EUSERS ? 77 : 1;
        }
    }
  printf ("%.0f %.0f\n", bench_median (ex, (size_t) runs, NULL, NULL),
          bench_median (cl, (size_t) runs, NULL, NULL));
  return 0;
}
