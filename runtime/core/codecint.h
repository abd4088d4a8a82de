/* codecint.h -- the message codec's wire format and byte reader, shared by
 * codec.c (limits, reading, the handle walk), codecenc.c (the encoder) and
 * codecdec.c (the decoder); codec.h is the contract. Internal to
 * runtime/core/. Prefix ward_codec_. */
#ifndef WARD_CODECINT_H
#define WARD_CODECINT_H

#include <stddef.h>
#include <stdint.h>
#include "codec.h"
#include "fdvec.h"

/* Wire format, version 1. All multi-byte integers are little-endian.
 *
 *   message := version:u8 count:u8 value{count}      nothing may follow
 *   version := 0x01
 *   count   := 0 .. WARD_CODEC_MAX_VALUES (255), the payload arity
 *
 *   value   := tag:u8 body
 *     0x00  nil        (no body)
 *     0x01  false      (no body)
 *     0x02  true       (no body)
 *     0x03  integer    varint(zigzag(i)): i = 0,-1,1,-2 ... -> 0,1,2,3 ...
 *     0x04  float      8 bytes, IEEE 754 binary64, every bit kept (so
 *                      -0.0, inf and NaN round-trip)
 *     0x05  string     varint(len) then len bytes (any bytes, NUL included)
 *     0x06  table      varint(narr) varint(nhash)
 *                      value{narr}        t[1] .. t[narr], none nil
 *                      (key value){nhash} the other entries; a key is a
 *                                         boolean, integer, non-NaN float
 *                                         or string; no value is nil
 *     0x07  handle     varint(len) then len bytes: the reference bytes of
 *                      the opts->handle userdata type (codec.h)
 *     0x08  fd         varint(i): the i-th (0-based) descriptor of the
 *                      message's list (opts->fds), which travels beside
 *                      the bytes; each index is taken at most once
 *
 *   varint  := unsigned LEB128: 7 bits per byte, least significant group
 *              first, high bit set on every byte but the last; at most 10
 *              bytes, the 10th at most 0x01, no overlong form (a last
 *              byte of 0x00 after another byte).
 *
 * A table's array part is the run t[1], t[2], ... up to the first nil, so
 * it holds no nils and the decoder can presize with
 * lua_createtable (narr, nhash). Tables nest at most max_depth deep (a
 * top-level table is at depth 1). A table reached twice on different
 * paths is written twice; one that contains itself is an error.
 *
 * Examples: (nil, true, 1) = 01 03 00 02 03 02;
 *           ({10, x = "a"}) = 01 01 06 01 01 03 14 05 01 'x' 05 01 'a'. */

#define CODEC_VERSION 0x01

enum
{
  TAG_NIL = 0x00,
  TAG_FALSE = 0x01,
  TAG_TRUE = 0x02,
  TAG_INT = 0x03,
  TAG_FLOAT = 0x04,
  TAG_STRING = 0x05,
  TAG_TABLE = 0x06,
  TAG_HANDLE = 0x07,
  TAG_FD = 0x08
};

/* Stack slots one table level needs: key, value, and two for luaL_testudata
 * (or a handle callback), with a little slack. */
#define LEVEL_SLOTS 8

/* The opts' limits, or the defaults (codec.h). */
size_t ward_codec_depth_limit (const ward_codec_opts *opts);
size_t ward_codec_bytes_limit (const ward_codec_opts *opts);

/* ---- reading ---- */

/* A message being read: p up to end; the rest is the decoder's (the
 * handle walk of codec.c reads with p and end only, err NULL). */
typedef struct dec
{
  lua_State *L;
  const uint8_t *p, *end;
  size_t max_depth;
  /* Values promised (by the count and by the tables open on the current
   * path) and not yet begun. Each begins with a tag byte of its own, so a
   * table may promise only what the bytes left beyond these can hold: the
   * presizing of all the tables a message opens together is bounded by
   * its size, not each table's alone. */
  uint64_t pending;
  const ward_codec_handle *handle;
  ward_fdvec *fds;
  ward_err *err;
} dec;

/* Fail d with "malformed message: ..." (-1; only -1 when d->err is NULL). */
int __attribute__ ((format (printf, 2, 3))) ward_codec_bad (dec *d, const char *fmt, ...);
/* A varint of more than one byte (get_varint's slow path). */
int ward_codec_varint_slow (dec *d, uint64_t *v);

static inline int
get_varint (dec *d, uint64_t *v)
{
  if (d->p < d->end && *d->p < 0x80)
    {
      *v = *d->p++;
      return 0;
    }
  return ward_codec_varint_slow (d, v);
}

/* A length that must fit in what is left of the message. */
static inline int
get_len (dec *d, size_t *len)
{
  uint64_t v;
  if (get_varint (d, &v) < 0)
    return -1;
  if (v > (uint64_t) (d->end - d->p))
    return ward_codec_bad (d, "length beyond the end of the message");
  *len = (size_t) v;
  return 0;
}

#endif
