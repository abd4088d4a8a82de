/* build.c -- the supervisor's children are built here: one on request
 * (cloned by spawn.c and awaited until it is ready), or ahead of warm
 * requests. Each distinct warm request has a pool of children kept ready,
 * as many as the demand of the last seconds calls for; they are built in
 * the background, in parallel up to the core count, and each is handed
 * to one actor only. */
#include "config.h"
#include "supervisor.h"
#include "wfault.h"
#include "init.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define NPOOL 8                 /* distinct warm requests with a pool */
#define POOL_MAX 16             /* children kept ready for one, at most */
#define REFILL_DELAY_MS 3
#define FIRST_REFILL_DELAY_MS 50
#define DEMAND_WINDOW_MS 2000
#define RUN_GAP_MAX_MS 10

static long
ms_left (const struct timespec *deadline)
{
  struct timespec now;
  clock_gettime (CLOCK_MONOTONIC, &now);
  long ms = (deadline->tv_sec - now.tv_sec) * 1000
            + (deadline->tv_nsec - now.tv_nsec) / 1000000;
  return ms < 0 ? 0 : ms;
}

/* One status record of a child being built: *got counts its READYs.
 * 0, or -1 with err when it reports a failure or is not a record. */
static int
take_rec (const struct wsb_rec *rec, ssize_t n, int *got, ward_err *err)
{
  if (n != (ssize_t) sizeof *rec)
    return ward_err_set (err, WARD_E_INTERNAL, n < 0 ? errno : 0,
                         "sandbox: reading the child's status");
  switch (rec->type)
    {
    case WSB_REC_READY:
      ++*got;
      return 0;
    case WSB_REC_ERROR:
      err->kind = rec->kind > WARD_OK && rec->kind <= WARD_E_INTERNAL
                  ? (ward_kind) rec->kind : WARD_E_INTERNAL;
      err->errnum = rec->errnum;
      memcpy (err->msg, rec->msg, sizeof err->msg);
      err->msg[sizeof err->msg - 1] = '\0';
      return -1;
    case WSB_REC_EXIT:
      {
        char how[128];
        wsb_describe_exit (rec->code, rec->status, -1, how, sizeof how);
        return ward_err_set (err, WARD_E_INTERNAL, 0, "sandbox: the actor "
                             "ended before it was ready: it %s", how);
      }
    default:
      return ward_err_set (err, WARD_E_INTERNAL, 0, "sandbox: a bad status record");
    }
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
      if (take_rec (&rec, n, &got, err) < 0)
        return -1;
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

/* A child that failed before it was ready: killed and reaped, its
 * descriptors closed. When it ended without a word (ended), err says how. */
static void
give_up (pid_t pid, int pidfd, int srd, int ended, ward_err *err)
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
}

/* The supervisor's loop reads a status pipe as records come: a blocking
 * read would stop it, so a failure here aborts the child. 0 or -1. */
static int
nonblocking (int fd, ward_err *err)
{
  int fl = fcntl (fd, F_GETFL);
  if (wfault_at ("supervisor.nonblock") || fl < 0
      || fcntl (fd, F_SETFL, fl | O_NONBLOCK) < 0)
    return ward_err_set (err, WARD_E_INTERNAL, errno,
                         "sandbox: cannot make the status pipe non-blocking");
  return 0;
}

/* Clone one child on chan (its end) with the given stdio and init arg.
 * Its pid with *pidfdp and *srdp (its status pipe), or -1 with err. */
static pid_t
start_child (const wsb_profile *prof, int chan, const int stdio[3], int arg_fd,
             winit_ready *init, int waits, int *pidfdp, int *srdp, ward_err *err)
{
  struct wsb_job job;
  memset (&job, 0, sizeof job);
  wsb__job_base (&job);
  job.prof = *prof;
  job.chan = chan;
  memcpy (job.stdio, stdio, sizeof job.stdio);
  job.prof.init_arg_fd = arg_fd;
  job.init_ready = init;
  job.waits = waits;
  return wsb__clone_child (&job, pidfdp, srdp, err);
}

