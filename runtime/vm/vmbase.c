/* vmbase.c -- the safe base library of a process's VM: load without
 * binary chunks, the metatable functions, print, require (each face its
 * own), and a _G that starts empty and gets each function on first use. */
#include "config.h"
#include "vmint.h"
#include "face.h"
#include "lfd.h"
#include "lfs.h"
#include "lnet.h"
#include "remote.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <lauxlib.h>
#include <lualib.h>

/* load, as Lua 5.4's: the chunk is a string or a reader function, a chunk
 * it refuses gives nil and a message (it never raises for one), mode and
 * env as documented. One difference: binary chunks are refused as a mode
 * without "b" refuses them (crafted bytecode can corrupt memory). Every
 * chunk goes to lua_load in text mode; the first piece is looked at here
 * only to word the refusal as Lua words its own. */
#define LOAD_SLOT 5             /* the reader's last piece, as Lua keeps it */

typedef struct {
  const char *s;                /* a string chunk, handed over whole */
  size_t len;
  const char *mode;
  int first, fn;
} load_src;

static const char *
load_piece (lua_State *L, void *ud, size_t *size)
{
  load_src *src = ud;
  const char *piece;
  if (src->fn)
    {
      luaL_checkstack (L, 2, "too many nested functions");
      lua_pushvalue (L, 1);
      lua_call (L, 0, 1);
      if (lua_isnil (L, -1))
        {
          lua_pop (L, 1);
          piece = NULL;
          *size = 0;
        }
      else if (!lua_isstring (L, -1))
        {
          luaL_error (L, "reader function must return a string");
          return NULL;
        }
      else
        {
          lua_replace (L, LOAD_SLOT);
          piece = lua_tolstring (L, LOAD_SLOT, size);
        }
    }
  else
    {
      piece = src->s;
      *size = src->len;
      src->s = NULL;
      src->len = 0;
    }
  if (src->first)
    {
      src->first = 0;
      /* Lua's own refusals carry no position: neither do these */
      if (piece && *size > 0 && piece[0] == LUA_SIGNATURE[0])
        {
          if (strchr (src->mode, 'b'))
            lua_pushliteral (L, "attempt to load a binary chunk (binary chunks are not "
                             "allowed in ward processes)");
          else
            lua_pushfstring (L, "attempt to load a binary chunk (mode is '%s')", src->mode);
          lua_error (L);
        }
      if (!strchr (src->mode, 't'))
        {
          lua_pushfstring (L, "attempt to load a text chunk (mode is '%s')", src->mode);
          lua_error (L);
        }
    }
  return piece;
}

static int
l_load (lua_State *L)
{
  load_src src = { .first = 1 };
  const char *chunkname;
  src.s = lua_tolstring (L, 1, &src.len);
  src.mode = luaL_optstring (L, 3, "bt");
  int env = !lua_isnone (L, 4) ? 4 : 0;
  if (src.s != NULL)
    chunkname = luaL_optstring (L, 2, src.s);
  else
    {
      chunkname = luaL_optstring (L, 2, "=(load)");
      luaL_checktype (L, 1, LUA_TFUNCTION);
      lua_settop (L, LOAD_SLOT);
      src.fn = 1;
    }
  if (lua_load (L, load_piece, &src, chunkname, "t") != LUA_OK)
    {
      luaL_pushfail (L);
      lua_insert (L, -2);
      return 2;
    }
  if (env)
    {
      lua_pushvalue (L, env);
      if (!lua_setupvalue (L, -2, 1))
        lua_pop (L, 1);
    }
  return 1;
}

/* getmetatable, as Lua's; asked about a string, it opens the string
 * library first, so that the strings' metatable is the real one (its
 * __index is the string table) even in a process that never named it. */
static int
l_getmetatable (lua_State *L)
{
  luaL_checkany (L, 1);
  if (lua_type (L, 1) == LUA_TSTRING)
    {
      ward_push_string_lib (L);
      lua_pop (L, 1);
    }
  if (!lua_getmetatable (L, 1))
    {
      lua_pushnil (L);
      return 1;
    }
  luaL_getmetafield (L, 1, "__metatable");
  return 1;
}

