/* bench-decide.c -- decision latency with 10, 1k and 10k rules, cached and
 * uncached (DESIGN 6: <= 100 ns cached, <= 2 us uncached with 10k rules). */
#include "config.h"
#include "wpol.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *const actions[] = { "process.spawn", "process.send", "process.host",
                                       "process.monitor", "process.link", "process.cancel" };

static double
now_ns (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* nrules rules over 10 policies; a tenth of them globbed or conditional. */
static char *
make_policy (size_t nrules)
{
  wpol_buf b = { 0 };
  size_t per = nrules / 10 ? nrules / 10 : 1;
  for (size_t p = 0, r = 0; p < 10 && r < nrules; p++)
    {
      wpol_buf_printf (&b, "policy \"p%zu\" {\n", p);
      for (size_t k = 0; k < per && r < nrules; k++, r++)
        {
          const char *a = actions[r % 6];
          if (r % 10 == 0)
            wpol_buf_printf (&b, "  allow %s on \"app%zu.*:*\" when attr.host == \"ward:main\";\n", a, r);
          else if (r % 10 == 1)
            wpol_buf_printf (&b, "  deny %s on \"secret%zu:**\";\n", a, r);
          else
            wpol_buf_printf (&b, "  allow %s on \"app%zu:worker\";\n", a, r);
        }
      wpol_buf_puts (&b, "}\n");
    }
  wpol_buf_puts (&b, "actor \"bench\" { scope = [\"p0\", \"p1\", \"p2\", \"p3\", \"p4\", \"p5\", \"p6\", \"p7\", \"p8\", \"p9\"]; }\n");
  return b.s;
}

int
main (int argc, char **argv)
{
  size_t sizes[] = { 10, 1000, 10000 };
  long iters = argc > 1 ? atol (argv[1]) : 1000000;
  for (size_t si = 0; si < 3; si++)
    {
      char *text = make_policy (sizes[si]);
      ward_err err;
      wpol_engine *cached = wpol_engine_new (0, &err), *uncached = wpol_engine_new ((size_t) -1, &err);
      wpol_diags d;
      wpol_diags_init (&d);
      if (wpol_engine_load_text (cached, "bench.policy", text, strlen (text), &d, &err) < 0
          || wpol_engine_load_text (uncached, "bench.policy", text, strlen (text), NULL, &err) < 0)
        {
          wpol_diags_print (&d, stderr);
          return 1;
        }
      wpol_diags_free (&d);
      ward_actor a = { "bench", NULL, 0, NULL, 0 };
      ward_attrs at = { "{ward:main|0x1}", "ward:main", "", NULL, NULL, NULL };
      char res[64][32];
      for (int i = 0; i < 64; i++)
        snprintf (res[i], sizeof res[i], "app%zu:worker", (size_t) (i * 7) % sizes[si]);
      long allow = 0;
      double t0 = now_ns ();
      for (long i = 0; i < iters; i++)
        allow += wpol_decide (cached, &a, actions[(i * 7 % 64) % 6], res[i & 63], &at).decision;
      double t1 = now_ns ();
      long uit = iters / 10;
      for (long i = 0; i < uit; i++)
        allow += wpol_decide (uncached, &a, actions[(i * 7 % 64) % 6], res[i & 63], &at).decision;
      double t2 = now_ns ();
      uint64_t hits, misses;
      wpol_engine_cache_stats (cached, &hits, &misses);
      printf ("%6zu rules: cached %6.0f ns/decision (hit rate %.4f), uncached %6.0f ns/decision (%ld allowed)\n",
              sizes[si], (t1 - t0) / iters, (double) hits / (double) (hits + misses),
              (t2 - t1) / uit, allow);
      wpol_engine_free (cached);
      wpol_engine_free (uncached);
      free (text);
    }
  return 0;
}
