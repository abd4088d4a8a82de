/* wunit.c -- sizes ("64M", "1.5GiB") and durations ("250ms", "1.5s")
 * parsed to bytes and milliseconds: the grammar is in wunit.h. */
#include "config.h"
#include "wunit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "wesc.h"

typedef struct unit {
  const char *name;
  uint64_t mul;
} unit;

static const unit size_units[] = {
  { "", 1 }, { "B", 1 },
  { "K", 1ULL << 10 }, { "k", 1ULL << 10 }, { "KB", 1ULL << 10 }, { "kB", 1ULL << 10 },
  { "KiB", 1ULL << 10 },
  { "M", 1ULL << 20 }, { "m", 1ULL << 20 }, { "MB", 1ULL << 20 }, { "mB", 1ULL << 20 },
  { "MiB", 1ULL << 20 },
  { "G", 1ULL << 30 }, { "g", 1ULL << 30 }, { "GB", 1ULL << 30 }, { "gB", 1ULL << 30 },
  { "GiB", 1ULL << 30 },
  { "T", 1ULL << 40 }, { "t", 1ULL << 40 }, { "TB", 1ULL << 40 }, { "tB", 1ULL << 40 },
  { "TiB", 1ULL << 40 },
  { NULL, 0 }
};

static const unit duration_units[] = {
  { "", 1 }, { "ms", 1 }, { "s", 1000 }, { "m", 60000 }, { "h", 3600000 },
  { "d", 86400000 }, { NULL, 0 }
};

const char ward_size_hint[]
  = "use bytes or a number with K, M, G or T (binary multiples), like \"64M\"";
const char ward_duration_hint[]
  = "use milliseconds or a number with ms, s, m, h or d, like \"250ms\" or \"1.5s\"";

typedef struct kind {
  const char *what;       /* "size" */
  const char *hint;       /* how to write one */
  const unit *units;
} kind;

static const kind size_kind = { "size", ward_size_hint, size_units };
static const kind duration_kind = { "duration", ward_duration_hint, duration_units };

/* Fill err: `bad size "TEXT": REASON; HINT`, TEXT escaped and cut short. */
static int
fail (ward_err *err, const kind *k, const char *s, const char *reason)
{
  if (err == NULL)
    return -1;
  char *shown = ward_esc_str (s, 40);
  ward_err_set (err, WARD_E_INVALID, 0, "bad %s \"%s\": %s; %s", k->what,
                shown ? shown : "?", reason, k->hint);
  free (shown);
  return -1;
}

/* The decimal number whole[.frac] times mul, rounded to the nearest
 * integer (halves up), into *out: 0, or -1 past UINT64_MAX. */
static int
scale (const char *whole, const char *whole_end, const char *frac, const char *frac_end,
       uint64_t mul, uint64_t *out)
{
  /* whole * mul, each step checked */
  uint64_t v = 0;
  for (const char *p = whole; p < whole_end; p++)
    {
      unsigned d = (unsigned) (*p - '0');
      if (v > (UINT64_MAX - d) / 10)
        return -1;
      v = v * 10 + d;
    }
  if (v > UINT64_MAX / mul)
    return -1;
  v *= mul;
  /* frac * mul, exactly: multiply the fraction's digits from the last one,
   * carrying into the whole part; the first digit of the product's own
   * fraction then says whether to round up. */
  if (frac)
    {
      uint64_t carry = 0, digit = 0;
      for (const char *p = frac_end; p > frac; p--)
        {
          uint64_t x = (uint64_t) (p[-1] - '0') * mul + carry;
          carry = x / 10;
          digit = x % 10;
        }
      carry += digit >= 5;
      if (v > UINT64_MAX - carry)
        return -1;
      v += carry;
    }
  *out = v;
  return 0;
}

static int
parse (const char *s, const kind *k, uint64_t *out, ward_err *err)
{
  if (s[0] == '\0')
    return fail (err, k, s, "it is empty");
  if (s[0] == '-')
    return fail (err, k, s, "it is negative");
  if (s[0] < '0' || s[0] > '9')
    return fail (err, k, s, "it does not start with a digit");
  const char *whole = s, *frac = NULL, *p = s;
  while (*p >= '0' && *p <= '9')
    p++;
  const char *whole_end = p;
  if (*p == '.')
    {
      frac = ++p;
      while (*p >= '0' && *p <= '9')
        p++;
      if (p == frac)
        return fail (err, k, s, "no digit after the point");
    }
  const char *frac_end = p;
  const unit *u = k->units;
  while (u->name && strcmp (u->name, p) != 0)
    u++;
  if (u->name == NULL)
    {
      char reason[96];
      char *shown = ward_esc_str (p, 16);
      snprintf (reason, sizeof reason, "unknown unit \"%s\"", shown ? shown : "?");
      free (shown);
      return fail (err, k, s, reason);
    }
  if (scale (whole, whole_end, frac, frac_end, u->mul, out) < 0)
    return fail (err, k, s, "too large");
  return 0;
}

int
ward_parse_size (const char *s, uint64_t *bytes, ward_err *err)
{
  return parse (s, &size_kind, bytes, err);
}

int
ward_parse_duration (const char *s, uint64_t *ms, ward_err *err)
{
  return parse (s, &duration_kind, ms, err);
}
