/* vm.c -- a process's Lua VM: boot (its face, libraries, definition and
 * arguments), upgrade and close; the Lua release check and the describing
 * of error objects. The definitions it loads are defs.c's. */
#include "config.h"
#include "vmint.h"
#include "face.h"
#include "remote.h"
#include "codec.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <lauxlib.h>

void
ward_vm_describe_error (lua_State *L, int idx, char *buf, size_t n)
{
  switch (lua_type (L, idx))
    {
    case LUA_TSTRING:
      {
        size_t len;
        const char *s = lua_tolstring (L, idx, &len);
        snprintf (buf, n, "%.*s", (int) (len < n ? len : n - 1), s);
        return;
      }
    case LUA_TNUMBER:
      if (lua_isinteger (L, idx))
        snprintf (buf, n, "%lld", (long long) lua_tointeger (L, idx));
      else
        snprintf (buf, n, "%.14g", lua_tonumber (L, idx));
      return;
    case LUA_TNIL:
      snprintf (buf, n, "nil");
      return;
    case LUA_TUSERDATA:
      {
        const ward_err *e = luaL_testudata (L, idx, "ward.error");
        if (e)
          {
            snprintf (buf, n, "%s: %s", ward_kind_name (e->kind), e->msg);
            return;
          }
      }
      /* fall through */
    default:
      /* Never call __tostring: it is the script's code. */
      snprintf (buf, n, "(error object is a %s value)", luaL_typename (L, idx));
    }
}


/* The Lua library's release. */
int
ward_lua_release_of (const char *ident)
{
  const char *s = ident ? strstr (ident, "Lua ") : NULL;
  if (s == NULL)
    return 0;
  s += 4;
  int v[3];
  for (int i = 0; i < 3; i++)
    {
      if (*s < '0' || *s > '9')
        return 0;
      char *end;
      long n = strtol (s, &end, 10);
      if (n > 99)
        return 0;
      v[i] = (int) n;
      s = end;
      if (i < 2 && *s++ != '.')
        return 0;
    }
  return v[0] * 10000 + v[1] * 100 + v[2];
}

int
ward_lua_release_running (void)
{
  return ward_lua_release_of (lua_ident);
}

int
ward_vm_lua_check (ward_err *err)
{
  int run = ward_lua_release_running ();
  if (run / 100 != LUA_VERSION_NUM)
    return ward_err_set (err, WARD_E_INTERNAL, 0,
                         "the Lua library is not Lua %s (it says `%.40s`): ward was built for %s",
                         LUA_VERSION_MAJOR "." LUA_VERSION_MINOR, lua_ident, LUA_RELEASE);
  if (run < LUA_VERSION_RELEASE_NUM)
    return ward_err_set (err, WARD_E_INTERNAL, 0,
                         "the Lua library is release %d.%d.%d, older than the %s ward was built "
                         "with: its known bugs are not the ones ward disarms",
                         run / 10000, run / 100 % 100, run % 100, LUA_RELEASE);
  return 0;
}

/* Every call that allocates runs protected: a process killed meanwhile
 * (another thread's terminate, a link) has an allocator that refuses, and
 * an unprotected memory error would end the whole runtime. */
static int
vm_setup (lua_State *L)
{
  ward_proc *p = lua_touserdata (L, 1);
  /* Chosen once for the VM: in a subprocess actor the calls that reach
   * beyond the actor are its stand-in's (remote.h). */
  const ward_face *f = ward_remote_chan >= 0 ? &ward_face_remote : &ward_face_local;
  ward_face_set (L, f);
  p->on_block = f->blocking;
  /* The globals: a new table in place of the one lua_newstate made, sized
   * for what the boot puts in it (the table grows by rehashing, once per
   * doubling). Nothing has seen the first one. */
  lua_createtable (L, 0, 4);
  lua_rawseti (L, LUA_REGISTRYINDEX, LUA_RIDX_GLOBALS);
  ward_vm__open_safe_libs (L);
  ward_open_emilua (L, p->is_worker);
  p->co = lua_newthread (L);
  return 1;                     /* (kept at the bottom of L's stack: vm_start) */
}

