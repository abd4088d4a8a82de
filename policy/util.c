/* util.c -- helpers shared by policy/: the arena, text buffers, diagnostics,
 * spelling suggestions, the string hash table, sizes and durations. */
#include "config.h"
#include "wpol.h"
#include "wesc.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- arena ------------------------------------------------------------ */

struct wpol_chunk {
  wpol_chunk *next;
  size_t used, size;
  max_align_t data[];
};

static void
arena_oom (wpol_arena *a)
{
  if (a->oom)
    longjmp (*a->oom, 1);
}

void *
wpol_alloc (wpol_arena *a, size_t n)
{
  n = (n + 15) & ~(size_t) 15;
  if (n == 0)
    n = 16;
  wpol_chunk *c = a->head;
  if (c == NULL || c->size - c->used < n)
    {
      size_t size = n > 16384 ? n : 16384;
      c = malloc (sizeof *c + size);
      if (c == NULL)
        {
          arena_oom (a);
          return NULL;
        }
      c->size = size;
      c->used = 0;
      c->next = a->head;
      a->head = c;
    }
  void *p = (char *) c->data + c->used;
  c->used += n;
  memset (p, 0, n);
  return p;
}

char *
wpol_strndup (wpol_arena *a, const char *s, size_t n)
{
  char *p = wpol_alloc (a, n + 1);
  if (p == NULL)
    return NULL;
  memcpy (p, s, n);
  p[n] = '\0';
  return p;
}

void *
wpol_grow (wpol_arena *a, void *old, size_t oldn, size_t newn, size_t elsz)
{
  void *p = wpol_alloc (a, newn * elsz);
  if (p && old)
    memcpy (p, old, oldn * elsz);
  return p;
}

void
wpol_arena_free (wpol_arena *a)
{
  wpol_chunk *c = a->head;
  while (c)
    {
      wpol_chunk *next = c->next;
      free (c);
      c = next;
    }
  a->head = NULL;
}

/* ---- text buffer ------------------------------------------------------- */

void
wpol_buf_add (wpol_buf *b, const char *s, size_t n)
{
  if (b->oom)
    return;
  if (b->cap - b->len < n + 1)
    {
      size_t cap = b->cap ? b->cap : 256;
      while (cap - b->len < n + 1)
        cap *= 2;
      char *ns = realloc (b->s, cap);
      if (ns == NULL)
        {
          b->oom = 1;
          return;
        }
      b->s = ns;
      b->cap = cap;
    }
  memcpy (b->s + b->len, s, n);
  b->len += n;
  b->s[b->len] = '\0';
}

void
wpol_buf_puts (wpol_buf *b, const char *s)
{
  wpol_buf_add (b, s, strlen (s));
}

void
wpol_buf_printf (wpol_buf *b, const char *fmt, ...)
{
  char tmp[512];
  va_list ap;
  va_start (ap, fmt);
  int n = vsnprintf (tmp, sizeof tmp, fmt, ap);
  va_end (ap);
  if (n < 0)
    return;
  if ((size_t) n < sizeof tmp)
    {
      wpol_buf_add (b, tmp, (size_t) n);
      return;
    }
  char *big = malloc ((size_t) n + 1);
  if (big == NULL)
    {
      b->oom = 1;
      return;
    }
  va_start (ap, fmt);
  vsnprintf (big, (size_t) n + 1, fmt, ap);
  va_end (ap);
  wpol_buf_add (b, big, (size_t) n);
  free (big);
}

void
wpol_buf_free (wpol_buf *b)
{
  free (b->s);
  memset (b, 0, sizeof *b);
}