static int
l_setmetatable (lua_State *L)
{
  int t = lua_type (L, 2);
  luaL_checktype (L, 1, LUA_TTABLE);
  luaL_argexpected (L, t == LUA_TNIL || t == LUA_TTABLE, 2, "nil or table");
  if (t == LUA_TTABLE)
    {
      lua_pushliteral (L, "__gc");
      int has_gc = lua_rawget (L, 2) != LUA_TNIL;
      lua_pop (L, 1);
      /* Finalizers run with hooks off and again in lua_close: a looping
       * __gc could hang a worker thread (DESIGN 2.0). */
      if (has_gc)
        return luaL_error (L, "__gc metamethods are not allowed in ward processes");
    }
  if (luaL_getmetafield (L, 1, "__metatable") != LUA_TNIL)
    return luaL_error (L, "cannot change a protected metatable");
  lua_settop (L, 2);
  lua_setmetatable (L, 1);
  return 1;
}

static int
l_print (lua_State *L)
{
  int n = lua_gettop (L);
  luaL_Buffer b;
  luaL_buffinit (L, &b);
  for (int i = 1; i <= n; i++)
    {
      if (i > 1)
        luaL_addchar (&b, '\t');
      luaL_tolstring (L, i, NULL);
      luaL_addvalue (&b);
    }
  luaL_addchar (&b, '\n');
  luaL_pushresult (&b);
  size_t len;
  const char *s = lua_tolstring (L, -1, &len);
  fwrite (s, 1, len, stdout);
  fflush (stdout);
  return 0;
}

static int
module_env_index (lua_State *L)
{
  if (lua_type (L, 2) == LUA_TSTRING && strcmp (lua_tostring (L, 2), "_CONTEXT") == 0)
    return 0;
  lua_pushglobaltable (L);
  lua_pushvalue (L, 2);
  lua_gettable (L, -2);
  return 1;
}

static int
remote_require (lua_State *L)
{
  return ward_remote_call (L, "require");
}

static int
open_fd_k (lua_State *L, int status, lua_KContext ctx)
{
  (void) status;
  (void) ctx;
  luaL_requiref (L, "fd", ward_luaopen_fd, 0);
  return 1;
}

static int
open_fs_remote_k (lua_State *L, int status, lua_KContext ctx)
{
  (void) status;
  (void) ctx;
  luaL_requiref (L, "fs", ward_luaopen_fs_remote, 0);
  return 1;
}

static int
open_net_remote_k (lua_State *L, int status, lua_KContext ctx)
{
  (void) status;
  (void) ctx;
  luaL_requiref (L, "net", ward_luaopen_net_remote, 0);
  return 1;
}

/* The name require was given (raises on one that holds a NUL byte). */
static const char *
require_name (lua_State *L)
{
  size_t len;
  const char *name = luaL_checklstring (L, 1, &len);
  if (strlen (name) != len)
    luaL_error (L, "module `%s...` holds a NUL byte", name);
  return name;
}

/* What both faces' require give without asking: a module already loaded,
 * a library of the safe base, "inbox". 1 with it pushed, else 0 with the
 * loaded table pushed. */
