/* diag.c -- diagnostics (`file:line:col: error: message`): collected,
 * sorted and printed with what a file or message holds escaped. */
#include "config.h"
#include "wpol.h"
#include "wgrow.h"
#include "wesc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
wpol_diags_init (wpol_diags *d)
{
  memset (d, 0, sizeof *d);
}

void
wpol_diags_free (wpol_diags *d)
{
  if (d == NULL)
    return;
  for (size_t i = 0; i < d->n; i++)
    {
      free (d->v[i].file);
      free (d->v[i].msg);
    }
  free (d->v);
  memset (d, 0, sizeof *d);
}

void
wpol_diag_vadd (wpol_diags *d, wpol_severity sev, const char *file,
                unsigned line, unsigned col, const char *fmt, va_list ap)
{
  if (d == NULL)
    return;
  if (sev == WPOL_ERROR)
    d->nerrors++;
  else
    d->nwarnings++;
  if (WARD_GROW (d->v, d->cap, d->n + 1, 16) < 0)
    return;               /* counted, not kept: the caller still sees the error */
  char msg[1024];
  vsnprintf (msg, sizeof msg, fmt, ap);
  wpol_diag *g = &d->v[d->n];
  g->severity = sev;
  g->file = strdup (file ? file : "-");
  g->msg = strdup (msg);
  g->line = line;
  g->col = col;
  if (g->file == NULL || g->msg == NULL)
    {
      free (g->file);
      free (g->msg);
      return;
    }
  d->n++;
}

void
wpol_diag_add (wpol_diags *d, wpol_severity sev, const char *file,
               unsigned line, unsigned col, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  wpol_diag_vadd (d, sev, file, line, col, fmt, ap);
  va_end (ap);
}

void
wpol_diag_format (const wpol_diag *g, char *buf, size_t size)
{
  const char *sev = g->severity == WPOL_ERROR ? "error" : "warning";
  if (g->line)
    snprintf (buf, size, "%s:%u:%u: %s: %s", g->file, g->line, g->col, sev, g->msg);
  else
    snprintf (buf, size, "%s: %s: %s", g->file, sev, g->msg);
}

/* Write a message: escaped (wesc.h) when it holds anything but a
 * backslash that the escaping would change, else as written, so that a
 * message quoting `\n` reads as it is meant. */
static void
put_message (const char *s, FILE *out)
{
  char *e = ward_esc_str (s, 0);
  if (e == NULL)
    {
      fputs ("(out of memory)", out);
      return;
    }
  const char *p = s, *q = e;
  for (; *p; p++, q++)
    if (*p != *q || (*p == '\\' && *++q != '\\'))
      break;
  fputs (*p || *q ? e : s, out);
  free (e);
}

void
wpol_diags_print (const wpol_diags *d, FILE *out)
{
  /* file names and messages may hold what a script chose: nothing of them
   * reaches a terminal raw */
  size_t nwarn = 0;
  for (size_t i = 0; i < d->n; i++)
    {
      const wpol_diag *g = &d->v[i];
      /* warnings are capped as errors are: a 50,000-rule file with one
       * finding per rule would bury its errors */
      if (g->severity != WPOL_ERROR && ++nwarn > WPOL_MAX_WARNINGS)
        continue;
      ward_esc_fputs (g->file, 0, out);
      if (g->line)
        fprintf (out, ":%u:%u", g->line, g->col);
      fprintf (out, ": %s: ", g->severity == WPOL_ERROR ? "error" : "warning");
      put_message (g->msg, out);
      fputc ('\n', out);
    }
  if (nwarn > WPOL_MAX_WARNINGS)
    fprintf (out, "note: %zu more warning%s not shown (the first %d are)\n",
             nwarn - WPOL_MAX_WARNINGS, nwarn - WPOL_MAX_WARNINGS == 1 ? "" : "s",
             WPOL_MAX_WARNINGS);
}

static int
diag_before (const wpol_diag *a, const wpol_diag *b)
{
  int c = strcmp (a->file, b->file);
  if (c)
    return c < 0;
  if (a->line != b->line)
    return a->line < b->line;
  return a->col < b->col;
}

/* Merge sort: stable, and n log n for the tens of thousands of findings
 * a large file may give (the checker adds them rule by rule, then across
 * rules). Out of memory, the order stays as it was. */
void
wpol_diags_sort (wpol_diags *d)
{
  if (d->n < 2)
    return;
  wpol_diag *tmp = malloc (d->n * sizeof *tmp);
  if (tmp == NULL)
    return;
  wpol_diag *src = d->v, *dst = tmp;
  for (size_t w = 1; w < d->n; w *= 2)
    {
      for (size_t lo = 0; lo < d->n; lo += 2 * w)
        {
          size_t mid = lo + w < d->n ? lo + w : d->n;
          size_t hi = lo + 2 * w < d->n ? lo + 2 * w : d->n;
          size_t a = lo, b = mid, k = lo;
          while (a < mid && b < hi)
            dst[k++] = diag_before (&src[b], &src[a]) ? src[b++] : src[a++];
          while (a < mid)
            dst[k++] = src[a++];
          while (b < hi)
            dst[k++] = src[b++];
        }
      wpol_diag *t = src;
      src = dst;
      dst = t;
    }
  if (src != d->v)
    memcpy (d->v, src, d->n * sizeof *src);
  free (tmp);
}
