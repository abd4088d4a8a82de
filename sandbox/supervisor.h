/* supervisor.h -- what the supervisor's two files share: supervisor.c
 * (the loop, requests, replies, the kids) and build.c (building children,
 * on request or ahead). Prefix wsb__ (the sandbox's internal one). */
#ifndef WARD_SANDBOX_SUPERVISOR_H
#define WARD_SANDBOX_SUPERVISOR_H

#include "proto.h"

/* ---- supervisor.c ---- */
/* Answer the request being handled: err, or the child pid with its pidfd
 * (and chan, the runtime's end of its channel, for a warm spawn); -1 for
 * none. */
void wsb__reply (const ward_err *err, pid_t pid, int pidfd);
void wsb__reply2 (const ward_err *err, pid_t pid, int pidfd, int chan);
/* Parse q's payload buf into prof; its strings point into buf, *envp is
 * the environment array to free. 0 or -1 with err. */
int wsb__parse_req (const struct wsb_req *q, char *buf, wsb_profile *prof, const char ***envp,
                    ward_err *err);
/* Room for one more kid, made before a child is built so that a built
 * child always has its place. 0 or -1 with err. */
int wsb__reserve_kid (ward_err *err);
/* A built child becomes a kid (room reserved): status_fd is PID 1's
 * status pipe, or -1. */
void wsb__add_kid (pid_t pid, int status_fd);
/* What every child's job has of the supervisor: /dev/null, ids, entry;
 * called once per child built (the supervisor notes that one was). */
void wsb__job_base (struct wsb_job *job);

/* ---- build.c ---- */
/* Build a child for the request and answer it (fds: the channel's end,
 * then the standard streams and init arg of fdmask). */
void wsb__spawn (const wsb_profile *prof, const int *fds, uint32_t fdmask);
/* A warm spawn: hand over a child of the request's pool (each distinct
 * warm request has one), built ahead or, when none is ready, the first
 * being built to be ready; an error while building it aborts the spawn.
 * The pool is refilled by wsb__refill_warm. */
void wsb__spawn_warm (const struct wsb_req *q, char *buf, const wsb_profile *prof,
                       const int *fds);
/* Read what the children being built have said, and bring each pool to
 * the demand of the last seconds: build (as many at once as there are
 * cores while a pool has none ready, else one at a time) or kill. Returns the poll timeout (ms) to when it is next due,
 * or -1. Nothing is done before the first warm request. */
int wsb__refill_warm (void);
/* A descriptor readable when a child being built has something to say
 * (wsb__refill_warm reads it), or -1 before the first warm request. */
int wsb__warm_fd (void);
/* pid, a child built ahead, has ended unused: forgotten. Whether it was one. */
int wsb__warm_reaped (pid_t pid);
/* Whether a child built ahead is alive. */
int wsb__warm_alive (void);
/* SIGKILL every child built ahead (reaped later). */
void wsb__warm_kill (void);

#endif
