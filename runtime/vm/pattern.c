/* pattern.c -- ward's own matcher for Lua 5.4 patterns (manual 6.4.1), behind
 * string.find, match, gmatch and gsub, with a step budget and a depth bound. */
#include "config.h"
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1 /* memmem */
#endif
#include "pattern.h"

#include <ctype.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <lauxlib.h>

/* The stock library's limits, kept so that the same patterns work. */
#define MAX_CAPTURES 32 /* LUA_MAXCAPTURES */
#define MAX_DEPTH 200   /* nested matcher calls; stock Lua also stops at 200 */

#define SHOWN_CHARS 40  /* pattern characters quoted in the budget error */

/* Special capture lengths. */
#define CAP_OPEN (-1) /* '(' seen, ')' not yet */
#define CAP_POS (-2)  /* position capture "()" */

/* Characters that make find() run the matcher instead of a plain search.
 * ')' and ']' are absent on purpose: stock Lua searches "a)" literally. */
#define SPECIALS "^$*+?.([%-"

typedef struct matcher
{
  lua_State *L;
  const char *subj, *subj_end;
  const char *pat, *pat_end;  /* what is matched: no leading '^' anchor */
  const char *shown;          /* the pattern as given, for the budget error */
  size_t shown_len;
  unsigned long long steps, budget;
  int depth;                  /* active match() calls */
  int level;                  /* captures opened so far */
  struct
  {
    const char *start;
    ptrdiff_t len;            /* byte count, CAP_OPEN or CAP_POS */
  } cap[MAX_CAPTURES];
} matcher;

/* ---- budget --------------------------------------------------------------- */

static unsigned long long
budget_for (size_t subject_len)
{
  /* Saturate (only absurd lengths get there) so it prints as an integer. */
  unsigned long long max = LUA_MAXINTEGER, per = WARD_PATTERN_STEPS_PER_BYTE;
  if (subject_len >= (max - WARD_PATTERN_BASE_STEPS) / per)
    return max;
  return WARD_PATTERN_BASE_STEPS + per * subject_len;
}

static void __attribute__ ((noreturn, cold, noinline))
too_complex (matcher *m)
{
  /* Quote the pattern, but never more than a line of it, and never raw
   * control bytes: the message may well end up in a log. */
  char shown[SHOWN_CHARS + 1];
  size_t n = m->shown_len < SHOWN_CHARS ? m->shown_len : SHOWN_CHARS;
  for (size_t i = 0; i < n; i++)
    {
      unsigned char c = (unsigned char) m->shown[i];
      shown[i] = (c >= 0x20 && c < 0x7f) ? (char) c : '?';
    }
  shown[n] = '\0';
  luaL_error (m->L, "pattern too complex: more than %I matching steps "
              "(pattern '%s%s)", (lua_Integer) m->budget, shown,
              m->shown_len > SHOWN_CHARS ? "...' truncated to 40 chars" : "'");
  __builtin_unreachable ();
}

/* Pay for n steps of work; raise once the call's budget is spent. */
static inline void
charge (matcher *m, unsigned long long n)
{
  m->steps += n;
  if (m->steps > m->budget)
    too_complex (m);
}

/* ---- single characters ---------------------------------------------------- */

/* Does c belong to class %cl?  Upper-case letters complement; any other
 * character after '%' stands for itself.  The class letters are ASCII, so
 * cl | 0x20 folds case without a locale lookup (this is the hot path). */
static int
class_match (int c, int cl)
{
  int r;
  switch (cl | 0x20)
    {
    case 'a': r = isalpha (c); break;
    case 'c': r = iscntrl (c); break;
    case 'd': r = isdigit (c); break;
    case 'g': r = isgraph (c); break;
    case 'l': r = islower (c); break;
    case 'p': r = ispunct (c); break;
    case 's': r = isspace (c); break;
    case 'u': r = isupper (c); break;
    case 'w': r = isalnum (c); break;
    case 'x': r = isxdigit (c); break;
    case 'z': r = c == 0; break; /* not in the 5.4 manual, but stock has it */
    default: return cl == c;
    }
  r = r != 0;
  return (cl & 0x20) ? r : !r;
}

/* Does c belong to the set that opens with '[' at p and closes with the
 * ']' at close?  item_end has checked the shape, so every '%' inside is
 * followed by a character before close. */
