/* supervisor.c -- the supervisor process: one thread, one loop. It reads
 * requests from the runtime, has each child built (build.c) and hands
 * back its pidfd, reaps children and reports their ends on the events
 * socket. */
#include "config.h"
#include "supervisor.h"
#include "wfd.h"
#include "wgrow.h"
#include "wfault.h"
#include "lockdown.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct kid {
  pid_t pid;
  int status_fd;                /* PID 1's status pipe, else -1 */
  int detached;
};

static int sv_sock = -1, sv_evsock = -1, sv_sigfd = -1, sv_devnull = -1;
static wsb_entry_fn entry_fn;
static uid_t my_uid;
static gid_t my_gid;
static struct kid *sv_kids;
static size_t sv_nkids, sv_kids_cap;
/* whether any child was ever built: only then can orphans exist */
static int sv_built_any;
static wsb_exit *sv_evq;
static size_t nevq, evq_cap;
static int shutting_down;

/* ---- replies and events ---------------------------------------------- */

void
wsb__reply2 (const ward_err *err, pid_t pid, int pidfd, int chan)
{
  struct wsb_rep rep;
  memset (&rep, 0, sizeof rep);
  rep.status = err != NULL ? -1 : 0;
  rep.pid = pid;
  if (err != NULL)
    {
      rep.kind = err->kind != WARD_OK ? (int32_t) err->kind : WARD_E_INTERNAL;
      rep.errnum = err->errnum;
      memcpy (rep.msg, err->msg, sizeof rep.msg);
      rep.msg[sizeof rep.msg - 1] = '\0';
    }
  struct iovec iov = { &rep, sizeof rep };
  union { struct cmsghdr h; char buf[WFD_SPACE (2)]; } cm;
  struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
  memset (&cm, 0, sizeof cm);
  if (pidfd >= 0)
    {
      int fds[2] = { pidfd, chan };
      wfd_attach (&mh, cm.buf, fds, chan >= 0 ? 2 : 1);
    }
  /* a failure means the runtime is gone; the loop sees it next */
  while (sendmsg (sv_sock, &mh, MSG_NOSIGNAL) < 0 && errno == EINTR)
    ;
}

void
wsb__reply (const ward_err *err, pid_t pid, int pidfd)
{
  wsb__reply2 (err, pid, pidfd, -1);
}

