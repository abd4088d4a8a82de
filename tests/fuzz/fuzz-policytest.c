/* fuzz-policytest.c -- the test-file reader of `ward policy test`
 * (wpol_test_run): words, quotes and escapes, KEY=VALUE attributes,
 * scope lists, metadata, and the decision of each request against the
 * policies built into ward (as `ward policy test --policy` would load
 * them, the first process being `main`).
 *
 * Input: the text of one test file. Each line is a request, a comment or
 * a malformed line; there cannot be more requests and malformed lines
 * than lines. */
#include "config.h"
#include "fuzz.h"
#include "engine.h"

#include <stdio.h>
#include <string.h>

static wpol_engine *engine;
static FILE *sink;

static void
setup (void)
{
  ward_err err;
  engine = wpol_engine_new ((size_t) -1, &err);
  if (engine == NULL || wpol_engine_set_run_actor (engine, "main", &err) < 0
      || wpol_engine_load_texts (engine, wpol_builtin_names, wpol_builtin_texts,
                                 wpol_builtin_lens, wpol_builtin_count, NULL, &err) < 0)
    fuzz_fail ("cannot load the built-in policies");
  sink = fopen ("/dev/null", "we");
  if (sink == NULL)
    fuzz_fail ("/dev/null");
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  if (engine == NULL)
    setup ();
  if (size == 0)
    return 0;
  FILE *in = fmemopen ((void *) data, size, "r");
  if (in == NULL)
    fuzz_fail ("fmemopen");
  unsigned pass = 0, fail = 0, bad = 0;
  wpol_test_run (engine, in, "fuzz.test", sink, sink, &pass, &fail, &bad);
  fclose (in);
  size_t lines = 1;
  for (size_t i = 0; i + 1 < size; i++)
    lines += data[i] == '\n';
  if ((size_t) pass + fail + bad > lines)
    fuzz_fail ("more results than lines");
  return 0;
}
