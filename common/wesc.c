/* wesc.c -- escaping of script-controlled text for a terminal (wesc.h). */
#include "config.h"
#include "wesc.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

size_t
ward_utf8_seq (const unsigned char *p, size_t n, uint32_t *cp)
{
  size_t len;
  uint32_t c, min;
  if (p[0] < 0x80)
    {
      *cp = p[0];
      return 1;
    }
  else if ((p[0] & 0xe0) == 0xc0)
    len = 2, c = p[0] & 0x1f, min = 0x80;
  else if ((p[0] & 0xf0) == 0xe0)
    len = 3, c = p[0] & 0x0f, min = 0x800;
  else if ((p[0] & 0xf8) == 0xf0)
    len = 4, c = p[0] & 0x07, min = 0x10000;
  else
    return 0;
  if (len > n)
    return 0;
  for (size_t i = 1; i < len; i++)
    {
      if ((p[i] & 0xc0) != 0x80)
        return 0;
      c = (c << 6) | (p[i] & 0x3f);
    }
  if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
    return 0;
  *cp = c;
  return len;
}

/* Every character of general category Cf (Unicode 15), by ranges. */
static const uint32_t format_chars[][2] = {
  { 0xad, 0xad }, { 0x600, 0x605 }, { 0x61c, 0x61c }, { 0x6dd, 0x6dd }, { 0x70f, 0x70f },
  { 0x890, 0x891 }, { 0x8e2, 0x8e2 }, { 0x180e, 0x180e }, { 0x200b, 0x200f },
  { 0x202a, 0x202e }, { 0x2060, 0x2064 }, { 0x2066, 0x206f }, { 0xfeff, 0xfeff },
  { 0xfff9, 0xfffb }, { 0x110bd, 0x110bd }, { 0x110cd, 0x110cd }, { 0x13430, 0x1343f },
  { 0x1bca0, 0x1bca3 }, { 0x1d173, 0x1d17a }, { 0xe0001, 0xe0001 }, { 0xe0020, 0xe007f },
};

int
ward_esc_hidden (uint32_t c)
{
  if ((c >= 0x80 && c <= 0x9f) || c == 0x2028 || c == 0x2029)
    return 1;
  for (size_t i = 0; i < sizeof format_chars / sizeof format_chars[0]; i++)
    if (c >= format_chars[i][0] && c <= format_chars[i][1])
      return 1;
  return 0;
}

int
ward_esc (wbuf *b, const char *s, size_t len, size_t max, ward_err *err)
{
  const unsigned char *p = (const unsigned char *) s;
  size_t shown = len;
  if (max && len > max)
    {
      /* cut before a character that would straddle max */
      shown = 0;
      while (shown < max)
        {
          uint32_t cp;
          size_t l = ward_utf8_seq (p + shown, len - shown, &cp);
          if (l == 0)
            l = 1;
          if (shown + l > max)
            break;
          shown += l;
        }
    }
  char tmp[16];
  for (size_t i = 0; i < shown;)
    {
      uint32_t cp;
      size_t l = ward_utf8_seq (p + i, shown - i, &cp);
      const char *e = NULL;
      if (l == 1)
        switch (cp)
          {
          case '\\': e = "\\\\"; break;
          case '\n': e = "\\n"; break;
          case '\r': e = "\\r"; break;
          case '\t': e = "\\t"; break;
          default:
            if (cp < 0x20 || cp == 0x7f)
              {
                snprintf (tmp, sizeof tmp, "\\x%02x", (unsigned) cp);
                e = tmp;
              }
          }
      else if (l == 0)
        {
          snprintf (tmp, sizeof tmp, "\\x%02x", p[i]);
          e = tmp;
          l = 1;
        }
      else if (ward_esc_hidden (cp))
        {
          snprintf (tmp, sizeof tmp, "\\u{%x}", (unsigned) cp);
          e = tmp;
        }
      if (e ? wbuf_append (b, e, strlen (e), err) : wbuf_append (b, p + i, l, err))
        return -1;
      i += l;
    }
  if (shown < len)
    {
      snprintf (tmp, sizeof tmp, "%zu", len);
      if (wbuf_append (b, "\xe2\x80\xa6(", 4, err) < 0 || wbuf_append (b, tmp, strlen (tmp), err) < 0
          || wbuf_append (b, " bytes)", 7, err) < 0)
        return -1;
    }
  return 0;
}

char *
ward_esc_str (const char *s, size_t max)
{
  wbuf b;
  wbuf_init (&b, 0);
  if (ward_esc (&b, s, strlen (s), max, NULL) < 0 || wbuf_putc (&b, '\0', NULL) < 0)
    {
      wbuf_free (&b);
      return NULL;
    }
  size_t n;
  return (char *) wbuf_steal (&b, &n);
}

void
ward_esc_fputs (const char *s, size_t max, FILE *f)
{
  if (s == NULL)
    return;
  char *e = ward_esc_str (s, max);
  fputs (e ? e : "(out of memory)", f);
  free (e);
}
