/* codecenc.c -- the message codec's encoder (codec.h): Lua values to
 * bytes, raw-only, with the path of a value that cannot be sent. */
#include "config.h"
#include "codecint.h"
#include "lfd.h"

#include <lauxlib.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static inline unsigned
varint_size (uint64_t v)
{
  unsigned n = 1;
  while (v >= 0x80)
    {
      v >>= 7;
      n++;
    }
  return n;
}

static inline size_t
put_varint (uint8_t *p, uint64_t v)
{
  size_t n = 0;
  while (v >= 0x80)
    {
      p[n++] = (uint8_t) (v | 0x80);
      v >>= 7;
    }
  p[n++] = (uint8_t) v;
  return n;
}

static inline void
put_le64 (uint8_t *p, uint64_t u)
{
#if defined __BYTE_ORDER__ && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  memcpy (p, &u, 8);
#else
  for (int i = 0; i < 8; i++)
    p[i] = (uint8_t) (u >> (8 * i));
#endif
}

/* Where a value sits, for cycle checks and error messages. Nodes live in
 * the C frames of the recursion, each pointing at its enclosing table's. */
enum { LOC_ROOT, LOC_INDEX, LOC_KEY };

typedef struct loc
{
  const struct loc *up;  /* the table holding this value; NULL at the top */
  const void *table;     /* lua_topointer of this value once it is a table */
  lua_Integer index;     /* LOC_ROOT: payload position; LOC_INDEX: t[index] */
  int key;               /* LOC_KEY: stack index of the key */
  int kind;
} loc;

typedef struct enc
{
  lua_State *L;
  wbuf *b;
  size_t start;     /* b->len when encoding began */
  size_t limit;     /* b->len may not pass this: start + max_bytes */
  size_t max_bytes;
  size_t max_depth;
  size_t depth;     /* tables open on the current path */
  const ward_codec_handle *handle;
  ward_fdvec *fds;
  ward_err *err;
} enc;

static void __attribute__ ((format (printf, 4, 5)))
addf (char *buf, size_t size, size_t *len, const char *fmt, ...)
{
  if (*len >= size - 1)
    return;
  va_list ap;
  va_start (ap, fmt);
  int n = vsnprintf (buf + *len, size - *len, fmt, ap);
  va_end (ap);
  if (n > 0)
    *len = (size_t) n >= size - *len ? size - 1 : *len + (size_t) n;
}

static int
is_name (const char *s, size_t n)
{
  if (n == 0 || n > 64 || (s[0] >= '0' && s[0] <= '9'))
    return 0;
  for (size_t i = 0; i < n; i++)
    if (!(s[i] == '_' || (s[i] >= '0' && s[i] <= '9')
          || ((s[i] | 0x20) >= 'a' && (s[i] | 0x20) <= 'z')))
      return 0;
  return 1;
}

static void
path_key (lua_State *L, int idx, char *buf, size_t size, size_t *len)
{
  switch (lua_type (L, idx))
    {
    case LUA_TNUMBER:
      if (lua_isinteger (L, idx))
        addf (buf, size, len, "[%lld]", (long long) lua_tointeger (L, idx));
      else
        addf (buf, size, len, "[%.14g]", (double) lua_tonumber (L, idx));
      return;
    case LUA_TBOOLEAN:
      addf (buf, size, len, "[%s]", lua_toboolean (L, idx) ? "true" : "false");
      return;
    case LUA_TSTRING:
      {
        size_t n;
        const char *s = lua_tolstring (L, idx, &n); /* a string: no conversion */
        if (is_name (s, n))
          {
            addf (buf, size, len, ".%s", s);
            return;
          }
        addf (buf, size, len, "[\"");
        size_t i;
        for (i = 0; i < n && i < 40; i++)
          {
            unsigned char c = (unsigned char) s[i];
            if (c == '"' || c == '\\')
              addf (buf, size, len, "\\%c", c);
            else if (c >= 0x20 && c < 0x7f)
              addf (buf, size, len, "%c", c);
            else
              addf (buf, size, len, "\\%u", c);
          }
        addf (buf, size, len, "%s\"]", i < n ? "..." : "");
        return;
      }
    default:
      addf (buf, size, len, "[?]");
    }
}