/* Length of the valid UTF-8 sequence at p (1..4), or 0 when it is not. */
static size_t
utf8_len (const unsigned char *p)
{
  if (p[0] < 0x80)
    return 1;
  size_t n = p[0] >= 0xc2 && p[0] <= 0xdf ? 2 : p[0] >= 0xe0 && p[0] <= 0xef ? 3
             : p[0] >= 0xf0 && p[0] <= 0xf4 ? 4 : 0;
  for (size_t i = 1; i < n; i++)
    if ((p[i] & 0xc0) != 0x80)
      return 0;
  if ((p[0] == 0xe0 && p[1] < 0xa0) || (p[0] == 0xed && p[1] > 0x9f)
      || (p[0] == 0xf0 && p[1] < 0x90) || (p[0] == 0xf4 && p[1] > 0x8f))
    return 0;
  return n;
}

void
wpol_buf_quote (wpol_buf *b, const char *s)
{
  wpol_buf_add (b, "\"", 1);
  for (const unsigned char *p = (const unsigned char *) s; *p; p++)
    {
      switch (*p)
        {
        case '"': wpol_buf_add (b, "\\\"", 2); break;
        case '\\': wpol_buf_add (b, "\\\\", 2); break;
        case '\n': wpol_buf_add (b, "\\n", 2); break;
        case '\t': wpol_buf_add (b, "\\t", 2); break;
        case '\r': wpol_buf_add (b, "\\r", 2); break;
        default:
          if (*p < 0x20 || *p == 0x7f)
            wpol_buf_printf (b, "\\x%02x", *p);
          else if (*p < 0x80)
            wpol_buf_add (b, (const char *) p, 1);
          else
            {
              /* invalid UTF-8 and the characters every view escapes (C1
               * controls, format characters such as bidirectional marks,
               * wesc.h) as \xNN bytes: the string reads back the same, a
               * terminal shows it as it is */
              uint32_t cp;
              size_t n = ward_utf8_seq (p, strnlen ((const char *) p, 4), &cp);
              int hide = n == 0 || ward_esc_hidden (cp);
              if (n == 0)
                n = 1;
              for (size_t i = 0; i < n; i++)
                if (hide)
                  wpol_buf_printf (b, "\\x%02x", p[i]);
                else
                  wpol_buf_add (b, (const char *) p + i, 1);
              p += n - 1;
            }
        }
    }
  wpol_buf_add (b, "\"", 1);
}

void
wpol_buf_json (wpol_buf *b, const char *s)
{
  wpol_buf_add (b, "\"", 1);
  const unsigned char *p = (const unsigned char *) s, *run = p;
  while (*p)
    {
      size_t n = utf8_len (p);
      if (n > 1 || (n == 1 && *p >= 0x20 && *p != '"' && *p != '\\' && *p != 0x7f))
        {
          p += n;
          continue;
        }
      wpol_buf_add (b, (const char *) run, (size_t) (p - run));
      switch (*p)
        {
        case '"': wpol_buf_add (b, "\\\"", 2); break;
        case '\\': wpol_buf_add (b, "\\\\", 2); break;
        case '\n': wpol_buf_add (b, "\\n", 2); break;
        case '\t': wpol_buf_add (b, "\\t", 2); break;
        case '\r': wpol_buf_add (b, "\\r", 2); break;
        default: wpol_buf_printf (b, "\\u%04x", *p);   /* controls, invalid UTF-8 */
        }
      run = ++p;
    }
  wpol_buf_add (b, (const char *) run, (size_t) (p - run));
  wpol_buf_add (b, "\"", 1);
}

/* ---- diagnostics ------------------------------------------------------- */

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
  if (d->n == d->cap)
    {
      size_t cap = d->cap ? d->cap * 2 : 16;
      wpol_diag *nv = realloc (d->v, cap * sizeof *nv);
      if (nv == NULL)
        return;           /* counted, not kept: the caller still sees the error */
      d->v = nv;
      d->cap = cap;
    }
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
  for (size_t i = 0; i < d->n; i++)
    {
      const wpol_diag *g = &d->v[i];
      ward_esc_fputs (g->file, 0, out);
      if (g->line)
        fprintf (out, ":%u:%u", g->line, g->col);
      fprintf (out, ": %s: ", g->severity == WPOL_ERROR ? "error" : "warning");
      put_message (g->msg, out);
      fputc ('\n', out);
    }
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

