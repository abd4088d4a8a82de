/* pid1.c -- PID 1 of a child's PID namespace: forwards the polite signals
 * to the actor, reaps every zombie, and exits with the actor's code. */
#include "config.h"
#include "proto.h"
#include "lockdown.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

void
wsb__pid1_signals (sigset_t *set)
{
  sigemptyset (set);
  sigaddset (set, SIGCHLD);
  sigaddset (set, SIGTERM);
  sigaddset (set, SIGINT);
  sigaddset (set, SIGHUP);
  sigaddset (set, SIGUSR1);
  sigaddset (set, SIGUSR2);
}

void
wsb__pid1 (pid_t actor, int sfd)
{
  ward_err e;
  ward_err_clear (&e);
  /* Already locked down (spawn.c); it keeps only its status pipe. */
  int keep[] = { sfd };
  if (wsb__close_fds_except (keep, 1, &e) < 0)
    {
      kill (actor, SIGKILL);
      ward_err_prefix (&e, "sandbox: pid 1");
      wsb__child_fail (sfd, &e);
    }
  if (wsb__write_ready (sfd) < 0)
    {
      kill (actor, SIGKILL);
      _exit (127);
    }

  /* The set was blocked before the fork; a blocked signal is queued for
   * init even when its disposition is the default. */
  sigset_t set;
  wsb__pid1_signals (&set);
  for (;;)
    {
      siginfo_t si;
      int sig = sigwaitinfo (&set, &si);
      if (sig < 0)
        continue;
      if (sig != SIGCHLD)
        {
          kill (actor, sig);
          continue;
        }
      int status = 0, done = 0;
      for (;;)
        {
          int st;
          pid_t w = waitpid (-1, &st, WNOHANG);
          if (w <= 0)
            break;
          if (w == actor)
            {
              done = 1;
              status = st;
            }
        }
      if (!done)
        continue;
      struct wsb_rec r;
      memset (&r, 0, sizeof r);
      r.type = WSB_REC_EXIT;
      int code;
      if (WIFSIGNALED (status))
        {
          r.code = WCOREDUMP (status) ? CLD_DUMPED : CLD_KILLED;
          r.status = WTERMSIG (status);
          code = 128 + WTERMSIG (status);
        }
      else
        {
          r.code = CLD_EXITED;
          r.status = WEXITSTATUS (status);
          code = WEXITSTATUS (status);
        }
      wsb__write_rec (sfd, &r);
      _exit (code);
    }
}
