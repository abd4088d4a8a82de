/* face.c -- the two faces of the Lua API (face.h): which functions and
 * types a VM gets, in the runtime or in a subprocess actor, and the
 * metatables of ward's types, made on first use from its face's. */
#include "config.h"
#include "face.h"
#include "lfd.h"
#include "lio.h"
#include "remote.h"

#include <string.h>
#include <lauxlib.h>

static const luaL_Reg *const proc_local[] = {
  ward_face_proc_local, ward_face_spawn_local, ward_face_link_local, NULL };
static const luaL_Reg *const proc_remote[] = {
  ward_face_proc_remote, ward_face_spawn_remote, ward_face_link_remote, NULL };

static const ward_type *const types_local[] = {
  &ward_type_error, &ward_type_channel, &ward_type_case, &ward_type_message,
  &ward_type_builder, &ward_type_vmchan, &ward_type_context, &ward_type_fd, &ward_type_io, NULL };
static const ward_type *const types_remote[] = {
  &ward_type_error, &ward_type_channel, &ward_type_case, &ward_type_message,
  &ward_type_builder_remote, &ward_type_vmchan_remote, &ward_type_context, &ward_type_fd, &ward_type_io, NULL };

const ward_face ward_face_local = {
  .base = ward_face_base_local, .process = proc_local, .registry = ward_face_registry_local,
  .emilua = ward_face_emilua_local, .inbox = ward_face_inbox_local, .types = types_local,
  .blocking = NULL };

/* Before it waits, a subprocess actor sends the DROPs a full channel held
 * back. */
const ward_face ward_face_remote = {
  .base = ward_face_base_remote, .process = proc_remote, .registry = ward_face_registry_remote,
  .emilua = ward_face_emilua_remote, .inbox = ward_face_inbox_remote, .types = types_remote,
  .blocking = ward_remote_flush_drops };

static const char face_key;     /* its address keys the face in the registry */

void
ward_face_set (lua_State *L, const ward_face *f)
{
  lua_pushlightuserdata (L, (void *) f);
  lua_rawsetp (L, LUA_REGISTRYINDEX, &face_key);
}

const ward_face *
ward_face_of (lua_State *L)
{
  lua_rawgetp (L, LUA_REGISTRYINDEX, &face_key);
  const ward_face *f = lua_touserdata (L, -1);
  lua_pop (L, 1);
  return f ? f : &ward_face_local;
}

static void
make_type (lua_State *L, const ward_type *t)
{
  luaL_newmetatable (L, t->tname);
  int own_index = 0;
  if (t->metamethods)
    {
      luaL_setfuncs (L, t->metamethods, 0);
      own_index = lua_getfield (L, -1, "__index") != LUA_TNIL;
      lua_pop (L, 1);
    }
  if (t->methods)
    {
      lua_newtable (L);
      luaL_setfuncs (L, t->methods, 0);
      lua_setfield (L, -2, own_index ? "methods" : "__index");
    }
  lua_pushstring (L, t->display);
  lua_setfield (L, -2, "__metatable");
}

/* The metatables of ward's types a process's VM has made are kept in the
 * process too (p->meta): the hot paths (a Message per message received,
 * a channel checked per receive) find them without a registry lookup by
 * name. Only for the process's own threads (its main one and the body):
 * another state -- a coroutine of the script, or a state that is not the
 * process's VM at all -- takes the usual way. */
static ward_proc *
meta_owner (lua_State *L)
{
  ward_proc *p = ward_current ();
  return p && p->L && (L == p->co || L == p->L) ? p : NULL;
}

static int
meta_find (const ward_proc *p, const char *tname)
{
  for (int i = 0; i < p->nmeta; i++)
    if (p->meta[i].tname == tname)
      return i;
  return -1;
}

void
ward_pushmeta (lua_State *L, const char *tname)
{
  ward_proc *p = meta_owner (L);
  int i = p ? meta_find (p, tname) : -1;
  if (i >= 0)
    {
      lua_rawgeti (L, LUA_REGISTRYINDEX, p->meta[i].ref);
      return;
    }
  if (luaL_getmetatable (L, tname) == LUA_TNIL)
    {
      lua_pop (L, 1);
      for (const ward_type *const *t = ward_face_of (L)->types; *t; t++)
        if (strcmp ((*t)->tname, tname) == 0)
          make_type (L, *t);
      if (lua_type (L, -1) != LUA_TTABLE)
        luaL_error (L, "internal error: unknown type %s", tname);
    }
  if (p && p->nmeta < (int) (sizeof p->meta / sizeof p->meta[0]))
    {
      lua_pushvalue (L, -1);
      int ref = luaL_ref (L, LUA_REGISTRYINDEX);     /* (may raise: nothing kept yet) */
      p->meta[p->nmeta].tname = tname;
      p->meta[p->nmeta].ref = ref;
      p->meta[p->nmeta].mt = lua_topointer (L, -1);
      p->nmeta++;
    }
}

void
ward_setmeta (lua_State *L, const char *tname)
{
  ward_pushmeta (L, tname);
  lua_setmetatable (L, -2);
}

void *
ward_testudata (lua_State *L, int idx, const char *tname)
{
  ward_proc *p = meta_owner (L);
  int i = p ? meta_find (p, tname) : -1;
  if (i < 0)
    return luaL_testudata (L, idx, tname);
  void *u = lua_touserdata (L, idx);
  if (u == NULL || !lua_getmetatable (L, idx))
    return NULL;
  int same = lua_topointer (L, -1) == p->meta[i].mt;
  lua_pop (L, 1);
  return same ? u : NULL;
}

void *
ward_checkudata (lua_State *L, int idx, const char *tname)
{
  void *u = ward_testudata (L, idx, tname);
  return u ? u : luaL_checkudata (L, idx, tname);   /* (raises its error) */
}
