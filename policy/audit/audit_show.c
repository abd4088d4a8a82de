/* audit_show.c -- what `ward audit` prints: the records as a table for
 * people (every string escaped) or NDJSON for tools (valid UTF-8 whatever
 * the records hold), and `ward audit stats`, the counts by actor, action,
 * resource and rule. */
#include "config.h"
#include "audit_cli.h"
#include "wpol.h"
#include "wesc.h"
#include "wgrow.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void
wpol_audit_time (int64_t us, char *buf, size_t size)
{
  time_t t = (time_t) (us / 1000000);
  struct tm tm;
  if (gmtime_r (&t, &tm) == NULL)
    {
      snprintf (buf, size, "?");
      return;
    }
  char d[32];
  strftime (d, sizeof d, "%Y-%m-%dT%H:%M:%S", &tm);
  snprintf (buf, size, "%s.%03dZ", d, (int) (us % 1000000 / 1000));
}

/* ---- listing ----------------------------------------------------------- */

static const char *
nz (const char *s)
{
  return s ? s : "-";
}

int
wpol_acli_is_lost (const wpol_arow *w)
{
  return w->kind && strcmp (w->kind, "decision") != 0 && strcmp (w->kind, "folded") != 0
         && strcmp (w->kind, "notice") != 0;
}

int
wpol_acli_is_notice (const wpol_arow *w)
{
  return w->kind && strcmp (w->kind, "notice") == 0;
}

int
wpol_acli_is_folded (const wpol_arow *w)
{
  return w->kind && strcmp (w->kind, "folded") == 0;
}

int
wpol_acli_is_quiet (const wpol_arow *w)
{
  return wpol_acli_is_folded (w) && w->note && strcmp (w->note, WPOL_AUDIT_NOTE_QUIET) == 0;
}

/* Replace every string of rows [from, n) by its escaped form (wesc.h). */
static int
escape_rows (wpol_arows *r, size_t from, size_t max)
{
  for (size_t i = from; i < r->n; i++)
    {
      char **s[WPOL_AROW_NSTRS];
      wpol_acli_row_strs (&r->v[i], s);
      for (size_t k = 0; k < WPOL_AROW_NSTRS; k++)
        if (*s[k])
          {
            char *e = ward_esc_str (*s[k], max);
            if (e == NULL)
              return -1;
            free (*s[k]);
            *s[k] = e;
          }
    }
  return 0;
}

/* v as a JSON string that is valid UTF-8 whatever v holds: each byte of
 * invalid UTF-8 is written as U+FFFD. 1 when there was such a byte. */
static int
json_text (wpol_buf *b, const char *v)
{
  const unsigned char *p = (const unsigned char *) v;
  size_t len = strlen (v), i = 0;
  uint32_t cp;
  while (i < len && ward_utf8_seq (p + i, len - i, &cp) > 0)
    i += ward_utf8_seq (p + i, len - i, &cp);
  if (i == len)
    {
      wpol_buf_json (b, v);
      return 0;
    }
  wpol_buf fixed = { 0 };
  for (i = 0; i < len;)
    {
      size_t l = ward_utf8_seq (p + i, len - i, &cp);
      if (l)
        wpol_buf_add (&fixed, v + i, l);
      else
        wpol_buf_puts (&fixed, "\xef\xbf\xbd");
      i += l ? l : 1;
    }
  wpol_buf_json (b, fixed.oom ? "?" : fixed.s);
  wpol_buf_free (&fixed);
  return 1;
}

/* A string field for --json (json_text); when v held invalid UTF-8, the
 * field KEY_hex follows with its exact bytes in hex, so that an invalid
 * byte never reads as the character of the same value (0xff, U+00FF). */
static void
json_str (wpol_buf *b, const char *key, const char *v)
{
  wpol_buf_printf (b, ",\"%s\":", key);
  if (v == NULL)
    {
      wpol_buf_puts (b, "null");
      return;
    }
  if (!json_text (b, v))
    return;
  wpol_buf_printf (b, ",\"%s_hex\":\"", key);
  const unsigned char *p = (const unsigned char *) v;
  for (size_t i = 0; p[i]; i++)
    wpol_buf_printf (b, "%02x", p[i]);
  wpol_buf_puts (b, "\"");
}

