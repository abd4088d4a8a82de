/* session.c -- run a command in a session of its own and report what of it
 * outlives it; for the tests of a run's end (tests/lua/runtime/signals.sh,
 * tests/lua/sandbox/lifetime.sh).
 *
 *   session REPORT CMD [ARGS...]
 *
 * REPORT.pid gets CMD's pid as soon as it runs.
 * session becomes a child subreaper, so that every descendant of CMD left
 * when CMD exits is reparented to it (zombies included: session reaps only
 * CMD until it has looked). CMD runs with SIGINT, SIGTERM and SIGHUP at
 * their default and unblocked, in a new session (setsid). Those three
 * signals sent to session are forwarded to CMD. Once CMD has exited,
 * REPORT gets these lines:
 *
 *   status exited N | status signaled N
 *   signal NAME ms N        (per forwarded signal: ms from it to CMD's exit)
 *   leftover PID PPID SID STATE COMM
 *                           (a process in CMD's session, or one that
 *                           outlived CMD and was reparented to session)
 *
 * then every leftover is killed and reaped. REPORT appears only then, whole
 * (written as REPORT.tmp, then renamed): a test waits for it to know the
 * run is over. session exits with CMD's status (128 + signo when a signal
 * ended it), or 99 when it cannot work. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../unit/testutil.h"

static const int forwarded[] = { SIGINT, SIGTERM, SIGHUP };
#define NFWD 3

typedef struct { pid_t pid, ppid, sid; char state; char comm[64]; } procinfo;

/* Read /proc/PID/stat; 0, or -1 when the process is gone. */
static int
read_stat (pid_t pid, procinfo *out)
{
  char path[64], buf[1024];
  snprintf (path, sizeof path, "/proc/%d/stat", (int) pid);
  if (tu_read_file (path, buf, sizeof buf) < 0)
    return -1;
  char *open = strchr (buf, '('), *close = strrchr (buf, ')');
  if (open == NULL || close == NULL || close < open)
    return -1;
  size_t len = (size_t) (close - open - 1);
  if (len >= sizeof out->comm)
    len = sizeof out->comm - 1;
  memcpy (out->comm, open + 1, len);
  out->comm[len] = '\0';
  int ppid, pgrp, sid;
  char state;
  if (sscanf (close + 1, " %c %d %d %d", &state, &ppid, &pgrp, &sid) != 4)
    return -1;
  out->pid = pid;
  out->ppid = ppid;
  out->sid = sid;
  out->state = state;
  return 0;
}

static long
ms_since (const struct timespec *t0)
{
  struct timespec now;
  clock_gettime (CLOCK_MONOTONIC, &now);
  return (now.tv_sec - t0->tv_sec) * 1000 + (now.tv_nsec - t0->tv_nsec) / 1000000;
}

