/* wfault.h -- injected failures of the system calls ward checks, for its
 * own tests. Prefix wfault_.
 *
 * Only a build with -DWARD_TEST_HOOKS (tests/ward-faults) has them: there
 * WARD_TEST_SYSCALL_FAULT=SITE makes the call at SITE fail with EINVAL, as
 * it would on a kernel that refused it, to show that ward fails closed.
 * A site is written next to its call, e.g.
 *
 *     if (wfault_at ("supervisor.subreaper") || prctl (...) < 0)
 *
 * In every other build wfault_at(SITE) is the constant 0: the installed
 * ward has no hook. The variable is read where the call is made: a site
 * in a sandbox child after its environment is replaced by the profile's
 * cannot be reached. */
#ifndef WARD_WFAULT_H
#define WARD_WFAULT_H

#ifdef WARD_TEST_HOOKS
#include <errno.h>
#include <stdlib.h>
#include <string.h>

static inline int
wfault_at (const char *site)
{
  const char *f = getenv ("WARD_TEST_SYSCALL_FAULT");
  if (f == NULL || strcmp (f, site) != 0)
    return 0;
  errno = EINVAL;
  return 1;
}
#else
#define wfault_at(site) 0
#endif

#endif