/* ---- a stored JSON value, checked ---- */

#define JSON_DEPTH 64

static const char *json_value (const char *p, int depth);

static const char *
json_ws (const char *p)
{
  while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
    p++;
  return p;
}

/* A JSON string at p (at its opening quote): past it, or NULL when it is
 * none (a raw control character, a bad escape, invalid UTF-8). */
static const char *
json_string (const char *p)
{
  p++;
  for (;;)
    {
      unsigned char c = (unsigned char) *p;
      uint32_t cp;
      if (c == '"')
        return p + 1;
      if (c < 0x20)
        return NULL;              /* the end, or a raw control character */
      if (c == '\\')
        {
          if (p[1] == 'u')
            {
              for (int i = 2; i < 6; i++)
                if (!strchr ("0123456789abcdefABCDEF", p[i]) || p[i] == '\0')
                  return NULL;
              p += 6;
            }
          else if (p[1] && strchr ("\"\\/bfnrt", p[1]))
            p += 2;
          else
            return NULL;
          continue;
        }
      size_t l = c < 0x80 ? 1 : ward_utf8_seq ((const unsigned char *) p, strlen (p), &cp);
      if (l == 0)
        return NULL;
      p += l;
    }
}

static const char *
json_number (const char *p)
{
  const char *s = p;
  if (*p == '-')
    p++;
  if (*p == '0')
    p++;
  else if (*p >= '1' && *p <= '9')
    while (*p >= '0' && *p <= '9')
      p++;
  else
    return NULL;
  if (*p == '.')
    {
      if (!(*++p >= '0' && *p <= '9'))
        return NULL;
      while (*p >= '0' && *p <= '9')
        p++;
    }
  if (*p == 'e' || *p == 'E')
    {
      p++;
      if (*p == '+' || *p == '-')
        p++;
      if (!(*p >= '0' && *p <= '9'))
        return NULL;
      while (*p >= '0' && *p <= '9')
        p++;
    }
  return p > s ? p : NULL;
}

/* One JSON value at p (blanks before it skipped): past it, or NULL. */
static const char *
json_value (const char *p, int depth)
{
  p = json_ws (p);
  if (depth > JSON_DEPTH)
    return NULL;
  if (*p == '"')
    return json_string (p);
  if (*p == '{' || *p == '[')
    {
      char close = *p == '{' ? '}' : ']';
      p = json_ws (p + 1);
      if (*p == close)
        return p + 1;
      for (;;)
        {
          if (close == '}')
            {
              if (*p != '"' || (p = json_string (p)) == NULL)
                return NULL;
              p = json_ws (p);
              if (*p++ != ':')
                return NULL;
            }
          if ((p = json_value (p, depth + 1)) == NULL)
            return NULL;
          p = json_ws (p);
          if (*p == close)
            return p + 1;
          if (*p++ != ',')
            return NULL;
          p = json_ws (p);
        }
    }
  if (strncmp (p, "true", 4) == 0)
    return p + 4;
  if (strncmp (p, "false", 5) == 0)
    return p + 5;
  if (strncmp (p, "null", 4) == 0)
    return p + 4;
  return json_number (p);
}

/* Whether v is one well-formed JSON value and nothing else: a stored
 * value that is not (a trail written by something else than ward, a
 * fleet host's role inserting rows of its own) is never pasted into the
 * output, where it could add fields to the record, end the line, or put
 * raw control characters on a terminal. */
static int
json_whole (const char *v)
{
  const char *e = json_value (v, 0);
  return e != NULL && *json_ws (e) == '\0';
}

/* A JSON object the writer stored (attrs, actor_meta, scope), for --json.
 * The writer escapes a byte of invalid UTF-8 as \u0080..\u00ff (it writes
 * those characters themselves as UTF-8): here such an escape becomes
 * \ufffd, as in json_str; the exact bytes are in the KEY_hex fields. */
