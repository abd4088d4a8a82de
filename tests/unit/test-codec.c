/* test-codec.c -- unit tests for the message codec (runtime/core/codec.c):
 * round trips, refusals with their paths, limits and hostile input. */
#include "config.h"
#include "codec.h"
#include "lfd.h"

#include <fcntl.h>

#include <lauxlib.h>
#include <lualib.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "rt.h"


/* the runtime's end of the first process: not reached from these tests */
void
ward_run_master_exited (ward_proc *p, int abnormal, const char *error)
{
  (void) p;
  (void) abnormal;
  (void) error;
}

static lua_State *A; /* the sender */
static lua_State *B; /* the receiver */

/* ------------------------------------------------------- a fake handle */

#define HANDLE_TNAME "test.handle"
#define HANDLE_LEN 8

static const char *
handle_ref (lua_State *L, int idx, size_t *len, ward_err *err)
{
  const char *id = luaL_checkudata (L, idx, HANDLE_TNAME);
  if (memcmp (id, "badref\0\0", HANDLE_LEN) == 0)
    {
      ward_err_set (err, WARD_E_INVALID, 0, "handle is closed");
      return NULL;
    }
  *len = HANDLE_LEN;
  return id;
}

static int
handle_push (lua_State *L, const char *ref, size_t len, ward_err *err)
{
  if (len != HANDLE_LEN)
    return ward_err_set (err, WARD_E_INVALID, 0, "bad handle reference");
  char *id = lua_newuserdatauv (L, HANDLE_LEN, 0);
  memcpy (id, ref, HANDLE_LEN);
  luaL_setmetatable (L, HANDLE_TNAME);
  return 0;
}

static const ward_codec_handle test_handle = { HANDLE_TNAME, handle_ref, handle_push, NULL };

/* newhandle("name") -> a test.handle userdata; lightud() -> a light userdata */
static int
l_newhandle (lua_State *L)
{
  size_t n;
  const char *s = luaL_checklstring (L, 1, &n);
  char *id = lua_newuserdatauv (L, HANDLE_LEN, 0);
  memset (id, 0, HANDLE_LEN);
  memcpy (id, s, n < HANDLE_LEN ? n : HANDLE_LEN);
  luaL_setmetatable (L, HANDLE_TNAME);
  return 1;
}

static int
l_lightud (lua_State *L)
{
  static int anchor;
  lua_pushlightuserdata (L, &anchor);
  return 1;
}

static lua_State *
new_state (void)
{
  lua_State *L = luaL_newstate ();
  if (L == NULL)
    {
      printf ("Bail out! luaL_newstate failed\n");
      exit (1);
    }
  luaL_openlibs (L);
  luaL_newmetatable (L, HANDLE_TNAME);
  lua_pop (L, 1);
  lua_register (L, "newhandle", l_newhandle);
  lua_register (L, "lightud", l_lightud);
  luaL_requiref (L, "fd", ward_luaopen_fd, 1);
  lua_pop (L, 1);
  return L;
}

/* Run a chunk in L, leaving its results on the stack; returns how many. */
static int
run (lua_State *L, const char *code)
{
  int top = lua_gettop (L);
  if (luaL_loadstring (L, code) != LUA_OK || lua_pcall (L, 0, LUA_MULTRET, 0) != LUA_OK)
    {
      printf ("Bail out! %s\n", lua_tostring (L, -1));
      exit (1);
    }
  return lua_gettop (L) - top;
}

/* ----------------------------------------------------- deep comparison */

static void
copy_key (lua_State *from, int idx, lua_State *to)
{
  switch (lua_type (from, idx))
    {
    case LUA_TBOOLEAN:
      lua_pushboolean (to, lua_toboolean (from, idx));
      break;
    case LUA_TNUMBER:
      if (lua_isinteger (from, idx))
        lua_pushinteger (to, lua_tointeger (from, idx));
      else
        lua_pushnumber (to, lua_tonumber (from, idx));
      break;
    case LUA_TSTRING:
      {
        size_t n;
        const char *s = lua_tolstring (from, idx, &n);
        lua_pushlstring (to, s, n);
        break;
      }
    default:
      lua_pushnil (to);
    }
}

static int
deep_eq (lua_State *a, int ia, lua_State *b, int ib, int depth)
{
  ia = lua_absindex (a, ia);
  ib = lua_absindex (b, ib);
  int t = lua_type (a, ia);
  if (t != lua_type (b, ib) || depth > 100)
    return 0;
  switch (t)
    {
    case LUA_TNIL:
      return 1;
    case LUA_TBOOLEAN:
      return lua_toboolean (a, ia) == lua_toboolean (b, ib);
    case LUA_TNUMBER:
      if (lua_isinteger (a, ia) != lua_isinteger (b, ib))
        return 0;
      if (lua_isinteger (a, ia))
        return lua_tointeger (a, ia) == lua_tointeger (b, ib);
      else
        {
          lua_Number x = lua_tonumber (a, ia), y = lua_tonumber (b, ib);
          return memcmp (&x, &y, sizeof x) == 0;
        }
    case LUA_TSTRING:
      {
        size_t n, m;
        const char *s = lua_tolstring (a, ia, &n), *r = lua_tolstring (b, ib, &m);
        return n == m && memcmp (s, r, n) == 0;
      }
    case LUA_TUSERDATA:
      {
        const char *x = luaL_testudata (a, ia, HANDLE_TNAME);
        const char *y = luaL_testudata (b, ib, HANDLE_TNAME);
        return x && y && memcmp (x, y, HANDLE_LEN) == 0;
      }
    case LUA_TTABLE:
      {
        long na = 0, nb = 0;
        int same = 1;
        lua_pushnil (a);
        while (lua_next (a, ia))
          {
            na++;
            copy_key (a, -2, b);
            lua_rawget (b, ib);
            if (!deep_eq (a, -1, b, -1, depth + 1))
              same = 0;
            lua_pop (b, 1);
            lua_pop (a, 1);
          }
        lua_pushnil (b);
        while (lua_next (b, ib))
          {
            nb++;
            lua_pop (b, 1);
          }
        return same && na == nb;
      }
    }
  return 0;
}

/* ------------------------------------------------------------ helpers */

static const ward_codec_opts with_handle = { 0, 0, &test_handle };

