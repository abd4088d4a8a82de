/* client.c -- the runtime's side of the supervisor: starting it, spawn and
 * detach requests, exit records, and describing an exit. */
#include "config.h"
#include "proto.h"
#include "wfd.h"
#include "wfault.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static pthread_mutex_t wsb_client_lock = PTHREAD_MUTEX_INITIALIZER;
static int sup_fd = -1, ev_fd = -1, sup_pidfd = -1;
static pid_t sup_pid = -1;

static int prepare_early;

void
wsb_supervisor_prepare_early (int yes)
{
  prepare_early = yes != 0;
}

int
wsb_supervisor_start (wsb_entry_fn entry, ward_err *err)
{
  if (entry == NULL)
    return ward_err_set (err, WARD_E_INVALID, 0, "sandbox: no entry function");
  if (sup_fd >= 0)
    return ward_err_set (err, WARD_E_INVALID, 0,
                         "sandbox: the supervisor is already running");
  int s[2], e[2];
  if (socketpair (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, s) < 0)
    return ward_err_set (err, wsb__errno_kind (errno), errno,
                         "sandbox: supervisor socket");
  if (socketpair (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, e) < 0)
    {
      int en = errno;
      close (s[0]);
      close (s[1]);
      return ward_err_set (err, wsb__errno_kind (en), en,
                           "sandbox: events socket");
    }
  /* the events are taken as they come (wsb_next_exit): a blocking read
   * would hang the runtime's reader, so without it there is no supervisor */
  int fl = fcntl (e[0], F_GETFL);
  if (wfault_at ("client.nonblock") || fl < 0 || fcntl (e[0], F_SETFL, fl | O_NONBLOCK) < 0)
    {
      int en = errno;
      close (s[0]); close (s[1]); close (e[0]); close (e[1]);
      return ward_err_set (err, wsb__errno_kind (en), en,
                           "sandbox: cannot make the events socket non-blocking");
    }
  pid_t parent = getpid ();
  fflush (NULL);                /* or buffered output is written twice */
  pid_t pid = fork ();
  if (pid < 0)
    {
      int en = errno;
      close (s[0]); close (s[1]); close (e[0]); close (e[1]);
      return ward_err_set (err, wsb__errno_kind (en), en,
                           "sandbox: fork the supervisor");
    }
  if (pid == 0)
    {
      close (s[0]);
      close (e[0]);
      wsb__supervisor_main (s[1], e[1], entry, parent, prepare_early);
    }
  close (s[1]);
  close (e[1]);
  sup_fd = s[0];
  ev_fd = e[0];
  sup_pid = pid;
  sup_pidfd = (int) syscall (SYS_pidfd_open, pid, 0);
  return 0;
}

pid_t
wsb_supervisor_pid (void)
{
  return sup_fd >= 0 ? sup_pid : -1;
}

int
wsb_supervisor_running (void)
{
  if (sup_fd < 0)
    return 0;
  struct pollfd pf = { sup_pidfd, POLLIN, 0 };
  return sup_pidfd < 0 || poll (&pf, 1, 0) == 0;
}

static int transact (const struct wsb_req *q, const int *fds, int nfds,
                     const char *payload, struct wsb_rep *rep, int rfd[2], ward_err *err);

void
wsb_supervisor_stop (void)
{
  pthread_mutex_lock (&wsb_client_lock);
  if (sup_fd >= 0)
    {
      /* The last request: the reply comes once every child not detached
       * is killed and reaped. It says how many detached children the
       * supervisor stays for; with none it exits, and is reaped here. A
       * supervisor already gone (the reply fails) is reaped as well. */
      struct wsb_req q;
      memset (&q, 0, sizeof q);
      q.op = WSB_OP_STOP;
      struct wsb_rep rep;
      int fd[2];
      ward_err err;
      int stays = transact (&q, NULL, 0, NULL, &rep, fd, &err) == 0 && rep.pid > 0;
      for (int i = 0; i < 2; i++)
        if (fd[i] >= 0)
          close (fd[i]);
      close (sup_fd);
      close (ev_fd);
      sup_fd = ev_fd = -1;
      if (!stays)
        while (waitpid (sup_pid, NULL, 0) < 0 && errno == EINTR)
          ;
      if (sup_pidfd >= 0)
        close (sup_pidfd);
      sup_pidfd = -1;
    }
  pthread_mutex_unlock (&wsb_client_lock);
}