static void
json_stored (wpol_buf *b, const char *key, const char *v, const char *none)
{
  wpol_buf_printf (b, ",\"%s\":", key);
  if (v == NULL)
    {
      wpol_buf_puts (b, none);
      return;
    }
  if (!json_whole (v))
    {
      /* shown, as a string beside the field, not as JSON */
      wpol_buf_puts (b, none);
      char k[64];
      snprintf (k, sizeof k, "%s_invalid", key);
      json_str (b, k, v);
      return;
    }
  const char *run = v, *p = v;
  while (*p)
    {
      if (*p != '\\')
        {
          p++;
          continue;
        }
      if (p[1] == 'u' && p[2] == '0' && p[3] == '0' && strchr ("89abcdefABCDEF", p[4])
          && p[4] && p[5])
        {
          wpol_buf_add (b, run, (size_t) (p - run));
          wpol_buf_puts (b, "\\ufffd");
          p += 6;
          run = p;
        }
      else
        p += p[1] ? 2 : 1;        /* an escape pair: its second byte is no escape */
    }
  wpol_buf_add (b, run, (size_t) (p - run));
}

/* One record as a JSON object; a fleet trail's gives its hostname after
 * the run. */
static void
print_json (const wpol_arow *w, int fleet, FILE *out)
{
  wpol_buf b = { 0 };
  char t[40], tl[40];
  wpol_audit_time (w->ts, t, sizeof t);
  wpol_audit_time (w->ts_last, tl, sizeof tl);
  wpol_buf_printf (&b, "{\"serial\":%lld,\"run\":%lld", (long long) w->serial,
                   (long long) w->run);
  if (fleet)
    json_str (&b, "hostname", w->hostname);
  wpol_buf_printf (&b, ",\"time\":\"%s\",\"time_last\":\"%s\",\"ts_us\":%lld,\"count\":%lld",
                   t, tl, (long long) w->ts, (long long) w->count);
  json_str (&b, "kind", w->kind);
  if (wpol_acli_is_notice (w))
    json_str (&b, "note", w->note);
  else if (wpol_acli_is_lost (w))
    {
      json_str (&b, "reason", w->reason);
      json_str (&b, "note", w->note);
    }
  else if (wpol_acli_is_folded (w))
    {
      json_str (&b, "decision", w->decision);
      json_str (&b, "mode", w->mode);
      json_str (&b, "actor", w->actor);
      json_str (&b, "action", w->action);
      json_str (&b, "note", w->note);
    }
  else
    {
      json_str (&b, "decision", w->decision);
      json_str (&b, "mode", w->mode);
      json_str (&b, "actor", w->actor);
      json_stored (&b, "actor_meta", w->actor_meta, "{}");
      json_stored (&b, "scope", w->scope, "null");
      if (w->note)                /* the scope's origin (WPOL_AUDIT_NOTE_...) */
        json_str (&b, "note", w->note);
      json_str (&b, "action", w->action);
      json_str (&b, "resource", w->resource);
      if (w->resource_len > 0)      /* stored cut: its whole length and digest */
        {
          wpol_buf_printf (&b, ",\"resource_len\":%lld", (long long) w->resource_len);
          json_str (&b, "resource_sha256", w->resource_sha256);
        }
      json_stored (&b, "attrs", w->attrs, "{}");
      json_str (&b, "pid", w->pid);
      json_str (&b, "host", w->host);
      json_str (&b, "reason", w->reason);
      if (w->rule_policy)
        {
          wpol_buf_puts (&b, ",\"rule\":{\"policy\":");
          wpol_buf_json (&b, w->rule_policy);
          wpol_buf_puts (&b, ",\"file\":");
          wpol_buf_json (&b, nz (w->rule_file));
          wpol_buf_printf (&b, ",\"line\":%lld,\"text\":", (long long) w->rule_line);
          wpol_buf_json (&b, nz (w->rule_text));
          wpol_buf_puts (&b, "}");
        }
      else
        wpol_buf_puts (&b, ",\"rule\":null");
      wpol_buf_printf (&b, ",\"store_version\":%lld", (long long) w->store_version);
    }
  wpol_buf_puts (&b, "}\n");
  if (b.s)
    fputs (b.s, out);
  wpol_buf_free (&b);
}

