/* lockdown.h -- the last steps of building a sandbox, run in the child
 * after its namespaces and init script: rlimits, capabilities, no_new_privs,
 * seccomp, in that order, and closing every fd that must not survive.
 * Internal to sandbox/. Errors follow common/werr.h. ward-sandbox(7)
 * describes the profile and why each refused call is refused. */
#ifndef WARD_LOCKDOWN_H
#define WARD_LOCKDOWN_H

#include <seccomp.h>
#include "sandbox.h"

/* A seccomp filter context holding the profile's rules (the shipped default
 * allow-list for WSB_SECCOMP_DEFAULT), not yet loaded; the init script may
 * add rules to it. NULL with err on failure; NULL without error (err->kind
 * == WARD_OK) for WSB_SECCOMP_NONE. Building one costs about 1 ms and
 * loading it another 1-2 ms (libseccomp compiles it then): when nothing
 * will be added to it, pass NULL to wsb__lockdown instead. */
scmp_filter_ctx wsb__seccomp_new (int profile, ward_err *err);

/* The ioctl guard, a default-allow filter refusing TIOCSTI and TIOCLINUX
 * (whatever the high 32 bits of the command hold). wsb__lockdown loads it
 * under every default-profile filter; libseccomp cannot express "allow
 * ioctl except these" inside a deny-by-default filter. */
scmp_filter_ctx wsb__seccomp_guard_new (ward_err *err);

/* The default profile and the guard as BPF, once, so that every child
 * forked afterwards loads them without libseccomp (~0.3 ms instead of
 * ~2.5 ms): the guard's test prefixed to the profile, one filter, and the
 * guard alone for a profile the init script changed. A native build takes
 * the programs compiled when ward was built (sandbox/seccomp-gen: no
 * libseccomp work at run time); a cross build compiles them here. Call in
 * the supervisor before it forks children; optional, idempotent; not
 * thread-safe. 0 or -1. */
int wsb__seccomp_prepare (ward_err *err);
/* Whether the prepared programs are the ones libseccomp compiles from
 * this file now: 1 yes, 0 no, -1 with err (for the tests). */
int wsb__seccomp_prepared_fresh (ward_err *err);
/* Whether the prepared programs are those of the build: 1 or 0. */
int wsb__seccomp_prepared_at_build (void);
#ifdef WARD_SECCOMP_GEN
#include <stdio.h>
/* The compiled programs written to out as C (seccomp-gen). 0 or -1. */
int wsb__seccomp_emit_c (FILE *out, ward_err *err);
#endif

/* Load the seccomp filters: for a non-NULL filter, the guard then filter
 * (freed, even on failure); for NULL, the guard and the default profile
 * when profile is WSB_SECCOMP_DEFAULT (one precompiled filter holding both
 * if prepared), nothing for WSB_SECCOMP_NONE. Needs no_new_privs or
 * CAP_SYS_ADMIN. 0 or -1. */
int wsb__seccomp_install (int profile, scmp_filter_ctx filter, ward_err *err);

/* Close every fd except those in keep[0..nkeep) (any order; negative
 * entries are ignored). close_range() when the kernel has it, else the
 * entries of /proc/self/fd, else every fd below RLIMIT_NOFILE. 0 or -1. */
int wsb__close_fds_except (const int *keep, size_t nkeep, ward_err *err);

/* In this order: rlimits (RLIMIT_CORE always 0; never raised above the
 * current hard limit), securebits (NOROOT, NO_CAP_AMBIENT_RAISE, all
 * locked), the bounding set cut to p->limits.capabilities, the ambient
 * set emptied, the effective/permitted/inheritable sets set to it,
 * PR_SET_NO_NEW_PRIVS, then seccomp: when filter is not NULL, the ioctl
 * guard then filter (which is freed); when filter is NULL and p->seccomp
 * is WSB_SECCOMP_DEFAULT, the guard and the default profile (precompiled
 * when wsb__seccomp_prepare ran). Every step is checked afterwards. Any
 * failure returns -1 naming the step, and the caller must not run the
 * actor: the process is then half locked down. */
int wsb__lockdown (const wsb_profile *p, scmp_filter_ctx filter, ward_err *err);

#endif
