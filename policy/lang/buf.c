/* buf.c -- text buffers (wpol_buf): a common/wbuf that stays NUL-terminated
 * and records running out of memory, and the quoting of policy strings
 * and JSON strings. */
#include "config.h"
#include "wpol.h"
#include "wesc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
wpol_buf_add (wpol_buf *b, const char *s, size_t n)
{
  if (b->oom)
    return;
  /* one byte more for the NUL, which stays outside len */
  if (wbuf_reserve (&b->w, n + 1, NULL) < 0)
    {
      b->oom = 1;
      return;
    }
  wbuf_append (&b->w, s, n, NULL);      /* cannot fail: the room is there */
  b->w.data[b->w.len] = '\0';
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
  wbuf_free (&b->w);
  memset (b, 0, sizeof *b);
}

/* Length of the valid UTF-8 sequence at p (1..4), or 0 when it is not. */
static size_t
utf8_len (const unsigned char *p)
{
  uint32_t cp;
  return ward_utf8_seq (p, strnlen ((const char *) p, 4), &cp);
}

/* The two-character escapes of policy strings, which JSON has too: the
 * character, and the letter after the backslash that stands for it. */
static const struct {
  char c, letter;
} short_escs[] = { { '"', '"' }, { '\\', '\\' }, { '\n', 'n' }, { '\t', 't' }, { '\r', 'r' } };

/* Append c's two-character escape to b; 0, or -1 when c has none. */
static int
add_short_esc (wpol_buf *b, unsigned char c)
{
  for (size_t i = 0; i < sizeof short_escs / sizeof short_escs[0]; i++)
    if ((unsigned char) short_escs[i].c == c)
      {
        char esc[2] = { '\\', short_escs[i].letter };
        wpol_buf_add (b, esc, 2);
        return 0;
      }
  return -1;
}

int
wpol_unescape (int letter)
{
  for (size_t i = 0; i < sizeof short_escs / sizeof short_escs[0]; i++)
    if (short_escs[i].letter == letter)
      return (unsigned char) short_escs[i].c;
  return -1;
}

void
wpol_buf_quote (wpol_buf *b, const char *s)
{
  wpol_buf_add (b, "\"", 1);
  for (const unsigned char *p = (const unsigned char *) s; *p; p++)
    {
      if (add_short_esc (b, *p) == 0)
        continue;
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
      if (add_short_esc (b, *p) < 0)
        wpol_buf_printf (b, "\\u%04x", *p);   /* controls, invalid UTF-8 */
      run = ++p;
    }
  wpol_buf_add (b, (const char *) run, (size_t) (p - run));
  wpol_buf_add (b, "\"", 1);
}
