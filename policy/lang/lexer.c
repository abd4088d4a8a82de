/* lexer.c -- turns policy text into tokens with exact line:col positions.
 * Columns count characters (UTF-8 code points); any byte that cannot be
 * part of policy text (NUL, invalid UTF-8, stray control bytes) is an error. */
#include "config.h"
#include "lex.h"
#include "wesc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
wpol_lex_init (wpol_lexer *lx, wpol_file *f, const char *src, size_t len,
               wpol_diags *d)
{
  memset (lx, 0, sizeof *lx);
  lx->src = src;
  lx->len = len;
  lx->line = 1;
  lx->col = 1;
  lx->f = f;
  lx->d = d;
  if (len >= 3 && memcmp (src, "\xef\xbb\xbf", 3) == 0)
    lx->pos = 3;                  /* a byte order mark is not text */
}

void
wpol_lex_error (wpol_lexer *lx, unsigned line, unsigned col, const char *fmt, ...)
{
  if (lx->stop)
    return;
  va_list ap;
  va_start (ap, fmt);
  wpol_diag_vadd (lx->d, WPOL_ERROR, lx->f->name, line, col, fmt, ap);
  va_end (ap);
  if (++lx->f->nerrors >= WPOL_MAX_ERRORS)
    {
      wpol_diag_add (lx->d, WPOL_ERROR, lx->f->name, line, col,
                     "too many errors; giving up on this file");
      lx->f->nerrors++;
      lx->stop = 1;
    }
}

void
wpol_lex_warn (wpol_lexer *lx, unsigned line, unsigned col, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  wpol_diag_vadd (lx->d, WPOL_WARNING, lx->f->name, line, col, fmt, ap);
  va_end (ap);
}

static int
peek (const wpol_lexer *lx, size_t k)
{
  return lx->pos + k < lx->len ? (unsigned char) lx->src[lx->pos + k] : -1;
}

/* Advance over n bytes that are known to be valid. */
static void
advance (wpol_lexer *lx, size_t n)
{
  while (n-- && lx->pos < lx->len)
    {
      unsigned char c = (unsigned char) lx->src[lx->pos++];
      if (c == '\n')
        {
          lx->line++;
          lx->col = 1;
        }
      else if ((c & 0xc0) != 0x80)
        lx->col++;
    }
}

static int
ident_start (int c)
{
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '*'
         || c == '?';
}

static int
ident_char (int c)
{
  return ident_start (c) || (c >= '0' && c <= '9') || c == '.' || c == ':' || c == '-';
}