/* Load the body and its arguments onto p->co; runs inside a pcall. */
static int
vm_load_body (lua_State *L)
{
  ward_proc *p = lua_touserdata (L, 1);
  ward_err err;
  if (p->remote)
    {
      /* A subprocess actor's stand-in: the broker's body, which sends the
       * definition and the arguments to the child. */
      const ward_def *bd = ward_broker_def (&err);
      if (bd == NULL || ward_def_load (p->co, bd, &err) < 0)
        return luaL_error (L, "%s", err.msg);
      ward_broker_push_module (p->co);
      p->nargs = 1;
      return 0;
    }
  if ((p->def ? ward_def_load (p->co, p->def, &err)
              : ward_def_push (p->co, p->def_path, 0, &err)) < 0)
    return luaL_error (L, "%s", err.msg);
  int n = 0;
  if (p->args_len
      && ward_codec_decode (p->co, p->args, p->args_len, ward_codec_opts_rt (), &n, &err) < 0)
    return luaL_error (L, "spawn arguments: %s", err.msg);
  p->nargs = n;
  return 0;
}

static int
vm_start (ward_proc *p, ward_err *err)
{
  lua_State *L = p->L;
  lua_pushcfunction (L, vm_setup);
  lua_pushlightuserdata (L, p);
  /* The body's thread stays at the bottom of L's stack, where the
   * collector sees it for the VM's life (L runs nothing but the two
   * protected calls here). */
  if (lua_pcall (L, 1, 1, 0) != LUA_OK)
    {
      char msg[256];
      ward_vm_describe_error (L, -1, msg, sizeof msg);
      return ward_err_set (err, WARD_E_INTERNAL, 0, "starting the process VM: %s", msg);
    }
  lua_sethook (p->co, ward_vm__hook, LUA_MASKCOUNT, WARD_HOOK_EVERY);
  lua_pushcfunction (L, vm_load_body);
  lua_pushlightuserdata (L, p);
  if (lua_pcall (L, 1, 0, 0) != LUA_OK)
    {
      char msg[WARD_ERR_MSG_MAX];
      ward_vm_describe_error (L, -1, msg, sizeof msg);
      return ward_err_set (err, WARD_E_INVALID, 0, "%s", msg);
    }
  if (p->remote == NULL)          /* the broker sends them on */
    {
      ward_proc_free_copy (p, p->args);
      p->args = NULL;
      p->args_len = 0;
    }
  return 0;
}

int
ward_vm_boot (ward_proc *p, ward_err *err)
{
  p->mem_limit = p->remote ? ward_broker_proxy_memory (p->remote) : ward_cfg.mem_limit;
  p->L = lua_newstate (ward_vm__alloc, p);
  if (p->L == NULL)
    return ward_err_set (err, WARD_E_UNAVAILABLE, ENOMEM, "creating the process VM");
  lua_atpanic (p->L, NULL);
  return vm_start (p, err);
}

/* Whether closing L may run code: a finalizer of one of ward's types
 * (a channel's, a descriptor's ...), which gives back what the object
 * held. Each such type's metatable is kept in the registry under its name
 * (luaL_newmetatable: face.c, lemilua.c), so a registry without a table
 * that has __gc means that no object of L has one of ward's finalizers
 * (a script's metatable cannot have __gc: vmbase.c's setmetatable; Lua's
 * own, luaL_Buffer's, only frees memory, which is the arena's). */
static int
vm_may_finalize (lua_State *L)
{
  int t = lua_gettop (L), found = 0;
  if (!lua_checkstack (L, 3))
    return 1;
  lua_pushnil (L);
  while (!found && lua_next (L, LUA_REGISTRYINDEX))
    {
      if (lua_type (L, -1) == LUA_TTABLE)
        {
          lua_pushliteral (L, "__gc");
          found = lua_rawget (L, -2) != LUA_TNIL;
          lua_pop (L, 1);
        }
      lua_pop (L, 1);
    }
  lua_settop (L, t);
  return found;
}

void
ward_vm_close (ward_proc *p)
{
  /* Without a finalizer to run, lua_close would only free each object in
   * turn: the arena gives all of the VM's memory back at once instead. */
  if (p->L && vm_may_finalize (p->L))
    lua_close (p->L);
  p->L = p->co = NULL;
  p->nmeta = 0;                 /* (its tables are gone with it) */
  ward_arena_release (&p->arena);
  p->mem_used = 0;
}

int
ward_vm_upgrade (ward_proc *p, ward_err *err)
{
  ward_vm_close (p);
  p->L = lua_newstate (ward_vm__alloc, p);
  if (p->L == NULL)
    return ward_err_set (err, WARD_E_UNAVAILABLE, ENOMEM, "creating the process VM");
  return vm_start (p, err);
}
