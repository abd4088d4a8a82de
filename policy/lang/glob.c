/* glob.c -- glob patterns on actions and resources: `*` within a segment,
 * `**` across segments, `?` one character; matched by NFA simulation in
 * O(pattern x subject), so no pattern can make matching backtrack. */
#include "config.h"
#include "wpol.h"

#include <stdlib.h>
#include <string.h>

static int
is_sep (const wpol_glob *g, unsigned char c)
{
  return g->path ? c == '/' : c == '.' || c == ':';
}

int
wpol_is_glob (const char *s)
{
  return strpbrk (s, "*?\\") != NULL;
}

wpol_glob *
wpol_glob_compile (wpol_arena *a, const char *pat)
{
  size_t len = strlen (pat);
  wpol_glob *g = wpol_alloc (a, sizeof *g);
  g->op = wpol_alloc (a, len + 1);
  g->ch = wpol_alloc (a, len + 1);
  g->path = pat[0] == '/';
  if (strcmp (pat, "*") == 0)
    {
      g->op[0] = G_DSTAR;
      g->n = 1;
      g->any = 1;
      return g;
    }
  size_t n = 0;
  for (size_t i = 0; i < len; i++)
    {
      unsigned char c = (unsigned char) pat[i];
      if (c == '\\' && i + 1 < len)
        {
          g->op[n] = G_LIT;
          g->ch[n++] = (uint8_t) pat[++i];
        }
      else if (c == '*' && i + 1 < len && pat[i + 1] == '*')
        {
          while (i + 1 < len && pat[i + 1] == '*')
            i++;                          /* `***` is `**` */
          if (n == 0 || g->op[n - 1] != G_DSTAR)
            g->op[n++] = G_DSTAR;
        }
      else if (c == '*')
        {
          if (n == 0 || (g->op[n - 1] != G_STAR && g->op[n - 1] != G_DSTAR))
            g->op[n++] = G_STAR;
        }
      else if (c == '?')
        g->op[n++] = G_ONE;
      else
        {
          g->op[n] = G_LIT;
          g->ch[n++] = c;
        }
    }
  g->n = n;
  g->any = n == 1 && g->op[0] == G_DSTAR;
  return g;
}

/* Follow the empty moves: a star may match nothing. */
static void
closure (const wpol_glob *g, uint8_t *set)
{
  for (size_t i = 0; i < g->n; i++)
    if (set[i] && (g->op[i] == G_STAR || g->op[i] == G_DSTAR))
      set[i + 1] = 1;
}

/* One NFA over subject symbols; sym_step says whether op i accepts symbol k
 * and whether it stays on i (stars) or moves to i + 1. */
typedef struct sym {
  uint8_t kind;                   /* G_LIT (ch), G_ONE, G_STAR, G_DSTAR */
  uint8_t ch;
} sym;

static void
step (const wpol_glob *g, const uint8_t *cur, uint8_t *nxt, sym s)
{
  memset (nxt, 0, g->n + 1);
  for (size_t i = 0; i < g->n; i++)
    {
      if (!cur[i])
        continue;
      int lit_plain = s.kind == G_LIT && !is_sep (g, s.ch);
      switch (g->op[i])
        {
        case G_LIT:
          if (s.kind == G_LIT && s.ch == g->ch[i])
            nxt[i + 1] = 1;
          break;
        case G_ONE:
          if (lit_plain || s.kind == G_ONE)
            nxt[i + 1] = 1;
          break;
        case G_STAR:
          if (lit_plain || s.kind == G_ONE || s.kind == G_STAR)
            nxt[i] = 1;
          break;
        case G_DSTAR:
          nxt[i] = 1;
          break;
        }
    }
  closure (g, nxt);
}

static int
run (const wpol_glob *g, const sym *syms, const char *s, size_t n)
{
  uint8_t stack[2 * (WPOL_MAX_STRING + 2)];   /* patterns are at most this long */
  uint8_t *mem = g->n + 1 <= WPOL_MAX_STRING + 2 ? stack : malloc (2 * (g->n + 1));
  if (mem == NULL)
    return -1;
  uint8_t *cur = mem, *nxt = mem + g->n + 1;
  memset (cur, 0, g->n + 1);
  cur[0] = 1;
  closure (g, cur);
  int alive = 1;
  for (size_t k = 0; k < n && alive; k++)
    {
      sym sy = syms ? syms[k] : (sym) { G_LIT, (uint8_t) s[k] };
      step (g, cur, nxt, sy);
      uint8_t *t = cur;
      cur = nxt;
      nxt = t;
      alive = memchr (cur, 1, g->n + 1) != NULL;
    }
  int r = alive && cur[g->n];
  if (mem != stack)
    free (mem);
  return r;
}

int
wpol_glob_match (const wpol_glob *g, const char *s)
{
  if (g->any)
    return 1;
  /* A pattern that does not start with a star must share the first byte. */
  if (g->n && g->op[0] == G_LIT && (unsigned char) s[0] != g->ch[0])
    return 0;
  int r = run (g, NULL, s, strlen (s));
  return r == 1;
}

int
wpol_glob_covers (const wpol_glob *g, const wpol_glob *a)
{
  if (g->any)
    return 1;
  if (a->any)
    return 0;
  sym *syms = malloc ((a->n + 1) * sizeof *syms);
  if (syms == NULL)
    return 0;                      /* "not known to cover": only a warning is lost */
  for (size_t k = 0; k < a->n; k++)
    syms[k] = (sym) { a->op[k], a->ch[k] };
  int r = run (g, syms, NULL, a->n);
  free (syms);
  return r == 1;
}
