/* wtime.c -- time one whole process for the benchmarks: fork, exec, wait,
 * with clock_gettime on either side, so that the figure is the process's
 * and not a shell's (a `date` on either side adds a millisecond or more).
 *
 *   wtime OUT CMD [ARG...]
 *
 * Runs CMD with stdin on /dev/null and stdout and stderr into the file OUT
 * (truncated), waits for it, and prints one line:
 *
 *   WALL_US CPU_US STATUS
 *
 * WALL_US: from just before the fork to the end of the wait, CLOCK_MONOTONIC;
 * CPU_US: user and system time of CMD and the descendants it waited for
 * (wait4's rusage); STATUS: its exit status, or 128 + the signal that ended
 * it. Exits 0 when CMD was run (whatever its status), 127 when it could not
 * be executed, 125 on any other failure. Built with the check programs so
 * that it cannot rot (tests/bench/bench.mk). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long
now_us (void)
{
  struct timespec t;
  clock_gettime (CLOCK_MONOTONIC, &t);
  return (long long) t.tv_sec * 1000000 + t.tv_nsec / 1000;
}

int
main (int argc, char **argv)
{
  if (argc < 3)
    {
      fprintf (stderr, "usage: wtime OUT CMD [ARG...]\n");
      return 125;
    }
  int out = open (argv[1], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  int in = open ("/dev/null", O_RDONLY | O_CLOEXEC);
  if (out < 0 || in < 0)
    {
      fprintf (stderr, "wtime: %s: %s\n", out < 0 ? argv[1] : "/dev/null", strerror (errno));
      return 125;
    }
  /* a failed exec is told through this pipe (closed by a successful one) */
  int ep[2];
  if (pipe2 (ep, O_CLOEXEC) < 0)
    {
      perror ("wtime: pipe");
      return 125;
    }
  fflush (NULL);
  long long t0 = now_us ();
  pid_t pid = fork ();
  if (pid < 0)
    {
      perror ("wtime: fork");
      return 125;
    }
  if (pid == 0)
    {
      if (dup2 (in, 0) < 0 || dup2 (out, 1) < 0 || dup2 (out, 2) < 0)
        _exit (125);
      execvp (argv[2], argv + 2);
      int e = errno;
      (void) !write (ep[1], &e, sizeof e);
      _exit (127);
    }
  close (ep[1]);
  int status;
  struct rusage ru;
  pid_t w;
  while ((w = wait4 (pid, &status, 0, &ru)) < 0 && errno == EINTR)
    ;
  long long t1 = now_us ();
  if (w < 0)
    {
      perror ("wtime: wait4");
      return 125;
    }
  int e;
  if (read (ep[0], &e, sizeof e) == (ssize_t) sizeof e)
    {
      fprintf (stderr, "wtime: %s: %s\n", argv[2], strerror (e));
      return 127;
    }
  long long cpu = (long long) (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000
                  + ru.ru_utime.tv_usec + ru.ru_stime.tv_usec;
  int st = WIFEXITED (status) ? WEXITSTATUS (status) : 128 + WTERMSIG (status);
  printf ("%lld %lld %d\n", t1 - t0, cpu, st);
  return 0;
}
