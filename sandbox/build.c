/* build.c -- the supervisor's children are built here: one on request,
 * or one built ahead for the next warm request equal to the last. Each is
 * cloned (spawn.c) and awaited until it is ready. */
#include "config.h"
#include "supervisor.h"
#include "wfault.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* A child built ahead for the next warm request equal to `q` and its
 * payload (whose strings the profile points into, kept for rebuilds). */
struct warm {
  struct wsb_req q;             /* flags, fdmask: as requested */
  char *payload;
  int stdio[3];                 /* our copies of the request's fds, or -1 */
  pid_t pid;                    /* 0: none ready */
  int pidfd, status_fd, chan;   /* chan: the runtime's end */
  struct timespec refill;       /* when to build the next (0: not due) */
};
#define NWARM 8
#define REFILL_DELAY_MS 3
static struct warm warms[NWARM];

static long
ms_left (const struct timespec *deadline)
{
  struct timespec now;
  clock_gettime (CLOCK_MONOTONIC, &now);
  long ms = (deadline->tv_sec - now.tv_sec) * 1000
            + (deadline->tv_nsec - now.tv_nsec) / 1000000;
  return ms < 0 ? 0 : ms;
}

/* Read status records until nready READYs. Returns 0, or -1 with err;
 * *ended tells that the child went away without a word. */
static int
await_ready (int fd, int nready, int *ended, ward_err *err)
{
  struct timespec deadline;
  clock_gettime (CLOCK_MONOTONIC, &deadline);
  deadline.tv_sec += WSB_READY_TIMEOUT_MS / 1000;
  *ended = 0;
  for (int got = 0; got < nready;)
    {
      struct pollfd pf = { fd, POLLIN, 0 };
      int r = poll (&pf, 1, (int) ms_left (&deadline));
      if (r < 0 && errno == EINTR)
        continue;
      if (r == 0)
        return ward_err_set (err, WARD_E_UNAVAILABLE, 0,
                             "sandbox: the child was not ready within %d ms",
                             WSB_READY_TIMEOUT_MS);
      struct wsb_rec rec;
      ssize_t n = read (fd, &rec, sizeof rec);
      if (n < 0 && errno == EINTR)
        continue;
      if (n == 0)
        {
          *ended = 1;
          return ward_err_set (err, WARD_E_INTERNAL, 0,
                               "sandbox: the child ended before it was ready");
        }
      if (n != (ssize_t) sizeof rec)
        return ward_err_set (err, WARD_E_INTERNAL, n < 0 ? errno : 0,
                             "sandbox: reading the child's status");
      switch (rec.type)
        {
        case WSB_REC_READY:
          got++;
          break;
        case WSB_REC_ERROR:
          rec.msg[sizeof rec.msg - 1] = '\0';
          err->kind = rec.kind > WARD_OK && rec.kind <= WARD_E_INTERNAL
                      ? (ward_kind) rec.kind : WARD_E_INTERNAL;
          err->errnum = rec.errnum;
          memcpy (err->msg, rec.msg, sizeof err->msg);
          return -1;
        case WSB_REC_EXIT:
          {
            char how[128];
            wsb_describe_exit (rec.code, rec.status, -1, how, sizeof how);
            return ward_err_set (err, WARD_E_INTERNAL, 0, "sandbox: the actor "
                                 "ended before it was ready: it %s", how);
          }
        default:
          return ward_err_set (err, WARD_E_INTERNAL, 0,
                               "sandbox: a bad status record");
        }
    }
  return 0;
}

static void
kill_and_wait (pid_t pid, int *status)
{
  kill (pid, SIGKILL);
  while (waitpid (pid, status, 0) < 0 && errno == EINTR)
    ;
}

/* Build one child on chan (its end) with the given stdio and init arg,
 * and wait until it is ready. 0 with *pid, *pidfd and *status_fd (PID 1's
 * status pipe, or -1), or -1 with err and nothing left running. */