static void
rule_desc (const wpol_arow *w, char *buf, size_t size)
{
  if (w->rule_policy && w->rule_file)
    snprintf (buf, size, "%s:%lld (%s)", w->rule_file, (long long) w->rule_line,
              w->rule_policy);
  else
    snprintf (buf, size, "%s", nz (w->reason));
}

int
wpol_acli_list (const wpol_aopts *o, wpol_arows *r, FILE *out)
{
  size_t from = o->limit && (size_t) o->limit < r->n ? r->n - (size_t) o->limit : 0;
  if (o->json)
    {
      for (size_t i = from; i < r->n; i++)
        print_json (&r->v[i], o->fleet, out);
      return 0;
    }
  /* every string may come from a script: escaped, long ones cut */
  if (escape_rows (r, from, o->full ? 0 : WARD_ESC_MAX) < 0)
    {
      fprintf (stderr, "ward audit: out of memory\n");
      return 1;
    }
  /* widths of the variable columns (--follow: never narrower than before) */
  wpol_acols c0 = { 4, 5, 6, 8, 6, 0 }, *c = o->cols ? o->cols : &c0;
  if (c->actor == 0)
    *c = c0;
  size_t wa = c->actor, wc = c->action, wr = c->resource, wp = c->pid, wh = c->host;
  for (size_t i = from; i < r->n; i++)
    {
      const wpol_arow *w = &r->v[i];
      size_t l;
      if (o->fleet && (l = strlen (nz (w->hostname))) > wh && l < 40) wh = l;
      if ((l = strlen (nz (w->actor))) > wa && l < 40) wa = l;
      if ((l = strlen (nz (w->action))) > wc && l < 40) wc = l;
      if ((l = strlen (nz (w->resource))) > wr && l < 48) wr = l;
      if ((l = strlen (nz (w->pid))) > wp && l < 40) wp = l;
    }
  *c = (wpol_acols) { wh, wa, wc, wr, wp, c->header };
  /* a fleet trail's records: their host first */
  if (o->fleet && !c->header)
    fprintf (out, "%-*s ", (int) wh, "HOST");
  if (!c->header)
    fprintf (out, "%-6s %-24s %-4s %-5s %-10s %-*s %-*s %-*s %-*s %s\n", "SERIAL",
             "TIME (UTC)", "RUN", "DEC", "MODE", (int) wa, "ACTOR", (int) wc, "ACTION", (int) wr,
             "RESOURCE", (int) wp, "CALLER", "RULE");
  c->header = o->cols != NULL;
  for (size_t i = from; i < r->n; i++)
    {
      const wpol_arow *w = &r->v[i];
      char t[40], rule[512], cnt[64] = "";
      if (o->fleet)
        fprintf (out, "%-*s ", (int) wh, nz (w->hostname));
      wpol_audit_time (w->ts, t, sizeof t);
      if (wpol_acli_is_notice (w))
        {
          fprintf (out, "%-6lld %-24s %-4lld %-5s %s\n", (long long) w->serial, t,
                   (long long) w->run, "NOTE", nz (w->note));
          continue;
        }
      if (wpol_acli_is_lost (w))
        {
          char tl[40];
          wpol_audit_time (w->ts_last, tl, sizeof tl);
          fprintf (out, "%-6lld %-24s %-4lld %-5s %s (from %s to %s)\n", (long long) w->serial,
                   t, (long long) w->run, "LOST", nz (w->note), t + 11, tl + 11);
          continue;
        }
      if (wpol_acli_is_folded (w))
        {
          char tl[40];
          wpol_audit_time (w->ts_last, tl, sizeof tl);
          int q = wpol_acli_is_quiet (w);
          fprintf (out, "%-6lld %-24s %-4lld %-5s %-10s %-*s %-*s x%lld %s denials until %s "
                   "(%s)\n", (long long) w->serial, t, (long long) w->run, q ? "QUIET" : "FOLD",
                   nz (w->mode),
                   (int) wa, w->actor ? w->actor : "(other actors)", (int) wc, nz (w->action),
                   (long long) w->count, q ? "quiet" : "more", tl + 11, nz (w->note));
          continue;
        }
      rule_desc (w, rule, sizeof rule);
      if (w->count > 1)
        {
          char tl[40];
          wpol_audit_time (w->ts_last, tl, sizeof tl);
          snprintf (cnt, sizeof cnt, "  (x%lld until %s)", (long long) w->count, tl + 11);
        }
      char cut[128] = "";
      if (w->resource_len > 0)
        snprintf (cut, sizeof cut, "  (resource cut: %lld bytes, sha256 %.16s...)",
                  (long long) w->resource_len, nz (w->resource_sha256));
      fprintf (out, "%-6lld %-24s %-4lld %-5s %-10s %-*s %-*s %-*s %-*s %s%s%s\n",
               (long long) w->serial, t, (long long) w->run, nz (w->decision), nz (w->mode),
               (int) wa, nz (w->actor), (int) wc, nz (w->action), (int) wr, nz (w->resource),
               (int) wp, nz (w->pid), rule, cnt, cut);
    }
  if (r->n == 0 && o->cols == NULL)
    fprintf (out, "(no records)\n");
  return 0;
}