int
main (int argc, char **argv)
{
  if (argc < 3)
    {
      fprintf (stderr, "usage: session REPORT CMD [ARGS...]\n");
      return 99;
    }
  char tmp[4096];
  snprintf (tmp, sizeof tmp, "%s.tmp", argv[1]);
  FILE *report = fopen (tmp, "we");
  if (report == NULL)
    {
      perror (tmp);
      return 99;
    }
  if (prctl (PR_SET_CHILD_SUBREAPER, 1) < 0)
    {
      perror ("session: PR_SET_CHILD_SUBREAPER");
      return 99;
    }
  /* A background job of a shell inherits SIGINT ignored: an ignored signal
   * is dropped even while blocked, so set the default first. */
  sigset_t set;
  sigemptyset (&set);
  sigaddset (&set, SIGCHLD);
  for (int i = 0; i < NFWD; i++)
    {
      if (signal (forwarded[i], SIG_DFL) == SIG_ERR)
        {
          perror ("session: signal");
          return 99;
        }
      sigaddset (&set, forwarded[i]);
    }
  if (sigprocmask (SIG_BLOCK, &set, NULL) < 0)
    {
      perror ("session: sigprocmask");
      return 99;
    }
  int sfd = signalfd (-1, &set, SFD_CLOEXEC);
  if (sfd < 0)
    {
      perror ("session: signalfd");
      return 99;
    }
  fflush (NULL);
  pid_t child = fork ();
  if (child < 0)
    {
      perror ("session: fork");
      return 99;
    }
  if (child == 0)
    {
      sigset_t none;
      sigemptyset (&none);
      if (sigprocmask (SIG_SETMASK, &none, NULL) < 0 || setsid () < 0)
        _exit (99);
      execvp (argv[2], argv + 2);
      perror (argv[2]);
      _exit (99);
    }

  /* REPORT.pid: CMD's pid, for a test that looks at CMD's processes */
  char pidtmp[4200], pidpath[4200];
  snprintf (pidtmp, sizeof pidtmp, "%s.pid.tmp", argv[1]);
  snprintf (pidpath, sizeof pidpath, "%s.pid", argv[1]);
  FILE *pf = fopen (pidtmp, "we");
  if (pf == NULL || fprintf (pf, "%d\n", (int) child) < 0 || fclose (pf) != 0
      || rename (pidtmp, pidpath) < 0)
    perror (pidpath);

  struct timespec sent[NFWD];
  int was_sent[NFWD] = { 0 };
  int status = 0;
  for (;;)
    {
      struct signalfd_siginfo si;
      ssize_t n = read (sfd, &si, sizeof si);
      if (n < 0 && errno == EINTR)
        continue;
      if (n != (ssize_t) sizeof si)
        {
          perror ("session: read signalfd");
          return 99;
        }
      for (int i = 0; i < NFWD; i++)
        if ((int) si.ssi_signo == forwarded[i])
          {
            if (!was_sent[i])
              clock_gettime (CLOCK_MONOTONIC, &sent[i]);
            was_sent[i] = 1;
            kill (child, forwarded[i]);
          }
      if (si.ssi_signo == SIGCHLD)
        {
          pid_t r = waitpid (child, &status, WNOHANG);
          if (r == child)
            break;
        }
    }
  long after[NFWD];
  for (int i = 0; i < NFWD; i++)
    after[i] = was_sent[i] ? ms_since (&sent[i]) : -1;

  /* What is left: in CMD's session, or reparented to us. */
  pid_t left[4096];
  size_t nleft = 0;
  DIR *d = opendir ("/proc");
  if (d == NULL)
    {
      perror ("session: /proc");
      return 99;
    }
  struct dirent *e;
  while ((e = readdir (d)) != NULL && nleft < sizeof left / sizeof left[0])
    {
      char *end;
      long pid = strtol (e->d_name, &end, 10);
      procinfo pi;
      if (*end != '\0' || pid <= 0 || read_stat ((pid_t) pid, &pi) < 0)
        continue;
      if (pi.sid == child || (pi.ppid == getpid () && pi.pid != child))
        {
          fprintf (report, "leftover %d %d %d %c %s\n", (int) pi.pid, (int) pi.ppid,
                   (int) pi.sid, pi.state, pi.comm);
          left[nleft++] = pi.pid;
        }
    }
  closedir (d);
  if (WIFEXITED (status))
    fprintf (report, "status exited %d\n", WEXITSTATUS (status));
  else
    fprintf (report, "status signaled %d\n", WTERMSIG (status));
  for (int i = 0; i < NFWD; i++)
    if (after[i] >= 0)
      fprintf (report, "signal SIG%s ms %ld\n", sigabbrev_np (forwarded[i]), after[i]);
  fclose (report);

  /* Leave nothing behind: kill what was left, then reap every child. */
  for (size_t i = 0; i < nleft; i++)
    kill (left[i], SIGKILL);
  while (waitpid (-1, NULL, 0) > 0 || errno == EINTR)
    ;
  if (rename (tmp, argv[1]) < 0)
    {
      perror (argv[1]);
      return 99;
    }
  return WIFEXITED (status) ? WEXITSTATUS (status) : 128 + WTERMSIG (status);
}
