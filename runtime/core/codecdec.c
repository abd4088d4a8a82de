/* codecdec.c -- the message codec's decoder (codec.h): bytes to Lua
 * values, validating every byte it reads. */
#include "config.h"
#include "codecint.h"
#include "lfd.h"

#include <limits.h>
#include <math.h>
#include <string.h>

static inline uint64_t
get_le64 (const uint8_t *p)
{
  uint64_t u = 0;
#if defined __BYTE_ORDER__ && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  memcpy (&u, p, 8);
#else
  for (int i = 0; i < 8; i++)
    u |= (uint64_t) p[i] << (8 * i);
#endif
  return u;
}

static int dec_value (dec *d, size_t depth);

static int
dec_table (dec *d, size_t depth)
{
  lua_State *L = d->L;
  if (depth >= d->max_depth)
    return ward_codec_bad (d, "tables nested deeper than %zu levels", d->max_depth);
  uint64_t narr = 0, nhash = 0;
  if (get_varint (d, &narr) < 0 || get_varint (d, &nhash) < 0)
    return -1;
  /* Each element takes at least one byte and each pair two, none of them
   * the bytes of the values still pending: this bounds the presizing of
   * every table open at once by the size of the message. */
  uint64_t rest = (uint64_t) (d->end - d->p);
  uint64_t room = rest > d->pending ? rest - d->pending : 0;
  if (narr > room || nhash > (room - narr) / 2 || narr > INT_MAX || nhash > INT_MAX)
    return ward_codec_bad (d, "table larger than the message");
  d->pending += narr + 2 * nhash;
  if (!lua_checkstack (L, LEVEL_SLOTS))
    return ward_err_set (d->err, WARD_E_INTERNAL, 0, "no room on the Lua stack");
  lua_createtable (L, (int) narr, (int) nhash);
  for (lua_Integer i = 1; i <= (lua_Integer) narr; i++)
    {
      if (d->p < d->end && *d->p == TAG_NIL)
        return ward_codec_bad (d, "nil in a table's array part");
      d->pending--;
      if (dec_value (d, depth + 1) < 0)
        return -1;
      lua_rawseti (L, -2, i);
    }
  for (uint64_t i = 0; i < nhash; i++)
    {
      if (d->p == d->end)
        return ward_codec_bad (d, "truncated");
      uint8_t kt = *d->p;
      if (kt != TAG_FALSE && kt != TAG_TRUE && kt != TAG_INT && kt != TAG_FLOAT
          && kt != TAG_STRING)
        return ward_codec_bad (d, "table key with tag 0x%02x", kt);
      d->pending--;
      if (dec_value (d, depth + 1) < 0)
        return -1;
      if (kt == TAG_FLOAT && isnan (lua_tonumber (L, -1)))
        return ward_codec_bad (d, "NaN table key");
      if (d->p < d->end && *d->p == TAG_NIL)
        return ward_codec_bad (d, "nil table value");
      d->pending--;
      if (dec_value (d, depth + 1) < 0)
        return -1;
      lua_rawset (L, -3);
    }
  return 0;
}

static int
dec_value (dec *d, size_t depth)
{
  lua_State *L = d->L;
  if (d->p == d->end)
    return ward_codec_bad (d, "truncated");
  uint8_t tag = *d->p++;
  switch (tag)
    {
    case TAG_NIL:
      lua_pushnil (L);
      return 0;
    case TAG_FALSE:
      lua_pushboolean (L, 0);
      return 0;
    case TAG_TRUE:
      lua_pushboolean (L, 1);
      return 0;
    case TAG_INT:
      {
        uint64_t z = 0;
        if (get_varint (d, &z) < 0)
          return -1;
        lua_pushinteger (L, (lua_Integer) ((int64_t) (z >> 1) ^ -(int64_t) (z & 1)));
        return 0;
      }
    case TAG_FLOAT:
      {
        if (d->end - d->p < 8)
          return ward_codec_bad (d, "truncated");
        uint64_t u = get_le64 (d->p);
        d->p += 8;
        double x;
        memcpy (&x, &u, 8);
        lua_pushnumber (L, (lua_Number) x);
        return 0;
      }
    case TAG_STRING:
      {
        size_t n = 0;
        if (get_len (d, &n) < 0)
          return -1;
        lua_pushlstring (L, (const char *) d->p, n);
        d->p += n;
        return 0;
      }
    case TAG_TABLE:
      return dec_table (d, depth);
    case TAG_HANDLE:
      {
        size_t n = 0;
        if (get_len (d, &n) < 0)
          return -1;
        if (d->handle == NULL)
          return ward_codec_bad (d, "handle where none is accepted");
        int top = lua_gettop (L);
        if (d->handle->push (L, (const char *) d->p, n, d->err) < 0)
          return -1;
        if (lua_gettop (L) != top + 1)
          return ward_err_set (d->err, WARD_E_INTERNAL, 0,
                               "handle push left %d values", lua_gettop (L) - top);
        d->p += n;
        return 0;
      }
    case TAG_FD:
      {
        uint64_t i = 0;
        if (get_varint (d, &i) < 0)
          return -1;
        if (d->fds == NULL)
          return ward_codec_bad (d, "a file descriptor where none is accepted");
        if (i >= d->fds->n || d->fds->fd[i] < 0)
          return ward_codec_bad (d, "file descriptor %llu is not in the message",
                          (unsigned long long) i);
        ward_fd_push (L, d->fds->fd[i]);
        d->fds->fd[i] = -1;
        return 0;
      }
    default:
      return ward_codec_bad (d, "unknown tag 0x%02x", tag);
    }
}