/* ---- stats ------------------------------------------------------------- */

typedef struct tally {
  char *key;
  int64_t n;
} tally;

typedef struct tallies {
  tally *v;
  size_t n, cap;
  wpol_htab idx;                  /* key -> index + 1 */
} tallies;

static void
tally_add (tallies *t, const char *key, int64_t n)
{
  void *at = wpol_htab_get (&t->idx, key);
  if (at)
    {
      t->v[(size_t) (uintptr_t) at - 1].n += n;
      return;
    }
  if (WARD_GROW (t->v, t->cap, t->n + 1, 16) < 0)
    return;
  char *k = strdup (key);
  if (k == NULL || wpol_htab_put (&t->idx, k, (void *) (uintptr_t) (t->n + 1)) < 0)
    {
      free (k);
      return;
    }
  t->v[t->n++] = (tally) { k, n };
}

static int
tally_cmp (const void *a, const void *b)
{
  const tally *x = a, *y = b;
  if (x->n != y->n)
    return x->n < y->n ? 1 : -1;
  return strcmp (x->key, y->key);
}

static void
tallies_free (tallies *t)
{
  wpol_htab_free (&t->idx);
  for (size_t i = 0; i < t->n; i++)
    free (t->v[i].key);
  free (t->v);
}

/* by hostname: only of a fleet trail (a local one has one host) */
enum { T_ACTOR, T_ACTION, T_RESOURCE, T_RULE, T_HOST, T_N };
static const char *const tally_names[T_N] = { "actor", "action", "resource", "rule",
                                              "hostname" };

/* What `ward audit stats` counts. */
typedef struct stats {
  tallies t[T_N];
  int nt;                         /* the tallies shown: T_HOST for a fleet trail */
  int64_t total, denied, would, allowed, lost, rows, folded, quiet;
} stats;

/* Count the rows of r into st. */
static void
stats_count (stats *st, const wpol_arows *r)
{
  for (size_t i = 0; i < r->n; i++)
    {
      const wpol_arow *w = &r->v[i];
      if (wpol_acli_is_notice (w))
        continue;
      if (wpol_acli_is_lost (w))
        {
          st->lost += w->count;
          continue;
        }
      st->rows++;
      st->total += w->count;
      int quiet = wpol_acli_is_quiet (w);
      if (quiet)
        st->quiet += w->count;
      else if (wpol_acli_is_folded (w))
        st->folded += w->count;
      int deny = w->decision && strcmp (w->decision, "deny") == 0;
      if (!deny)
        st->allowed += w->count;
      else if (w->mode && strcmp (w->mode, "permissive") == 0)
        st->would += w->count;
      else
        st->denied += w->count;
      char rule[512];
      rule_desc (w, rule, sizeof rule);
      tally_add (&st->t[T_ACTOR], wpol_acli_is_folded (w) && !w->actor ? "(other actors)"
                 : nz (w->actor), w->count);
      tally_add (&st->t[T_ACTION], nz (w->action), w->count);
      tally_add (&st->t[T_RESOURCE], quiet ? "(quiet: not recorded one by one)"
                 : wpol_acli_is_folded (w) ? "(folded: not recorded one by one)"
                 : nz (w->resource), w->count);
      tally_add (&st->t[T_RULE], quiet ? "(a `deny quietly` rule)"
                 : wpol_acli_is_folded (w) ? "(folded: not recorded one by one)"
                 : rule, w->count);
      if (st->nt > T_HOST)
        tally_add (&st->t[T_HOST], nz (w->hostname), w->count);
    }
  for (int k = 0; k < T_N; k++)
    if (st->t[k].n)               /* none: v is NULL, which qsort may not get */
      qsort (st->t[k].v, st->t[k].n, sizeof *st->t[k].v, tally_cmp);
}

