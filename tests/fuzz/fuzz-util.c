/* fuzz-util.c -- helpers shared by the fuzz harnesses (fuzz.h). */
#include "config.h"
#include "fuzz.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int
fuzz_lowest_free_fd (void)
{
  int fd = open ("/dev/null", O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    fuzz_fail ("cannot open /dev/null");
  close (fd);
  return fd;
}

void
fuzz_fail (const char *what)
{
  fprintf (stderr, "fuzz harness: %s\n", what);
  abort ();
}