int
ward_codec_decode (lua_State *L, const uint8_t *p, size_t len,
                   const ward_codec_opts *opts, int *nvalues, ward_err *err)
{
  size_t max = ward_codec_bytes_limit (opts);
  if (len > max)
    return ward_err_set (err, WARD_E_INVALID, 0,
                         "message too large (%zu bytes, at most %zu)", len, max);
  if (p == NULL || len < 2)
    return ward_err_set (err, WARD_E_INVALID, 0, "malformed message: truncated");
  if (p[0] != CODEC_VERSION)
    return ward_err_set (err, WARD_E_INVALID, 0, "malformed message: unknown version %u",
                         (unsigned) p[0]);
  int count = p[1];
  if (count > WARD_CODEC_MAX_VALUES)
    return ward_err_set (err, WARD_E_INVALID, 0, "malformed message: too many values (%d)",
                         count);
  dec d;
  d.L = L;
  d.p = p + 2;
  d.end = p + len;
  d.max_depth = ward_codec_depth_limit (opts);
  d.pending = (uint64_t) count;
  d.handle = opts ? opts->handle : NULL;
  d.fds = opts ? opts->fds : NULL;
  d.err = err;
  if (!lua_checkstack (L, count + LEVEL_SLOTS))
    return ward_err_set (err, WARD_E_INTERNAL, 0, "no room on the Lua stack");
  int top = lua_gettop (L);
  for (int i = 0; i < count; i++)
    if (d.pending--, dec_value (&d, 0) < 0)
      {
        lua_settop (L, top);
        return -1;
      }
  if (d.p != d.end)
    {
      lua_settop (L, top);
      return ward_codec_bad (&d, "%zu trailing bytes", (size_t) (d.end - d.p));
    }
  if (nvalues)
    *nvalues = count;
  return 0;
}

int
ward_codec_decode_scalar (const uint8_t *p, size_t len, const ward_codec_opts *opts,
                          ward_codec_scalar *s)
{
  if (p == NULL || len < 2 || len > WARD_CODEC_SCALAR_BYTES || p[0] != CODEC_VERSION
      || p[1] > 1 || len > ward_codec_bytes_limit (opts))
    return 0;
  if (p[1] == 0)
    {
      s->kind = WARD_CODEC_S_NONE;
      return len == 2;
    }
  if (len < 3)
    return 0;
  dec d = { .p = p + 3, .end = p + len, .err = NULL };
  switch (p[2])
    {
    case TAG_NIL: s->kind = WARD_CODEC_S_NIL; break;
    case TAG_FALSE: s->kind = WARD_CODEC_S_FALSE; break;
    case TAG_TRUE: s->kind = WARD_CODEC_S_TRUE; break;
    case TAG_INT:
      {
        uint64_t z = 0;
        if (get_varint (&d, &z) < 0)
          return 0;
        s->kind = WARD_CODEC_S_INT;
        s->v.i = (lua_Integer) ((int64_t) (z >> 1) ^ -(int64_t) (z & 1));
        break;
      }
    case TAG_FLOAT:
      {
        if (d.end - d.p < 8)
          return 0;
        uint64_t u = get_le64 (d.p);
        d.p += 8;
        double x;
        memcpy (&x, &u, 8);
        s->kind = WARD_CODEC_S_FLT;
        s->v.d = (lua_Number) x;
        break;
      }
    default:
      return 0;
    }
  return d.p == d.end;
}

int
ward_codec_push_scalar (lua_State *L, const ward_codec_scalar *s)
{
  switch (s->kind)
    {
    case WARD_CODEC_S_NIL: lua_pushnil (L); return 1;
    case WARD_CODEC_S_FALSE: lua_pushboolean (L, 0); return 1;
    case WARD_CODEC_S_TRUE: lua_pushboolean (L, 1); return 1;
    case WARD_CODEC_S_INT: lua_pushinteger (L, s->v.i); return 1;
    case WARD_CODEC_S_FLT: lua_pushnumber (L, s->v.d); return 1;
    default: return 0;
    }
}
