/* wprofile.h -- a sandbox profile, defined once for the three layers that
 * speak of it: policy/ declares it, runtime/ reads it, sandbox/ applies it.
 *
 * ward_profile is a profile as a policy declares it (`sandbox "NAME" {...}`,
 * policy/include/policy.h ward_policy_sandbox). Its part that the kernel
 * enforces, ward_limits, is also the part of sandbox/include/sandbox.h's
 * wsb_profile (one spawn request) that says the same: the runtime copies it
 * from one to the other whole. */
#ifndef WARD_WPROFILE_H
#define WARD_WPROFILE_H

#include <stdint.h>

/* Namespaces a sandboxed child gets. Bit n is the n-th name of the policy
 * language's list (user, pid, net, mount, ipc, uts, cgroup: policy/lang/check.c
 * sets 1u << n), so the order is fixed. */
enum ward_ns {
  WARD_NS_USER = 1, WARD_NS_PID = 2, WARD_NS_NET = 4, WARD_NS_MOUNT = 8,
  WARD_NS_IPC = 16, WARD_NS_UTS = 32, WARD_NS_CGROUP = 64
};
#define WARD_NS_ALL (WARD_NS_USER | WARD_NS_PID | WARD_NS_NET | WARD_NS_MOUNT \
                     | WARD_NS_IPC | WARD_NS_UTS | WARD_NS_CGROUP)

/* What a profile's stdin, stdout or stderr is. DEFAULT (not declared) is
 * the runtime's choice: no stdin, ward's own stdout and stderr. */
enum ward_stdio { WARD_STDIO_DEFAULT = 0, WARD_STDIO_NULL = 1, WARD_STDIO_INHERIT = 2 };

/* What the kernel holds a sandboxed child to. */
typedef struct ward_limits {
  unsigned namespaces;            /* WARD_NS_* */
  uint64_t capabilities;          /* bit n = capability n kept; 0 = all dropped */
  uint64_t memory;                /* bytes, 0 = no limit (wsb_profile: RLIMIT_AS) */
  uint64_t cpu_ms;                /* RLIMIT_CPU, rounded up to s; 0 = no limit */
  int64_t nofile;                 /* RLIMIT_NOFILE, -1 = no limit */
  int64_t children;               /* RLIMIT_NPROC, -1 = no limit */
} ward_limits;

#define WARD_PROFILE_NAME_MAX 128   /* names and the hostname, NUL included */
#define WARD_PROFILE_PATH_MAX 512   /* the init script's path, NUL included */
#define WARD_PROFILE_ENV_MAX 4096   /* the environment, every NUL included */

typedef struct ward_profile {
  ward_limits limits;
  char seccomp[WARD_PROFILE_NAME_MAX];  /* "" = no filter, "default" = the shipped one */
  uint64_t wall_ms;               /* 0 = no limit: a process's whole life */
  int64_t mailbox;                /* messages, -1 = no limit */
  /* what the runtime holds for the host: live children of each of its
   * processes, its live processes, descriptors each of them has sent that
   * nobody has received yet; -1 = the run's default */
  int64_t live_children, processes, fds_in_flight;
  char init[WARD_PROFILE_PATH_MAX];     /* init script path, "" = none */
  char hostname[WARD_PROFILE_NAME_MAX]; /* "" = unchanged */
  /* "NAME=value" entries, each ended by a NUL, the list by an empty one:
   * the child's whole environment */
  char environment[WARD_PROFILE_ENV_MAX];
  enum ward_stdio stdio[3];       /* stdin, stdout, stderr */
} ward_profile;

#endif