static void
path_build (lua_State *L, const loc *l, char *buf, size_t size, size_t *len)
{
  if (l->up)
    path_build (L, l->up, buf, size, len);
  switch (l->kind)
    {
    case LOC_ROOT:
      if (l->index >= 1)
        addf (buf, size, len, "payload[%lld]", (long long) l->index);
      else
        addf (buf, size, len, "argument[%lld]", -(long long) l->index);
      break;
    case LOC_INDEX:
      addf (buf, size, len, "[%lld]", (long long) l->index);
      break;
    default:
      path_key (L, l->key, buf, size, len);
    }
}

/* A path longer than PATH_SHOWN keeps its first PATH_HEAD and last
 * PATH_SHOWN - PATH_HEAD - 3 bytes around "...", so that the message after
 * it still fits in a ward_err. */
#define PATH_MAX_LEN 4096
#define PATH_SHOWN 300
#define PATH_HEAD 120

static void
path_format (lua_State *L, const loc *l, char *path)
{
  size_t n = 0;
  path[0] = '\0';
  path_build (L, l, path, PATH_MAX_LEN, &n);
  if (n > PATH_SHOWN)
    {
      size_t tail = PATH_SHOWN - PATH_HEAD - 3;
      memcpy (path + PATH_HEAD, "...", 3);
      memmove (path + PATH_HEAD + 3, path + n - tail, tail + 1);
    }
}

/* Fail with WARD_E_INVALID: "<path of l>: <message>". */
static int __attribute__ ((format (printf, 3, 4)))
enc_fail (enc *e, const loc *l, const char *fmt, ...)
{
  if (e->err == NULL)
    return -1;
  char path[PATH_MAX_LEN], msg[WARD_ERR_MSG_MAX];
  path_format (e->L, l, path);
  va_list ap;
  va_start (ap, fmt);
  vsnprintf (msg, sizeof msg, fmt, ap);
  va_end (ap);
  return ward_err_set (e->err, WARD_E_INVALID, 0, "%s: %s", path, msg);
}

/* Prefix the message already in err with the path of l. */
static int
enc_prefix (enc *e, const loc *l)
{
  if (e->err == NULL)
    return -1;
  char path[PATH_MAX_LEN];
  path_format (e->L, l, path);
  return ward_err_prefix (e->err, "%s", path);
}

static int
enc_too_large (enc *e)
{
  return ward_err_set (e->err, WARD_E_INVALID, 0,
                       "message too large (more than %zu bytes encoded)", e->max_bytes);
}

/* The limit is checked here rather than through b->max so that a Lua error
 * escaping ward_codec_encode can never leave the caller's buffer with a
 * changed cap; a cap the caller set on b is still enforced by wbuf. */
static uint8_t *
enc_grow (enc *e, size_t n)
{
  if (n > e->limit - e->b->len)
    {
      enc_too_large (e);
      return NULL;
    }
  if (wbuf_reserve (e->b, n, e->err) < 0)
    return NULL;
  return e->b->data + e->b->len;
}

/* Room for exactly n more bytes (the caller then bumps b->len). */
static inline uint8_t *
enc_room (enc *e, size_t n)
{
  wbuf *b = e->b;
  if (n <= b->cap - b->len && n <= e->limit - b->len)
    return b->data + b->len;
  return enc_grow (e, n);
}

