/* seccomp-gen.c -- run when ward is built: compiles the default seccomp
 * profile and the ioctl guard with libseccomp (seccomp.c, as a run would)
 * and writes them as C to standard output, for sandbox/seccomp-prog.c. */
#include "config.h"
#include "lockdown.h"

#include <stdio.h>

int
main (void)
{
  ward_err err;
  if (wsb__seccomp_emit_c (stdout, &err) < 0 || fflush (stdout) != 0)
    {
      fprintf (stderr, "seccomp-gen: %s\n", err.msg);
      return 1;
    }
  return 0;
}