int
wsb_events_fd (void)
{
  return ev_fd;
}

int
wsb_next_exit (wsb_exit *out, ward_err *err)
{
  int fd = ev_fd;
  if (fd < 0)
    return ward_err_set (err, WARD_E_UNAVAILABLE, 0,
                         "sandbox: the supervisor is not running");
  ssize_t n;
  do
    n = recv (fd, out, sizeof *out, MSG_DONTWAIT);
  while (n < 0 && errno == EINTR);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
    return 0;
  if (n == (ssize_t) sizeof *out)
    return 1;
  return ward_err_set (err, WARD_E_UNAVAILABLE, n < 0 ? errno : 0,
                       "sandbox: the supervisor is gone");
}

/* ---- requests -------------------------------------------------------- */

static int
gone (ward_err *err, int errnum)
{
  return ward_err_set (err, WARD_E_UNAVAILABLE, errnum,
                       "sandbox: the supervisor is gone");
}

/* Send header (with fds) and payload, read the reply (and its fd). Called
 * with the lock held. */
static int
transact (const struct wsb_req *q, const int *fds, int nfds,
          const char *payload, struct wsb_rep *rep, int rfd[2], ward_err *err)
{
  rfd[0] = rfd[1] = -1;
  if (sup_fd < 0)
    return ward_err_set (err, WARD_E_UNAVAILABLE, 0,
                         "sandbox: the supervisor is not running");
  union { struct cmsghdr h; char buf[WFD_SPACE (5)]; } cm;
  struct iovec iov = { (void *) q, sizeof *q };
  struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
  memset (&cm, 0, sizeof cm);
  if (nfds > 0)
    wfd_attach (&mh, cm.buf, fds, (size_t) nfds);
  ssize_t n;
  do
    n = sendmsg (sup_fd, &mh, MSG_NOSIGNAL);
  while (n < 0 && errno == EINTR);
  if (n < 0)
    return gone (err, errno);
  for (size_t off = 0; off < q->payload;)
    {
      size_t len = q->payload - off < WSB_CHUNK ? q->payload - off : WSB_CHUNK;
      n = send (sup_fd, payload + off, len, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return gone (err, errno);
      off += len;
    }

  iov = (struct iovec) { rep, sizeof *rep };
  mh = (struct msghdr) { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cm.buf,
                         .msg_controllen = CMSG_SPACE (2 * sizeof (int)) };
  do
    n = recvmsg (sup_fd, &mh, MSG_CMSG_CLOEXEC);
  while (n < 0 && errno == EINTR);
  if (n <= 0)
    return gone (err, n < 0 ? errno : 0);
  rfd[1] = -1;
  struct cmsghdr *c = CMSG_FIRSTHDR (&mh);
  if (c != NULL && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS
      && (c->cmsg_len == CMSG_LEN (sizeof (int))
          || c->cmsg_len == CMSG_LEN (2 * sizeof (int))))
    memcpy (rfd, CMSG_DATA (c), c->cmsg_len - CMSG_LEN (0));
  if (n != (ssize_t) sizeof *rep || (mh.msg_flags & MSG_CTRUNC))
    {
      for (int i = 0; i < 2; i++)
        if (rfd[i] >= 0)
          close (rfd[i]);
      rfd[0] = rfd[1] = -1;
      return ward_err_set (err, WARD_E_INTERNAL, 0,
                           "sandbox: a malformed reply from the supervisor");
    }
  if (rep->status != 0)
    {
      for (int i = 0; i < 2; i++)
        if (rfd[i] >= 0)
          close (rfd[i]);
      rfd[0] = rfd[1] = -1;
      rep->msg[sizeof rep->msg - 1] = '\0';
      err->kind = rep->kind > WARD_OK && rep->kind <= WARD_E_INTERNAL
                  ? (ward_kind) rep->kind : WARD_E_INTERNAL;
      err->errnum = rep->errnum;
      memcpy (err->msg, rep->msg, sizeof err->msg);
      return -1;
    }
  return 0;
}

/* Lay the profile's strings out as proto.h says; fill the lengths. */
static char *
serialize (const wsb_profile *p, struct wsb_req *q, ward_err *err)
{
  size_t host = 0, name = 0, env = 0, count = 0;
  q->hostname_len = q->init_len = WSB_NONE;
  if (p->hostname != NULL)
    {
      host = strlen (p->hostname) + 1;
      if (host > WSB_HOSTNAME_MAX + 1)
        return ward_err_set (err, WARD_E_INVALID, 0, "sandbox: the hostname is "
                             "over %d bytes", WSB_HOSTNAME_MAX), NULL;
      q->hostname_len = (uint32_t) host;
    }
  if (p->init_script != NULL)
    {
      if (p->init_len > WSB_INIT_MAX)
        return ward_err_set (err, WARD_E_INVALID, 0, "sandbox: the init script "
                             "is over %u bytes", WSB_INIT_MAX), NULL;
      if (memchr (p->init_script, '\0', p->init_len) != NULL)
        return ward_err_set (err, WARD_E_INVALID, 0, "sandbox: the init script "
                             "holds a NUL byte"), NULL;
      q->init_len = (uint32_t) p->init_len;
      if (p->init_name != NULL)
        {
          name = strlen (p->init_name) + 1;
          if (name > WSB_NAME_MAX + 1)
            return ward_err_set (err, WARD_E_INVALID, 0, "sandbox: the init "
                                 "script's name is too long"), NULL;
        }
    }
  for (; p->environ != NULL && p->environ[count] != NULL; count++)
    {
      if (strchr (p->environ[count], '=') == NULL)
        return ward_err_set (err, WARD_E_INVALID, 0, "sandbox: environment "
                             "entry %zu is not K=V", count + 1), NULL;
      env += strlen (p->environ[count]) + 1;
      if (env > WSB_ENV_MAX || count >= WSB_ENV_COUNT_MAX)
        return ward_err_set (err, WARD_E_INVALID, 0, "sandbox: the environment "
                             "is over %u bytes or %d entries", WSB_ENV_MAX,
                             WSB_ENV_COUNT_MAX), NULL;
    }
  q->name_len = (uint32_t) name;
  q->env_count = (uint32_t) count;
  q->env_len = (uint32_t) env;
  size_t total = host + name + (p->init_script ? p->init_len + 1 : 0) + env;
  q->payload = (uint32_t) total;
  char *buf = malloc (total ? total : 1), *w = buf;
  if (buf == NULL)
    return ward_err_set (err, WARD_E_UNAVAILABLE, ENOMEM, "sandbox: spawn"),
           NULL;
  if (host)
    w = (char *) memcpy (w, p->hostname, host) + host;
  if (name)
    w = (char *) memcpy (w, p->init_name, name) + name;
  if (p->init_script != NULL)
    {
      memcpy (w, p->init_script, p->init_len);
      w += p->init_len;
      *w++ = '\0';
    }
  for (size_t i = 0; i < count; i++)
    {
      size_t l = strlen (p->environ[i]) + 1;
      w = (char *) memcpy (w, p->environ[i], l) + l;
    }
  return buf;
}

int
wsb_spawn (const wsb_profile *p, wsb_child *out, ward_err *err)
{
  struct wsb_req q;
  memset (&q, 0, sizeof q);
  q.op = WSB_OP_SPAWN;
  q.seccomp = p->seccomp;
  q.limits = p->limits;
  if (p->limits.namespaces & ~(unsigned) WARD_NS_ALL)
    return ward_err_set (err, WARD_E_INVALID, 0, "sandbox: unknown namespace "
                         "bits 0x%x", p->limits.namespaces);
  if (p->hostname != NULL && !(p->limits.namespaces & WARD_NS_UTS))
    return ward_err_set (err, WARD_E_INVALID, 0,
                         "sandbox: a hostname needs a UTS namespace");
  char *payload = serialize (p, &q, err);
  if (payload == NULL)
    return -1;

  if (p->warm && p->init_script != NULL && p->init_arg_fd >= 0)
    {
      free (payload);
      return ward_err_set (err, WARD_E_INVALID, 0,
                           "sandbox: a warm profile takes no init.arg");
    }
  int ch[2] = { -1, -1 };
  if (p->warm)
    q.flags |= WSB_REQ_WARM;      /* the supervisor makes the channel */
  else if (socketpair (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, ch) < 0)
    {
      free (payload);
      return ward_err_set (err, wsb__errno_kind (errno), errno,
                           "sandbox: channel socket");
    }
  int fds[5], nfds = 0;
  if (!p->warm)
    fds[nfds++] = ch[1];
  const int opt[4] = { p->stdin_fd, p->stdout_fd, p->stderr_fd,
                       p->init_script != NULL ? p->init_arg_fd : -1 };
  const uint32_t bit[4] = { WSB_FD_STDIN, WSB_FD_STDOUT, WSB_FD_STDERR,
                            WSB_FD_ARG };
  for (int i = 0; i < 4; i++)
    if (opt[i] >= 0)
      {
        fds[nfds++] = opt[i];
        q.fdmask |= bit[i];
      }

  struct wsb_rep rep;
  int rfd[2];
  pthread_mutex_lock (&wsb_client_lock);
  int r = transact (&q, fds, nfds, payload, &rep, rfd, err);
  pthread_mutex_unlock (&wsb_client_lock);
  free (payload);
  if (!p->warm)
    {
      close (ch[1]);
      if (rfd[1] >= 0)
        close (rfd[1]);
      rfd[1] = ch[0];
    }
  if (r == 0 && (rfd[0] < 0 || rfd[1] < 0))
    r = ward_err_set (err, WARD_E_INTERNAL, 0,
                      "sandbox: the supervisor sent no pidfd or channel");
  if (r < 0)
    {
      for (int i = 0; i < 2; i++)
        if (rfd[i] >= 0)
          close (rfd[i]);
      return -1;
    }
  out->pid = rep.pid;
  out->pidfd = rfd[0];
  out->chan = rfd[1];
  return 0;
}

int
wsb_detach (pid_t pid, ward_err *err)
{
  struct wsb_req q;
  memset (&q, 0, sizeof q);
  q.op = WSB_OP_DETACH;
  q.pid = pid;
  struct wsb_rep rep;
  int fd[2];
  pthread_mutex_lock (&wsb_client_lock);
  int r = transact (&q, NULL, 0, NULL, &rep, fd, err);
  pthread_mutex_unlock (&wsb_client_lock);
  for (int i = 0; i < 2; i++)
    if (fd[i] >= 0)
      close (fd[i]);
  return r;
}

void
wsb_describe_exit (int code, int status, int syscall_nr, char *buf,
                   size_t len)
{
  if (len == 0)
    return;
  const char *sig = NULL;
  if (code == CLD_KILLED || code == CLD_DUMPED)
    sig = sigabbrev_np (status);
  switch (code)
    {
    case CLD_EXITED:
      snprintf (buf, len, "exited with status %d", status);
      return;
    case CLD_KILLED:
    case CLD_DUMPED:
      {
        const char *core = code == CLD_DUMPED ? " (core dumped)" : "";
        char *name = NULL;
        if (status == SIGSYS && syscall_nr >= 0)
          name = seccomp_syscall_resolve_num_arch (SCMP_ARCH_NATIVE,
                                                   syscall_nr);
        if (sig == NULL)
          snprintf (buf, len, "killed by signal %d%s", status, core);
        else if (status == SIGSYS && syscall_nr >= 0)
          {
            if (name != NULL)
              snprintf (buf, len, "killed by SIGSYS (seccomp: %s)%s", name,
                        core);
            else
              snprintf (buf, len, "killed by SIGSYS (seccomp: syscall %d)%s",
                        syscall_nr, core);
          }
        else if (status == SIGSYS)
          /* the kernel tells a parent nothing of the call: in the shipped
           * filter only a foreign ABI kills (an init script's kill rules
           * trap, and ward's actors name the call themselves) */
          snprintf (buf, len, "killed by SIGSYS (seccomp: a system call the filter kills "
                    "on, such as one through another ABI: i386 int 0x80 or x32)%s", core);
        else
          snprintf (buf, len, "killed by SIG%s%s", sig, core);
        free (name);
        return;
      }
    default:
      snprintf (buf, len, "ended (code %d, status %d)", code, status);
    }
}
