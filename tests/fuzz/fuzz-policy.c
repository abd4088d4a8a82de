/* fuzz-policy.c -- the policy language end to end: lexer and parser
 * (wpol_parse), formatter (wpol_format), checker (wpol_check), index
 * (wpol_index_build) and evaluation (wpol_eval, conditions included).
 *
 * Input: the text of one policy file. A file that parses cleanly must
 * format to a canonical text that parses cleanly again and formats to
 * itself. A file that also checks cleanly is compiled, and requests made
 * of the names it uses (actor patterns, rule actions and resources) are
 * decided against it, with and without a trace, with and without a
 * request scope. */
#include "config.h"
#include "fuzz.h"
#include "wpol.h"
#include "decide.h"

#include <string.h>

static void
trace_sink (void *ud, const char *line)
{
  size_t *n = ud;
  *n += strlen (line);
}

#define MAXW 4

static void
add_word (const char **v, size_t *n, const char *s)
{
  if (*n < MAXW && s != NULL)
    v[(*n)++] = s;
}

static void
decide_all (const wpol_index *ix)
{
  const char *actors[MAXW], *actions[MAXW], *resources[MAXW];
  size_t na = 0, nact = 0, nres = 0;
  add_word (actors, &na, "main");
  add_word (actions, &nact, "process.spawn");
  add_word (resources, &nres, "app.worker");
  for (size_t i = 0; i < wpol_index_nactors (ix); i++)
    add_word (actors, &na, wpol_index_actor (ix, i)->name);
  for (size_t i = 0; i < wpol_index_nrules (ix); i++)
    {
      const wpol_rule *r = wpol_index_rule (ix, i);
      for (size_t k = 0; k < r->nactions; k++)
        add_word (actions, &nact, r->actions[k].text);
      for (size_t k = 0; k < r->nresources; k++)
        add_word (resources, &nres, r->resources[k].text);
    }
  static const char *const meta[] = { "team", "infra", "level", "3" };
  static const char *const scope[] = { "base", "plugins" };
  ward_attrs attrs = { "{main|0x1}", "ward:main", "", "app.worker", "ward:sandbox",
                       "{main|0x1}" };
  size_t traced = 0;
  for (size_t a = 0; a < na; a++)
    for (size_t c = 0; c < nact; c++)
      for (size_t r = 0; r < nres; r++)
        {
          int odd = (int) ((a + c + r) & 1);
          ward_actor act = { actors[a], meta, 2, scope, odd ? 2 : 0 };
          uint32_t mask = 0;
          wpol_result res = wpol_eval (ix, &act, actions[c], resources[r],
                                       odd ? &attrs : NULL, &mask,
                                       r == 0 ? trace_sink : NULL, &traced);
          if ((res.decision == WARD_ALLOW) != (res.reason == WPOL_BY_RULE
                                               && res.rule && !res.rule->deny))
            fuzz_fail ("a decision that does not match its reason");
        }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  wpol_diags d;
  wpol_diags_init (&d);
  wpol_file *f = wpol_parse ("fuzz.policy", (const char *) data, size, &d);
  if (f == NULL)
    {
      wpol_diags_free (&d);
      return 0;
    }
  if (f->nerrors == 0)
    {
      wpol_buf once = { 0 }, twice = { 0 };
      wpol_format (f, &once);
      if (once.oom)
        fuzz_fail ("out of memory formatting");
      wpol_diags d2;
      wpol_diags_init (&d2);
      wpol_file *g = wpol_parse ("fuzz.policy", once.s ? once.s : "", once.len, &d2);
      if (g == NULL || g->nerrors != 0)
        {
          wpol_diags_print (&d2, stderr);
          fuzz_fail ("the canonical text of a valid file does not parse");
        }
      wpol_format (g, &twice);
      if (twice.len != once.len || (once.len && memcmp (once.s, twice.s, once.len) != 0))
        fuzz_fail ("formatting the canonical text changes it");
      wpol_file_free (g);
      wpol_diags_free (&d2);
      wpol_buf_free (&once);
      wpol_buf_free (&twice);
    }
  wpol_file *files[1] = { f };
  wpol_check (files, 1, &d);
  wpol_analyse (files, 1, &d);
  if (f->nerrors != 0)
    {
      wpol_file_free (f);
      wpol_diags_free (&d);
      return 0;
    }
  ward_err err;
  wpol_index *ix = wpol_index_build (files, 1, &err);
  if (ix != NULL)
    {
      if (wpol_index_set_run_actor (ix, "main") == 0)
        decide_all (ix);
      wpol_index_free (ix);
    }
  wpol_diags_free (&d);
  return 0;
}