static void
stats_json (const stats *st, FILE *out)
{
  wpol_buf b = { 0 };
  wpol_buf_printf (&b, "{\"records\":%lld,\"rows\":%lld,\"denied\":%lld,\"would_deny\":%lld,"
                   "\"allowed\":%lld,\"lost\":%lld,\"folded\":%lld", (long long) st->total,
                   (long long) st->rows, (long long) st->denied, (long long) st->would,
                   (long long) st->allowed, (long long) st->lost, (long long) st->folded);
  for (int k = 0; k < st->nt; k++)
    {
      const tallies *t = &st->t[k];
      wpol_buf_printf (&b, ",\"by_%s\":{", tally_names[k]);
      for (size_t i = 0; i < t->n; i++)
        {
          wpol_buf_puts (&b, i ? "," : "");
          json_text (&b, t->v[i].key);
          wpol_buf_printf (&b, ":%lld", (long long) t->v[i].n);
        }
      wpol_buf_puts (&b, "}");
    }
  /* quiet denials (`deny quietly`): after the tallies, the keys before
   * them kept where tools read them */
  wpol_buf_printf (&b, ",\"quiet\":%lld}\n", (long long) st->quiet);
  if (b.s)
    fputs (b.s, out);
  wpol_buf_free (&b);
}

/* For people: the totals, then the first 20 of each tally, escaped (cut
 * unless full). */
static void
stats_text (const stats *st, int full, FILE *out)
{
  fprintf (out, "%lld records: %lld denied, %lld would-be denials (permissive), "
           "%lld allowed; %lld lost (records that could not be written)\n",
           (long long) st->total, (long long) st->denied, (long long) st->would,
           (long long) st->allowed, (long long) st->lost);
  if (st->folded)
    fprintf (out, "%lld of those denials folded: counted past the first of their actor "
             "and action in a run, not recorded one by one\n", (long long) st->folded);
  if (st->quiet)
    fprintf (out, "%lld of those denials quiet: by `deny quietly` rules, counted per actor "
             "and action, not recorded one by one\n", (long long) st->quiet);
  for (int k = 0; k < st->nt; k++)
    {
      const tallies *t = &st->t[k];
      fprintf (out, "\nby %s:\n", tally_names[k]);
      size_t shown = t->n < 20 ? t->n : 20;
      for (size_t i = 0; i < shown; i++)
        {
          fprintf (out, "  %8lld  ", (long long) t->v[i].n);
          ward_esc_fputs (t->v[i].key, full ? 0 : WARD_ESC_MAX, out);
          fputc ('\n', out);
        }
      if (t->n > shown)
        fprintf (out, "  ... and %zu more\n", t->n - shown);
    }
}

int
wpol_acli_stats (const wpol_aopts *o, wpol_arows *r, FILE *out)
{
  stats st;
  memset (&st, 0, sizeof st);
  st.nt = o->fleet ? T_N : T_HOST;
  stats_count (&st, r);
  if (o->json)
    stats_json (&st, out);
  else
    stats_text (&st, o->full, out);
  for (int k = 0; k < T_N; k++)
    tallies_free (&st.t[k]);
  return 0;
}
