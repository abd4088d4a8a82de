/* sandbox.h -- all that runtime/ may know of subprocess actors.
 *
 * A supervisor process is forked by wsb_supervisor_start() before any thread
 * exists. The runtime asks it, over a SOCK_SEQPACKET socket, to create a
 * sandboxed child for each subprocess actor. The child is made with
 * clone3(CLONE_NEWUSER | CLONE_NEWPID | CLONE_PIDFD) and makes its
 * other namespaces itself (unshare) first (without a user namespace the
 * clone makes them all); then, in this order: uid/gid maps
 * (0 inside; outside the supervisor's ids, or WSB_ROOT_MAP_ID for root),
 * mounts made private, loopback up, hostname, stdio, environment, the init
 * script (init/include/init.h), rlimits, capabilities dropped, no_new_privs, the
 * seccomp filter, then the entry function that wsb_supervisor_start() was
 * given. With a PID namespace the child is PID 1 (a forwarder and reaper):
 * it locks itself down and then forks the actor, which inherits all of it.
 * Every fd but the channel and the stdio asked for is closed before the
 * entry runs.
 *
 * wsb_spawn() returns only when the child has reached its entry (or failed
 * before it): a failing step comes back as a ward_err naming the step, the
 * errno and, for the init script, the script line.
 *
 * Who reaps. A child is the supervisor's child, so only the supervisor can
 * wait for it. The runtime holds a pidfd per child (poll it: readable once
 * the child is gone; pidfd_send_signal it) and learns how the child ended
 * from an exit record the supervisor sends on a second socket,
 * wsb_events_fd(). With a PID namespace the child is PID 1; it reports how
 * the actor (PID 2) ended before it exits with the actor's code (128+signo
 * for a signal), and the record carries both.
 *
 * Lifetime. wsb_supervisor_stop() ends it; so does the runtime's end
 * (socket closed, or PR_SET_PDEATHSIG). Either way it SIGKILLs every child
 * not detached, the ones built ahead (warm) included, and every orphan of
 * theirs it adopted (it is a child subreaper), and reaps them all; then it
 * exits, or stays only to reap detached children. Each child has
 * PR_SET_PDEATHSIG(SIGKILL) set on the supervisor. The entry starts with an
 * empty signal mask, default dispositions and SIGPIPE ignored.
 *
 * Errors follow common/werr.h. */
#ifndef WARD_SANDBOX_H
#define WARD_SANDBOX_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "werr.h"
#include "wprofile.h"

enum wsb_seccomp { WSB_SECCOMP_NONE = 0, WSB_SECCOMP_DEFAULT = 1 };

/* What the child runs after its sandbox is complete. chan is the child's
 * end of the channel (SOCK_SEQPACKET); the return value is its exit
 * status. Runs in the child, single-threaded, after seccomp. */
typedef int (*wsb_entry_fn) (int chan);

/* In a child, from its entry on: whether it was built ahead of a spawn
 * that is not expected soon (a warm profile spawned now and then), so
 * that the entry may use the wait to warm up; 0 for a child built on
 * request, or ahead for spawns coming back to back, which want it at
 * once and would find the warm-up only in their way. */
int wsb_child_waits (void);

/* One child to make. limits (common/wprofile.h: namespaces, capabilities
 * kept, rlimits) is a sandbox profile's, but for memory, which is here the
 * child's whole address space (RLIMIT_AS). */
typedef struct wsb_profile {
  ward_limits limits;
  int seccomp;                  /* enum wsb_seccomp */
  const char *hostname;         /* NULL = unchanged (needs WARD_NS_UTS) */
  /* init script, run in the child (NULL = none); script_name is the
   * chunkname in error messages */
  const char *init_script;
  size_t init_len;
  const char *init_name;
  int init_arg_fd;              /* passed as init.arg; -1 = none */
  /* stdio of the child: an fd of the caller's, or -1 for /dev/null */
  int stdin_fd, stdout_fd, stderr_fd;
  /* NULL-terminated "K=V" list, NULL = empty environment */
  const char *const *environ;
  /* Keep children of this very profile built ahead, from its first spawn
   * on: a spawn of it takes one (a hand-over, not a build; never the same
   * child twice) while the supervisor builds the following ones, as many
   * as spawns back to back lately call for, in parallel up to the core
   * count while none is ready. For profiles spawned again and again (a host's). init_arg_fd
   * must be -1. */
  int warm;
} wsb_profile;

