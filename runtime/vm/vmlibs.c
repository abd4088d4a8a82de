/* vmlibs.c -- the standard libraries of a process's VM, opened on first
 * use: string (error values taken as their text), table (a killable move),
 * utf8 (5.4.5's codes), os without its unsafe functions (getenv asks
 * env.read), io on the standard streams alone (lio.c), and ward's own. */
#include "config.h"
#include "vmint.h"
#include "pattern.h"
#include "lio.h"

#include <string.h>
#include <lauxlib.h>
#include <lualib.h>

static void
set_nil (lua_State *L, int t, const char *name)
{
  lua_pushnil (L);
  lua_setfield (L, t, name);
}

/* The string library takes an error value as its text (lerr.c): each
 * function is a closure that replaces such arguments by their text, then
 * runs the library's function in its own call (so that argument errors
 * still name string.find, not '?'). Values of any other type are left
 * as they are and no metamethod runs. Only functions without upvalues
 * are wrapped: the wrapper's upvalue is the function. */
static int
str_text_args (lua_State *L)
{
  int n = lua_gettop (L);
  for (int i = 1; i <= n; i++)
    if (lua_type (L, i) == LUA_TUSERDATA && ward_push_err_text (L, i))
      lua_replace (L, i);
  return lua_tocfunction (L, lua_upvalueindex (1)) (L);
}

static int
open_string (lua_State *L)
{
  luaopen_string (L);           /* also makes it the strings' metatable __index */
  int t = lua_gettop (L);
  set_nil (L, t, "dump");
  ward_pattern_install (L, t);
  lua_pushnil (L);
  while (lua_next (L, t))
    {
      if (lua_tocfunction (L, -1) != NULL && lua_getupvalue (L, -1, 1) == NULL)
        {
          lua_pushvalue (L, -2);
          lua_pushcfunction (L, lua_tocfunction (L, -2));
          lua_pushcclosure (L, str_text_args, 1);
          lua_rawset (L, t);    /* an existing key: lua_next goes on */
        }
      else if (lua_tocfunction (L, -1) != NULL)
        lua_pop (L, 1);         /* the upvalue */
      lua_pop (L, 1);
    }
  return 1;
}