static void
flush_events (void)
{
  size_t i = 0;
  while (i < nevq)
    {
      ssize_t n = send (sv_evsock, &sv_evq[i], sizeof sv_evq[i],
                        MSG_DONTWAIT | MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        break;
      i++;                      /* sent, or the runtime is gone: drop */
    }
  memmove (sv_evq, sv_evq + i, (nevq - i) * sizeof *sv_evq);
  nevq -= i;
}

static void
push_event (const wsb_exit *ev)
{
  if (WARD_GROW (sv_evq, evq_cap, nevq + 1, 64) != 0)
    return;                     /* the pidfd still tells the runtime */
  sv_evq[nevq++] = *ev;
  flush_events ();
}

/* ---- children -------------------------------------------------------- */

static struct kid *
find_kid (pid_t pid)
{
  for (size_t i = 0; i < sv_nkids; i++)
    if (sv_kids[i].pid == pid)
      return &sv_kids[i];
  return NULL;
}

/* A child of ours has ended (si, from waitid): forget it, and report it
 * when it was a kid. */
static void
reaped (const siginfo_t *si)
{
  struct kid *k = find_kid (si->si_pid);
  if (k == NULL)
    {
      /* a child built ahead that died unused is simply gone; else an
       * orphan we adopted as subreaper */
      (void) wsb__warm_reaped (si->si_pid);
      return;
    }
  wsb_exit ev = { si->si_pid, si->si_code, si->si_status,
                  si->si_code, si->si_status, -1 };
  if (k->status_fd >= 0)
    {
      struct wsb_rec r;
      if (read (k->status_fd, &r, sizeof r) == (ssize_t) sizeof r
          && r.type == WSB_REC_EXIT)
        {
          ev.code = r.code;
          ev.status = r.status;
        }
      close (k->status_fd);
    }
  *k = sv_kids[--sv_nkids];
  push_event (&ev);
}

static void
reap (void)
{
  for (;;)
    {
      siginfo_t si;
      memset (&si, 0, sizeof si);
      if (waitid (P_ALL, 0, &si, WEXITED | WNOHANG) < 0 || si.si_pid == 0)
        return;
      reaped (&si);
    }
}

static size_t
count_detached (void)
{
  size_t n = 0;
  for (size_t i = 0; i < sv_nkids; i++)
    n += sv_kids[i].detached != 0;
  return n;
}

/* The parent of process pid, from /proc; -1 when it cannot be read. */
static pid_t
parent_of (pid_t pid)
{
  char path[64], buf[512];
  snprintf (path, sizeof path, "/proc/%d/stat", (int) pid);
  int fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return -1;
  ssize_t n = read (fd, buf, sizeof buf - 1);
  close (fd);
  if (n <= 0)
    return -1;
  buf[n] = '\0';
  char *close_paren = strrchr (buf, ')');   /* the name may hold anything */
  int ppid;
  char state;
  if (close_paren == NULL || sscanf (close_paren + 1, " %c %d", &state, &ppid) != 2)
    return -1;
  return (pid_t) ppid;
}

/* SIGKILL child pid unless it is a detached kid; 1 when it was one of
 * ours to kill, 0 when it is detached. */
static long
kill_unless_detached (pid_t pid)
{
  struct kid *k = find_kid (pid);
  if (k != NULL && k->detached)
    return 0;
  (void) kill (pid, SIGKILL);           /* ESRCH: it has just gone */
  return 1;
}

/* kill_undetached from the kernel's list of our children
 * (/proc/self/task/TID/children; the supervisor has one thread). -1 when
 * the kernel keeps no such list (CONFIG_PROC_CHILDREN) or it cannot be
 * read whole. */
static long
kill_undetached_listed (void)
{
  char path[64];
  snprintf (path, sizeof path, "/proc/self/task/%d/children", (int) getpid ());
  int fd = wfault_at ("supervisor.children") ? -1 : open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return -1;
  /* one read: the list is small (the kids, warm children and orphans),
   * and a list that does not fit is left to the walk of /proc */
  char buf[16384];
  ssize_t n;
  do
    n = read (fd, buf, sizeof buf - 1);
  while (n < 0 && errno == EINTR);
  close (fd);
  if (n < 0 || (size_t) n >= sizeof buf - 1)
    return -1;
  buf[n] = '\0';
  long count = 0;
  char *p = buf, *end;
  for (long pid; (pid = strtol (p, &end, 10)) > 0; p = end)
    count += kill_unless_detached ((pid_t) pid);
  return count;
}

/* SIGKILL every child of ours but the detached kids: kids, children built
 * ahead, and orphans we adopted as subreaper. Returns how many there are
 * (zombies included), or -1 when /proc cannot tell. */
static long
kill_undetached (void)
{
  long listed = kill_undetached_listed ();
  if (listed >= 0)
    return listed;
  DIR *d = opendir ("/proc");
  if (d == NULL)
    return -1;
  pid_t me = getpid ();
  long n = 0;
  struct dirent *e;
  while ((e = readdir (d)) != NULL)
    {
      char *end;
      long pid = strtol (e->d_name, &end, 10);
      if (*end != '\0' || pid <= 0 || parent_of ((pid_t) pid) != me)
        continue;
      n += kill_unless_detached ((pid_t) pid);
    }
  closedir (d);
  return n;
}

/* Whether a child we know of, not detached, is still to be reaped. */
static int
known_undetached (void)
{
  for (size_t i = 0; i < sv_nkids; i++)
    if (!sv_kids[i].detached)
      return 1;
  return wsb__warm_alive ();
}

/* Wait for one child to end, and forget it. 0, or -1 when none is left. */
static int
reap_one (void)
{
  for (;;)
    {
      siginfo_t si;
      memset (&si, 0, sizeof si);
      if (waitid (P_ALL, 0, &si, WEXITED) == 0)
        {
          reaped (&si);
          return 0;
        }
      if (errno != EINTR)
        return -1;
    }
}

/* Kill every child not detached and reap it, with every orphan of theirs:
 * when this returns, nothing of ours is left but the detached kids (and
 * what they hold). Blocks; what is killed goes at once. */
static void
end_children (void)
{
  for (size_t i = 0; i < sv_nkids; i++)
    if (!sv_kids[i].detached)
      (void) kill (sv_kids[i].pid, SIGKILL);
  wsb__warm_kill ();
  while (known_undetached ())
    if (reap_one () < 0)
      return;
  /* Then what they left to us: the orphans of a child are ours once it is
   * gone. Each round kills and reaps one generation of them; without
   * /proc they cannot be found, and are left. A run that built no child
   * has no orphan to look for. */
  while (sv_built_any)
    {
      long n = kill_undetached ();
      if (n <= 0)
        return;
      while (n-- > 0)                   /* each of the n ends: no wait hangs */
        if (reap_one () < 0)
          return;
    }
}

/* The runtime asked us to stop (requested), or is gone: nothing of it may
 * outlive it but what it detached. When that is something, we stay to
 * reap it; else we exit. */
static void
shut_down (int requested)
{
  shutting_down = 1;
  end_children ();
  size_t stays = count_detached ();
  if (requested)
    wsb__reply (NULL, (pid_t) stays, -1);
  if (stays == 0)
    _exit (0);
  /* We stay only to reap: nothing of the run is kept for it. The standard
   * streams were ward's (a terminal, or the pipe a caller of ward waits
   * on for its end), the directory ward's; the detached children keep
   * their own. */
  for (int i = 0; i < 3; i++)
    if (sv_devnull >= 0)
      (void) dup2 (sv_devnull, i);
  if (chdir ("/") < 0)
    { /* ward's directory stays held: nothing else to do */ }
}

/* The runtime's socket is closed: it is gone. */
static void
runtime_gone (void)
{
  if (!shutting_down)
    shut_down (0);
  close (sv_sock);
  sv_sock = -1;
}

/* ---- the kids' table, for build.c ------------------------------------ */

int
wsb__reserve_kid (ward_err *err)
{
  if (WARD_GROW (sv_kids, sv_kids_cap, sv_nkids + 1, 64) != 0)
    return ward_err_set (err, WARD_E_UNAVAILABLE, ENOMEM, "sandbox: spawn");
  return 0;
}

void
wsb__add_kid (pid_t pid, int status_fd)
{
  sv_kids[sv_nkids++] = (struct kid) { pid, status_fd, 0 };
}

void
wsb__job_base (struct wsb_job *job)
{
  sv_built_any = 1;                     /* every build starts here */
  job->devnull = sv_devnull;
  job->uid = my_uid;
  job->gid = my_gid;
  job->entry = entry_fn;
}

/* ---- requests -------------------------------------------------------- */

int
wsb__parse_req (const struct wsb_req *q, char *buf, wsb_profile *prof,
                const char ***envp, ward_err *err)
{
  size_t off = 0, n = q->payload;
  memset (prof, 0, sizeof *prof);
  prof->limits = q->limits;
  prof->seccomp = q->seccomp;
  if (q->hostname_len != WSB_NONE)
    {
      size_t l = q->hostname_len;
      if (l == 0 || l > WSB_HOSTNAME_MAX + 1 || l > n - off
          || buf[off + l - 1] != '\0' || strlen (buf + off) != l - 1)
        goto bad;
      prof->hostname = buf + off;
      off += l;
    }
  if (q->name_len > WSB_NAME_MAX + 1 || q->name_len > n - off)
    goto bad;
  if (q->name_len > 0)
    {
      if (buf[off + q->name_len - 1] != '\0')
        goto bad;
      prof->init_name = buf + off;
      off += q->name_len;
    }
  if (q->init_len != WSB_NONE)
    {
      size_t l = q->init_len;
      if (l > WSB_INIT_MAX || l + 1 > n - off || buf[off + l] != '\0')
        goto bad;
      prof->init_script = buf + off;
      prof->init_len = l;
      off += l + 1;
    }
  if (q->env_count > WSB_ENV_COUNT_MAX || q->env_len > WSB_ENV_MAX
      || q->env_len != n - off)
    goto bad;
  const char **env = calloc (q->env_count + 1, sizeof *env);
  if (env == NULL)
    return ward_err_set (err, WARD_E_UNAVAILABLE, ENOMEM, "sandbox: spawn");
  for (uint32_t i = 0; i < q->env_count; i++)
    {
      size_t l = strnlen (buf + off, n - off);
      if (l == n - off || strchr (buf + off, '=') == NULL)
        {
          free (env);
          goto bad;
        }
      env[i] = buf + off;
      off += l + 1;
    }
  if (off != n)
    {
      free (env);
      goto bad;
    }
  prof->environ = env;
  *envp = env;
  return 0;
bad:
  return ward_err_set (err, WARD_E_INVALID, 0, "sandbox: a malformed request");
}

static void
close_fds (const int *fds, int n)
{
  for (int i = 0; i < n; i++)
    close (fds[i]);
}

/* Receive a request's header into q and its descriptors (at most 5, any
 * more are closed) into fds. Returns what recvmsg did: the bytes read, or
 * <= 0. */
static ssize_t
recv_request (struct wsb_req *q, int *fds, int *nfds, int *flags)
{
  union { struct cmsghdr h; char buf[CMSG_SPACE (5 * sizeof (int))]; } cm;
  struct iovec iov = { q, sizeof *q };
  struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cm.buf,
                       .msg_controllen = sizeof cm.buf };
  ssize_t n = recvmsg (sv_sock, &mh, MSG_CMSG_CLOEXEC);
  if (n <= 0)
    return n;
  *nfds = (int) wfd_take (&mh, fds, 5);
  *flags = mh.msg_flags;
  return n;
}

