/* proto.h -- the wire between the runtime, the supervisor and a child under
 * construction, and the entry points shared by the sandbox/ files.
 * Internal to sandbox/. */
#ifndef WARD_SANDBOX_PROTO_H
#define WARD_SANDBOX_PROTO_H

#include <stdint.h>
#include <signal.h>
#include <sys/types.h>
#include <seccomp.h>
#include "sandbox.h"

/* A request's payload travels in chunks after its header: one SEQPACKET
 * message must fit the socket buffer, which an unprivileged process cannot
 * raise past net.core.wmem_max. */
#define WSB_CHUNK (32u * 1024)
#define WSB_PAYLOAD_MAX (WSB_INIT_MAX + WSB_ENV_MAX + WSB_HOSTNAME_MAX + 1 + 4097)
#define WSB_NAME_MAX 4096               /* init chunkname */

/* STOP: the runtime's last request. The supervisor kills every child not
 * detached (warm ones included) and reaps them, with every orphan of
 * theirs, then replies (pid: how many detached children it stays for) and
 * exits unless it stays. */
enum { WSB_OP_SPAWN = 1, WSB_OP_DETACH = 2, WSB_OP_STOP = 3 };

/* Which optional fds follow the channel in the header's SCM_RIGHTS. */
enum { WSB_FD_STDIN = 1, WSB_FD_STDOUT = 2, WSB_FD_STDERR = 4, WSB_FD_ARG = 8 };

/* Request flags. WARM: the supervisor makes the channel, hands over a child
 * it built ahead for this very request (same header and payload) if it has
 * one, and builds the next one ahead; the reply then carries the pidfd and
 * the runtime's end of the channel. */
enum { WSB_REQ_WARM = 1 };

#define WSB_NONE UINT32_MAX

/* The header; string lengths include their NUL. Payload order: hostname,
 * init name, init script (plus a NUL), environ strings. */
struct wsb_req {
  uint32_t op;
  uint32_t flags;               /* WSB_REQ_* */
  uint32_t fdmask;
  uint32_t payload;
  int32_t seccomp;
  int32_t pid;                  /* WSB_OP_DETACH */
  ward_limits limits;
  uint32_t hostname_len;        /* WSB_NONE = no hostname */
  uint32_t init_len;            /* WSB_NONE = no script */
  uint32_t name_len;
  uint32_t env_count;
  uint32_t env_len;
};

/* The reply; a successful spawn carries the pidfd in SCM_RIGHTS (and, for
 * a warm spawn, the runtime's end of the channel after it). */
struct wsb_rep {
  int32_t status;               /* 0 or -1 */
  int32_t pid;
  int32_t kind;
  int32_t errnum;
  char msg[WARD_ERR_MSG_MAX];
};

/* Status records a child writes to the supervisor on its status pipe; one
 * record is below PIPE_BUF, so each write is atomic. */
enum { WSB_REC_READY = 1, WSB_REC_ERROR = 2, WSB_REC_EXIT = 3 };
struct wsb_rec {
  int32_t type;
  int32_t kind;
  int32_t errnum;
  int32_t code, status;   /* WSB_REC_EXIT: how the actor ended */
  char msg[WARD_ERR_MSG_MAX];
};

/* What the supervisor hands to the code that builds one child. */
struct wsb_job {
  wsb_profile prof;
  int chan;                     /* the child's end */
  int stdio[3];                 /* -1 = /dev/null */
  int devnull;
  uid_t uid;                    /* the supervisor's, for the maps */
  gid_t gid;
  wsb_entry_fn entry;
  int go;                       /* set in the child */
  /* the init script made ready by the supervisor (build.c), run by the
   * child as its own copy; NULL: the child prepares and runs it */
  struct winit_ready *init_ready;
  int waits;                    /* what wsb_child_waits says in the child */
};

/* supervisor.c: run the supervisor in the freshly forked process; with
 * prepare, the default seccomp profile is compiled at once (else at the
 * first spawn). */
void wsb__supervisor_main (int sock, int evsock, wsb_entry_fn entry,
                           pid_t parent, int prepare) __attribute__ ((noreturn));

/* spawn.c: raise the supervisor's soft RLIMIT_NOFILE to the hard limit,
 * as the runtime raises its own (a hard limit past the kernel's nr_open
 * leaves it as it is), so that the supervisor, which holds descriptors for
 * each child, runs out no sooner than the runtime. Every child is given
 * back the limit ward was started with before anything else. 0, or -1
 * with err. */
int wsb__raise_nofile (ward_err *err);

/* spawn.c: the profile's init script made ready (init.h) with its
 * seccomp filter, for the children built for it; NULL with err. */
struct winit_ready *wsb__init_ready (const wsb_profile *prof, ward_err *err);

/* spawn.c: clone the child; in the caller returns its pid (and a pidfd and
 * the read end of its status pipe), or -1 with err. */
pid_t wsb__clone_child (const struct wsb_job *job, int *pidfd, int *status_rd,
                        ward_err *err);

/* pid1.c: the signals PID 1 takes with sigwaitinfo: SIGCHLD and the five
 * it forwards (SIGTERM, SIGINT, SIGHUP, SIGUSR1, SIGUSR2). */
void wsb__pid1_signals (sigset_t *set);
/* pid1.c: be PID 1 for actor, report on status_fd; never returns. */
void wsb__pid1 (pid_t actor, int status_fd) __attribute__ ((noreturn));

/* spawn.c: report err on fd and _exit(127). */
void wsb__child_fail (int fd, const ward_err *err) __attribute__ ((noreturn));
/* spawn.c: write one record, retrying on EINTR. 0 or -1. */
int wsb__write_rec (int fd, const struct wsb_rec *r);
/* spawn.c: write the READY record (the child is set up). 0 or -1. */
int wsb__write_ready (int fd);

/* The kind for a failed system call. */
ward_kind wsb__errno_kind (int errnum);

#endif
