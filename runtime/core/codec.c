/* codec.c -- the message codec (codec.h): what its encoder (codecenc.c)
 * and decoder (codecdec.c) share -- the limits, the byte reader -- and the
 * walk over a message's handles. The wire format is in codecint.h. */
#include "config.h"
#include "codecint.h"

#include <stdarg.h>
#include <stdio.h>

_Static_assert (WARD_CODEC_MAX_VALUES <= 255, "the value count is one byte");
_Static_assert (sizeof (lua_Integer) == 8, "the codec assumes 64-bit lua_Integer");
_Static_assert (sizeof (lua_Number) == 8, "the codec assumes double lua_Number");

size_t
ward_codec_depth_limit (const ward_codec_opts *opts)
{
  size_t d = opts && opts->max_depth ? opts->max_depth : WARD_CODEC_MAX_DEPTH;
  return d > WARD_CODEC_DEPTH_CAP ? WARD_CODEC_DEPTH_CAP : d;
}

size_t
ward_codec_bytes_limit (const ward_codec_opts *opts)
{
  return opts && opts->max_bytes ? opts->max_bytes : WARD_CODEC_MAX_BYTES;
}

int __attribute__ ((format (printf, 2, 3)))
ward_codec_bad (dec *d, const char *fmt, ...)
{
  if (d->err == NULL)
    return -1;
  char msg[WARD_ERR_MSG_MAX];
  va_list ap;
  va_start (ap, fmt);
  vsnprintf (msg, sizeof msg, fmt, ap);
  va_end (ap);
  return ward_err_set (d->err, WARD_E_INVALID, 0, "malformed message: %s", msg);
}

int
ward_codec_varint_slow (dec *d, uint64_t *v)
{
  const uint8_t *p = d->p;
  uint64_t r = 0;
  for (unsigned i = 0;; i++)
    {
      if (p == d->end)
        return ward_codec_bad (d, "truncated");
      uint8_t c = *p++;
      if (i == 9 && c > 1)
        return ward_codec_bad (d, "varint out of range");
      r |= (uint64_t) (c & 0x7f) << (7 * i);
      if (!(c & 0x80))
        {
          if (c == 0 && i > 0)
            return ward_codec_bad (d, "overlong varint");
          break;
        }
    }
  d->p = p;
  *v = r;
  return 0;
}

int
ward_codec_each_handle (const uint8_t *p, size_t len,
                        int (*each) (const char *ref, size_t len, void *ctx), void *ctx)
{
  if (p == NULL || len < 2 || p[0] != CODEC_VERSION)
    return -1;
  /* no recursion: a table adds its elements to the values still to walk */
  dec d = { .p = p + 2, .end = p + len };
  uint64_t left = p[1];
  for (; left > 0; left--)
    {
      if (d.p == d.end)
        return -1;
      uint8_t tag = *d.p++;
      uint64_t v = 0;
      size_t n = 0;
      switch (tag)
        {
        case TAG_NIL: case TAG_FALSE: case TAG_TRUE:
          break;
        case TAG_INT: case TAG_FD:
          if (get_varint (&d, &v) < 0)
            return -1;
          break;
        case TAG_FLOAT:
          if (d.end - d.p < 8)
            return -1;
          d.p += 8;
          break;
        case TAG_STRING:
          if (get_len (&d, &n) < 0)
            return -1;
          d.p += n;
          break;
        case TAG_HANDLE:
          if (get_len (&d, &n) < 0 || each ((const char *) d.p, n, ctx) != 0)
            return -1;
          d.p += n;
          break;
        case TAG_TABLE:
          {
            uint64_t narr = 0, nhash = 0;
            if (get_varint (&d, &narr) < 0 || get_varint (&d, &nhash) < 0)
              return -1;
            /* as the decoder: the values still to walk need bytes too */
            uint64_t rest = (uint64_t) (d.end - d.p);
            uint64_t room = rest > left - 1 ? rest - (left - 1) : 0;
            if (narr > room || nhash > (room - narr) / 2)
              return -1;
            left += narr + 2 * nhash;
            break;
          }
        default:
          return -1;
        }
    }
  return d.p == d.end ? 0 : -1;
}