/* Read q's payload whatever happens, so the next request starts clean:
 * into *bufp (NULL when out of memory), or only its first chunk when it
 * is oversize. *broken: it is not the payload announced. -1 when the
 * runtime is gone (*bufp freed). */
static int
read_payload (const struct wsb_req *q, char **bufp, int *oversize, int *broken)
{
  *oversize = q->payload > WSB_PAYLOAD_MAX;
  char *buf = malloc (*oversize ? WSB_CHUNK : (size_t) q->payload + 1);
  *broken = buf == NULL;
  for (size_t off = 0; off < q->payload;)
    {
      size_t want = q->payload - off < WSB_CHUNK ? q->payload - off : WSB_CHUNK;
      char *dst = buf == NULL ? NULL : *oversize ? buf : buf + off;
      char sink[1];
      ssize_t r = recv (sv_sock, dst != NULL ? dst : sink, dst != NULL ? want : 1,
                        MSG_TRUNC);
      if (r < 0 && errno == EINTR)
        continue;
      if (r <= 0)
        {
          free (buf);
          *bufp = NULL;
          return -1;
        }
      if ((size_t) r > want)
        *broken = 1;
      off += (size_t) r;
    }
  *bufp = buf;
  return 0;
}

/* A spawn request read whole: its profile into prof, or err. */
static void
check_spawn (const struct wsb_req *q, char *buf, int nfds, int oversize, int broken,
             wsb_profile *prof, const char ***env, ward_err *err)
{
  int warm = (q->flags & WSB_REQ_WARM) != 0;
  int want_fds = !warm + !!(q->fdmask & WSB_FD_STDIN) + !!(q->fdmask & WSB_FD_STDOUT)
                 + !!(q->fdmask & WSB_FD_STDERR) + !!(q->fdmask & WSB_FD_ARG);
  if (q->op != WSB_OP_SPAWN || broken || nfds != want_fds
      || (q->flags & ~(uint32_t) WSB_REQ_WARM) || (warm && (q->fdmask & WSB_FD_ARG)))
    ward_err_set (err, WARD_E_INTERNAL, 0, "sandbox: a malformed request");
  else if (oversize)
    ward_err_set (err, WARD_E_INVALID, 0, "sandbox: the request is over "
                  "%u bytes", (unsigned) WSB_PAYLOAD_MAX);
  else
    {
      buf[q->payload] = '\0';
      wsb__parse_req (q, buf, prof, env, err);
    }
  if (err->kind == WARD_OK && shutting_down)
    ward_err_set (err, WARD_E_UNAVAILABLE, 0, "sandbox: the supervisor is stopping");
}

