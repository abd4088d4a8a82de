/* bstat.h -- what the C benchmarks share: a monotonic clock in
 * microseconds and the median (with the 10th and 90th percentiles) of a
 * sample. Header only. Prefix bench_. */
#ifndef WARD_BENCH_BSTAT_H
#define WARD_BENCH_BSTAT_H

#include <stddef.h>
#include <stdlib.h>
#include <time.h>

static inline double
bench_now_us (void)
{
  struct timespec t;
  clock_gettime (CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

static inline int
bench_cmp_double (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return (x > y) - (x < y);
}

/* The median of v[0..n) (n > 0; sorts v), and when p10 and p90 are not
 * NULL the 10th and 90th percentiles. */
static inline double
bench_median (double *v, size_t n, double *p10, double *p90)
{
  qsort (v, n, sizeof *v, bench_cmp_double);
  if (p10)
    *p10 = v[n / 10];
  if (p90)
    *p90 = v[n - 1 - n / 10];
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

#endif
