/* lerr.c -- the Lua face of ward's errors: the `errors` table and error
 * objects with :kind(), :message() and a tostring of both. */
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

static int
err_tostring (lua_State *L)
{
  ward_err *e = luaL_checkudata (L, 1, "ward.error");
  lua_pushfstring (L, "%s: %s", ward_kind_name (e->kind), e->msg);
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
static const luaL_Reg err_meta[] = { { "__tostring", err_tostring }, { NULL, NULL } };
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