/* Run code in A, encode its results, decode them in B and compare. */
static int
roundtrip (const char *code, const ward_codec_opts *opts)
{
  int a0 = lua_gettop (A), b0 = lua_gettop (B);
  int n = run (A, code);
  wbuf w;
  wbuf_init (&w, 0);
  ward_err err;
  int good = 1, nv = -1;
  if (ward_codec_encode (A, a0 + 1, n, &w, opts, &err) < 0)
    {
      diag (err.msg);
      good = 0;
    }
  if (lua_gettop (A) != a0 + n)
    good = 0;
  if (good && ward_codec_decode (B, w.data, w.len, opts, &nv, &err) < 0)
    {
      diag (err.msg);
      good = 0;
    }
  if (good && (nv != n || lua_gettop (B) != b0 + n))
    good = 0;
  for (int i = 0; good && i < n; i++)
    if (!deep_eq (A, a0 + 1 + i, B, b0 + 1 + i, 0))
      {
        printf ("#   value %d differs\n", i + 1);
        good = 0;
      }
  lua_settop (A, a0);
  lua_settop (B, b0);
  wbuf_free (&w);
  return good;
}

/* Encode the results of code, checking the bytes against want. */
static int
encodes_as (const char *code, const uint8_t *want, size_t wlen)
{
  int a0 = lua_gettop (A);
  int n = run (A, code);
  wbuf w;
  wbuf_init (&w, 0);
  ward_err err;
  int rc = ward_codec_encode (A, a0 + 1, n, &w, NULL, &err);
  int good = rc == 0 && w.len == wlen && memcmp (w.data, want, wlen) == 0;
  lua_settop (A, a0);
  wbuf_free (&w);
  return good;
}

/* Encoding the results of code must fail with INVALID and message want,
 * leaving A's stack and the bytes already in the buffer alone. */
static void
refuse (const char *code, const ward_codec_opts *opts, const char *want)
{
  int a0 = lua_gettop (A);
  int n = run (A, code);
  wbuf w;
  wbuf_init (&w, 0);
  ward_err err;
  ward_err_clear (&err);
  wbuf_append (&w, "XY", 2, &err);
  int rc = ward_codec_encode (A, a0 + 1, n, &w, opts, &err);
  ok (rc == -1 && err.kind == WARD_E_INVALID && lua_gettop (A) == a0 + n && w.len == 2
      && memcmp (w.data, "XY", 2) == 0,
      "refused, stack and buffer unchanged: %s", want);
  is_str (err.msg, want, "message: %s", want);
  lua_settop (A, a0);
  wbuf_free (&w);
}

/* Decoding p must fail with INVALID and message want, stack unchanged. */
static void
refuse_bytes (const uint8_t *p, size_t len, const ward_codec_opts *opts, const char *want)
{
  int b0 = lua_gettop (B);
  ward_err err;
  ward_err_clear (&err);
  int nv = -7;
  int rc = ward_codec_decode (B, p, len, opts, &nv, &err);
  char got[WARD_ERR_MSG_MAX + 32];
  snprintf (got, sizeof got, "%s%s%s", rc == -1 ? "" : "(succeeded) ",
            lua_gettop (B) == b0 && nv == -7 ? "" : "(stack changed) ", err.msg);
  if (rc == 0)
    lua_settop (B, b0);
  is_str (got, want, "decode refused: %s", want);
}

/* Encode the results of code into w (must succeed). */
static void
encode_code (const char *code, const ward_codec_opts *opts, wbuf *w)
{
  int a0 = lua_gettop (A);
  int n = run (A, code);
  ward_err err;
  if (ward_codec_encode (A, a0 + 1, n, w, opts, &err) < 0)
    {
      printf ("Bail out! encoding %s: %s\n", code, err.msg);
      exit (1);
    }
  lua_settop (A, a0);
}

/* Decode p into B. Returns 1 if the outcome was clean: success with the
 * values pushed and re-encodable, or INVALID with the stack unchanged. */