static int
hexval (int c)
{
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

/* Check that the text at the current position goes on with a character:
 * no NUL, valid UTF-8 (comments, string content, a stray character).
 * Returns 1 with its length in *n, or 0 after reporting (a NUL also stops
 * the lexer; an invalid byte is skipped). */
static int
check_text_byte (wpol_lexer *lx, size_t *n)
{
  const unsigned char *p = (const unsigned char *) lx->src + lx->pos;
  if (*p == 0)
    {
      wpol_lex_error (lx, lx->line, lx->col, "NUL byte in policy text (is this a binary file?)");
      lx->stop = 1;
      return 0;
    }
  uint32_t cp;
  *n = ward_utf8_seq (p, lx->len - lx->pos, &cp);
  if (*n == 0)
    {
      wpol_lex_error (lx, lx->line, lx->col, "invalid UTF-8 byte 0x%02x", *p);
      *n = 1;
      advance (lx, 1);
      return 0;
    }
  return 1;
}

static void
lex_comment (wpol_lexer *lx)
{
  unsigned line = lx->line, col = lx->col;
  advance (lx, 1);                /* '#' */
  size_t start = lx->pos;
  int good = 1;
  while (lx->pos < lx->len && lx->src[lx->pos] != '\n' && !lx->stop)
    {
      size_t n;
      if (!check_text_byte (lx, &n))
        {
          good = 0;
          continue;
        }
      advance (lx, n);
    }
  if (!good || lx->stop)
    return;
  size_t end = lx->pos;
  while (end > start && (lx->src[end - 1] == '\r' || lx->src[end - 1] == ' '
                         || lx->src[end - 1] == '\t'))
    end--;
  wpol_comment c = { line, col, lx->code_line == line,
                     wpol_strndup (&lx->f->arena, lx->src + start, end - start) };
  wpol_buf_add (&lx->comments, (const char *) &c, sizeof c);
}

/* The escape at the current position (a backslash) in the string t: the
 * character it stands for into *out and the bytes it takes into *skip;
 * 1, or 0 when it is bad ('?' then; reported), or -1 when the line or the
 * text ends in it (reported: the string is unterminated). */
static int
lex_escape (wpol_lexer *lx, const wpol_tok *t, char *out, size_t *skip)
{
  unsigned el = lx->line, ec = lx->col;
  int e = peek (lx, 1);
  int simple = wpol_unescape (e);
  *skip = 2;
  if (simple >= 0)
    {
      *out = (char) simple;
      return 1;
    }
  if (e == 'x')
    {
      int h1 = hexval (peek (lx, 2)), h2 = hexval (peek (lx, 3));
      if (h1 < 0 || h2 < 0 || (h1 | h2) == 0)
        {
          wpol_lex_error (lx, el, ec, h1 < 0 || h2 < 0
                          ? "bad escape: \\x needs two hex digits"
                          : "\\x00 is not allowed in a string");
          *out = '?';
          *skip = h1 < 0 ? 2 : h2 < 0 ? 3 : 4;
          return 0;
        }
      *out = (char) (h1 * 16 + h2);
      *skip = 4;
      return 1;
    }
  if (e < 0 || e == '\n')
    {
      wpol_lex_error (lx, t->line, t->col, "unterminated string");
      return -1;
    }
  wpol_lex_error (lx, el, ec, "unknown escape `\\%c` (use \\\\, \\\", \\n, \\t, \\r or \\xHH)",
                  e >= 0x20 && e < 0x7f ? e : '?');
  *out = '?';
  *skip = e >= 0x20 && e < 0x7f ? 2 : 1;
  return 0;
}

static void
lex_string (wpol_lexer *lx, wpol_tok *t)
{
  wpol_buf b = { 0 };
  advance (lx, 1);                /* '"' */
  int bad = 0;
  for (;;)
    {
      if (lx->stop)
        {
          bad = 1;
          break;
        }
      int c = peek (lx, 0);
      if (c < 0 || c == '\n')
        {
          wpol_lex_error (lx, t->line, t->col, "unterminated string");
          bad = 1;
          break;
        }
      if (c == '"')
        {
          advance (lx, 1);
          break;
        }
      if (c == '\\')
        {
          char out;
          size_t skip;
          int r = lex_escape (lx, t, &out, &skip);
          if (r < 0)
            {
              bad = 1;
              break;
            }
          if (r == 0)
            bad = 1;
          advance (lx, skip);
          wpol_buf_add (&b, &out, 1);
          continue;
        }
      size_t n;
      if (!check_text_byte (lx, &n))
        {
          bad = 1;
          continue;
        }
      wpol_buf_add (&b, lx->src + lx->pos, n);
      advance (lx, n);
    }
  if (!bad && b.len > WPOL_MAX_STRING)
    {
      wpol_lex_error (lx, t->line, t->col, "string longer than %u bytes", WPOL_MAX_STRING);
      bad = 1;
    }
  if (!bad && b.oom)
    {
      wpol_lex_error (lx, t->line, t->col, "out of memory");
      bad = 1;
    }
  t->type = bad ? T_BAD : T_STRING;
  t->text = wpol_strndup (&lx->f->arena, b.s ? b.s : "", b.len);
  wpol_buf_free (&b);
}

/* Skip white space and comments; 0 when the text ends (or the lexer has
 * stopped) before another token. */
static int
skip_blank (wpol_lexer *lx)
{
  while (!lx->stop && lx->pos < lx->len)
    {
      int c = peek (lx, 0);
      if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v')
        advance (lx, 1);
      else if (c == '#')
        lex_comment (lx);
      else
        return 1;
    }
  return 0;
}

/* Punctuation: the token a character makes alone, and the one it makes
 * followed by `=` (T_EOF: none; `!` is a token only as `!=`). */
static const struct {
  char c;
  wpol_ttype alone, with_eq;
} puncts[] = {
  { '{', T_LBRACE, T_EOF }, { '}', T_RBRACE, T_EOF }, { '[', T_LBRACK, T_EOF },
  { ']', T_RBRACK, T_EOF }, { '(', T_LPAREN, T_EOF }, { ')', T_RPAREN, T_EOF },
  { ';', T_SEMI, T_EOF }, { ',', T_COMMA, T_EOF }, { '=', T_ASSIGN, T_EQ },
  { '!', T_EOF, T_NE }, { '<', T_LT, T_LE }, { '>', T_GT, T_GE },
};

/* 1 when c (then c1) is punctuation, taken into t; 0 otherwise. */
static int
lex_punct (wpol_lexer *lx, wpol_tok *t, int c, int c1)
{
  for (size_t i = 0; i < sizeof puncts / sizeof puncts[0]; i++)
    if (puncts[i].c == c)
      {
        int eq = c1 == '=' && puncts[i].with_eq != T_EOF;
        wpol_ttype type = eq ? puncts[i].with_eq : puncts[i].alone;
        if (type == T_EOF)
          return 0;
        t->type = type;
        advance (lx, eq ? 2 : 1);
        return 1;
      }
  return 0;
}

/* The first i bytes from here are a word. */
static void
take_word (wpol_lexer *lx, wpol_tok *t, size_t i)
{
  t->type = T_IDENT;
  t->text = wpol_strndup (&lx->f->arena, lx->src + lx->pos, i);
  advance (lx, i);
}

static void
lex_word (wpol_lexer *lx, wpol_tok *t)
{
  size_t i = 1;
  while (ident_char (peek (lx, i)))
    i++;
  take_word (lx, t, i);
}

/* A decimal integer (c is its first character: a digit or `-`), or a word
 * that starts with digits. */
static void
lex_number (wpol_lexer *lx, wpol_tok *t, int c)
{
  size_t i = c == '-' ? 1 : 0;
  uint64_t v = 0;
  int overflow = 0;
  while (peek (lx, i) >= '0' && peek (lx, i) <= '9')
    {
      unsigned dgt = (unsigned) (peek (lx, i) - '0');
      if (v > (UINT64_MAX - dgt) / 10)
        overflow = 1;
      else
        v = v * 10 + dgt;
      i++;
    }
  if (ident_start (peek (lx, i)) && c != '-')
    {
      /* 64M, 250ms: a number with a unit is a word */
      while (ident_char (peek (lx, i)))
        i++;
      take_word (lx, t, i);
      return;
    }
  uint64_t lim = c == '-' ? (uint64_t) INT64_MAX + 1 : (uint64_t) INT64_MAX;
  if (overflow || v > lim)
    {
      wpol_lex_error (lx, t->line, t->col, "number out of range");
      t->type = T_BAD;
      t->text = "";
    }
  else
    {
      t->type = T_NUMBER;
      t->num = c == '-' ? (int64_t) (0 - v) : (int64_t) v;
    }
  advance (lx, i);
}

/* Anything else is one bad character (or byte). */
static void
lex_bad (wpol_lexer *lx, wpol_tok *t, int c)
{
  t->type = T_BAD;
  t->text = "";
  size_t n;
  if (!check_text_byte (lx, &n))
    return;
  if (c >= 0x20 && c < 0x7f)
    wpol_lex_error (lx, t->line, t->col, "unexpected character `%c`", c);
  else if (c < 0x80)
    wpol_lex_error (lx, t->line, t->col, "unexpected control byte 0x%02x", (unsigned) c);
  else
    wpol_lex_error (lx, t->line, t->col, "unexpected character `%.*s` (only strings and comments may hold non-ASCII text)",
                    (int) n, lx->src + lx->pos);
  advance (lx, n);
}

void
wpol_lex_next (wpol_lexer *lx, wpol_tok *t)
{
  memset (t, 0, sizeof *t);
  int more = skip_blank (lx);
  t->line = lx->line;
  t->col = lx->col;
  if (!more)
    {
      t->type = T_EOF;
      return;
    }
  lx->code_line = lx->line;
  int c = peek (lx, 0), c1 = peek (lx, 1);
  if (lex_punct (lx, t, c, c1))
    return;
  if (c == '"')
    lex_string (lx, t);
  else if ((c >= '0' && c <= '9') || (c == '-' && c1 >= '0' && c1 <= '9'))
    lex_number (lx, t, c);
  else if (ident_start (c))
    lex_word (lx, t);
  else
    lex_bad (lx, t, c);
}

const char *
wpol_tok_name (wpol_ttype t)
{
  switch (t)
    {
    case T_EOF: return "end of file";
    case T_IDENT: return "a name";
    case T_STRING: return "a string";
    case T_NUMBER: return "a number";
    case T_LBRACE: return "`{`";
    case T_RBRACE: return "`}`";
    case T_LBRACK: return "`[`";
    case T_RBRACK: return "`]`";
    case T_LPAREN: return "`(`";
    case T_RPAREN: return "`)`";
    case T_SEMI: return "`;`";
    case T_COMMA: return "`,`";
    case T_ASSIGN: return "`=`";
    case T_EQ: return "`==`";
    case T_NE: return "`!=`";
    case T_LT: return "`<`";
    case T_LE: return "`<=`";
    case T_GT: return "`>`";
    case T_GE: return "`>=`";
    case T_BAD: return "a bad token";
    }
  return "?";
}

void
wpol_tok_describe (const wpol_tok *t, char *buf, size_t size)
{
  if (t->type == T_IDENT)
    snprintf (buf, size, "`%.60s`", t->text);
  else if (t->type == T_STRING)
    snprintf (buf, size, "string \"%.60s\"", t->text);
  else if (t->type == T_NUMBER)
    snprintf (buf, size, "number %lld", (long long) t->num);
  else
    snprintf (buf, size, "%s", wpol_tok_name (t->type));
}