/* DETACH: the kid q->pid is to outlive the runtime. */
static void
detach (const struct wsb_req *q)
{
  ward_err err;
  ward_err_clear (&err);
  struct kid *k = find_kid (q->pid);
  if (k == NULL)
    ward_err_set (&err, WARD_E_NOT_FOUND, 0, "sandbox: no live child %d",
                  (int) q->pid);
  else
    k->detached = 1;
  wsb__reply (k == NULL ? &err : NULL, q->pid, -1);
}

static void
handle_request (void)
{
  struct wsb_req q;
  int fds[5];
  int nfds = 0, flags = 0;
  ssize_t n = recv_request (&q, fds, &nfds, &flags);
  if (n < 0 && (errno == EINTR || errno == EAGAIN))
    return;
  if (n <= 0)
    {
      runtime_gone ();
      return;
    }

  ward_err err;
  ward_err_clear (&err);
  if (n != (ssize_t) sizeof q || (flags & (MSG_TRUNC | MSG_CTRUNC)))
    {
      close_fds (fds, nfds);
      ward_err_set (&err, WARD_E_INTERNAL, 0, "sandbox: a malformed request");
      wsb__reply (&err, 0, -1);
      return;
    }
  if (q.op == WSB_OP_STOP)
    {
      close_fds (fds, nfds);
      shut_down (1);                    /* returns only to stay */
      return;
    }
  if (q.op == WSB_OP_DETACH)
    {
      close_fds (fds, nfds);
      detach (&q);
      return;
    }

  char *buf;
  int oversize, broken;
  if (read_payload (&q, &buf, &oversize, &broken) < 0)
    {
      close_fds (fds, nfds);
      runtime_gone ();
      return;
    }
  wsb_profile prof;
  const char **env = NULL;
  check_spawn (&q, buf, nfds, oversize, broken, &prof, &env, &err);
  /* The default profile is compiled once, for every child, at the first
   * spawn: a run that sandboxes nothing never pays for it. On failure each
   * child builds and compiles it itself (wsb__seccomp_install): slower,
   * as strict; the next spawn tries again. */
  ward_err perr;
  if (err.kind == WARD_OK && wsb__seccomp_prepare (&perr) < 0)
    ward_err_clear (&perr);
  if (err.kind != WARD_OK)
    wsb__reply (&err, 0, -1);
  else if (q.flags & WSB_REQ_WARM)
    wsb__spawn_warm (&q, buf, &prof, fds);
  else
    wsb__spawn (&prof, fds, q.fdmask);
  close_fds (fds, nfds);
  free (env);
  free (buf);
}