static int
require_builtin (lua_State *L, const char *name)
{
  luaL_getsubtable (L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
  if (lua_getfield (L, -1, name) != LUA_TNIL && lua_toboolean (L, -1))
    return 1;                   /* as Lua's: a module that gave false loads again */
  lua_pop (L, 1);
  if (ward_vm__open_lazy (L, name))
    return 1;
  if (strcmp (name, "inbox") == 0)
    {
      luaL_requiref (L, "inbox", ward_luaopen_inbox, 0);
      return 1;
    }
  return 0;
}

/* A subprocess actor's require: "fd" and module files are asked (and
 * audited) in the runtime; a module file is not sent. */
static int
r_require (lua_State *L)
{
  const char *name = require_name (L);
  if (require_builtin (L, name))
    return 1;
  lua_settop (L, 1);
  if (strcmp (name, "fd") == 0)
    {
      /* asked in the runtime (which raises when refused); the call
       * yields, so the module opens in the continuation */
      lua_pushcfunction (L, remote_require);
      lua_insert (L, 1);
      lua_callk (L, 1, 0, 0, open_fd_k);
      return open_fd_k (L, LUA_OK, 0);
    }
  if (strcmp (name, "fs") == 0)
    {
      /* the same; each of its functions is then a call to the runtime */
      lua_pushcfunction (L, remote_require);
      lua_insert (L, 1);
      lua_callk (L, 1, 0, 0, open_fs_remote_k);
      return open_fs_remote_k (L, LUA_OK, 0);
    }
  if (strcmp (name, "net") == 0)
    {
      lua_pushcfunction (L, remote_require);
      lua_insert (L, 1);
      lua_callk (L, 1, 0, 0, open_net_remote_k);
      return open_net_remote_k (L, LUA_OK, 0);
    }
  return ward_remote_call (L, "require");
}

/* require: the libraries of the safe base, "inbox", or a module file under
 * the root, which needs `lua.require` on its name. */
static int
l_require (lua_State *L)
{
  const char *name = require_name (L);
  if (require_builtin (L, name))
    return 1;
  if (strcmp (name, "fd") == 0)
    {
      /* descriptors cost the whole runtime's table: asked, like a file */
      ward_err err;
      lua_settop (L, 1);
      if (ward_proc_authorize1 (ward_current (), WARD_ACTION (LUA_REQUIRE), name, NULL, &err) < 0)
        return luaL_error (L, "require 'fd': permission denied (lua.require on fd)");
      return open_fd_k (L, LUA_OK, 0);
    }
  if (strcmp (name, "fs") == 0 || strcmp (name, "net") == 0)
    {
      ward_err err;
      lua_settop (L, 1);
      if (ward_proc_authorize1 (ward_current (), WARD_ACTION (LUA_REQUIRE), name, NULL, &err) < 0)
        return luaL_error (L, "require '%s': permission denied (lua.require on %s)", name, name);
      luaL_requiref (L, name, name[0] == 'f' ? ward_luaopen_fs : ward_luaopen_net, 0);
      return 1;
    }
  ward_err err;
  if (ward_proc_authorize1 (ward_current (), WARD_ACTION (LUA_REQUIRE), name, NULL, &err) < 0)
    return luaL_error (L, "require '%s': permission denied (lua.require on %s)", name, name);
  /* a.b.c -> <root>/a/b/c.lua, through the same rules as definition ids */
  char id[512], path[4096];
  const char *dot = strrchr (name, '.');
  if (dot)
    snprintf (id, sizeof id, "%.*s:%s", (int) (dot - name), name, dot + 1);
  else
    snprintf (id, sizeof id, ":%s", name);
  if (ward_def_resolve (id, path, sizeof path, &err) < 0 || ward_def_push (L, path, 0, &err) < 0)
    {
      if (err.kind == WARD_E_NOT_FOUND)     /* the words of Lua's require */
        return luaL_error (L, "module '%s' not found: %s", name, err.msg);
      return luaL_error (L, "require '%s': %s", name, err.msg);
    }
  /* A module does not see _CONTEXT (Emilua): it runs with an environment
   * that reads through to the globals but hides that one name, and writes
   * to the globals. */
  lua_newtable (L);
  lua_createtable (L, 0, 2);
  lua_pushcfunction (L, module_env_index);
  lua_setfield (L, -2, "__index");
  lua_pushglobaltable (L);
  lua_setfield (L, -2, "__newindex");
  lua_setmetatable (L, -2);
  if (!lua_setupvalue (L, -2, 1))
    lua_pop (L, 1);
  /* As Lua's: the module gets its name and where it was found, and
   * require returns what it returned (true for nothing) and that place. */
  const char *where = ward_def_display (path);
  lua_pushstring (L, name);
  lua_pushstring (L, where);
  lua_call (L, 2, 1);
  int loaded = lua_gettop (L) - 1;
  if (!lua_isnil (L, -1))
    lua_setfield (L, loaded, name);
  else
    lua_pop (L, 1);
  if (lua_getfield (L, loaded, name) == LUA_TNIL)
    {
      lua_pop (L, 1);
      lua_pushboolean (L, 1);
      lua_pushvalue (L, -1);
      lua_setfield (L, loaded, name);
    }
  lua_pushstring (L, where);
  return 2;
}

const luaL_Reg ward_face_base_local[] = { { "require", l_require }, { NULL, NULL } };
const luaL_Reg ward_face_base_remote[] = { { "require", r_require }, { NULL, NULL } };

/* The base library's functions, read once per run out of a scratch state,
 * so that a process's _G starts empty and gets each function on first use. */
#define MAX_BASE 48
static struct { const char *name; lua_CFunction fn; } base_fns[MAX_BASE];
static int nbase;
static pthread_once_t base_once = PTHREAD_ONCE_INIT;

static void
base_init (void)
{
  static const luaL_Reg ours[] = {
    { "load", l_load }, { "setmetatable", l_setmetatable }, { "print", l_print },
    { "getmetatable", l_getmetatable }, { NULL, NULL } };
  static const char *const dropped[] = { "dofile", "loadfile", "_G", "_VERSION", NULL };
  lua_State *L = luaL_newstate ();
  if (L == NULL)
    return;                     /* no base functions: every process fails clearly */
  luaopen_base (L);
  lua_pushnil (L);
  while (lua_next (L, -2) && nbase < MAX_BASE)
    {
      const char *k = lua_tostring (L, -2);
      int skip = !lua_iscfunction (L, -1);
      for (const char *const *d = dropped; !skip && *d; d++)
        skip = strcmp (k, *d) == 0;
      for (const luaL_Reg *o = ours; !skip && o->name; o++)
        skip = strcmp (k, o->name) == 0;
      if (!skip && (base_fns[nbase].name = strdup (k)) != NULL)
        base_fns[nbase++].fn = lua_tocfunction (L, -1);
      lua_pop (L, 1);
    }
  lua_close (L);
  for (const luaL_Reg *o = ours; o->name && nbase < MAX_BASE; o++, nbase++)
    {
      base_fns[nbase].name = o->name;
      base_fns[nbase].fn = o->func;
    }
}

/* Push fn and store it in _G (at 1) under the name at 2. */
static int
store_global (lua_State *L, lua_CFunction fn)
{
  lua_pushcfunction (L, fn);
  lua_pushvalue (L, 2);
  lua_pushvalue (L, -2);
  lua_rawset (L, 1);
  return 1;
}

/* _G's __index: a missing global may be a base function (the face's own
 * among them) or a library not opened yet; it is stored in _G on first use. */
static int
lazy_global (lua_State *L)
{
  if (lua_type (L, 2) != LUA_TSTRING)
    return 0;
  const char *k = lua_tostring (L, 2);
  for (int i = 0; i < nbase; i++)
    if (strcmp (base_fns[i].name, k) == 0)
      return store_global (L, base_fns[i].fn);
  for (const luaL_Reg *r = ward_face_of (L)->base; r->name; r++)
    if (strcmp (r->name, k) == 0)
      return store_global (L, r->func);
  if (strcmp (k, "_G") == 0)
    {
      lua_pushvalue (L, 1);
      return 1;
    }
  if (strcmp (k, "_VERSION") == 0)
    {
      lua_pushliteral (L, LUA_VERSION);
      return 1;
    }
  return ward_vm__open_lazy (L, k);
}

/* The strings' first metatable: a method call opens the string library,
 * which installs the real metatable. */
static int
lazy_string_index (lua_State *L)
{
  ward_vm__open_lazy (L, "string");
  lua_pushvalue (L, 2);
  lua_gettable (L, -2);
  return 1;
}

void
ward_vm__open_safe_libs (lua_State *L)
{
  pthread_once (&base_once, base_init);
  lua_pushglobaltable (L);
  lua_createtable (L, 0, 2);
  lua_pushcfunction (L, lazy_global);
  lua_setfield (L, -2, "__index");
  lua_pushboolean (L, 0);       /* getmetatable(_G) is false; it cannot be replaced */
  lua_setfield (L, -2, "__metatable");
  lua_setmetatable (L, -2);
  lua_pop (L, 1);

  /* package.loaded._G, as Lua's base library makes it: require "_G"
   * gives the globals, and an argument error of a base function called
   * without a name at hand (pcall(load, nil)) names it, not '?' */
  luaL_getsubtable (L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
  lua_pushglobaltable (L);
  lua_setfield (L, -2, LUA_GNAME);
  lua_pop (L, 1);

  lua_pushliteral (L, "");
  lua_createtable (L, 0, 1);
  lua_pushcfunction (L, lazy_string_index);
  lua_setfield (L, -2, "__index");
  lua_setmetatable (L, -2);
  lua_pop (L, 1);
}
