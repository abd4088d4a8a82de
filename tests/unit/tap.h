/* tap.h -- a tiny TAP producer for ward's C unit tests.
 * plan(n) first, then ok()/is_int()/is_str(); done() returns the exit
 * status (non-zero when any test failed or the count was off).
 * Timeouts: a test waits on the event it expects, bounded by a generous
 * deadline that tap_ms() scales by WARD_TEST_TIMEOUT_SCALE (an integer from
 * 1 to 1000, default 1); tap_wait_until() polls a condition until then. */
#ifndef WARD_TAP_H
#define WARD_TAP_H

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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

/* The timeout scale; a bad WARD_TEST_TIMEOUT_SCALE ends the test with a
 * TAP "Bail out!" naming the variable (status 99: a hard error). */
static inline long
tap_scale (void)
{
  static long scale;
  if (scale > 0)
    return scale;
  const char *s = getenv ("WARD_TEST_TIMEOUT_SCALE");
  if (s == NULL || *s == '\0')
    return scale = 1;
  char *end;
  errno = 0;
  long v = strtol (s, &end, 10);
  if (errno != 0 || *end != '\0' || s[0] < '1' || s[0] > '9' || v > 1000)
    {
      printf ("Bail out! WARD_TEST_TIMEOUT_SCALE=");
      for (const char *c = s; *c && c - s < 32; c++)
        putchar (*c >= '0' && *c <= '9' ? *c : '?');
      printf (": want an integer from 1 to 1000\n");
      fflush (stdout);
      exit (99);
    }
  return scale = v;
}

/* ms milliseconds, scaled. */
static inline int64_t
tap_ms (int64_t ms)
{
  return ms * tap_scale ();
}

/* The monotonic clock in milliseconds. */
static inline int64_t
tap_now_ms (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A deadline ms (scaled) from now, and whether it has passed. */
static inline int64_t
tap_deadline (int64_t ms)
{
  return tap_now_ms () + tap_ms (ms);
}

static inline int
tap_expired (int64_t deadline)
{
  return tap_now_ms () >= deadline;
}

/* Evaluate cond every millisecond until it holds (1) or ms milliseconds,
 * scaled, have passed (0). */
#define tap_wait_until(cond, ms)                                            \
  ({                                                                        \
    int64_t dl_ = tap_deadline (ms);                                        \
    int ok_;                                                                \
    while (!(ok_ = !!(cond)) && !tap_expired (dl_))                         \
      nanosleep (&(struct timespec){ .tv_nsec = 1000000 }, NULL);           \
    ok_;                                                                    \
  })

#endif
