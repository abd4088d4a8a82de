/* units.c -- sizes ("64M" -> bytes) and durations ("2s" -> ms) as the
 * policy language writes them. */
#include "config.h"
#include "wpol.h"

#include <string.h>

static int
parse_num_unit (const char *s, uint64_t *num, const char **unit)
{
  if (*s < '0' || *s > '9')
    return -1;
  uint64_t v = 0;
  for (; *s >= '0' && *s <= '9'; s++)
    {
      if (v > (UINT64_MAX - 9) / 10)
        return -1;
      v = v * 10 + (uint64_t) (*s - '0');
    }
  *num = v;
  *unit = s;
  return 0;
}

int
wpol_parse_size (const char *s, uint64_t *out)
{
  uint64_t v;
  const char *u;
  if (parse_num_unit (s, &v, &u) < 0)
    return -1;
  static const struct { const char *u; unsigned shift; } units[] = {
    { "", 0 }, { "B", 0 }, { "K", 10 }, { "KB", 10 }, { "KiB", 10 },
    { "M", 20 }, { "MB", 20 }, { "MiB", 20 }, { "G", 30 }, { "GB", 30 },
    { "GiB", 30 }, { "T", 40 }, { "TB", 40 }, { "TiB", 40 }
  };
  for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
    if (strcmp (u, units[i].u) == 0)
      {
        if (units[i].shift && v > (UINT64_MAX >> units[i].shift))
          return -1;
        *out = v << units[i].shift;
        return 0;
      }
  return -1;
}

int
wpol_parse_duration (const char *s, uint64_t *out)
{
  uint64_t v;
  const char *u;
  if (parse_num_unit (s, &v, &u) < 0)
    return -1;
  static const struct { const char *u; uint64_t ms; } units[] = {
    { "", 1 }, { "ms", 1 }, { "s", 1000 }, { "m", 60000 }, { "h", 3600000 }
  };
  for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
    if (strcmp (u, units[i].u) == 0)
      {
        if (v > UINT64_MAX / units[i].ms)
          return -1;
        *out = v * units[i].ms;
        return 0;
      }
  return -1;
}