static int
decode_clean (const uint8_t *p, size_t len, const ward_codec_opts *opts, int *succeeded)
{
  int b0 = lua_gettop (B);
  ward_err err;
  ward_err_clear (&err);
  int nv = -1;
  int rc = ward_codec_decode (B, p, len, opts, &nv, &err);
  if (rc < 0)
    return err.kind == WARD_E_INVALID && lua_gettop (B) == b0;
  (*succeeded)++;
  int good = nv >= 0 && lua_gettop (B) == b0 + nv;
  if (good)
    {
      wbuf w;
      wbuf_init (&w, 0);
      good = ward_codec_encode (B, b0 + 1, nv, &w, opts, &err) == 0
             && lua_gettop (B) == b0 + nv;
      wbuf_free (&w);
    }
  lua_settop (B, b0);
  return good;
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint32_t
rng (void)
{
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 7;
  rng_state ^= rng_state << 17;
  return (uint32_t) (rng_state >> 11);
}

/* A message exercising every encodable type. */
static const char rich_code[] =
  "return nil, true, false, 0, -1, math.maxinteger, math.mininteger, 3.0, -0.0, 1/0, 0/0, "
  "'', 'a\\0b', newhandle('h1'), "
  "{1, 2.5, 'x', {}, {y = {z = {true}}}, [true] = 'b', [-7] = 8, [1.5] = 'f', k = 'v', "
  " h = newhandle('h2')}";

/* -------------------------------------------------------------- tests */

static void
test_roundtrips (void)
{
  ok (roundtrip ("return nil, true, false", NULL), "nil and booleans");
  ok (roundtrip ("return 0, 1, -1, 63, -64, 64, -65, 127, 128, 300, -300, "
                 "(1 << 53) + 1, 1 << 62, math.maxinteger, math.mininteger, "
                 "math.mininteger + 1, math.maxinteger - 1", NULL),
      "integers, small and extreme");
  ok (roundtrip ("return 0.0, -0.0, 3.0, 0.1, -1.5, 1/0, -1/0, 0/0, 1e308, "
                 "1.7976931348623157e308, 2.2250738585072014e-308, 5e-324, 2^63", NULL),
      "floats, including -0.0, infinities, NaN and subnormals");
  ok (roundtrip ("return '', 'hello', 'a\\0b\\0', '\\0', "
                 "(function () local t = {} for i = 0, 255 do t[#t+1] = string.char(i) end "
                 " return table.concat(t) end)(), string.rep('xyz\\0', 50000)", NULL),
      "strings: empty, binary with NULs, all 256 bytes, 200 kB");
  ok (roundtrip ("return {a = {b = {c = {1, 2, {3, {4}}}}}}", NULL), "nested tables");
  ok (roundtrip ("return {1, 2, 3, x = 1, [10] = 5, [true] = false, [false] = 0, "
                 "[1.5] = 'f', [-1] = 0, [0] = 'zero', ['with space'] = 1, [2^53] = 'big', "
                 "[-1/0] = 'ninf', [math.mininteger] = 'min'}", NULL),
      "mixed array and hash keys of every kind");
  ok (roundtrip ("return {1, nil, 3}, {[2] = 2, [3] = 3}, {nil, nil, nil, 4}, {}", NULL),
      "tables with holes and empty tables");
  ok (roundtrip ("local t = {} for i = 1, 20000 do t[i] = i * 2 end "
                 "local h = {} for i = 1, 20000 do h['k' .. i] = i end "
                 "return t, h", NULL),
      "big array and hash parts (multi-byte counts)");
  static const char holes[] = "return load('return {nil' .. string.rep(', 1', 199) .. '}')(), "
    "(function () local t = {} for i = 1, 200 do t[i] = i end t[150] = nil return t end)()";
  run (A, holes);
  is_int (lua_rawlen (A, -2), 200, "precondition: # of {nil, 1, ...} is 200");
  lua_pop (A, 2);
  ok (roundtrip (holes, NULL), "arrays whose length has a hole (array count narrowed)");
  ok (roundtrip ("local t = {} for i = 1, 300 do t[i] = {i, tostring(i)} end "
                 "t.tail = {n = 1} return t", NULL),
      "array of 300 subtables then a hash entry");
  ok (roundtrip ("return 1, 'two', 3.0, {4}, nil, false, nil", NULL),
      "several values with trailing nils");
  ok (roundtrip ("local s = {1, 2, deep = {3}} return {s, s, k = s}, s, s", NULL),
      "a table shared several times (not a cycle) is accepted");
  ok (roundtrip (rich_code, &with_handle), "every type at once, handles included");

  /* subtypes, checked directly */
  int b0 = lua_gettop (B);
  wbuf w;
  wbuf_init (&w, 0);
  encode_code ("return 3, 3.0, -0.0, 0/0, math.mininteger, 2^63", NULL, &w);
  ward_err err;
  int nv = 0;
  int rc = ward_codec_decode (B, w.data, w.len, NULL, &nv, &err);
  is_int (rc, 0, "decode subtype message");
  is_int (nv, 6, "six values");
  ok (lua_isinteger (B, b0 + 1) && lua_tointeger (B, b0 + 1) == 3, "integer 3 stays an integer");
  ok (!lua_isinteger (B, b0 + 2) && lua_tonumber (B, b0 + 2) == 3.0, "float 3.0 stays a float");
  ok (!lua_isinteger (B, b0 + 3) && lua_tonumber (B, b0 + 3) == 0
      && signbit (lua_tonumber (B, b0 + 3)), "-0.0 keeps its sign");
  ok (isnan (lua_tonumber (B, b0 + 4)), "NaN stays NaN");
  ok (lua_isinteger (B, b0 + 5) && lua_tointeger (B, b0 + 5) == LUA_MININTEGER,
      "math.mininteger");
  ok (!lua_isinteger (B, b0 + 6) && lua_tonumber (B, b0 + 6) == 9223372036854775808.0,
      "2^63 stays a float");
  lua_settop (B, b0);

  /* a shared table decodes as two distinct tables with the same contents */
  wbuf_reset (&w);
  encode_code ("local s = {1} return {s, s}", NULL, &w);
  rc = ward_codec_decode (B, w.data, w.len, NULL, &nv, &err);
  lua_rawgeti (B, -1, 1);
  lua_rawgeti (B, -2, 2);
  ok (rc == 0 && lua_istable (B, -1) && lua_istable (B, -2) && !lua_rawequal (B, -1, -2),
      "shared table arrives as two tables");
  lua_settop (B, b0);

  /* the empty message */
  wbuf_reset (&w);
  int a0 = lua_gettop (A);
  rc = ward_codec_encode (A, a0 + 1, 0, &w, NULL, &err);
  ok (rc == 0 && w.len == 2 && w.data[0] == 1 && w.data[1] == 0 && lua_gettop (A) == a0,
      "empty message encodes as version + count 0");
  nv = -1;
  rc = ward_codec_decode (B, w.data, w.len, NULL, &nv, &err);
  ok (rc == 0 && nv == 0 && lua_gettop (B) == b0, "empty message decodes to no values");

  /* relative index, and appending to a buffer that already has bytes */
  wbuf_reset (&w);
  wbuf_append (&w, "PRE", 3, &err);
  lua_pushinteger (A, 5);
  lua_pushstring (A, "s");
  rc = ward_codec_encode (A, -2, 2, &w, NULL, &err);
  static const uint8_t rel[] = { 'P', 'R', 'E', 1, 2, 3, 10, 5, 1, 's' };
  ok (rc == 0 && w.len == sizeof rel && memcmp (w.data, rel, sizeof rel) == 0
      && lua_gettop (A) == a0 + 2, "negative index, appended after existing bytes");
  lua_settop (A, a0);

  /* decoding pushes above what is already on the stack */
  lua_pushstring (B, "sentinel");
  rc = ward_codec_decode (B, w.data + 3, w.len - 3, NULL, &nv, &err);
  ok (rc == 0 && nv == 2 && lua_gettop (B) == b0 + 3 && lua_tointeger (B, -2) == 5
      && strcmp (lua_tostring (B, -3), "sentinel") == 0, "decode pushes on top");
  lua_settop (B, b0);
  wbuf_free (&w);

  /* the wire format, pinned */
  static const uint8_t w1[] = { 1, 3, 0x00, 0x02, 0x03, 0x02 };
  ok (encodes_as ("return nil, true, 1", w1, sizeof w1), "wire: nil, true, 1");
  static const uint8_t w2[] = { 1, 1, 6, 1, 1, 3, 0x14, 5, 1, 'x', 5, 1, 'a' };
  ok (encodes_as ("return {10, x = 'a'}", w2, sizeof w2), "wire: {10, x = 'a'}");
  static const uint8_t w3[] = { 1, 2, 3, 1, 4, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f };
  ok (encodes_as ("return -1, 1.0", w3, sizeof w3), "wire: -1 zigzag, 1.0 little-endian");
  static const uint8_t w4[] = { 1, 1, 3, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01 };
  ok (encodes_as ("return math.mininteger", w4, sizeof w4), "wire: mininteger is 10 varint bytes");
}

static void
test_values_limit (void)
{
  int a0 = lua_gettop (A);
  luaL_checkstack (A, 300, NULL);
  for (int i = 0; i < 256; i++)
    lua_pushinteger (A, i);
  wbuf w;
  wbuf_init (&w, 0);
  ward_err err;
  int rc = ward_codec_encode (A, a0 + 1, 255, &w, NULL, &err);
  int b0 = lua_gettop (B), nv = 0;
  int drc = rc == 0 ? ward_codec_decode (B, w.data, w.len, NULL, &nv, &err) : -1;
  ok (rc == 0 && drc == 0 && nv == 255 && lua_tointeger (B, -1) == 254,
      "255 values round-trip");
  lua_settop (B, b0);
  wbuf_reset (&w);
  ward_err_clear (&err);
  rc = ward_codec_encode (A, a0 + 1, 256, &w, NULL, &err);
  ok (rc == -1 && err.kind == WARD_E_INVALID && w.len == 0 && lua_gettop (A) == a0 + 256,
      "256 values refused");
  is_str (err.msg, "too many values (256, at most 255)", "too many values message");
  lua_settop (A, a0);
  lua_pushinteger (A, 1);
  rc = ward_codec_encode (A, a0 + 1, 2, &w, NULL, &err);
  ok (rc == -1 && err.kind == WARD_E_INVALID && lua_gettop (A) == a0 + 1,
      "values past the top of the stack refused");
  lua_settop (A, a0);
  wbuf_free (&w);
}

static void
test_refusals (void)
{
  refuse ("return 1, {config = {items = {1, 2, print}}}", NULL,
          "payload[2].config.items[3]: functions cannot be sent");
  refuse ("return print", NULL, "payload[1]: functions cannot be sent");
  refuse ("return 1, 2, coroutine.create(print)", NULL, "payload[3]: threads cannot be sent");
  refuse ("return {f = io.stdout}", NULL, "payload[1].f: userdata cannot be sent");
  refuse ("return {f = io.stdout}", &with_handle, "payload[1].f: userdata cannot be sent");
  refuse ("return {1, {p = lightud()}}", NULL, "payload[1][2].p: light userdata cannot be sent");
  refuse ("return {a = {b = setmetatable({}, {})}}", NULL,
          "payload[1].a.b: tables with a metatable cannot be sent");
  refuse ("return setmetatable({}, {__index = function () error('ran') end})", NULL,
          "payload[1]: tables with a metatable cannot be sent");
  refuse ("return {[{}] = 1}", NULL, "payload[1]: tables with table keys cannot be sent");
  refuse ("return {x = {[print] = 1}}", NULL,
          "payload[1].x: tables with function keys cannot be sent");
  refuse ("return {[lightud()] = 1}", NULL,
          "payload[1]: tables with light userdata keys cannot be sent");
  refuse ("local t = {} t.self = t return t", NULL,
          "payload[1].self: cycle in table (a table contains itself)");
  refuse ("local t = {a = {b = {}}} t.a.b[1] = t.a return 1, t", NULL,
          "payload[2].a.b[1]: cycle in table (a table contains itself)");
  refuse ("return {['a b'] = {f = print}}", NULL,
          "payload[1][\"a b\"].f: functions cannot be sent");
  refuse ("return {[true] = {[1.5] = {[7] = print}}}", NULL,
          "payload[1][true][1.5][7]: functions cannot be sent");
  refuse ("return {['q\"\\n'] = print}", NULL,
          "payload[1][\"q\\\"\\10\"]: functions cannot be sent");
  refuse ("return {[string.rep('k', 64)] = {[string.rep('k', 65)] = print}}", NULL,
          "payload[1].kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk"
          "[\"kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk...\"]: functions cannot be sent");
  refuse ("return newhandle('h')", NULL, "payload[1]: userdata cannot be sent");
  refuse ("return {h = newhandle('badref')}", &with_handle, "payload[1].h: handle is closed");
}

static void
test_limits (void)
{
  /* depth */
  ward_codec_opts d3 = { 3, 0, NULL };
  ok (roundtrip ("return {n = {n = {1}}}", &d3), "depth 3 with max_depth 3");
  refuse ("return {n = {n = {n = {}}}}", &d3, "payload[1].n.n.n: tables nested deeper than 3 levels");
  ok (roundtrip ("local t = {} for i = 1, 31 do t = {t} end return t", NULL),
      "depth 32 with the default limit");
  refuse ("local t = {} for i = 1, 32 do t = {t} end return t", NULL,
          "payload[1][1][1][1][1][1][1][1][1][1][1][1][1][1][1][1][1][1][1][1][1][1][1][1]"
          "[1][1][1][1][1][1][1][1][1]: tables nested deeper than 32 levels");
  /* max_depth is clamped to WARD_CODEC_DEPTH_CAP; the long path is elided
   * in the middle: first 120 bytes, "...", last 177 bytes */
  ward_codec_opts huge = { 100000, 0, NULL };
  char full[1024], want[1024];
  size_t fl = (size_t) snprintf (full, sizeof full, "payload[2]");
  for (int i = 0; i < WARD_CODEC_DEPTH_CAP; i++)
    fl += (size_t) snprintf (full + fl, sizeof full - fl, "[1]");
  snprintf (want, sizeof want, "%.120s...%s: tables nested deeper than %d levels", full,
            full + fl - 177, WARD_CODEC_DEPTH_CAP);
  refuse ("local t = {} for i = 1, 250 do t = {t} end return 1, t", &huge, want);

  wbuf w;
  wbuf_init (&w, 0);
  ward_codec_opts d10 = { 10, 0, NULL };
  encode_code ("return {{{{{1}}}}}", &d10, &w);
  ward_codec_opts d4 = { 4, 0, NULL };
  refuse_bytes (w.data, w.len, &d4, "malformed message: tables nested deeper than 4 levels");
  ward_codec_opts d5 = { 5, 0, NULL };
  int b0 = lua_gettop (B), nv = 0;
  ward_err err;
  ok (ward_codec_decode (B, w.data, w.len, &d5, &nv, &err) == 0 && nv == 1,
      "depth 5 decodes with max_depth 5");
  lua_settop (B, b0);

  /* bytes: a 12-byte string is 2 + 1 + 1 + 12 = 16 bytes encoded */
  ward_codec_opts b16 = { 0, 16, NULL };
  ok (roundtrip ("return 'aaaaaaaaaaaa'", &b16), "exactly max_bytes is accepted");
  refuse ("return 'aaaaaaaaaaaaa'", &b16, "payload[1]: message too large (more than 16 bytes encoded)");
  refuse ("return {x = {y = 'abcdefghij'}}", &b16,
          "payload[1].x.y: message too large (more than 16 bytes encoded)");
  refuse ("return string.rep('x', 100000)", &b16,
          "payload[1]: message too large (more than 16 bytes encoded)");
  ward_codec_opts b264 = { 0, 264, NULL };
  refuse ("local t = {} for i = 1, 130 do t[i] = 1 end return t", &b264,
          "payload[1][130]: message too large (more than 264 bytes encoded)");
  ward_codec_opts b263 = { 0, 263, NULL }; /* 2 + 1 + 2 + 1 + 129 * 2 = 264 */
  refuse ("local t = {} for i = 1, 129 do t[i] = 1 end return t", &b263,
          "payload[1][129]: message too large (more than 263 bytes encoded)");
  /* 128 float keys: 2 + 1 + 1 + 1 + 128 * 10 = 1285, then nhash needs a second byte */
  ward_codec_opts b1285 = { 0, 1285, NULL }, b1286 = { 0, 1286, NULL };
  refuse ("local t = {} for i = 1, 128 do t[i + 0.5] = true end return t", &b1285,
          "payload[1]: message too large (more than 1285 bytes encoded)");
  ok (roundtrip ("local t = {} for i = 1, 128 do t[i + 0.5] = true end return t", &b1286),
      "a table whose hash count grows to two bytes fits exactly");
  ok (roundtrip ("local t = {} for i = 1, 129 do t[i] = 1 end return t", &b264),
      "a table whose count grows to two bytes fits exactly");
  wbuf_reset (&w);
  encode_code ("return 'aaaaaaaaaaaaa'", NULL, &w);
  refuse_bytes (w.data, w.len, &b16, "message too large (17 bytes, at most 16)");
  wbuf_free (&w);
}

static void
test_handles (void)
{
  ok (roundtrip ("return newhandle('chan1'), {h = newhandle('chan2'), newhandle('chan3')}",
                 &with_handle), "handles round-trip");
  wbuf w;
  wbuf_init (&w, 0);
  encode_code ("return newhandle('abc')", &with_handle, &w);
  static const uint8_t want[] = { 1, 1, 7, 8, 'a', 'b', 'c', 0, 0, 0, 0, 0 };
  ok (w.len == sizeof want && memcmp (w.data, want, sizeof want) == 0, "handle wire bytes");
  int b0 = lua_gettop (B), nv = 0;
  ward_err err;
  int rc = ward_codec_decode (B, w.data, w.len, &with_handle, &nv, &err);
  ok (rc == 0 && luaL_testudata (B, -1, HANDLE_TNAME) != NULL
      && memcmp (lua_touserdata (B, -1), "abc", 4) == 0, "decoded handle has its type and bytes");
  lua_settop (B, b0);
  refuse_bytes (w.data, w.len, NULL, "malformed message: handle where none is accepted");
  static const uint8_t shortref[] = { 1, 1, 7, 2, 'a', 'b' };
  refuse_bytes (shortref, sizeof shortref, &with_handle, "bad handle reference");
  static const uint8_t fd[] = { 1, 1, 8, 0 };
  refuse_bytes (fd, sizeof fd, &with_handle,
                "malformed message: a file descriptor where none is accepted");
  wbuf_free (&w);
}

/* Whether fd is open in this process. */
static int
is_open (int fd)
{
  return fd >= 0 && fcntl (fd, F_GETFD) >= 0;
}

static void
test_fds (void)
{
  ward_fdvec v = { 0 };
  ward_codec_opts o = { 0, 0, NULL, &v };
  /* a pipe made in A; its writer travels nested in a table */
  run (A, "P_R, P_W = fd.pipe()");
  int a0 = lua_gettop (A);
  int n = run (A, "return P_R, {w = P_W, n = 1}");
  wbuf w;
  wbuf_init (&w, 0);
  ward_err err;
  int rc = ward_codec_encode (A, a0 + 1, n, &w, &o, &err);
  lua_settop (A, a0);
  ok (rc == 0 && v.n == 2 && is_open (v.fd[0]) && is_open (v.fd[1]),
      "two descriptors encoded: each dup'd into the list");
  int orig_r = *ward_fd_test (A, (run (A, "return P_R"), -1));
  lua_settop (A, a0);
  ok (v.fd[0] != orig_r, "the list holds a copy, not the sender's descriptor");
  static const uint8_t want_head[] = { 1, 2, 8, 0, 6 };
  ok (w.len > sizeof want_head && memcmp (w.data, want_head, sizeof want_head) == 0,
      "fd wire bytes: tag 0x08 and the list index");
  int b0 = lua_gettop (B), nv = 0;
  rc = ward_codec_decode (B, w.data, w.len, &o, &nv, &err);
  ok (rc == 0 && nv == 2 && ward_fd_test (B, b0 + 1) != NULL && v.fd[0] == -1 && v.fd[1] == -1,
      "decoded: both taken out of the list");
  lua_getfield (B, b0 + 2, "w");
  lua_setglobal (B, "GOT_W");
  lua_pushvalue (B, b0 + 1);
  lua_setglobal (B, "GOT_R");
  lua_settop (B, b0);
  /* the decoded writer reaches the sender's reader: the same pipe */
  run (B, "assert(GOT_W:write('through') == 7)");
  int k = run (A, "return P_R:read(100, 1000)");
  ok (k == 1 && lua_type (A, -1) == LUA_TSTRING && strcmp (lua_tostring (A, -1), "through") == 0,
      "the decoded descriptor is the same open pipe");
  lua_settop (A, a0);
  /* once every writer is closed the reader sees the end */
  run (B, "GOT_W:close()");
  run (A, "P_W:close()");
  k = run (A, "return P_R:read(100, 1000)");
  ok (k == 1 && lua_type (A, -1) == LUA_TSTRING && lua_rawlen (A, -1) == 0,
      "end of file once the sender's and the receiver's writers are closed");
  lua_settop (A, a0);

  /* a second decode of the same bytes: the index was taken */
  refuse_bytes (w.data, w.len, &o, "malformed message: file descriptor 0 is not in the message");
  static const uint8_t twice[] = { 1, 2, 8, 0, 8, 0 };
  ward_fdvec one = { 1, { -1 } };
  one.fd[0] = fcntl (0, F_DUPFD_CLOEXEC, 3);
  ward_codec_opts o1 = { 0, 0, NULL, &one };
  refuse_bytes (twice, sizeof twice, &o1,
                "malformed message: file descriptor 0 is not in the message");
  lua_gc (B, LUA_GCCOLLECT);
  is_int (one.fd[0], -1, "a refused decode still took (and its value closes) what it decoded");
  static const uint8_t beyond[] = { 1, 1, 8, 5 };
  refuse_bytes (beyond, sizeof beyond, &o1,
                "malformed message: file descriptor 5 is not in the message");
  wbuf_free (&w);

  /* refusals of the encoder */
  ward_fdvec_close (&v);
  refuse ("local r, w = fd.pipe(); return r", NULL,
          "payload[1]: file descriptors can only be sent in messages");
  refuse ("local r, w = fd.pipe(); r:close(); return {x = r}", &o,
          "payload[1].x: a closed file descriptor cannot be sent");
  is_int (v.n, 0, "nothing left in the list by a refused encode");
  run (A, "local t = {} for i = 1, 17 do t[i] = select(i % 2 + 1, fd.pipe()) end MANY = t");
  int before = 0;
  for (int f = 3; f < 1024; f++)
    before += is_open (f);
  refuse ("return MANY", &o, "payload[1][17]: more than 16 file descriptors in one message");
  int after = 0;
  for (int f = 3; f < 1024; f++)
    after += is_open (f);
  ok (v.n == 0 && after == before, "a refused encode closed the 16 copies it had made");
  run (A, "MANY = nil P_R = nil P_W = nil");
  run (B, "GOT_R = nil GOT_W = nil");
  ward_fdvec_close (&v);
}

static void
test_malformed (void)
{
  static const uint8_t v2[] = { 2, 0 };
  refuse_bytes (v2, sizeof v2, NULL, "malformed message: unknown version 2");
  refuse_bytes (v2, 0, NULL, "malformed message: truncated");
  refuse_bytes (NULL, 0, NULL, "malformed message: truncated");
  static const uint8_t tag[] = { 1, 1, 0x09 };
  refuse_bytes (tag, sizeof tag, NULL, "malformed message: unknown tag 0x09");
  static const uint8_t tagff[] = { 1, 2, 0x00, 0xff };
  refuse_bytes (tagff, sizeof tagff, NULL, "malformed message: unknown tag 0xff");
  static const uint8_t overlong[] = { 1, 1, 3, 0x80, 0x00 };
  refuse_bytes (overlong, sizeof overlong, NULL, "malformed message: overlong varint");
  static const uint8_t toolong[] = { 1, 1, 3, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02 };
  refuse_bytes (toolong, sizeof toolong, NULL, "malformed message: varint out of range");
  static const uint8_t trunc_varint[] = { 1, 1, 3, 0xff };
  refuse_bytes (trunc_varint, sizeof trunc_varint, NULL, "malformed message: truncated");
  static const uint8_t fewer[] = { 1, 2, 0 };
  refuse_bytes (fewer, sizeof fewer, NULL, "malformed message: truncated");
  static const uint8_t trailing[] = { 1, 1, 0, 0, 0 };
  refuse_bytes (trailing, sizeof trailing, NULL, "malformed message: 2 trailing bytes");
  static const uint8_t strlen_[] = { 1, 1, 5, 4, 'a', 'b', 'c' };
  refuse_bytes (strlen_, sizeof strlen_, NULL, "malformed message: length beyond the end of the message");
  static const uint8_t bigtab[] = { 1, 1, 6, 0xff, 0xff, 0xff, 0xff, 0x0f, 0, 0 };
  refuse_bytes (bigtab, sizeof bigtab, NULL, "malformed message: table larger than the message");
  static const uint8_t bighash[] = { 1, 1, 6, 0, 3, 2, 2, 2, 2 };
  refuse_bytes (bighash, sizeof bighash, NULL, "malformed message: table larger than the message");
  /* each table fits what is left, but not beside the value still pending
   * after it: the presizing of all open tables is bounded together */
  static const uint8_t bignest[] = { 1, 1, 6, 2, 0, 6, 3, 0, 2, 2, 2 };
  refuse_bytes (bignest, sizeof bignest, NULL, "malformed message: table larger than the message");
  static const uint8_t bigtop[] = { 1, 2, 6, 2, 0, 2, 2 };
  refuse_bytes (bigtop, sizeof bigtop, NULL, "malformed message: table larger than the message");
  static const uint8_t nilkey[] = { 1, 1, 6, 0, 1, 0, 2 };
  refuse_bytes (nilkey, sizeof nilkey, NULL, "malformed message: table key with tag 0x00");
  static const uint8_t tabkey[] = { 1, 1, 6, 0, 1, 6, 0, 0, 2 };
  refuse_bytes (tabkey, sizeof tabkey, NULL, "malformed message: table key with tag 0x06");
  static const uint8_t nankey[] = { 1, 1, 6, 0, 1, 4, 0, 0, 0, 0, 0, 0, 0xf8, 0x7f, 2 };
  refuse_bytes (nankey, sizeof nankey, NULL, "malformed message: NaN table key");
  static const uint8_t nilval[] = { 1, 1, 6, 0, 1, 2, 0 };
  refuse_bytes (nilval, sizeof nilval, NULL, "malformed message: nil table value");
  static const uint8_t nilarr[] = { 1, 1, 6, 2, 0, 2, 0 };
  refuse_bytes (nilarr, sizeof nilarr, NULL, "malformed message: nil in a table's array part");
  static const uint8_t float_short[] = { 1, 1, 4, 0, 0, 0 };
  refuse_bytes (float_short, sizeof float_short, NULL, "malformed message: truncated");
  static const uint8_t fd_in_table[] = { 1, 2, 2, 6, 1, 0, 8, 0 };
  refuse_bytes (fd_in_table, sizeof fd_in_table, NULL,
                "malformed message: a file descriptor where none is accepted");

  /* every truncation of a valid message fails cleanly */
  wbuf w;
  wbuf_init (&w, 0);
  encode_code (rich_code, &with_handle, &w);
  int b0 = lua_gettop (B), all_invalid = 1, stack_kept = 1;
  for (size_t n = 0; n < w.len; n++)
    {
      uint8_t *copy = malloc (n ? n : 1); /* exact size, so ASan sees overreads */
      memcpy (copy, w.data, n);
      ward_err err;
      int nv = -1;
      int rc = ward_codec_decode (B, copy, n, &with_handle, &nv, &err);
      if (rc != -1 || err.kind != WARD_E_INVALID)
        all_invalid = 0;
      if (lua_gettop (B) != b0 || nv != -1)
        stack_kept = 0;
      lua_settop (B, b0);
      free (copy);
    }
  ok (all_invalid, "all %zu truncations refused with INVALID", w.len);
  ok (stack_kept, "no truncation changed the stack");

  /* trailing garbage after a valid message */
  wbuf_append (&w, "\0", 1, NULL);
  ward_err err;
  int nv = -1;
  int rc = ward_codec_decode (B, w.data, w.len, &with_handle, &nv, &err);
  ok (rc == -1 && err.kind == WARD_E_INVALID && lua_gettop (B) == b0,
      "a valid message plus one byte is refused");
  is_str (err.msg, "malformed message: 1 trailing bytes", "trailing byte message");
  lua_settop (B, b0);
  w.len--;

  /* corruption: flip each byte, and each bit, of the valid message */
  int clean = 1, succeeded = 0;
  uint8_t *copy = malloc (w.len);
  for (size_t i = 0; i < w.len; i++)
    {
      memcpy (copy, w.data, w.len);
      copy[i] ^= 0xff;
      clean &= decode_clean (copy, w.len, &with_handle, &succeeded);
      for (int bit = 0; bit < 8; bit++)
        {
          memcpy (copy, w.data, w.len);
          copy[i] ^= (uint8_t) (1u << bit);
          clean &= decode_clean (copy, w.len, &with_handle, &succeeded);
        }
    }
  ok (clean, "%zu corrupted messages decoded cleanly (%d of them successfully)",
      w.len * 9, succeeded);
  free (copy);

  /* pseudo-random buffers, fixed seed; most start with a plausible header */
  clean = 1;
  succeeded = 0;
  for (int i = 0; i < 600; i++)
    {
      size_t n = rng () % 48;
      uint8_t *buf = malloc (n ? n : 1);
      for (size_t j = 0; j < n; j++)
        {
          uint32_t r = rng ();
          /* bias towards small bytes, which are the tags */
          buf[j] = (uint8_t) (r & 1 ? r >> 8 : (r >> 8) % 10);
        }
      if (n >= 2 && i % 4 != 0)
        {
          buf[0] = 1;
          buf[1] = (uint8_t) (rng () % 4);
        }
      clean &= decode_clean (buf, n, &with_handle, &succeeded);
      free (buf);
    }
  ok (clean, "600 pseudo-random buffers decoded cleanly (%d successfully)", succeeded);

  /* random splices of a valid message: random bytes overwritten */
  clean = 1;
  succeeded = 0;
  copy = malloc (w.len);
  for (int i = 0; i < 400; i++)
    {
      memcpy (copy, w.data, w.len);
      int k = 1 + (int) (rng () % 3);
      while (k--)
        copy[rng () % w.len] = (uint8_t) rng ();
      clean &= decode_clean (copy, w.len, &with_handle, &succeeded);
    }
  ok (clean, "400 randomly overwritten messages decoded cleanly (%d successfully)", succeeded);
  free (copy);
  is_int (lua_gettop (B), b0, "receiver stack back where it started");
  wbuf_free (&w);
}

/* ------------------------------------------- handles found without Lua */

typedef struct seen {
  char refs[4][HANDLE_LEN + 1];
  int n, stop_at;
} seen;

static int
see (const char *ref, size_t len, void *ctx)
{
  seen *s = ctx;
  if (s->n == s->stop_at)
    return 1;
  if (s->n < 4 && len == HANDLE_LEN)
    memcpy (s->refs[s->n], ref, len);
  s->n++;
  return 0;
}

static void
test_each_handle (void)
{
  int a0 = lua_gettop (A);
  int n = run (A, "return 1, {a = newhandle('one'), {newhandle('two'), 'x', {newhandle('three')}},"
               " b = 2.5}, 'newhandle', newhandle('four')");
  wbuf w;
  wbuf_init (&w, 0);
  ward_err err;
  int rc = ward_codec_encode (A, a0 + 1, n, &w, &with_handle, &err);
  lua_settop (A, a0);
  seen s = { .stop_at = -1 };
  ok (rc == 0 && ward_codec_each_handle (w.data, w.len, see, &s) == 0 && s.n == 4,
      "each_handle: every handle of a message, nested ones too, and nothing else");
  int names = 0;
  for (int i = 0; i < 4; i++)
    names += strcmp (s.refs[i], "one") == 0 || strcmp (s.refs[i], "two") == 0
             || strcmp (s.refs[i], "three") == 0 || strcmp (s.refs[i], "four") == 0;
  ok (names == 4 && strcmp (s.refs[3], "four") == 0, "each_handle: ... with their reference bytes");
  seen t = { .stop_at = 1 };
  ok (ward_codec_each_handle (w.data, w.len, see, &t) == -1 && t.n == 1,
      "each_handle: a callback that refuses stops the walk");
  seen u = { .stop_at = -1 };
  is_int (ward_codec_each_handle (w.data, w.len - 1, see, &u), -1,
          "each_handle: a truncated message is refused");
  uint8_t lie[] = { 0x01, 0x01, 0x06, 0x7f, 0x00, 0x07, 0x01, 'h' };   /* 127 elements claimed */
  seen v = { .stop_at = -1 };
  ok (ward_codec_each_handle (lie, sizeof lie, see, &v) == -1 && v.n == 0,
      "each_handle: a table larger than the message is refused");
  uint8_t trail[] = { 0x01, 0x01, 0x00, 0x00 };
  is_int (ward_codec_each_handle (trail, sizeof trail, see, &v), -1,
          "each_handle: trailing bytes are refused");
  wbuf_free (&w);
}

/* ------------------------------------------- one scalar, the short way */

/* The scalar paths give exactly what the general ones give, and decline
 * the rest. */
static void
test_scalars (void)
{
  static const char *const vals[] = {
    "return", "return nil", "return true", "return false", "return 0", "return 1",
    "return -1", "return 63", "return 64", "return -65", "return 8191",
    "return math.maxinteger", "return math.mininteger", "return 1.5", "return -0.0",
    "return 1/0", "return -(0/0)", "return 2^63"
  };
  int all_same = 1, all_back = 1;
  for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++)
    {
      int n = run (A, vals[i]);
      uint8_t sb[WARD_CODEC_SCALAR_BYTES];
      size_t sn = ward_codec_encode_scalar (A, -n, n, NULL, sb);
      wbuf b;
      wbuf_init (&b, 0);
      ward_err err;
      int rc = ward_codec_encode (A, -n, n, &b, NULL, &err);
      if (sn == 0 || rc < 0 || sn != b.len || memcmp (sb, b.data, sn) != 0)
        {
          all_same = 0;
          printf ("# %s: scalar %zu bytes, general %zu\n", vals[i], sn, b.len);
        }
      ward_codec_scalar s;
      int got = 0;
      if (ward_codec_decode_scalar (sb, sn, NULL, &s))
        got = ward_codec_push_scalar (B, &s);
      else
        all_back = 0;
      if (got != n || (n == 1 && !deep_eq (A, -1, B, -1, 0)))
        {
          all_back = 0;
          printf ("# %s: decoded %d values\n", vals[i], got);
        }
      lua_pop (A, n);
      lua_pop (B, got);
      wbuf_free (&b);
    }
  ok (all_same, "encode_scalar: the same bytes as encode for no value, nil, booleans, numbers");
  ok (all_back, "decode_scalar: the same values back");

  /* what is not one scalar is declined by both */
  static const char *const others[] = { "return 'x'", "return {}", "return 1, 2",
                                        "return print" };
  int declined = 1;
  for (size_t i = 0; i < sizeof others / sizeof others[0]; i++)
    {
      int n = run (A, others[i]);
      uint8_t sb[WARD_CODEC_SCALAR_BYTES];
      if (ward_codec_encode_scalar (A, -n, n > 1 ? 1 : n, NULL, sb) != 0 && n == 1)
        declined = 0;
      if (n > 1 && ward_codec_encode_scalar (A, -n, n, NULL, sb) != 0)
        declined = 0;
      lua_pop (A, n);
    }
  ok (declined, "encode_scalar declines strings, tables, functions and two values");

  static const struct { const char *what; uint8_t b[12]; size_t n; } bad[] = {
    { "two values", { 1, 2, 0, 0 }, 4 },
    { "a string", { 1, 1, 5, 1, 'x' }, 5 },
    { "a trailing byte", { 1, 1, 3, 2, 0 }, 5 },
    { "no value and a byte", { 1, 0, 0 }, 3 },
    { "a truncated float", { 1, 1, 4, 0, 0, 0 }, 6 },
    { "an overlong varint", { 1, 1, 3, 0x80, 0x00 }, 5 },
    { "a truncated varint", { 1, 1, 3, 0x80 }, 4 },
    { "a missing value", { 1, 1 }, 2 },
    { "another version", { 2, 1, 0 }, 3 },
  };
  int refused = 1, general_too = 1;
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    {
      ward_codec_scalar s;
      if (ward_codec_decode_scalar (bad[i].b, bad[i].n, NULL, &s))
        {
          refused = 0;
          printf ("# decode_scalar took %s\n", bad[i].what);
        }
      int n = 0;
      ward_err err;
      if (i > 1 && ward_codec_decode (B, bad[i].b, bad[i].n, NULL, &n, &err) == 0)
        {
          general_too = 0;
          lua_pop (B, n);
        }
    }
  ok (refused, "decode_scalar declines two values, strings and malformed input");
  ok (general_too, "(which the general decoder refuses too)");

  /* a byte limit below the message's size: declined, as encode refuses */
  ward_codec_opts tiny = { .max_bytes = 5 };
  run (A, "return 1.5");
  uint8_t sb[WARD_CODEC_SCALAR_BYTES];
  int lim = ward_codec_encode_scalar (A, -1, 1, &tiny, sb) == 0;
  lua_pop (A, 1);
  static const uint8_t flt[] = { 1, 1, 4, 0, 0, 0, 0, 0, 0, 0xf8, 0x3f };
  ward_codec_scalar s;
  lim = lim && !ward_codec_decode_scalar (flt, sizeof flt, &tiny, &s)
        && ward_codec_decode_scalar (flt, sizeof flt, NULL, &s) && s.kind == WARD_CODEC_S_FLT
        && s.v.d == 1.5;
  ok (lim, "both scalar paths keep to the byte limit");
}

int
main (void)
{
  plan (166);
  A = new_state ();
  B = new_state ();
  lua_pushstring (A, "bottom");
  lua_pushstring (B, "bottom");

  test_roundtrips ();
  test_values_limit ();
  test_refusals ();
  test_limits ();
  test_handles ();
  test_fds ();
  test_malformed ();
  test_each_handle ();
  test_scalars ();

  ok (lua_gettop (A) == 1 && lua_gettop (B) == 1, "both stacks as they began");
  lua_close (A);
  lua_close (B);
  return done ();
}