/* Write a boolean, number or string (keys and values share this). */
static int
enc_scalar (enc *e, int idx, int type)
{
  lua_State *L = e->L;
  uint8_t *p;
  switch (type)
    {
    case LUA_TNIL:
      if (!(p = enc_room (e, 1)))
        return -1;
      p[0] = TAG_NIL;
      e->b->len += 1;
      return 0;
    case LUA_TBOOLEAN:
      if (!(p = enc_room (e, 1)))
        return -1;
      p[0] = lua_toboolean (L, idx) ? TAG_TRUE : TAG_FALSE;
      e->b->len += 1;
      return 0;
    case LUA_TNUMBER:
      if (lua_isinteger (L, idx))
        {
          uint64_t u = (uint64_t) lua_tointeger (L, idx);
          uint64_t z = (u << 1) ^ (0 - (u >> 63));
          if (!(p = enc_room (e, 1 + varint_size (z))))
            return -1;
          p[0] = TAG_INT;
          e->b->len += 1 + put_varint (p + 1, z);
        }
      else
        {
          double x = (double) lua_tonumber (L, idx);
          uint64_t u;
          memcpy (&u, &x, 8);
          if (!(p = enc_room (e, 9)))
            return -1;
          p[0] = TAG_FLOAT;
          put_le64 (p + 1, u);
          e->b->len += 9;
        }
      return 0;
    case LUA_TSTRING:
      {
        size_t n;
        const char *s = lua_tolstring (L, idx, &n);
        if (n > e->limit) /* keeps the sum below from overflowing */
          return enc_too_large (e);
        size_t h = 1 + varint_size (n);
        if (!(p = enc_room (e, h + n)))
          return -1;
        p[0] = TAG_STRING;
        put_varint (p + 1, n);
        memcpy (p + h, s, n);
        e->b->len += h + n;
        return 0;
      }
    }
  return -1; /* not reached: callers pass only the types above */
}

/* Replace the count placeholder of `width` bytes at pos with
 * varint(count), moving what follows when the sizes differ. */
static int
enc_patch (enc *e, size_t pos, unsigned width, uint64_t count)
{
  unsigned need = varint_size (count);
  if (need > width && !enc_room (e, need - width))
    return -1;
  uint8_t *d = e->b->data;
  if (need != width)
    {
      memmove (d + pos + need, d + pos + width, e->b->len - pos - width);
      e->b->len = e->b->len + need - width;
    }
  put_varint (d + pos, count);
  return 0;
}

static int enc_value (enc *e, int idx, loc *l);

static int
enc_table (enc *e, int idx, loc *l)
{
  lua_State *L = e->L;
  const void *t = lua_topointer (L, idx);
  for (const loc *u = l->up; u != NULL; u = u->up)
    if (u->table == t)
      return enc_fail (e, l, "cycle in table (a table contains itself)");
  if (e->depth >= e->max_depth)
    return enc_fail (e, l, "tables nested deeper than %zu levels", e->max_depth);
  if (lua_getmetatable (L, idx))
    {
      lua_pop (L, 1);
      return enc_fail (e, l, "tables with a metatable cannot be sent");
    }
  if (!lua_checkstack (L, LEVEL_SLOTS))
    return ward_err_set (e->err, WARD_E_INTERNAL, 0, "no room on the Lua stack");
  l->table = t;
  e->depth++;

  /* The array part is t[1] .. t[n] up to the first nil. lua_rawlen gives a
   * border (t[len] ~= nil, t[len + 1] == nil), so when t[1] .. t[len] has
   * no hole the run ends at len without probing t[len + 1]; its count is
   * written with len's width and narrowed if a hole shows up. */
  lua_Integer len = (lua_Integer) lua_rawlen (L, idx);
  unsigned width = varint_size ((uint64_t) len);
  uint8_t *p = enc_room (e, 2 + width);
  if (p == NULL)
    return enc_prefix (e, l);
  p[0] = TAG_TABLE;
  put_varint (p + 1, (uint64_t) len);
  p[1 + width] = 0; /* nhash, patched below */
  size_t narr_pos = e->b->len + 1, nhash_pos = narr_pos + width;
  e->b->len += 2 + width;

  loc child = { .up = l, .table = NULL, .index = 0, .key = 0, .kind = LOC_INDEX };
  lua_Integer narr = 0;
  while (narr < len)
    {
      if (lua_rawgeti (L, idx, narr + 1) == LUA_TNIL)
        {
          lua_pop (L, 1);
          break;
        }
      child.index = ++narr;
      if (enc_value (e, -1, &child) < 0)
        return -1;
      lua_pop (L, 1);
    }
  if (narr != len)
    {
      /* narrowing: needs no room, cannot fail */
      enc_patch (e, narr_pos, width, (uint64_t) narr);
      nhash_pos = narr_pos + varint_size ((uint64_t) narr);
    }

  uint64_t nhash = 0;
  lua_pushnil (L);
  child.kind = LOC_KEY;
  child.key = lua_gettop (L);
  while (lua_next (L, idx))
    {
      int kt = lua_type (L, -2);
      if (kt == LUA_TNUMBER && lua_isinteger (L, -2))
        {
          lua_Integer k = lua_tointeger (L, -2);
          if (k >= 1 && k <= narr)
            {
              lua_pop (L, 1);
              continue;
            }
        }
      else if (kt != LUA_TNUMBER && kt != LUA_TSTRING && kt != LUA_TBOOLEAN)
        return enc_fail (e, l, "tables with %s keys cannot be sent",
                         kt == LUA_TLIGHTUSERDATA ? "light userdata" : lua_typename (L, kt));
      if (enc_scalar (e, -2, kt) < 0)
        return enc_prefix (e, &child);
      if (enc_value (e, -1, &child) < 0)
        return -1;
      lua_pop (L, 1);
      nhash++;
    }
  if (enc_patch (e, nhash_pos, 1, nhash) < 0)
    return enc_prefix (e, l);
  e->depth--;
  return 0;
}

