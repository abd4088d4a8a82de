/* tap.h -- a tiny TAP producer for ward's C unit tests.
 * plan(n) first, then ok()/is_int()/is_str(); done() returns the exit
 * status (non-zero when any test failed or the count was off). */
#ifndef WARD_TAP_H
#define WARD_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int tap_planned, tap_run, tap_failed;

static inline void
plan (int n)
{
  tap_planned = n;
  printf ("1..%d\n", n);
  fflush (stdout);
}

static inline int __attribute__ ((format (printf, 2, 3)))
ok (int cond, const char *fmt, ...)
{
  va_list ap;
  tap_run++;
  if (!cond)
    tap_failed++;
  printf ("%sok %d - ", cond ? "" : "not ", tap_run);
  va_start (ap, fmt);
  vprintf (fmt, ap);
  va_end (ap);
  printf ("\n");
  fflush (stdout);
  return cond;
}

#define is_int(got, want, ...)                                              \
  do {                                                                      \
    long long g_ = (long long) (got), w_ = (long long) (want);              \
    if (!ok (g_ == w_, __VA_ARGS__))                                        \
      printf ("#   got %lld, want %lld\n", g_, w_);                         \
  } while (0)

#define is_str(got, want, ...)                                              \
  do {                                                                      \
    const char *g_ = (got), *w_ = (want);                                   \
    if (!ok (g_ != NULL && w_ != NULL && strcmp (g_, w_) == 0, __VA_ARGS__)) \
      printf ("#   got \"%s\", want \"%s\"\n", g_ ? g_ : "(null)",         \
              w_ ? w_ : "(null)");                                          \
  } while (0)

static inline void
diag (const char *msg)
{
  printf ("# %s\n", msg);
}

static inline int
done (void)
{
  if (tap_planned != tap_run)
    {
      printf ("# planned %d tests but ran %d\n", tap_planned, tap_run);
      return 1;
    }
  return tap_failed ? 1 : 0;
}

#endif