/* Fork the supervisor. Call before any thread exists, once. entry is what
 * every child runs once sandboxed. 0 or -1. */
int wsb_supervisor_start (wsb_entry_fn entry, ward_err *err);
/* When the supervisor compiles the default seccomp profile (once, for every
 * child): at the first spawn (the default: a run that sandboxes nothing
 * never pays for it), or, with yes, as soon as it starts, in parallel with
 * the runtime's own start (for a run that sandboxes at once). Call before
 * wsb_supervisor_start. */
void wsb_supervisor_prepare_early (int yes);

/* Whether the supervisor is running. */
int wsb_supervisor_running (void);

/* Stop the supervisor, the runtime's last word to it: it kills and reaps
 * every child not detached (warm ones and adopted orphans included), and
 * exits, which this waits for and reaps, unless detached children are
 * left: then it stays to reap them, and this returns once the others are
 * reaped. Blocks until then; a no-op when it is not running. */
void wsb_supervisor_stop (void);

/* A child made by wsb_spawn(). */
typedef struct wsb_child {
  pid_t pid;                    /* in the caller's PID namespace */
  int pidfd;                    /* owned by the caller */
  int chan;                     /* the caller's end of the channel */
} wsb_child;

/* Create a sandboxed child. Thread-safe. On success fills *out and returns
 * 0; on failure returns -1 and nothing is left running. */
int wsb_spawn (const wsb_profile *p, wsb_child *out, ward_err *err);

/* Largest request parts: longer ones fail with WARD_E_INVALID. */
#define WSB_INIT_MAX (1u << 20)          /* init script bytes */
#define WSB_ENV_MAX (256u << 10)         /* environ bytes, NULs included */
#define WSB_ENV_COUNT_MAX 4096           /* environ entries */
#define WSB_HOSTNAME_MAX 255             /* the kernel itself takes 64 */
/* The host uid and gid that 0 in a child's user namespace is when the
 * supervisor runs as root (never host root). As another user the
 * supervisor can only map its own ids. */
#define WSB_ROOT_MAP_ID 65534
/* A child not ready this long after clone is killed and the spawn fails. */
#define WSB_READY_TIMEOUT_MS 10000

/* The supervisor's pid (for tests and diagnostics), -1 when not running. */
pid_t wsb_supervisor_pid (void);

/* Let a child outlive the runtime: the supervisor will not kill it when
 * the runtime goes away. 0, or -1 (WARD_E_NOT_FOUND: no such live child). */
int wsb_detach (pid_t pid, ward_err *err);

/* How a child ended, as waitid's si_code (CLD_EXITED, CLD_KILLED,
 * CLD_DUMPED) and si_status. code/status describe the actor: the child
 * itself, or PID 2 when a PID namespace was asked for (as PID 1 reported
 * it). raw_code/raw_status are the child's own waitid() result (PID 1's
 * 128+signo). syscall_nr is -1: the kernel does not tell a parent which
 * syscall seccomp killed for. (Not named si_*: <signal.h> makes macros of
 * those.) */
typedef struct wsb_exit {
  pid_t pid;
  int code, status;
  int raw_code, raw_status;
  int syscall_nr;
} wsb_exit;

/* An fd (non-blocking, close-on-exec, owned by the sandbox module) that
 * polls readable when exit records are waiting, or when the supervisor is
 * gone. -1 when not running. */
int wsb_events_fd (void);

/* Take the next exit record: 1 and *out filled, 0 when none is waiting,
 * -1 (WARD_E_UNAVAILABLE) when the supervisor is gone. Never blocks.
 * Thread-safe. */
int wsb_next_exit (wsb_exit *out, ward_err *err);

/* Describe how a child ended (from waitid's si_code/si_status), e.g.
 * "exited with status 3", "killed by SIGSYS (seccomp: ptrace)". Writes a
 * NUL-terminated sentence into buf. */
void wsb_describe_exit (int code, int status, int syscall_nr,
                        char *buf, size_t len);

#endif