static int
enc_value (enc *e, int idx, loc *l)
{
  lua_State *L = e->L;
  int type = lua_type (L, idx);
  switch (type)
    {
    case LUA_TNIL:
    case LUA_TBOOLEAN:
    case LUA_TNUMBER:
    case LUA_TSTRING:
      if (enc_scalar (e, idx, type) < 0)
        return enc_prefix (e, l);
      return 0;
    case LUA_TTABLE:
      return enc_table (e, lua_absindex (L, idx), l);
    case LUA_TUSERDATA:
      {
        const ward_codec_handle *h = e->handle;
        idx = lua_absindex (L, idx);
        int *fdp = ward_fd_test (L, idx);
        if (fdp != NULL)
          {
            if (e->fds == NULL)
              return enc_fail (e, l, "file descriptors can only be sent in messages");
            if (*fdp < 0)
              return enc_fail (e, l, "a closed file descriptor cannot be sent");
            int i = ward_fdvec_dup (e->fds, *fdp, e->err);
            if (i < 0)
              return enc_prefix (e, l);
            uint8_t *p = enc_room (e, 1 + varint_size ((uint64_t) i));
            if (p == NULL)
              return enc_prefix (e, l);
            p[0] = TAG_FD;
            e->b->len += 1 + put_varint (p + 1, (uint64_t) i);
            return 0;
          }
        if (h == NULL || (luaL_testudata (L, idx, h->tname) == NULL
                          && (h->alias == NULL || luaL_testudata (L, idx, h->alias) == NULL)))
          return enc_fail (e, l, "userdata cannot be sent");
        size_t n = 0;
        const char *ref = h->ref (L, idx, &n, e->err);
        if (ref == NULL)
          return enc_prefix (e, l);
        if (n > e->limit)
          {
            enc_too_large (e);
            return enc_prefix (e, l);
          }
        size_t hd = 1 + varint_size (n);
        uint8_t *p = enc_room (e, hd + n);
        if (p == NULL)
          return enc_prefix (e, l);
        p[0] = TAG_HANDLE;
        put_varint (p + 1, n);
        memcpy (p + hd, ref, n);
        e->b->len += hd + n;
        return 0;
      }
    case LUA_TLIGHTUSERDATA:
      return enc_fail (e, l, "light userdata cannot be sent");
    case LUA_TFUNCTION:
      return enc_fail (e, l, "functions cannot be sent");
    case LUA_TTHREAD:
      return enc_fail (e, l, "threads cannot be sent");
    default:
      return enc_fail (e, l, "values of type %s cannot be sent", lua_typename (L, type));
    }
}