static int
build (const wsb_profile *prof, int chan, const int stdio[3], int arg_fd, pid_t *pidp,
       int *pidfdp, int *status_fdp, ward_err *err)
{
  struct wsb_job job;
  memset (&job, 0, sizeof job);
  wsb__job_base (&job);
  job.prof = *prof;
  job.chan = chan;
  memcpy (job.stdio, stdio, sizeof job.stdio);
  job.prof.init_arg_fd = arg_fd;

  int pidfd = -1, srd = -1;
  pid_t pid = wsb__clone_child (&job, &pidfd, &srd, err);
  if (pid < 0)
    return -1;
  int pid1 = (prof->limits.namespaces & WARD_NS_PID) != 0, ended;
  if (await_ready (srd, pid1 ? 2 : 1, &ended, err) < 0)
    {
      int st = 0;
      kill_and_wait (pid, &st);
      if (ended)
        {
          char how[128];
          wsb_describe_exit (WIFSIGNALED (st) ? CLD_KILLED : CLD_EXITED,
                             WIFSIGNALED (st) ? WTERMSIG (st) : WEXITSTATUS (st),
                             -1, how, sizeof how);
          ward_err_set (err, WARD_E_INTERNAL, 0, "sandbox: the child "
                        "ended before it was ready: it %s", how);
        }
      close (srd);
      close (pidfd);
      return -1;
    }
  if (pid1)
    {
      /* the loop reads PID 1's records as they come: a blocking read
       * would stop the supervisor, so a failure aborts this spawn */
      int fl = fcntl (srd, F_GETFL);
      if (wfault_at ("supervisor.nonblock") || fl < 0
          || fcntl (srd, F_SETFL, fl | O_NONBLOCK) < 0)
        {
          ward_err_set (err, WARD_E_INTERNAL, errno,
                        "sandbox: cannot make the status pipe non-blocking");
          int st = 0;
          kill_and_wait (pid, &st);
          close (srd);
          close (pidfd);
          return -1;
        }
    }
  else
    {
      close (srd);
      srd = -1;
    }
  *pidp = pid;
  *pidfdp = pidfd;
  *status_fdp = srd;
  return 0;
}

void
wsb__spawn (const wsb_profile *prof, const int *fds, uint32_t fdmask)
{
  ward_err err;
  ward_err_clear (&err);
  int k = 1, stdio[3];
  stdio[0] = fdmask & WSB_FD_STDIN ? fds[k++] : -1;
  stdio[1] = fdmask & WSB_FD_STDOUT ? fds[k++] : -1;
  stdio[2] = fdmask & WSB_FD_STDERR ? fds[k++] : -1;
  int arg = fdmask & WSB_FD_ARG ? fds[k++] : -1;
  pid_t pid;
  int pidfd, srd;
  if (wsb__reserve_kid (&err) < 0
      || build (prof, fds[0], stdio, arg, &pid, &pidfd, &srd, &err) < 0)
    {
      wsb__reply (&err, 0, -1);
      return;
    }
  wsb__add_kid (pid, srd);
  wsb__reply (NULL, pid, pidfd);
  close (pidfd);
}

/* Build a child for warm entry w on a new channel; 0 or -1 with err. */
static int
build_warm (struct warm *w, const wsb_profile *prof, ward_err *err)
{
  int ch[2];
  if (socketpair (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, ch) < 0)
    return ward_err_set (err, wsb__errno_kind (errno), errno, "sandbox: channel socket");
  if (build (prof, ch[1], w->stdio, -1, &w->pid, &w->pidfd, &w->status_fd, err) < 0)
    {
      close (ch[0]);
      close (ch[1]);
      w->pid = 0;
      return -1;
    }
  close (ch[1]);
  w->chan = ch[0];
  return 0;
}

static int
same_request (const struct wsb_req *a, const char *pa, const struct wsb_req *b,
              const char *pb)
{
  return memcmp (a, b, sizeof *a) == 0 && memcmp (pa, pb, a->payload) == 0;
}

/* A warm spawn: hand over the child built ahead for this request, or build
 * one now; then build the next one ahead. */
