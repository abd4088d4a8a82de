/* spell.c -- spelling suggestions: the closest known word within a small
 * edit distance, for "did you mean" in diagnostics. */
#include "config.h"
#include "wpol.h"

#include <stdint.h>
#include <string.h>

/* Optimal string alignment distance (Levenshtein plus transpositions),
 * capped: words longer than 64 are never suggested. */
static size_t
edit_distance (const char *s, const char *t)
{
  size_t n = strlen (s), m = strlen (t);
  if (n > 64 || m > 64)
    return SIZE_MAX;
  size_t d[65][65];
  for (size_t i = 0; i <= n; i++)
    d[i][0] = i;
  for (size_t j = 0; j <= m; j++)
    d[0][j] = j;
  for (size_t i = 1; i <= n; i++)
    for (size_t j = 1; j <= m; j++)
      {
        size_t cost = s[i - 1] != t[j - 1];
        size_t v = d[i - 1][j] + 1;
        if (d[i][j - 1] + 1 < v)
          v = d[i][j - 1] + 1;
        if (d[i - 1][j - 1] + cost < v)
          v = d[i - 1][j - 1] + cost;
        if (i > 1 && j > 1 && s[i - 1] == t[j - 2] && s[i - 2] == t[j - 1]
            && d[i - 2][j - 2] + 1 < v)
          v = d[i - 2][j - 2] + 1;
        d[i][j] = v;
      }
  return d[n][m];
}

const char *
wpol_suggest (const char *s, const char *const *words)
{
  size_t len = strlen (s);
  size_t limit = len <= 3 ? 1 : len <= 8 ? 2 : 3;
  const char *best = NULL;
  size_t bestd = SIZE_MAX;
  for (size_t i = 0; words[i]; i++)
    {
      size_t dist = edit_distance (s, words[i]);
      if (dist < bestd)
        {
          bestd = dist;
          best = words[i];
        }
    }
  return bestd <= limit && bestd > 0 ? best : NULL;
}