static int
set_match (int c, const char *p, const char *close)
{
  int want = p[1] != '^'; /* "[^...]" complements */
  for (p += want ? 1 : 2; p < close; p++)
    {
      if (*p == '%')
        {
          p++;
          if (class_match (c, (unsigned char) *p))
            return want;
        }
      else if (p + 2 < close && p[1] == '-') /* a '-' just before ']' is literal */
        {
          if ((unsigned char) p[0] <= c && c <= (unsigned char) p[2])
            return want;
          p += 2;
        }
      else if ((unsigned char) *p == c)
        return want;
    }
  return !want;
}

/* Does c match the single-character item [p, ep)? */
static int
char_match (int c, const char *p, const char *ep)
{
  switch (*p)
    {
    case '.': return 1;
    case '%': return class_match (c, (unsigned char) p[1]);
    case '[': return set_match (c, p, ep - 1);
    default: return (unsigned char) *p == c;
    }
}

/* End of the single-character item at p (before any quantifier).  Errors
 * surface here, when the matcher first reaches the item, as in stock Lua:
 * "x[" simply fails to match a subject without an 'x'. */
static const char *
item_end (matcher *m, const char *p)
{
  const char *end = m->pat_end;
  switch (*p++)
    {
    case '%':
      if (p == end)
        luaL_error (m->L, "malformed pattern (ends with '%%')");
      return p + 1;
    case '[':
      if (p < end && *p == '^')
        p++;
      do /* the first member is taken literally, so "[]]" is a set of ']' */
        {
          if (p == end)
            luaL_error (m->L, "malformed pattern (missing ']')");
          if (*p++ == '%' && p < end)
            p++;
        }
      while (p == end || *p != ']');
      return p + 1;
    default:
      return p;
    }
}

/* One step: try the item [p, ep) at s.  A long set costs more than one
 * step, so that work cannot hide inside one enormous item. */
static int
test_char (matcher *m, const char *s, const char *p, const char *ep)
{
  charge (m, 1 + ((size_t) (ep - p) >> 2));
  return s < m->subj_end && char_match ((unsigned char) *s, p, ep);
}

/* ---- the matcher ---------------------------------------------------------- */

static const char *match (matcher *m, const char *s, const char *p);

/* Item [p, ep) followed by '*' or '+': take as many characters as possible
 * from s, then give them back one at a time (never going below least)
 * until the rest of the pattern matches. */
static const char *
greedy (matcher *m, const char *s, const char *least, const char *p,
        const char *ep)
{
  const char *e = s;
  while (test_char (m, e, p, ep))
    e++;
  for (;;)
    {
      const char *r = match (m, e, ep + 1);
      if (r != NULL)
        return r;
      if (e == least)
        return NULL;
      e--;
    }
}

/* Item [p, ep) followed by '-': take as few characters as possible. */
static const char *
lazy (matcher *m, const char *s, const char *p, const char *ep)
{
  for (;;)
    {
      const char *r = match (m, s, ep + 1);
      if (r != NULL)
        return r;
      if (!test_char (m, s, p, ep))
        return NULL;
      s++;
    }
}

/* '(' at s; p is what follows it (or follows "()" when kind is CAP_POS). */
static const char *
open_capture (matcher *m, const char *s, const char *p, ptrdiff_t kind)
{
  if (m->level >= MAX_CAPTURES)
    luaL_error (m->L, "too many captures");
  m->cap[m->level].start = s;
  m->cap[m->level].len = kind;
  m->level++;
  const char *r = match (m, s, p);
  if (r == NULL)
    m->level--; /* backtracking: forget it */
  return r;
}

/* ')' at s closes the innermost open capture. */
static const char *
close_capture (matcher *m, const char *s, const char *p)
{
  int i = m->level - 1;
  while (i >= 0 && m->cap[i].len != CAP_OPEN)
    i--;
  if (i < 0)
    luaL_error (m->L, "invalid pattern capture");
  m->cap[i].len = s - m->cap[i].start;
  const char *r = match (m, s, p);
  if (r == NULL)
    m->cap[i].len = CAP_OPEN;
  return r;
}

/* %bxy at s: a balanced run from x to its matching y.  Each character
 * scanned is a step, or "%b()" on a long run of '(' would be quadratic. */
static const char *
balanced (matcher *m, const char *s, const char *p)
{
  if (p + 1 >= m->pat_end)
    luaL_error (m->L, "malformed pattern (missing arguments to '%%b')");
  if (s >= m->subj_end || *s != p[0])
    return NULL;
  int open = 1;
  while (++s < m->subj_end)
    {
      charge (m, 1);
      if (*s == p[1])
        {
          if (--open == 0)
            return s + 1;
        }
      else if (*s == p[0])
        open++;
    }
  return NULL;
}

