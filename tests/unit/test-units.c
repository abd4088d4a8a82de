/* test-units.c -- ward_parse_size and ward_parse_duration (common/wunit.h):
 * every unit the command line, the policy language and Lua accept, exact
 * rounding of fractions, and a clear error naming the text for the rest. */
#include "config.h"
#include "tap.h"
#include "wunit.h"

#include <stdint.h>
#include <string.h>

/* The value of a good size or duration (UINT64_MAX - 1 marks a failure,
 * whose message is then shown). */
static uint64_t
good (int (*parse) (const char *, uint64_t *, ward_err *), const char *s)
{
  uint64_t v = 7;
  ward_err err;
  ward_err_clear (&err);
  if (parse (s, &v, &err) < 0)
    {
      printf ("# \"%s\": %s\n", s, err.msg);
      return UINT64_MAX - 1;
    }
  return v;
}

/* The message for a bad one ("" if it parsed); the output is untouched. */
static const char *
bad (int (*parse) (const char *, uint64_t *, ward_err *), const char *s)
{
  static ward_err err;
  uint64_t v = 7;
  ward_err_clear (&err);
  if (parse (s, &v, &err) == 0)
    return "";
  if (v != 7 || err.kind != WARD_E_INVALID)
    return "(output changed or kind not INVALID)";
  return err.msg;
}

#define SIZE_OK(s, want) is_int (good (ward_parse_size, s), want, "size \"%s\"", s)
#define DUR_OK(s, want) is_int (good (ward_parse_duration, s), want, "duration \"%s\"", s)

/* s must be refused by parse with a message "bad WHAT \"..." giving reason. */
static void
refused (int (*parse) (const char *, uint64_t *, ward_err *), const char *what,
         const char *s, const char *reason)
{
  const char *m = bad (parse, s);
  char head[32];
  int hn = snprintf (head, sizeof head, "bad %s \"", what);
  ok (strncmp (m, head, (size_t) hn) == 0 && strstr (m, reason) != NULL,
      "%s \"%s\" is refused: %s", what, s, reason);
  if (strstr (m, reason) == NULL)
    printf ("#   got \"%s\"\n", m);
}

static void size_bad (const char *s, const char *r) { refused (ward_parse_size, "size", s, r); }
static void dur_bad (const char *s, const char *r) { refused (ward_parse_duration, "duration", s, r); }

int
main (void)
{
  plan (83);
  const uint64_t K = 1024, M = K * K, G = M * K, T = G * K;

  /* sizes: every spelling of each multiple is binary */
  SIZE_OK ("0", 0);
  SIZE_OK ("65536", 65536);
  SIZE_OK ("100B", 100);
  const char *const ks[] = { "K", "k", "KB", "kB", "KiB" };
  const char *const ms[] = { "M", "m", "MB", "mB", "MiB" };
  const char *const gs[] = { "G", "g", "GB", "gB", "GiB" };
  const char *const ts[] = { "T", "t", "TB", "tB", "TiB" };
  for (int i = 0; i < 5; i++)
    {
      char b[16];
      snprintf (b, sizeof b, "64%s", ks[i]); SIZE_OK (b, 64 * K);
      snprintf (b, sizeof b, "64%s", ms[i]); SIZE_OK (b, 64 * M);
      snprintf (b, sizeof b, "3%s", gs[i]); SIZE_OK (b, 3 * G);
      snprintf (b, sizeof b, "2%s", ts[i]); SIZE_OK (b, 2 * T);
    }
  SIZE_OK ("1.5G", G + G / 2);
  SIZE_OK ("0.5K", 512);
  SIZE_OK ("1.0001K", 1024);             /* 1024.1024 */
  SIZE_OK ("1.0005K", 1025);             /* 1024.512: rounded up */
  SIZE_OK ("0.5B", 1);                   /* a half rounds up */
  SIZE_OK ("0.49999999999999999999B", 0);
  SIZE_OK ("18446744073709551615", UINT64_MAX);
  SIZE_OK ("16777215T", 16777215 * T);

  size_bad ("", "it is empty");
  size_bad ("-1", "it is negative");
  size_bad ("-64M", "it is negative");
  size_bad ("+64M", "it does not start with a digit");
  size_bad (" 64M", "it does not start with a digit");
  size_bad ("M", "it does not start with a digit");
  size_bad (".5M", "it does not start with a digit");
  size_bad ("nan", "it does not start with a digit");
  size_bad ("inf", "it does not start with a digit");
  size_bad ("5.M", "no digit after the point");
  size_bad ("64M ", "unknown unit \"M \"");
  size_bad ("64 M", "unknown unit \" M\"");
  size_bad ("12Q", "unknown unit \"Q\"");
  size_bad ("64Mb", "unknown unit \"Mb\"");
  size_bad ("64mib", "unknown unit \"mib\"");
  size_bad ("1e6", "unknown unit \"e6\"");
  size_bad ("0x10", "unknown unit \"x10\"");
  size_bad ("64M\t", "unknown unit \"M\\t\"");
  size_bad ("18446744073709551616", "too large");
  size_bad ("16777216T", "too large");
  size_bad ("99999999999999999999999K", "too large");
  size_bad ("18446744073709551615.5", "too large");
  is_str (bad (ward_parse_size, "64x"),
          "bad size \"64x\": unknown unit \"x\"; use bytes or a number with K, M, G or T "
          "(binary multiples), like \"64M\"", "the whole message");

  /* durations: what the policy language and Lua accepted, together */
  DUR_OK ("0", 0);
  DUR_OK ("2000", 2000);
  DUR_OK ("250ms", 250);
  DUR_OK ("2s", 2000);
  DUR_OK ("1.5s", 1500);
  DUR_OK ("1m", 60000);
  DUR_OK ("1.5m", 90000);
  DUR_OK ("2h", 7200000);
  DUR_OK ("8760h", 8760ULL * 3600000);
  DUR_OK ("1.5d", 129600000);
  DUR_OK ("1.5ms", 2);                   /* halves up */
  DUR_OK ("2.5ms", 3);
  DUR_OK ("0.4ms", 0);
  DUR_OK ("0.0005s", 1);
  DUR_OK ("0.0145s", 15);                /* exact, where a double says 14.4999... */
  DUR_OK ("1.0000001h", 3600000);
  DUR_OK ("18446744073709551615", UINT64_MAX);

  dur_bad ("", "it is empty");
  dur_bad ("-1s", "it is negative");
  dur_bad ("ms", "it does not start with a digit");
  dur_bad ("infs", "it does not start with a digit");
  dur_bad ("5S", "unknown unit \"S\"");
  dur_bad ("5sec", "unknown unit \"sec\"");
  dur_bad ("5w", "unknown unit \"w\"");
  dur_bad ("1e3s", "unknown unit \"e3s\"");
  dur_bad ("5s ", "unknown unit \"s \"");
  dur_bad ("18446744073709551616", "too large");
  dur_bad ("5124095576030432h", "too large");
  is_str (bad (ward_parse_duration, "soon"),
          "bad duration \"soon\": it does not start with a digit; use milliseconds or a "
          "number with ms, s, m, h or d, like \"250ms\" or \"1.5s\"", "the whole message");
  return done ();
}