/* ---- the loop -------------------------------------------------------- */

/* Tie the supervisor's life to the runtime's (parent), or exit: 127 when
 * it cannot be, 0 when the runtime is already gone. */
static void
bind_to_runtime (pid_t parent)
{
  /* SIGTERM, not SIGKILL: the loop handles it as the runtime's end, so
   * that detached children may outlive it. */
  /* Without it the supervisor and its children could outlive the
   * runtime; without a subreaper, the children of a detached child would
   * go to init, out of its reach. Either failing, the supervisor does not
   * start (status 127): every spawn on a sandboxed host then fails, and
   * says that the supervisor is gone. */
  if (wfault_at ("supervisor.pdeathsig") || prctl (PR_SET_PDEATHSIG, SIGTERM) < 0)
    _exit (127);
  if (getppid () != parent)
    _exit (0);
  if (wfault_at ("supervisor.subreaper") || prctl (PR_SET_CHILD_SUBREAPER, 1) < 0)
    _exit (127);
  /* the runtime raises its soft RLIMIT_NOFILE at start (after this fork);
   * so does the supervisor, which holds descriptors for every child: it
   * must not run out before the runtime's reserve says so. Failing, it
   * does not start. */
  ward_err nerr;
  if (wsb__raise_nofile (&nerr) < 0)
    _exit (127);
}

/* Every signal to its default but the terminal ones (ignored); SIGCHLD
 * and SIGTERM blocked, in set, to be read from a signalfd. Exits 127 when
 * that cannot be done. */