/* %1-%9 at s: the same bytes as an earlier, closed capture. */
static const char *
back_reference (matcher *m, const char *s, int digit)
{
  int i = digit - '1';
  if (i < 0 || i >= m->level || m->cap[i].len == CAP_OPEN)
    luaL_error (m->L, "invalid capture index %%%d", i + 1);
  ptrdiff_t len = m->cap[i].len;
  if (len == CAP_POS) /* a position is never text: stock Lua fails too */
    return NULL;
  charge (m, (size_t) len >> 5);
  if (m->subj_end - s < len || memcmp (m->cap[i].start, s, (size_t) len) != 0)
    return NULL;
  return s + len;
}

/* Match the pattern from p against the subject from s.  Returns the end of
 * the match or NULL.  Plain items loop here; anything that may backtrack
 * recurses, with captures restored on the way out of a failed branch. */
static const char *
match_items (matcher *m, const char *s, const char *p)
{
  while (p < m->pat_end)
    {
      switch (*p)
        {
        case '(':
          charge (m, 1);
          if (p + 1 < m->pat_end && p[1] == ')')
            return open_capture (m, s, p + 2, CAP_POS);
          return open_capture (m, s, p + 1, CAP_OPEN);
        case ')':
          charge (m, 1);
          return close_capture (m, s, p + 1);
        case '$':
          if (p + 1 == m->pat_end) /* only a final '$' anchors */
            {
              charge (m, 1);
              return s == m->subj_end ? s : NULL;
            }
          break;
        case '%':
          if (p + 1 == m->pat_end)
            break; /* item_end reports it */
          if (p[1] == 'b')
            {
              charge (m, 1);
              if ((s = balanced (m, s, p + 2)) == NULL)
                return NULL;
              p += 4;
              continue;
            }
          if (p[1] == 'f')
            {
              const char *set = p + 2;
              if (set >= m->pat_end || *set != '[')
                luaL_error (m->L, "missing '[' after '%%f' in pattern");
              const char *after = item_end (m, set);
              charge (m, 1 + ((size_t) (after - set) >> 2));
              /* Outside the subject the neighbour is '\0'. */
              int prev = s > m->subj ? (unsigned char) s[-1] : 0;
              int cur = s < m->subj_end ? (unsigned char) *s : 0;
              if (set_match (prev, set, after - 1)
                  || !set_match (cur, set, after - 1))
                return NULL;
              p = after;
              continue;
            }
          if (p[1] >= '0' && p[1] <= '9')
            {
              charge (m, 1);
              if ((s = back_reference (m, s, p[1])) == NULL)
                return NULL;
              p += 2;
              continue;
            }
          break;
        }

      /* A single-character item, perhaps followed by a quantifier. */
      const char *ep = item_end (m, p);
      char q = ep < m->pat_end ? *ep : '\0';
      if (!test_char (m, s, p, ep))
        {
          if (q == '*' || q == '?' || q == '-') /* zero occurrences will do */
            {
              p = ep + 1;
              continue;
            }
          return NULL;
        }
      switch (q)
        {
        case '?':
          {
            const char *r = match (m, s + 1, ep + 1);
            if (r != NULL)
              return r;
            p = ep + 1;
            continue;
          }
        case '+': return greedy (m, s + 1, s + 1, p, ep);
        case '*': return greedy (m, s + 1, s, p, ep);
        case '-': return lazy (m, s, p, ep);
        default:
          s++;
          p = ep;
          continue;
        }
    }
  return s;
}

/* Every recursion goes through here, so this is where depth is bounded:
 * a deep C stack is what would crash a worker thread. */
static const char *
match (matcher *m, const char *s, const char *p)
{
  if (++m->depth > MAX_DEPTH)
    luaL_error (m->L, "pattern too complex (nesting)");
  const char *r = match_items (m, s, p);
  m->depth--;
  return r;
}

/* Set up a matcher; returns whether the pattern is anchored ('^'), which
 * gmatch does not honour (there a '^' is an ordinary character). */
static int
matcher_init (matcher *m, lua_State *L, const char *s, size_t ls,
              const char *p, size_t lp, int allow_anchor)
{
  int anchored = allow_anchor && lp > 0 && *p == '^';
  m->L = L;
  m->subj = s;
  m->subj_end = s + ls;
  m->pat = p + anchored;
  m->pat_end = p + lp;
  m->shown = p;
  m->shown_len = lp;
  m->steps = 0;
  m->budget = budget_for (ls);
  m->depth = 0;
  m->level = 0;
  return anchored;
}

/* ---- results -------------------------------------------------------------- */

/* Push capture i of a match spanning [s, e).  With no captures, "capture
 * 1" is the whole match. */