void
wpol_diags_sort (wpol_diags *d)
{
  /* insertion sort: stable, and lists are short */
  for (size_t i = 1; i < d->n; i++)
    {
      wpol_diag x = d->v[i];
      size_t j = i;
      while (j > 0 && diag_before (&x, &d->v[j - 1]))
        {
          d->v[j] = d->v[j - 1];
          j--;
        }
      d->v[j] = x;
    }
}

/* ---- actions (policy/include/actions.def) -------------------------------------- */

const ward_action_info ward_actions[WARD_ACT_COUNT] = {
#define X(id, name, kind) [WARD_ACT_##id] = { name, WARD_ACT_##kind },
#define E(id, name) [WARD_ACT_##id] = { name, WARD_ACT_EVT },
#include "actions.def"
#undef X
#undef E
};

/* What a policy may name: every action ward asks (not the events it
 * records itself), in the table's order. */
const char *const wpol_known_actions[] = {
#define X(id, name, kind) name,
#define E(id, name)
#include "actions.def"
#undef X
#undef E
  NULL
};

static const ward_action_info *
action_info (const char *a)
{
  for (size_t i = 0; i < WARD_ACT_COUNT; i++)
    if (strcmp (a, ward_actions[i].name) == 0)
      return &ward_actions[i];
  return NULL;
}

int
wpol_action_known (const char *a)
{
  const ward_action_info *i = action_info (a);
  return i != NULL && i->kind != WARD_ACT_EVT;
}

int
wpol_action_on_pid (const char *a)
{
  const ward_action_info *i = action_info (a);
  return i != NULL && i->kind == WARD_ACT_PID;
}

int
wpol_action_namespace_known (const char *a)
{
  const char *dot = strchr (a, '.');
  if (dot == NULL)
    return 0;
  size_t n = (size_t) (dot - a) + 1;          /* "process." */
  for (size_t i = 0; i < WARD_ACT_COUNT; i++)
    if (strncmp (a, ward_actions[i].name, n) == 0)
      return 1;
  return 0;
}

/* ---- spelling ---------------------------------------------------------- */

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

/* ---- hash table -------------------------------------------------------- */

struct wpol_hslot {
  const char *key;
  uint64_t hash;
  void *val;
};

uint64_t
wpol_hash (const void *p, size_t n)
{
  /* FNV-1a over 8-byte words, then a final mix: short keys, fast enough */
  const unsigned char *s = p;
  uint64_t h = 0xcbf29ce484222325ULL;
  while (n >= 8)
    {
      uint64_t w;
      memcpy (&w, s, 8);
      h = (h ^ w) * 0x100000001b3ULL;
      h ^= h >> 29;
      s += 8;
      n -= 8;
    }
  while (n--)
    h = (h ^ *s++) * 0x100000001b3ULL;
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  return h;
}

static int
htab_resize (wpol_htab *h, size_t cap)
{
  struct wpol_hslot *ns = calloc (cap, sizeof *ns);
  if (ns == NULL)
    return -1;
  for (size_t i = 0; i < h->cap; i++)
    if (h->slots[i].key)
      {
        size_t j = h->slots[i].hash & (cap - 1);
        while (ns[j].key)
          j = (j + 1) & (cap - 1);
        ns[j] = h->slots[i];
      }
  free (h->slots);
  h->slots = ns;
  h->cap = cap;
  return 0;
}

