/* lerr.c -- the Lua face of ward's errors: the `errors` table and error
 * objects with :kind(), :message() and a tostring of both, which the
 * string library, string methods and `..` take as that text. */
#include "config.h"
#include "vm.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <lauxlib.h>

static int
err_kind (lua_State *L)
{
  ward_err *e = luaL_checkudata (L, 1, "ward.error");
  lua_pushstring (L, ward_kind_name (e->kind));
  return 1;
}

static int
err_message (lua_State *L)
{
  ward_err *e = luaL_checkudata (L, 1, "ward.error");
  lua_pushstring (L, e->msg);
  return 1;
}

int
ward_push_err_text (lua_State *L, int idx)
{
  ward_err *e = lua_type (L, idx) == LUA_TUSERDATA ? luaL_testudata (L, idx, "ward.error") : NULL;
  if (e == NULL)
    return 0;
  lua_pushfstring (L, "%s: %s", ward_kind_name (e->kind), e->msg);
  return 1;
}

static int
err_tostring (lua_State *L)
{
  luaL_checkudata (L, 1, "ward.error");
  ward_push_err_text (L, 1);
  return 1;
}

/* Error values are text where Lua programs expect text (Wippy programs do
 * `err:find("not found")`, `"failed: " .. err`): a key that is not one of
 * the methods is looked up in the string library, whose functions take an
 * error value as its text (vmlibs.c), so err:lower() is string.lower(err). */
static int
err_index (lua_State *L)
{
  if (lua_type (L, 2) != LUA_TSTRING)
    return 0;
  lua_getmetatable (L, 1);
  lua_getfield (L, -1, "methods");
  lua_pushvalue (L, 2);
  if (lua_rawget (L, -2) != LUA_TNIL)
    return 1;
  ward_push_string_lib (L);
  lua_pushvalue (L, 2);
  lua_gettable (L, -2);
  return 1;
}

/* err .. v and v .. err: the error's text joined to a string or a number
 * (Wippy's https://wippy.ai/en/tutorials/processes writes
 * `"spawn failed: " .. err`); anything else fails as Lua's own
 * concatenation does. */
static int
err_concat (lua_State *L)
{
  for (int i = 1; i <= 2; i++)
    {
      if (ward_push_err_text (L, i))
        lua_replace (L, i);
      else if (!lua_isstring (L, i))
        return luaL_error (L, "attempt to concatenate a %s value", luaL_typename (L, i));
    }
  lua_settop (L, 2);
  lua_concat (L, 2);
  return 1;
}

int
ward_push_err (lua_State *L, const ward_err *err)
{
  lua_pushnil (L);
  ward_err *e = lua_newuserdatauv (L, sizeof *e, 0);
  *e = *err;
  ward_setmeta (L, "ward.error");
  return 2;
}

int
ward_push_error (lua_State *L, ward_kind kind, const char *fmt, ...)
{
  ward_err e = { .kind = kind };
  va_list ap;
  va_start (ap, fmt);
  vsnprintf (e.msg, sizeof e.msg, fmt, ap);
  va_end (ap);
  return ward_push_err (L, &e);
}

static const luaL_Reg err_methods[] = {
  { "kind", err_kind }, { "message", err_message }, { NULL, NULL } };
static const luaL_Reg err_meta[] = {
  { "__tostring", err_tostring }, { "__index", err_index }, { "__concat", err_concat },
  { NULL, NULL } };
const ward_type ward_type_error = { "ward.error", "ward.error", err_methods, err_meta };

int
ward_luaopen_errors (lua_State *L)
{
  lua_createtable (L, 0, 6);
  for (ward_kind k = WARD_E_INVALID; k <= WARD_E_INTERNAL; k++)
    {
      lua_pushstring (L, ward_kind_name (k));
      lua_setfield (L, -2, ward_kind_name (k));
    }
  return 1;
}