static void
push_capture (matcher *m, int i, const char *s, const char *e)
{
  if (i >= m->level)
    {
      if (i != 0)
        luaL_error (m->L, "invalid capture index %%%d", i + 1);
      lua_pushlstring (m->L, s, (size_t) (e - s));
      return;
    }
  ptrdiff_t len = m->cap[i].len;
  if (len == CAP_OPEN)
    luaL_error (m->L, "unfinished capture");
  if (len == CAP_POS)
    lua_pushinteger (m->L, (lua_Integer) (m->cap[i].start - m->subj) + 1);
  else
    lua_pushlstring (m->L, m->cap[i].start, (size_t) len);
}

/* Push all captures; when there are none and whole is set, push the whole
 * match instead (match, gmatch, gsub functions) -- find pushes nothing. */
static int
push_captures (matcher *m, const char *s, const char *e, int whole)
{
  int n = (m->level == 0 && whole) ? 1 : m->level;
  luaL_checkstack (m->L, n, "too many captures");
  for (int i = 0; i < n; i++)
    push_capture (m, i, s, e);
  return n;
}

/* A 1-based, possibly negative init to a 0-based offset (may exceed len). */
static size_t
start_offset (lua_Integer pos, size_t len)
{
  if (pos > 0)
    return (size_t) pos - 1;
  if (pos == 0 || pos < -(lua_Integer) len)
    return 0;
  return len - (size_t) (-pos);
}

static int
has_specials (const char *p, size_t lp)
{
  for (size_t i = 0; i < lp; i++)
    if (p[i] != '\0' && strchr (SPECIALS, p[i]) != NULL)
      return 1;
  return 0;
}

/* ---- the library functions ------------------------------------------------ */

static int
find_or_match (lua_State *L, int find)
{
  size_t ls, lp;
  const char *s = luaL_checklstring (L, 1, &ls);
  const char *p = luaL_checklstring (L, 2, &lp);
  size_t init = start_offset (luaL_optinteger (L, 3, 1), ls);
  if (init > ls)
    {
      luaL_pushfail (L);
      return 1;
    }
  if (find && (lua_toboolean (L, 4) || !has_specials (p, lp)))
    {
      /* Plain search: glibc's memmem is linear, so no budget is needed. */
      const char *hit = memmem (s + init, ls - init, p, lp);
      if (hit != NULL)
        {
          lua_pushinteger (L, (lua_Integer) (hit - s) + 1);
          lua_pushinteger (L, (lua_Integer) (hit - s + lp));
          return 2;
        }
      luaL_pushfail (L);
      return 1;
    }
  matcher m;
  int anchored = matcher_init (&m, L, s, ls, p, lp, 1);
  for (const char *from = s + init;; from++)
    {
      m.level = 0;
      const char *e = match (&m, from, m.pat);
      if (e != NULL)
        {
          if (!find)
            return push_captures (&m, from, e, 1);
          lua_pushinteger (L, (lua_Integer) (from - s) + 1);
          lua_pushinteger (L, (lua_Integer) (e - s));
          return 2 + push_captures (&m, from, e, 0);
        }
      if (anchored || from >= m.subj_end)
        break;
    }
  luaL_pushfail (L);
  return 1;
}

static int w_find (lua_State *L) { return find_or_match (L, 1); }
static int w_match (lua_State *L) { return find_or_match (L, 0); }

/* Where a gmatch iterator resumes; offsets into the subject. */
typedef struct gmatch_state
{
  size_t next;  /* first start position to try */
  size_t last;  /* end of the previous match, SIZE_MAX before the first */
} gmatch_state;

/* Each call has its own budget: a loop body runs between calls, under the
 * ordinary count hook. */
static int
gmatch_next (lua_State *L)
{
  size_t ls, lp;
  const char *s = lua_tolstring (L, lua_upvalueindex (1), &ls);
  const char *p = lua_tolstring (L, lua_upvalueindex (2), &lp);
  gmatch_state *st = lua_touserdata (L, lua_upvalueindex (3));
  matcher m;
  matcher_init (&m, L, s, ls, p, lp, 0);
  for (size_t at = st->next; at <= ls; at++)
    {
      m.level = 0;
      const char *e = match (&m, s + at, m.pat);
      /* An empty match where the previous one ended does not count. */
      if (e != NULL && (size_t) (e - s) != st->last)
        {
          st->next = st->last = (size_t) (e - s);
          return push_captures (&m, s + at, e, 1);
        }
    }
  return 0;
}