static void
take_signals (sigset_t *set)
{
  struct sigaction sa;
  memset (&sa, 0, sizeof sa);
  sa.sa_handler = SIG_DFL;
  /* The C library keeps the signals between 31 and SIGRTMIN for itself
   * and refuses them (EINVAL); any other failure stops the supervisor. */
  for (int i = 1; i < NSIG; i++)
    if (i != SIGKILL && i != SIGSTOP
        && (wfault_at ("supervisor.sigaction") || sigaction (i, &sa, NULL) < 0)
        && !(errno == EINVAL && i > 31 && i < SIGRTMIN))
      _exit (127);
  /* terminal signals are for the runtime to act on, not us */
  sa.sa_handler = SIG_IGN;
  if (sigaction (SIGPIPE, &sa, NULL) < 0 || sigaction (SIGINT, &sa, NULL) < 0
      || sigaction (SIGQUIT, &sa, NULL) < 0 || sigaction (SIGHUP, &sa, NULL) < 0)
    _exit (127);
  sigemptyset (set);
  sigaddset (set, SIGCHLD);
  sigaddset (set, SIGTERM);
  /* blocked, they are read from the signalfd below: unblocked, SIGTERM
   * would kill the supervisor and its detached children with it */
  if (wfault_at ("supervisor.sigprocmask") || sigprocmask (SIG_SETMASK, set, NULL) < 0)
    _exit (127);
}

/* Keep only 0..2 (opened on /dev/null when closed) and the sockets;
 * exits 127 when that cannot be done. */
static void
keep_only_sockets (void)
{
  /* 0..2 stay open so that fds received later never land there */
  for (int i = 0; i < 3; i++)
    if (fcntl (i, F_GETFD) < 0 && open ("/dev/null", O_RDWR) != i)
      _exit (127);
  ward_err err;
  int keep[] = { 0, 1, 2, sv_sock, sv_evsock };
  if (wsb__close_fds_except (keep, 5, &err) < 0)
    _exit (127);
}

/* The signalfd is readable: reap, and see to SIGTERM (the runtime's end). */
static void
on_signals (void)
{
  struct signalfd_siginfo si;
  int term = 0;
  while (read (sv_sigfd, &si, sizeof si) == (ssize_t) sizeof si)
    if (si.ssi_signo == SIGTERM)
      term = 1;
  reap ();
  if (term && !shutting_down)
    shut_down (0);
  if (shutting_down && sv_nkids == 0)
    _exit (0);
}

void
wsb__supervisor_main (int s, int es, wsb_entry_fn entry, pid_t parent, int prepare)
{
  bind_to_runtime (parent);
  (void) prctl (PR_SET_NAME, "ward-sandbox");   /* a name for ps, nothing more */
  sv_sock = s;
  sv_evsock = es;
  entry_fn = entry;
  my_uid = geteuid ();
  my_gid = getegid ();
  /* A child in a user namespace keeps the supplementary groups it was
   * born with and, setgroups denied, cannot drop them: root's must not
   * follow it there. */
  if (my_uid == 0 && setgroups (0, NULL) < 0)
    _exit (127);

  sigset_t set;
  take_signals (&set);
  keep_only_sockets ();
  ward_err perr;
  if (prepare && wsb__seccomp_prepare (&perr) < 0)
    ward_err_clear (&perr);
  sv_devnull = open ("/dev/null", O_RDWR | O_CLOEXEC);
  sv_sigfd = signalfd (-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
  if (sv_devnull < 0 || sv_sigfd < 0)
    _exit (127);

  for (;;)
    {
      /* While it stays for detached children the socket is still read:
       * the runtime's STOP is answered, and its end noticed. */
      struct pollfd pf[4];
      int np = 0, at_sock = -1;
      pf[np++] = (struct pollfd) { sv_sigfd, POLLIN, 0 };
      if (sv_sock >= 0)
        {
          at_sock = np;
          pf[np++] = (struct pollfd) { sv_sock, POLLIN, 0 };
        }
      if (nevq > 0)
        pf[np++] = (struct pollfd) { sv_evsock, POLLOUT, 0 };
      int timeout = shutting_down ? -1 : wsb__refill_warm ();
      /* the children being built ahead: what they say is read next round */
      if (!shutting_down && wsb__warm_fd () >= 0)
        pf[np++] = (struct pollfd) { wsb__warm_fd (), POLLIN, 0 };
      if (poll (pf, (nfds_t) np, timeout) < 0)
        continue;
      if (pf[0].revents)
        on_signals ();
      if (at_sock >= 0 && pf[at_sock].revents)
        handle_request ();
      if (nevq > 0)
        flush_events ();
    }
}