/* Build one child on chan (its end) with the given stdio and init arg,
 * and wait until it is ready. 0 with *pid, *pidfd and *status_fd (PID 1's
 * status pipe, or -1), or -1 with err and nothing left running. */
static int
build (const wsb_profile *prof, int chan, const int stdio[3], int arg_fd, pid_t *pidp,
       int *pidfdp, int *status_fdp, ward_err *err)
{
  int pidfd = -1, srd = -1;
  pid_t pid = start_child (prof, chan, stdio, arg_fd, NULL, 0, &pidfd, &srd, err);
  if (pid < 0)
    return -1;
  int pid1 = (prof->limits.namespaces & WARD_NS_PID) != 0, ended;
  if (await_ready (srd, pid1 ? 2 : 1, &ended, err) < 0)
    {
      give_up (pid, pidfd, srd, ended, err);
      return -1;
    }
  if (pid1 && nonblocking (srd, err) < 0)
    {
      give_up (pid, pidfd, srd, 0, err);
      return -1;
    }
  if (!pid1)
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


/* ---- children built ahead -------------------------------------------- */

/* A pool: the children kept ready for one distinct warm request `q` and
 * its payload (whose strings the profile points into, kept for the
 * builds). Its size follows the demand: the longest run of requests,
 * each within one refill time (see hit) of the answer before, over the
 * last DEMAND_WINDOW_MS; at least one
 * once the request was seen, at most POOL_MAX. The ones past it are
 * killed when the window has passed. */
struct pool {
  struct wsb_req q;
  char *payload;                /* NULL: the slot is free */
  int stdio[3];                 /* our copies of the request's fds, or -1 */
  unsigned nhits;               /* requests ever seen */
  int64_t last_hit;             /* when the last was answered */
  int run;                      /* how many came in a run, up to it */
  int peak;                     /* the demand, as of peak_at */
  int64_t peak_at;
  int64_t refill;               /* builds wait until then */
  int failed;                   /* a build failed: none until the next request */
  ward_err last;                /* why the last build failed */
  /* its init script made ready once for all its children (NULL: none,
   * or making it failed and each child reports why) */
  winit_ready *init;
  int init_tried;
};

/* A child of a pool, being built or ready. */
struct ahead {
  struct pool *pool;            /* NULL: the slot is free */
  int ready;
  int dying;                    /* ready, killed past the demand: to be reaped */
  int need;                     /* READY records still to come */
  pid_t pid;
  int pidfd, status_fd, chan;   /* chan: the runtime's end */
  int64_t started;              /* when it was cloned */
  uint64_t seq;                 /* when it became ready, in order */
};

static struct pool pools[NPOOL];
/* room for every pool's children and, while they are reaped, as many
 * killed past the demand */
static struct ahead aheads[2 * NPOOL * POOL_MAX];
#define NAHEAD ((int) (sizeof aheads / sizeof aheads[0]))
static int ahead_ep = -1;       /* epoll: the status pipes of the ones being built */
static int ncores;              /* how many are built at once, at most */
static int64_t build_ns;        /* how long a build takes, a moving mean */
static uint64_t ready_seq;

static int64_t
now_ns (void)
{
  struct timespec t;
  clock_gettime (CLOCK_MONOTONIC, &t);
  return (int64_t) t.tv_sec * 1000000000 + t.tv_nsec;
}

static int
cores (void)
{
  if (ncores == 0)
    {
      cpu_set_t set;
      long n = sched_getaffinity (0, sizeof set, &set) == 0 ? CPU_COUNT (&set)
               : sysconf (_SC_NPROCESSORS_ONLN);
      ncores = n < 1 ? 1 : n > NAHEAD ? NAHEAD : (int) n;
    }
  return ncores;
}

/* How many children of pool pi (all pools: -1) are ready, and building. */
static void
count (int pi, int *ready, int *building)
{
  *ready = *building = 0;
  for (int i = 0; i < NAHEAD; i++)
    if (aheads[i].pool != NULL && !aheads[i].dying
        && (pi < 0 || aheads[i].pool == &pools[pi]))
      ++*(aheads[i].ready ? ready : building);
}

/* Forget a child (killed and reaped, or handed over: its descriptors
 * are closed by then, or here with close_all). */
static void
forget (struct ahead *a, int close_all)
{
  if (a->status_fd >= 0)
    {
      if (!a->ready)
        (void) epoll_ctl (ahead_ep, EPOLL_CTL_DEL, a->status_fd, NULL);
      if (close_all)
        close (a->status_fd);
    }
  if (close_all)
    {
      close (a->pidfd);
      close (a->chan);
    }
  memset (a, 0, sizeof *a);
  a->status_fd = a->pidfd = a->chan = -1;
}

/* A child being built failed (err): killed, reaped and forgotten; its
 * pool builds no more until the next request, which reports err when
 * it has no child left to take. */
static void
build_failed (struct ahead *a, int ended, ward_err *err)
{
  struct pool *p = a->pool;
  (void) epoll_ctl (ahead_ep, EPOLL_CTL_DEL, a->status_fd, NULL);
  give_up (a->pid, a->pidfd, a->status_fd, ended, err);
  close (a->chan);
  a->status_fd = a->pidfd = a->chan = -1;
  p->last = *err;
  p->failed = 1;
  forget (a, 0);
}

static int target (const struct pool *p, int64_t now);

/* Start building a child for pool pi; waits: it is for a spawn not
 * expected soon (wsb_child_waits). 0, or -1 with err. */
static int
start_ahead (int pi, int waits, ward_err *err)
{
  struct pool *p = &pools[pi];
  struct ahead *a = NULL;
  for (int i = 0; i < NAHEAD && a == NULL; i++)
    if (aheads[i].pool == NULL)
      a = &aheads[i];
  if (a == NULL)
    return ward_err_set (err, WARD_E_UNAVAILABLE, 0, "sandbox: no room for a child");
  if (ahead_ep < 0 && (ahead_ep = epoll_create1 (EPOLL_CLOEXEC)) < 0)
    return ward_err_set (err, wsb__errno_kind (errno), errno, "sandbox: epoll");
  /* from the kept request: the strings of the profile point into it */
  wsb_profile prof;
  const char **env = NULL;
  if (wsb__parse_req (&p->q, p->payload, &prof, &env, err) < 0)
    return -1;
  int ch[2];
  if (socketpair (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, ch) < 0)
    {
      free (env);
      return ward_err_set (err, wsb__errno_kind (errno), errno, "sandbox: channel socket");
    }
  /* The init script is made ready here once, so that each child only runs
   * its copy: its state, calls and compiled chunk are the same for all. */
  if (prof.init_script != NULL && !p->init_tried)
    {
      ward_err ierr;            /* (the children say it, failing) */
      p->init_tried = 1;
      p->init = wsb__init_ready (&prof, &ierr);
    }
  int pidfd = -1, srd = -1;
  int64_t t0 = now_ns ();
  pid_t pid = start_child (&prof, ch[1], p->stdio, -1, p->init, waits, &pidfd, &srd, err);
  free (env);                   /* the child has its copy */
  close (ch[1]);
  if (pid < 0)
    {
      close (ch[0]);
      return -1;
    }
  struct epoll_event ev = { .events = EPOLLIN };
  if (nonblocking (srd, err) < 0
      || (epoll_ctl (ahead_ep, EPOLL_CTL_ADD, srd, &ev) < 0
          && ward_err_set (err, wsb__errno_kind (errno), errno, "sandbox: epoll") < 0))
    {
      give_up (pid, pidfd, srd, 0, err);
      close (ch[0]);
      return -1;
    }
  *a = (struct ahead) { .pool = p, .need = p->q.limits.namespaces & WARD_NS_PID ? 2 : 1,
                        .pid = pid, .pidfd = pidfd, .status_fd = srd, .chan = ch[0],
                        .started = t0 };
  return 0;
}

/* Read what the children being built have said: each that is ready is
 * marked so (in the order they became ready), each that failed, or is
 * late, is killed. */
static void
progress (void)
{
  int64_t now = now_ns ();
  for (int i = 0; i < NAHEAD; i++)
    {
      struct ahead *a = &aheads[i];
      if (a->pool == NULL || a->ready)
        continue;
      ward_err err;
      ward_err_clear (&err);
      int got = 0, bad = 0, ended = 0;
      while (got < a->need && !bad)
        {
          struct wsb_rec rec;
          ssize_t n = read (a->status_fd, &rec, sizeof rec);
          if (n < 0 && errno == EINTR)
            continue;
          if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
          if (n == 0)
            {
              ended = bad = 1;
              ward_err_set (&err, WARD_E_INTERNAL, 0,
                            "sandbox: the child ended before it was ready");
            }
          else
            bad = take_rec (&rec, n, &got, &err) < 0;
        }
      a->need -= got;
      if (!bad && a->need > 0 && now - a->started > (int64_t) WSB_READY_TIMEOUT_MS * 1000000)
        bad = ward_err_set (&err, WARD_E_UNAVAILABLE, 0,
                            "sandbox: the child was not ready within %d ms",
                            WSB_READY_TIMEOUT_MS) < 0;
      if (bad)
        {
          build_failed (a, ended, &err);
          continue;
        }
      if (a->need > 0)
        continue;
      /* ready: PID 1's pipe stays open for its exit record, read by the loop */
      (void) epoll_ctl (ahead_ep, EPOLL_CTL_DEL, a->status_fd, NULL);
      if (!(a->pool->q.limits.namespaces & WARD_NS_PID))
        {
          close (a->status_fd);
          a->status_fd = -1;
        }
      a->ready = 1;
      a->seq = ++ready_seq;
      int64_t took = now - a->started;
      build_ns = build_ns == 0 ? took : (build_ns * 7 + took) / 8;
    }
}

/* The demand on pool p at now: see struct pool. */
static int
target (const struct pool *p, int64_t now)
{
  if (p->nhits == 0)
    return 0;
  if (now - p->peak_at > (int64_t) DEMAND_WINDOW_MS * 1000000)
    return 1;
  return p->peak;
}

/* A request of pool p came at now. Requests that each came within one
 * refill time (the delay before a build plus a build's time, at most
 * RUN_GAP_MAX_MS) of the hand-over before form a run: the pool could not
 * have been refilled in between, so the run's length is the demand, when
 * it is the most lately seen. */
static void
hit (struct pool *p, int64_t now)
{
  int64_t span = (int64_t) REFILL_DELAY_MS * 1000000 + build_ns;
  if (span > (int64_t) RUN_GAP_MAX_MS * 1000000)
    span = (int64_t) RUN_GAP_MAX_MS * 1000000;
  p->run = p->nhits > 0 && now - p->last_hit <= span ? p->run + 1 : 1;
  int c = p->run < POOL_MAX ? p->run : POOL_MAX;
  if (c >= p->peak || now - p->peak_at > (int64_t) DEMAND_WINDOW_MS * 1000000)
    {
      p->peak = c;
      p->peak_at = now;
    }
  p->nhits++;
}

/* The ready child of pool pi that has waited longest, or NULL. */
static struct ahead *
oldest_ready (int pi)
{
  struct ahead *a = NULL;
  for (int i = 0; i < NAHEAD; i++)
    if (aheads[i].pool == &pools[pi] && aheads[i].ready && !aheads[i].dying
        && (a == NULL || aheads[i].seq < a->seq))
      a = &aheads[i];
  return a;
}

/* Bring pool pi toward its demand: build while it is short (as many at
 * once as there are cores, all pools together), kill the ready ones past
 * it. Returns the time (ns) until it next needs to be seen, or -1. */
static int64_t
tend (int pi, int64_t now)
{
  struct pool *p = &pools[pi];
  int want = target (p, now), ready, building, all_ready, all_building;
  count (pi, &ready, &building);
  while (ready > want)
    {
      /* the one that waited longest goes; it is reaped by the loop */
      struct ahead *old = oldest_ready (pi);
      (void) kill (old->pid, SIGKILL);
      old->dying = 1;
      ready--;
    }
  int64_t next = -1;
  if (ready > 1)
    next = p->peak_at + (int64_t) DEMAND_WINDOW_MS * 1000000 - now;
  if (p->failed || ready + building >= want)
    return next;
  if (p->refill > now)
    return next < 0 || p->refill - now < next ? p->refill - now : next;
  /* As many at once as there are cores while the pool is empty (spawns
   * wait, or will); one at a time while it still has some, so that the
   * builds leave the CPU to the actors started meanwhile. */
  count (-1, &all_ready, &all_building);
  int at_once = ready == 0 ? cores () : 1;
  while (ready + building < want && all_building < at_once)
    {
      ward_err err;
      ward_err_clear (&err);
      /* one built while the demand is one will wait for its spawn; one
       * built for a run of spawns is wanted at once */
      if (start_ahead (pi, want <= 1, &err) < 0)
        {
          p->last = err;
          p->failed = 1;          /* on failure: built on demand */
          break;
        }
      building++;
      all_building++;
    }
  return next;
}

int
wsb__refill_warm (void)
{
  if (ahead_ep < 0)
    return -1;                  /* no warm request yet */
  progress ();
  int64_t now = now_ns (), next = -1;
  for (int pi = 0; pi < NPOOL; pi++)
    if (pools[pi].payload != NULL)
      {
        int64_t t = tend (pi, now);
        if (t >= 0 && (next < 0 || t < next))
          next = t;
      }
  /* and the deadlines of the ones being built */
  for (int i = 0; i < NAHEAD; i++)
    if (aheads[i].pool != NULL && !aheads[i].ready)
      {
        int64_t t = aheads[i].started + (int64_t) WSB_READY_TIMEOUT_MS * 1000000 - now;
        if (next < 0 || t < next)
          next = t < 0 ? 0 : t;
      }
  return next < 0 ? -1 : (int) ((next + 999999) / 1000000);
}

int
wsb__warm_fd (void)
{
  return ahead_ep;
}

/* The pool for request q (buf its payload), made when it is new and there
 * is room; its index, or -1. */
static int
pool_for (const struct wsb_req *q, const char *buf, const int *fds)
{
  int free_slot = -1;
  for (int i = 0; i < NPOOL; i++)
    if (pools[i].payload == NULL)
      free_slot = free_slot < 0 ? i : free_slot;
    else if (memcmp (&pools[i].q, q, sizeof *q) == 0
             && memcmp (pools[i].payload, buf, q->payload) == 0)
      return i;
  if (free_slot < 0)
    return -1;
  /* remember the request; keep copies of its fds for the builds */
  struct pool *p = &pools[free_slot];
  char *copy = malloc ((size_t) q->payload + 1);
  if (copy == NULL)
    return -1;
  memcpy (copy, buf, (size_t) q->payload + 1);
  memset (p, 0, sizeof *p);
  p->q = *q;
  int k = 0, bad = 0;
  for (int i = 0; i < 3; i++)
    {
      p->stdio[i] = -1;
      if (q->fdmask & (WSB_FD_STDIN << i))
        bad |= (p->stdio[i] = fcntl (fds[k++], F_DUPFD_CLOEXEC, 3)) < 0;
    }
  if (bad)
    {
      for (int i = 0; i < 3; i++)
        if (p->stdio[i] >= 0)
          close (p->stdio[i]);
      free (copy);
      return -1;
    }
  p->payload = copy;
  return free_slot;
}

/* Build a child for the request now and hand it over (no pool for it). */
static void
spawn_now (const struct wsb_req *q, const wsb_profile *prof, const int *fds)
{
  ward_err err;
  ward_err_clear (&err);
  int k = 0, stdio[3];
  for (int i = 0; i < 3; i++)
    stdio[i] = q->fdmask & (WSB_FD_STDIN << i) ? fds[k++] : -1;
  int ch[2];
  pid_t pid;
  int pidfd, srd;
  if (socketpair (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, ch) < 0)
    {
      ward_err_set (&err, wsb__errno_kind (errno), errno, "sandbox: channel socket");
      wsb__reply (&err, 0, -1);
      return;
    }
  int r = build (prof, ch[1], stdio, -1, &pid, &pidfd, &srd, &err);
  close (ch[1]);
  if (r < 0)
    {
      close (ch[0]);
      wsb__reply (&err, 0, -1);
      return;
    }
  wsb__add_kid (pid, srd);
  wsb__reply2 (NULL, pid, pidfd, ch[0]);
  close (pidfd);
  close (ch[0]);
}

/* A warm spawn: hand over a child of the request's pool, built ahead or,
 * when none is ready, the first of the ones being built to be ready
 * (started now when none is). An error while building it aborts the
 * spawn. The pool is then refilled by the loop. */
void
wsb__spawn_warm (const struct wsb_req *q, char *buf, const wsb_profile *prof,
                 const int *fds)
{
  ward_err err;
  ward_err_clear (&err);
  if (wsb__reserve_kid (&err) < 0)
    {
      wsb__reply (&err, 0, -1);
      return;
    }
  int pi = pool_for (q, buf, fds);
  if (pi < 0)
    {
      spawn_now (q, prof, fds);
      return;
    }
  struct pool *p = &pools[pi];
  int64_t now = now_ns ();
  hit (p, now);
  p->failed = 0;
  progress ();
  struct ahead *a = oldest_ready (pi);
  if (a == NULL)
    {
      int ready, building;
      count (pi, &ready, &building);
      /* (for the spawn waiting now) */
      if (building == 0 && start_ahead (pi, 0, &err) < 0)
        {
          wsb__reply (&err, 0, -1);
          return;
        }
      /* the others the demand calls for are built meanwhile */
      p->refill = 0;
      (void) tend (pi, now);
      p->failed = 0;
      for (;;)
        {
          progress ();
          if ((a = oldest_ready (pi)) != NULL)
            break;
          count (pi, &ready, &building);
          if (building == 0)
            {
              wsb__reply (&p->last, 0, -1);
              return;
            }
          struct epoll_event ev[8];
          if (epoll_wait (ahead_ep, ev, 8, 1000) < 0 && errno != EINTR)
            {
              ward_err_set (&err, WARD_E_INTERNAL, errno, "sandbox: epoll");
              wsb__reply (&err, 0, -1);
              return;
            }
        }
    }
  wsb__add_kid (a->pid, a->status_fd);
  wsb__reply2 (NULL, a->pid, a->pidfd, a->chan);
  close (a->pidfd);
  close (a->chan);
  forget (a, 0);
  p->last_hit = now = now_ns ();
  /* The next ones are built a little later: building competes for the
   * CPU with the child just handed over, which is starting its actor (a
   * refill already due is not put off by the next spawns). But when the
   * demand has emptied a pool of more than one, they are needed at once. */
  int ready, building;
  count (pi, &ready, &building);
  if (ready == 0 && target (p, now) > 1)
    p->refill = 0;
  else if (p->nhits == 1)
    /* After the first spawn, the next child waits longer: a run that
     * spawns once and soon ends (a one-shot script) is spared building
     * one it would not use; one that spawns again meanwhile has it built
     * then, or at once when a run of spawns calls for more. */
    p->refill = now + (int64_t) FIRST_REFILL_DELAY_MS * 1000000;
  else if (p->refill <= now)
    p->refill = now + (int64_t) REFILL_DELAY_MS * 1000000;
}

/* ---- what the supervisor asks of the children built ahead ------------ */

int
wsb__warm_reaped (pid_t pid)
{
  for (int i = 0; i < NAHEAD; i++)
    if (aheads[i].pool != NULL && aheads[i].pid == pid)
      {
        if (aheads[i].dying)
          {
            forget (&aheads[i], 1);
            return 1;
          }
        /* it died unused: its pool builds no more until the next request */
        struct pool *p = aheads[i].pool;
        ward_err_set (&p->last, WARD_E_INTERNAL, 0,
                      "sandbox: the child ended before it was ready");
        p->failed = 1;
        forget (&aheads[i], 1);
        return 1;
      }
  return 0;
}

int
wsb__warm_alive (void)
{
  for (int i = 0; i < NAHEAD; i++)
    if (aheads[i].pool != NULL)
      return 1;
  return 0;
}

void
wsb__warm_kill (void)
{
  for (int i = 0; i < NAHEAD; i++)
    if (aheads[i].pool != NULL)
      (void) kill (aheads[i].pid, SIGKILL);
}