static int
w_gmatch (lua_State *L)
{
  size_t ls;
  luaL_checklstring (L, 1, &ls);
  luaL_checkstring (L, 2);
  size_t init = start_offset (luaL_optinteger (L, 3, 1), ls);
  lua_settop (L, 2); /* subject and pattern become upvalues: kept alive */
  gmatch_state *st = lua_newuserdatauv (L, sizeof *st, 0);
  st->next = init > ls ? ls + 1 : init;
  st->last = SIZE_MAX;
  lua_pushcclosure (L, gmatch_next, 3);
  return 1;
}

/* Append replacement string (argument 3) for the match [s, e): "%0" is the
 * match, "%1".."%9" captures, "%%" a percent sign. */
static void
add_template (matcher *m, luaL_Buffer *b, const char *s, const char *e)
{
  size_t len;
  const char *t = lua_tolstring (m->L, 3, &len);
  const char *end = t + len;
  const char *pct;
  while ((pct = memchr (t, '%', (size_t) (end - t))) != NULL)
    {
      luaL_addlstring (b, t, (size_t) (pct - t));
      char c = pct + 1 < end ? pct[1] : '\0';
      if (c == '%')
        luaL_addchar (b, '%');
      else if (c == '0')
        luaL_addlstring (b, s, (size_t) (e - s));
      else if (isdigit ((unsigned char) c))
        {
          push_capture (m, c - '1', s, e);
          luaL_addvalue (b); /* converts a position to text */
        }
      else
        luaL_error (m->L, "invalid use of '%%' in replacement string");
      t = pct + 2;
    }
  luaL_addlstring (b, t, (size_t) (end - t));
}

/* Append the replacement for the match [s, e); returns whether the text
 * changed (false and nil from a table or function keep the match). */
static int
add_replacement (matcher *m, luaL_Buffer *b, const char *s, const char *e,
                 int tr)
{
  lua_State *L = m->L;
  if (tr == LUA_TFUNCTION)
    {
      lua_pushvalue (L, 3);
      int n = push_captures (m, s, e, 1);
      lua_call (L, n, 1); /* may raise; nothing here needs cleaning up */
    }
  else if (tr == LUA_TTABLE)
    {
      push_capture (m, 0, s, e);
      lua_gettable (L, 3);
    }
  else
    {
      add_template (m, b, s, e);
      return 1;
    }
  if (!lua_toboolean (L, -1))
    {
      lua_pop (L, 1);
      luaL_addlstring (b, s, (size_t) (e - s));
      return 0;
    }
  if (!lua_isstring (L, -1))
    return luaL_error (L, "invalid replacement value (a %s)",
                       luaL_typename (L, -1));
  luaL_addvalue (b);
  return 1;
}

/* One budget covers the whole call, however many matches it makes. */
static int
w_gsub (lua_State *L)
{
  size_t ls, lp;
  const char *s = luaL_checklstring (L, 1, &ls);
  const char *p = luaL_checklstring (L, 2, &lp);
  int tr = lua_type (L, 3);
  lua_Integer max_n = luaL_optinteger (L, 4, (lua_Integer) ls + 1);
  luaL_argexpected (L, tr == LUA_TNUMBER || tr == LUA_TSTRING
                    || tr == LUA_TFUNCTION || tr == LUA_TTABLE,
                    3, "string/function/table");
  matcher m;
  int anchored = matcher_init (&m, L, s, ls, p, lp, 1);
  luaL_Buffer b;
  luaL_buffinit (L, &b);
  const char *src = s, *last = NULL;
  lua_Integer n = 0;
  int changed = 0;
  while (n < max_n)
    {
      m.level = 0;
      const char *e = match (&m, src, m.pat);
      if (e != NULL && e != last) /* not an empty match right after the last */
        {
          n++;
          changed |= add_replacement (&m, &b, src, e, tr);
          src = last = e;
        }
      else if (src < m.subj_end)
        luaL_addchar (&b, *src++);
      else
        break;
      if (anchored)
        break;
    }
  if (!changed)
    lua_pushvalue (L, 1);
  else
    {
      luaL_addlstring (&b, src, (size_t) (m.subj_end - src));
      luaL_pushresult (&b);
    }
  lua_pushinteger (L, n);
  return 2;
}

void
ward_pattern_install (lua_State *L, int idx)
{
  static const luaL_Reg fns[] = {
    { "find", w_find },
    { "match", w_match },
    { "gmatch", w_gmatch },
    { "gsub", w_gsub },
    { NULL, NULL },
  };
  idx = lua_absindex (L, idx);
  for (const luaL_Reg *r = fns; r->name != NULL; r++)
    {
      lua_pushcfunction (L, r->func);
      lua_setfield (L, idx, r->name);
    }
}