void
wsb__spawn_warm (const struct wsb_req *q, char *buf, const wsb_profile *prof,
                 const int *fds)
{
  ward_err err;
  ward_err_clear (&err);
  struct warm *w = NULL, *free_slot = NULL;
  for (int i = 0; i < NWARM; i++)
    if (warms[i].payload != NULL && same_request (&warms[i].q, warms[i].payload, q, buf))
      w = &warms[i];
    else if (warms[i].payload == NULL && free_slot == NULL)
      free_slot = &warms[i];
  if (wsb__reserve_kid (&err) < 0)
    {
      wsb__reply (&err, 0, -1);
      return;
    }
  if (w == NULL && free_slot != NULL)
    {
      /* remember the request; keep copies of its fds for the rebuilds */
      char *copy = malloc ((size_t) q->payload + 1);
      if (copy != NULL)
        {
          memcpy (copy, buf, (size_t) q->payload + 1);
          w = free_slot;
          memset (w, 0, sizeof *w);
          w->q = *q;
          w->payload = copy;
          int k = 0;
          for (int i = 0; i < 3; i++)
            w->stdio[i] = q->fdmask & (WSB_FD_STDIN << i) ? fcntl (fds[k++], F_DUPFD_CLOEXEC, 3)
                                                            : -1;
        }
    }
  struct warm now;                /* what goes to the runtime */
  if (w != NULL && w->pid > 0)
    {
      now = *w;
      w->pid = 0;
    }
  else
    {
      memset (&now, 0, sizeof now);
      if (w != NULL)
        memcpy (now.stdio, w->stdio, sizeof now.stdio);
      else
        {
          int k = 0;
          for (int i = 0; i < 3; i++)
            now.stdio[i] = q->fdmask & (WSB_FD_STDIN << i) ? fds[k++] : -1;
        }
      if (build_warm (&now, prof, &err) < 0)
        {
          wsb__reply (&err, 0, -1);
          return;
        }
    }
  wsb__add_kid (now.pid, now.status_fd);
  wsb__reply2 (NULL, now.pid, now.pidfd, now.chan);
  close (now.pidfd);
  close (now.chan);
  if (w != NULL)
    {
      /* The next one is built a little later: building competes for the
       * CPU with the child just handed over, which is starting its actor. */
      clock_gettime (CLOCK_MONOTONIC, &w->refill);
      w->refill.tv_nsec += REFILL_DELAY_MS * 1000000L;
      if (w->refill.tv_nsec >= 1000000000L)
        w->refill.tv_sec++, w->refill.tv_nsec -= 1000000000L;
    }
}

/* Build the warm children that are due; returns the poll timeout (ms) to
 * the next one, or -1. */
int
wsb__refill_warm (void)
{
  struct timespec now;
  clock_gettime (CLOCK_MONOTONIC, &now);
  long next = -1;
  for (int i = 0; i < NWARM; i++)
    {
      struct warm *w = &warms[i];
      if (w->payload == NULL || (w->refill.tv_sec == 0 && w->refill.tv_nsec == 0))
        continue;
      long ms = (w->refill.tv_sec - now.tv_sec) * 1000
                + (w->refill.tv_nsec - now.tv_nsec) / 1000000;
      if (ms > 0)
        {
          next = next < 0 || ms < next ? ms : next;
          continue;
        }
      w->refill.tv_sec = w->refill.tv_nsec = 0;
      if (w->pid > 0)
        continue;
      /* from the kept request: the strings of the profile point into it */
      wsb_profile kept;
      const char **env = NULL;
      ward_err e2;
      ward_err_clear (&e2);
      if (wsb__parse_req (&w->q, w->payload, &kept, &env, &e2) == 0)
        (void) build_warm (w, &kept, &e2);   /* on failure: built on demand */
      free (env);
    }
  return (int) next;
}

/* ---- what the supervisor asks of the warm children ------------------- */

int
wsb__warm_reaped (pid_t pid)
{
  int found = 0;
  for (int w = 0; w < NWARM; w++)
    if (warms[w].pid == pid)
      {
        close (warms[w].pidfd);
        close (warms[w].chan);
        if (warms[w].status_fd >= 0)
          close (warms[w].status_fd);
        warms[w].pid = 0;
        found = 1;
      }
  return found;
}

int
wsb__warm_alive (void)
{
  for (int w = 0; w < NWARM; w++)
    if (warms[w].pid > 0)
      return 1;
  return 0;
}

void
wsb__warm_kill (void)
{
  for (int w = 0; w < NWARM; w++)
    if (warms[w].pid > 0)
      (void) kill (warms[w].pid, SIGKILL);
}