void
ward_push_string_lib (lua_State *L)
{
  luaL_getsubtable (L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
  if (lua_getfield (L, -1, "string") == LUA_TTABLE)
    {
      lua_remove (L, -2);
      return;
    }
  lua_pop (L, 2);
  ward_vm__open_lazy (L, "string");
}

static int
open_os (lua_State *L)
{
  static const char *const unsafe[] = { "execute", "exit", "getenv", "remove",
                                        "rename", "tmpname", "setlocale", NULL };
  luaopen_os (L);
  for (const char *const *n = unsafe; *n; n++)
    set_nil (L, lua_gettop (L), *n);
  /* ward's getenv asks env.read on the name (lio.c) */
  lua_pushcfunction (L, ward_io_getenv);
  lua_setfield (L, -2, "getenv");
  return 1;
}

/* table.move is the one stock function that can loop for hours in C
 * without allocating (moving nils over a huge range): ours checks, every
 * 4096 elements, whether the process was ended or ran too long. */
/* Lua's checktab: a table, or a value whose metatable has the fields
 * (__index to read, __newindex to write) the move uses. */
static void
move_checktab (lua_State *L, int arg, int write)
{
  if (lua_type (L, arg) == LUA_TTABLE)
    return;
  int n = 1, ok = lua_getmetatable (L, arg);
  if (ok)
    {
      ok = lua_getfield (L, -1, "__index") != LUA_TNIL;
      n++;
      if (ok && write)
        {
          ok = lua_getfield (L, -2, "__newindex") != LUA_TNIL;
          n++;
        }
      lua_pop (L, n);
    }
  if (!ok)
    luaL_checktype (L, arg, LUA_TTABLE);        /* raises "table expected" */
}

static int
l_table_move (lua_State *L)
{
  lua_Integer f = luaL_checkinteger (L, 2), e = luaL_checkinteger (L, 3);
  lua_Integer t = luaL_checkinteger (L, 4);
  int tt = !lua_isnoneornil (L, 5) ? 5 : 1;
  move_checktab (L, 1, 0);
  move_checktab (L, tt, 1);
  if (e >= f)
    {
      luaL_argcheck (L, f > 0 || e < LUA_MAXINTEGER + f, 3, "too many elements to move");
      lua_Integer n = e - f + 1;
      luaL_argcheck (L, t <= LUA_MAXINTEGER - n + 1, 4, "destination wrap around");
      ward_proc *p = ward_current ();
      int64_t start = ward_now_ns ();
      int forward = t > e || t <= f || (tt != 1 && !lua_compare (L, 1, tt, LUA_OPEQ));
      for (lua_Integer i = 0; i < n; i++)
        {
          lua_Integer k = forward ? i : n - 1 - i;
          if ((i & 4095) == 4095 && p)
            {
              ward_sched_nudge ();
              ward_vm_check_killed (L);
              if (ward_now_ns () - start > WARD_UNYIELDABLE_NS)
                {
                  ward_proc_kill (p, "table.move ran for more than %lld s",
                                  WARD_UNYIELDABLE_NS / 1000000000LL);
                  ward_vm_check_killed (L);
                }
            }
          lua_geti (L, 1, f + k);
          lua_seti (L, tt, t + k);
        }
    }
  lua_pushvalue (L, tt);
  return 1;
}

static int
open_table (lua_State *L)
{
  luaopen_table (L);
  lua_pushcfunction (L, l_table_move);
  lua_setfield (L, -2, "move");
  return 1;
}

/* utf8.codes of Lua 5.4.4 skips continuation bytes that follow a whole
 * character or start the string (its bug "'utf8.codes' does not raise an
 * error on spurious continuation bytes", fixed in 5.4.5). Ours runs the
 * stock iterator and refuses such a byte before the first character and
 * after each one, as the fixed library does. */
#define UTF8_CONT(c) (((unsigned char) (c) & 0xC0) == 0x80)

static int
l_utf8_step (lua_State *L)
{
  size_t len;
  const char *s = luaL_checklstring (L, 1, &len);
  lua_pushvalue (L, lua_upvalueindex (1));
  lua_pushvalue (L, 1);
  lua_pushvalue (L, 2);
  if (lua_pcall (L, 2, 2, 0) != LUA_OK)
    {
      if (lua_type (L, -1) == LUA_TSTRING)    /* where the loop is, as the stock one says */
        {
          luaL_where (L, 1);
          lua_insert (L, -2);
          lua_concat (L, 2);
        }
      return lua_error (L);
    }
  if (lua_isnil (L, -2))
    return 0;
  lua_Integer pos = lua_tointeger (L, -2);      /* 1-based, of the lead byte */
  unsigned char lead = (unsigned char) s[pos - 1];
  size_t n = 1;
  while (n < 7 && (lead & (0x80u >> (n - 1))) && (lead & (0x80u >> n)))
    n++;                        /* leading ones of a multibyte lead */
  size_t next = (size_t) pos - 1 + n;
  if (next < len && UTF8_CONT (s[next]))
    return luaL_error (L, "invalid UTF-8 code");
  return 2;
}

static int
l_utf8_codes (lua_State *L)
{
  const char *s = luaL_checkstring (L, 1);
  luaL_argcheck (L, !UTF8_CONT (s[0]), 1, "invalid UTF-8 code");
  lua_settop (L, 2);
  lua_pushvalue (L, lua_upvalueindex (1));
  lua_insert (L, 1);
  lua_call (L, 2, 3);           /* the stock codes: iterator, s, 0 */
  lua_pushvalue (L, 1);
  lua_pushcclosure (L, l_utf8_step, 1);
  lua_replace (L, 1);
  return 3;
}

static int
open_utf8 (lua_State *L)
{
  luaopen_utf8 (L);
  lua_getfield (L, -1, "codes");
  lua_pushcclosure (L, l_utf8_codes, 1);
  lua_setfield (L, -2, "codes");
  return 1;
}

/* Libraries are opened on first use of their global name: most processes
 * touch few of them, and opening all costs more than the rest of a spawn. */
static const luaL_Reg lazy_libs[] = {
  { "string", open_string }, { "table", open_table }, { "process", ward_luaopen_process },
  { "channel", ward_luaopen_channel }, { "time", ward_luaopen_time },
  { "errors", ward_luaopen_errors }, { "math", luaopen_math },
  { "coroutine", ward_vm__open_coroutine }, { "utf8", open_utf8 }, { "os", open_os },
  { "io", ward_luaopen_io }, { NULL, NULL } };

/* Open the lazy library `name` into _G and package.loaded; push it, or
 * push nothing and return 0 when name is not one. */
int
ward_vm__open_lazy (lua_State *L, const char *name)
{
  for (const luaL_Reg *l = lazy_libs; l->name; l++)
    if (strcmp (l->name, name) == 0)
      {
        luaL_requiref (L, l->name, l->func, 1);
        return 1;
      }
  return 0;
}