void **
wpol_htab_ref (wpol_htab *h, const char *key)
{
  if ((h->n + 1) * 4 >= h->cap * 3 && htab_resize (h, h->cap ? h->cap * 2 : 16) < 0)
    return NULL;
  uint64_t hash = wpol_hash (key, strlen (key));
  size_t j = hash & (h->cap - 1);
  while (h->slots[j].key)
    {
      if (h->slots[j].hash == hash && strcmp (h->slots[j].key, key) == 0)
        return &h->slots[j].val;
      j = (j + 1) & (h->cap - 1);
    }
  h->slots[j].key = key;
  h->slots[j].hash = hash;
  h->slots[j].val = NULL;
  h->n++;
  return &h->slots[j].val;
}

int
wpol_htab_put (wpol_htab *h, const char *key, void *val)
{
  void **r = wpol_htab_ref (h, key);
  if (r == NULL)
    return -1;
  *r = val;
  return 0;
}

void *
wpol_htab_get (const wpol_htab *h, const char *key)
{
  if (h->cap == 0)
    return NULL;
  uint64_t hash = wpol_hash (key, strlen (key));
  size_t j = hash & (h->cap - 1);
  while (h->slots[j].key)
    {
      if (h->slots[j].hash == hash && strcmp (h->slots[j].key, key) == 0)
        return h->slots[j].val;
      j = (j + 1) & (h->cap - 1);
    }
  return NULL;
}

void
wpol_htab_each (const wpol_htab *h, void (*fn) (void *val))
{
  for (size_t i = 0; i < h->cap; i++)
    if (h->slots[i].key)
      fn (h->slots[i].val);
}

void
wpol_htab_each_ud (const wpol_htab *h, void (*fn) (void *val, void *ud), void *ud)
{
  for (size_t i = 0; i < h->cap; i++)
    if (h->slots[i].key)
      fn (h->slots[i].val, ud);
}

void
wpol_htab_free (wpol_htab *h)
{
  free (h->slots);
  memset (h, 0, sizeof *h);
}

/* ---- files, sizes, durations ------------------------------------------- */

char *
wpol_read_file (const char *path, size_t *len, ward_err *err)
{
  int fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    {
      ward_err_set (err, errno == ENOENT ? WARD_E_NOT_FOUND : WARD_E_INVALID,
                    errno, "cannot open `%s`", path);
      return NULL;
    }
  struct stat st;
  if (fstat (fd, &st) < 0 || !S_ISREG (st.st_mode))
    {
      ward_err_set (err, WARD_E_INVALID, 0, "`%s` is not a regular file", path);
      close (fd);
      return NULL;
    }
  if ((uint64_t) st.st_size > WPOL_MAX_FILE)
    {
      ward_err_set (err, WARD_E_INVALID, 0, "`%s` is too large (%lld bytes, at most %u)",
                    path, (long long) st.st_size, WPOL_MAX_FILE);
      close (fd);
      return NULL;
    }
  size_t cap = (size_t) st.st_size + 1, n = 0;
  char *buf = malloc (cap);
  if (buf == NULL)
    {
      ward_err_set (err, WARD_E_INTERNAL, ENOMEM, "reading `%s`", path);
      close (fd);
      return NULL;
    }
  for (;;)
    {
      if (n == cap - 1)
        {
          if (cap > WPOL_MAX_FILE)
            {
              ward_err_set (err, WARD_E_INVALID, 0, "`%s` is too large", path);
              goto fail;
            }
          char *nb = realloc (buf, cap * 2);
          if (nb == NULL)
            {
              ward_err_set (err, WARD_E_INTERNAL, ENOMEM, "reading `%s`", path);
              goto fail;
            }
          buf = nb;
          cap *= 2;
        }
      ssize_t r = read (fd, buf + n, cap - 1 - n);
      if (r < 0 && errno == EINTR)
        continue;
      if (r < 0)
        {
          ward_err_set (err, WARD_E_INVALID, errno, "reading `%s`", path);
          goto fail;
        }
      if (r == 0)
        break;
      n += (size_t) r;
    }
  close (fd);
  buf[n] = '\0';
  *len = n;
  return buf;
fail:
  free (buf);
  close (fd);
  return NULL;
}
