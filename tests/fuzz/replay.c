/* replay.c -- the make check side of a fuzz harness: run every file of the
 * harness's corpus (tests/fuzz/NAME/) through its LLVMFuzzerTestOneInput
 * and report one TAP check with the number of files replayed. A crash or a
 * harness abort ends the program, which the TAP driver reports. Built with
 * -DFUZZ_NAME='"NAME"' and -DFUZZ_CORPORA='"DIR"' (the corpora are in
 * DIR/NAME, or in $WARD_SRCDIR/tests/fuzz/NAME when that is set, or in the
 * directory given as the first argument). */
#include "config.h"
#include "fuzz.h"
#include "wgrow.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int
by_name (const void *a, const void *b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

static unsigned char *
slurp (const char *path, size_t *len)
{
  FILE *f = fopen (path, "rb");
  if (f == NULL)
    return NULL;
  size_t cap = 4096, n = 0;
  unsigned char *buf = malloc (cap);
  for (;;)
    {
      if (buf == NULL)
        break;
      n += fread (buf + n, 1, cap - n, f);
      if (n < cap)
        break;
      unsigned char *nb = realloc (buf, cap * 2);
      if (nb == NULL)
        {
          free (buf);
          buf = NULL;
          break;
        }
      buf = nb;
      cap *= 2;
    }
  int bad = ferror (f);
  fclose (f);
  if (bad)
    {
      free (buf);
      return NULL;
    }
  *len = n;
  return buf;
}

int
main (int argc, char **argv)
{
  char dir[4096];
  const char *top = getenv ("WARD_SRCDIR");
  if (argc > 1)
    snprintf (dir, sizeof dir, "%s", argv[1]);
  else if (top != NULL && *top)
    snprintf (dir, sizeof dir, "%s/tests/fuzz/%s", top, FUZZ_NAME);
  else
    snprintf (dir, sizeof dir, "%s/%s", FUZZ_CORPORA, FUZZ_NAME);
  printf ("1..1\n");
  DIR *d = opendir (dir);
  if (d == NULL)
    {
      printf ("not ok 1 - %s: cannot open the corpus %s: %s\n", FUZZ_NAME, dir,
              strerror (errno));
      return 1;
    }
  char **names = NULL;
  size_t n = 0, cap = 0;
  struct dirent *de;
  while ((de = readdir (d)) != NULL)
    {
      if (de->d_name[0] == '.')
        continue;
      if (WARD_GROW (names, cap, n + 1, 64) < 0)
        {
          printf ("not ok 1 - %s: out of memory\n", FUZZ_NAME);
          return 1;
        }
      if ((names[n] = strdup (de->d_name)) == NULL)
        {
          printf ("not ok 1 - %s: out of memory\n", FUZZ_NAME);
          return 1;
        }
      n++;
    }
  closedir (d);
  if (n == 0)
    {
      printf ("not ok 1 - %s: the corpus %s is empty\n", FUZZ_NAME, dir);
      return 1;
    }
  qsort (names, n, sizeof *names, by_name);
  size_t done = 0;
  for (size_t i = 0; i < n; i++)
    {
      char path[8192];
      size_t len = 0;
      snprintf (path, sizeof path, "%s/%s", dir, names[i]);
      unsigned char *data = slurp (path, &len);
      if (data == NULL)
        {
          printf ("not ok 1 - %s: cannot read %s\n", FUZZ_NAME, path);
          return 1;
        }
      /* stderr names the file, so that a crash points at its input */
      fprintf (stderr, "# %s\n", names[i]);
      LLVMFuzzerTestOneInput (data, len);
      free (data);
      free (names[i]);
      done++;
    }
  free (names);
  printf ("ok 1 - %s: %zu corpus files replayed\n", FUZZ_NAME, done);
  return 0;
}