int
ward_codec_encode (lua_State *L, int idx, int n, wbuf *out,
                   const ward_codec_opts *opts, ward_err *err)
{
  if (n < 0)
    return ward_err_set (err, WARD_E_INVALID, 0, "negative value count %d", n);
  if (n > WARD_CODEC_MAX_VALUES)
    return ward_err_set (err, WARD_E_INVALID, 0, "too many values (%d, at most %d)",
                         n, WARD_CODEC_MAX_VALUES);
  int top = lua_gettop (L);
  if (n > 0)
    {
      idx = lua_absindex (L, idx);
      if (idx < 1 || idx > top || n > top - idx + 1)
        return ward_err_set (err, WARD_E_INVALID, 0,
                             "encoding %d values from stack index %d: not on the stack",
                             n, idx);
    }
  if (!lua_checkstack (L, LEVEL_SLOTS))
    return ward_err_set (err, WARD_E_INTERNAL, 0, "no room on the Lua stack");

  enc e;
  e.L = L;
  e.b = out;
  e.start = out->len;
  e.max_bytes = ward_codec_bytes_limit (opts);
  e.limit = e.max_bytes > SIZE_MAX - e.start ? SIZE_MAX : e.start + e.max_bytes;
  e.max_depth = ward_codec_depth_limit (opts);
  e.depth = 0;
  e.handle = opts ? opts->handle : NULL;
  e.fds = opts ? opts->fds : NULL;
  e.err = err;
  unsigned fds_start = e.fds ? e.fds->n : 0;

  uint8_t *p = enc_room (&e, 2);
  if (p == NULL)
    return -1;
  p[0] = CODEC_VERSION;
  p[1] = (uint8_t) n;
  out->len += 2;
  for (int i = 0; i < n; i++)
    {
      /* a value before the payload is argument[i], kept as -i */
      lua_Integer shown = i + 1;
      if (opts && opts->payload_from > 1)
        shown = i + 1 >= opts->payload_from ? i + 2 - opts->payload_from : -(i + 1);
      loc root = { .up = NULL, .table = NULL, .index = shown, .key = 0, .kind = LOC_ROOT };
      if (enc_value (&e, idx + i, &root) < 0)
        {
          lua_settop (L, top);
          out->len = e.start;
          /* the descriptors this call added go with its bytes */
          while (e.fds && e.fds->n > fds_start)
            {
              int fd = e.fds->fd[--e.fds->n];
              if (fd >= 0)
                close (fd);
            }
          return -1;
        }
    }
  return 0;
}

size_t
ward_codec_encode_scalar (lua_State *L, int idx, int n, const ward_codec_opts *opts,
                          uint8_t out[WARD_CODEC_SCALAR_BYTES])
{
  size_t len = 2;
  out[0] = CODEC_VERSION;
  out[1] = (uint8_t) n;
  if (n == 1)
    switch (lua_type (L, idx))
      {
      case LUA_TNIL:
        out[len++] = TAG_NIL;
        break;
      case LUA_TBOOLEAN:
        out[len++] = lua_toboolean (L, idx) ? TAG_TRUE : TAG_FALSE;
        break;
      case LUA_TNUMBER:
        if (lua_isinteger (L, idx))
          {
            uint64_t u = (uint64_t) lua_tointeger (L, idx);
            out[len++] = TAG_INT;
            len += put_varint (out + len, (u << 1) ^ (0 - (u >> 63)));
          }
        else
          {
            double x = (double) lua_tonumber (L, idx);
            uint64_t u;
            memcpy (&u, &x, 8);
            out[len++] = TAG_FLOAT;
            put_le64 (out + len, u);
            len += 8;
          }
        break;
      default:
        return 0;
      }
  else if (n != 0)
    return 0;
  return len <= ward_codec_bytes_limit (opts) ? len : 0;
}
