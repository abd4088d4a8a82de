/* vm.c -- a process's Lua VM: capped allocator, safe standard library,
 * preemption hook, coroutines that pass scheduler yields through, loading
 * (the definitions it loads are defs.c's). */
#include "config.h"
#include "vm.h"
#include "lfd.h"
#include "remote.h"
#include "codec.h"
#include "pattern.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <lauxlib.h>
#include <lualib.h>

static void vm_hook (lua_State *L, lua_Debug *ar);

/* ------------------------------------------------------------------ */
/* Allocator: every byte of a process counts against its cap. Once the
 * process is killed, nothing may grow, so C functions that allocate in a
 * loop (string.rep, table.concat) stop too. */
static void *
vm_alloc (void *ud, void *ptr, size_t osize, size_t nsize)
{
  ward_proc *p = ud;
  if (ptr == NULL)
    osize = 0;
  if (nsize == 0)
    {
      ward_arena_realloc (&p->arena, ptr, osize, 0);
      p->mem_used -= osize;
      return NULL;
    }
  if (nsize > osize)
    {
      size_t grow = nsize - osize;
      if (atomic_load_explicit (&p->killed, memory_order_acquire)
          || p->mem_used + grow > p->mem_limit)
        {
          if (!atomic_load (&p->killed) && p->co != NULL)
            {
              ward_proc_kill (p, "memory limit of %zu bytes exceeded", p->mem_limit);
              /* the body's next instruction raises again, past any pcall */
              lua_sethook (p->co, vm_hook, LUA_MASKCOUNT, 1);
            }
          return NULL;
        }
    }
  void *np = ward_arena_realloc (&p->arena, ptr, osize, nsize);
  if (np == NULL)
    return NULL;
  p->mem_used = p->mem_used - osize + nsize;
  if (p->mem_used > p->mem_peak)
    p->mem_peak = p->mem_used;
  return np;
}

/* ------------------------------------------------------------------ */
/* The count hook: kill check, instruction budget, preemption. */
static void vm_hook (lua_State *L, lua_Debug *ar);

static void
raise_killed (lua_State *L, ward_proc *p)
{
  /* Fire on every instruction from now on: whatever pcall catches is
   * raised again at the next instruction until the body is gone. */
  lua_sethook (L, vm_hook, LUA_MASKCOUNT, 1);
  luaL_error (L, "%s", p->kill_msg);
}

void
ward_vm_check_killed (lua_State *L)
{
  ward_proc *p = ward_current ();
  if (p && atomic_load (&p->killed))
    raise_killed (L, p);
}

static void
vm_hook (lua_State *L, lua_Debug *ar)
{
  ward_proc *p = ward_current ();
  if (p == NULL)
    return;
  if (atomic_load_explicit (&p->killed, memory_order_acquire))
    raise_killed (L, p);
  p->instructions += WARD_HOOK_EVERY;
  ward_sched_nudge ();
  if (ward_cfg.instr_budget && p->instructions > ward_cfg.instr_budget)
    {
      ward_proc_kill (p, "instruction budget of %llu exceeded",
                      (unsigned long long) ward_cfg.instr_budget);
      raise_killed (L, p);
    }
  if (++p->slice < WARD_SLICE_TICKS)
    return;
  if (lua_isyieldable (L))
    {
      p->yield_reason = WARD_Y_PREEMPT;
      lua_yield (L, 0);
      return;
    }
  if (ward_now_ns () - p->slice_start_ns > WARD_UNYIELDABLE_NS)
    {
      ward_proc_kill (p, "ran for more than %lld s where it cannot be preempted "
                      "(inside a C call such as a sort comparator or a metamethod)",
                      WARD_UNYIELDABLE_NS / 1000000000LL);
      raise_killed (L, p);
    }
}

int
ward_vm_block (lua_State *L, lua_KContext ctx, lua_KFunction k)
{
  ward_proc *p = ward_current ();
  if (!lua_isyieldable (L))
    return luaL_error (L, "cannot block here (inside a metamethod, iterator "
                       "or C callback that cannot yield)");
  p->yield_reason = WARD_Y_BLOCK;
  if (ward_remote_chan >= 0)
    ward_remote_flush_drops ();   /* before waiting: what a full channel held back */
  return lua_yieldk (L, 0, ctx, k);
}

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

/* ------------------------------------------------------------------ */
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

/* ------------------------------------------------------------------ */
/* Coroutines. A scheduler yield (preemption or a blocking call) inside a
 * script's own coroutine must suspend the whole process, not return to the
 * script's resume: our resume passes such yields up and resumes the inner
 * coroutine again when the process runs. */
static int co_resume_step (lua_State *L, lua_State *co, int nargs, int wrap);
static int co_close_guarded (lua_State *L, lua_State *co, int *status);
static _Thread_local int close_depth;   /* closes running on this thread */

static int
co_resume_k (lua_State *L, int status, lua_KContext ctx)
{
  int wrap = (int) ctx;
  lua_State *co = lua_tothread (L, wrap ? lua_upvalueindex (1) : 1);
  ward_vm_check_killed (L);
  return co_resume_step (L, co, 0, wrap);
}

static int
co_resume_step (lua_State *L, lua_State *co, int nargs, int wrap)
{
  ward_proc *p = ward_current ();
  int nres;
  int st = lua_resume (co, L, nargs, &nres);
  if (st == LUA_YIELD && p->yield_reason != WARD_Y_NONE)
    {
      lua_pop (co, nres);
      return lua_yieldk (L, 0, (lua_KContext) wrap, co_resume_k);
    }
  if (atomic_load (&p->killed))
    raise_killed (L, p);
  if (st == LUA_OK || st == LUA_YIELD)
    {
      if (!lua_checkstack (L, nres + 1))
        return luaL_error (L, "too many results to resume");
      if (!wrap)
        lua_pushboolean (L, 1);
      lua_xmove (co, L, nres);
      return nres + !wrap;
    }
  if (wrap)
    {
      /* As the reference wrap does: a coroutine that ended with an error
       * has its pending to-be-closed variables closed now (their __close
       * get the error; one that raises replaces it), since nothing else
       * can reach them. */
      if (co_close_guarded (L, co, &st) < 0)
        return luaL_error (L, "C stack overflow (closing a coroutine nested %d deep)",
                           close_depth);
      lua_xmove (co, L, 1);    /* the error object */
      if (st != LUA_ERRMEM && lua_type (L, -1) == LUA_TSTRING)
        {
          luaL_where (L, 1);
          lua_insert (L, -2);
          lua_concat (L, 2);
        }
      return lua_error (L);
    }
  lua_xmove (co, L, 1);        /* the error object */
  lua_pushboolean (L, 0);
  lua_insert (L, -2);
  return 2;
}

static int
co_check_resumable (lua_State *L, lua_State *co)
{
  int st = lua_status (co);
  if (st == LUA_YIELD)
    return 1;
  if (st == LUA_OK)
    {
      lua_Debug ar;
      if (lua_getstack (co, 0, &ar))
        lua_pushliteral (L, "cannot resume non-suspended coroutine");
      else if (lua_gettop (co) == 0)
        lua_pushliteral (L, "cannot resume dead coroutine");
      else
        return 1;
    }
  else
    lua_pushliteral (L, "cannot resume dead coroutine");
  return 0;
}

static int
l_co_resume (lua_State *L)
{
  lua_State *co = lua_tothread (L, 1);
  luaL_argexpected (L, co, 1, "thread");
  if (co == L || !co_check_resumable (L, co))
    {
      if (co == L)
        lua_pushliteral (L, "cannot resume non-suspended coroutine");
      lua_pushboolean (L, 0);
      lua_insert (L, -2);
      return 2;
    }
  int nargs = lua_gettop (L) - 1;
  if (!lua_checkstack (co, nargs))
    {
      lua_pushboolean (L, 0);
      lua_pushliteral (L, "too many arguments to resume");
      return 2;
    }
  lua_xmove (L, co, nargs);
  return co_resume_step (L, co, nargs, 0);
}

static int
l_co_wrap_call (lua_State *L)
{
  lua_State *co = lua_tothread (L, lua_upvalueindex (1));
  if (!co_check_resumable (L, co))
    {
      luaL_where (L, 1);        /* as Lua's wrap words it */
      lua_insert (L, -2);
      lua_concat (L, 2);
      return lua_error (L);
    }
  int nargs = lua_gettop (L);
  if (!lua_checkstack (co, nargs))
    return luaL_error (L, "too many arguments to resume");
  lua_xmove (L, co, nargs);
  return co_resume_step (L, co, nargs, 1);
}

static int
l_co_wrap (lua_State *L)
{
  luaL_checktype (L, 1, LUA_TFUNCTION);
  lua_State *co = lua_newthread (L);
  lua_pushvalue (L, 1);
  lua_xmove (L, co, 1);
  lua_pushcclosure (L, l_co_wrap_call, 1);
  return 1;
}

static int
l_co_yield (lua_State *L)
{
  ward_proc *p = ward_current ();
  if (p && L == p->co)
    {
      lua_pushliteral (L, "attempt to yield from outside a coroutine");  /* as Lua's: no position */
      return lua_error (L);
    }
  return lua_yield (L, lua_gettop (L));
}

static int
l_co_running (lua_State *L)
{
  ward_proc *p = ward_current ();
  lua_pushthread (L);
  lua_pushboolean (L, p && L == p->co);
  return 2;
}

static int
l_co_isyieldable (lua_State *L)
{
  ward_proc *p = ward_current ();
  lua_State *co = lua_isnone (L, 1) ? L : lua_tothread (L, 1);
  luaL_argexpected (L, co, 1, "thread");
  lua_pushboolean (L, lua_isyieldable (co) && !(p && co == p->co));
  return 1;
}

/* coroutine.close runs the closed coroutine's pending __close methods on
 * the C stack of its caller, and Lua up to 5.4.4 does not count that
 * nesting against its C-call limit: a chain of coroutines each closing
 * the next from a __close overflows the C stack of the whole runtime (the
 * bug "C-stack overflow with deep nesting of coroutine.close", fixed in
 * 5.4.5). Ours counts the nesting on this worker thread and watches the
 * stack that is left; past either bound the call raises "C stack
 * overflow", as a fixed Lua does. Nothing between the count and its
 * release can raise: lua_closethread/lua_resetthread is protected. */
static _Thread_local struct { const char *lo; size_t size; int known; } cstack;

static size_t
cstack_left (void)
{
  if (cstack.known == 0)
    {
      pthread_attr_t attr;
      void *lo;
      size_t size;
      cstack.known = -1;
      if (pthread_getattr_np (pthread_self (), &attr) == 0)
        {
          if (pthread_attr_getstack (&attr, &lo, &size) == 0)
            {
              cstack.lo = lo;
              cstack.size = size;
              cstack.known = 1;
            }
          pthread_attr_destroy (&attr);
        }
    }
  if (cstack.known < 0)
    return SIZE_MAX;
  const char *here = (const char *) __builtin_frame_address (0);
  return here > cstack.lo ? (size_t) (here - cstack.lo) : 0;
}

/* Close co's pending to-be-closed variables (lua_closethread): 0 with
 * *status its result (the error object, if any, on co's stack), or -1,
 * nothing done, when the nesting or the stack left is past its bound. */
static int
co_close_guarded (lua_State *L, lua_State *co, int *status)
{
  /* A quarter of the stack (at least 128 KiB) stays for the Lua code
   * each level may still run: up to LUAI_MAXCCALLS C levels of its own. */
  size_t left = cstack_left ();
  size_t reserve = cstack.size / 4 > (128u << 10) ? cstack.size / 4 : (128u << 10);
  if (close_depth >= WARD_CLOSE_NEST_MAX || left < reserve)
    return -1;
  close_depth++;
#if LUA_VERSION_RELEASE_NUM >= 50406
  *status = lua_closethread (co, L);
#elif LUA_VERSION_RELEASE_NUM == 50405
  *status = lua_resetthread (co, L);      /* 5.4.5's takes the caller too */
#else
  (void) L;
  *status = lua_resetthread (co);
#endif
  close_depth--;
  return 0;
}

static int
l_co_close (lua_State *L)
{
  lua_State *co = lua_tothread (L, 1);
  luaL_argexpected (L, co, 1, "thread");
  const char *what = NULL;
  if (co == L)
    what = "running";
  else if (lua_status (co) == LUA_OK)
    {
      lua_Debug ar;
      if (lua_getstack (co, 0, &ar))
        what = "normal";
    }
  if (what)
    return luaL_error (L, "cannot close a %s coroutine", what);
  int st;
  if (co_close_guarded (L, co, &st) < 0)
    return luaL_error (L, "C stack overflow (coroutine.close nested %d deep)",
                       close_depth);
  if (st == LUA_OK)
    {
      lua_pushboolean (L, 1);
      return 1;
    }
  lua_pushboolean (L, 0);
  lua_xmove (co, L, 1);         /* the error object */
  return 2;
}

/* ------------------------------------------------------------------ */
/* The safe base. */
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

static void
set_nil (lua_State *L, int t, const char *name)
{
  lua_pushnil (L);
  lua_setfield (L, t, name);
}

static int open_lazy (lua_State *L, const char *name);

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

/* require: the libraries of the safe base, "inbox", or a module file under
 * the root, which needs `lua.require` on its name. */
static int
l_require (lua_State *L)
{
  size_t len;
  const char *name = luaL_checklstring (L, 1, &len);
  if (strlen (name) != len)
    return luaL_error (L, "module `%s...` holds a NUL byte", name);
  luaL_getsubtable (L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
  if (lua_getfield (L, -1, name) != LUA_TNIL && lua_toboolean (L, -1))
    return 1;                   /* as Lua's: a module that gave false loads again */
  lua_pop (L, 1);
  if (open_lazy (L, name))
    return 1;
  if (strcmp (name, "inbox") == 0)
    {
      luaL_requiref (L, "inbox", ward_luaopen_inbox, 0);
      return 1;
    }
  if (strcmp (name, "fd") == 0)
    {
      /* descriptors cost the whole runtime's table: asked, like a file */
      ward_err err;
      lua_settop (L, 1);
      if (ward_remote_chan >= 0)
        {
          /* asked in the runtime (which raises when refused); the call
           * yields, so the module opens in the continuation */
          lua_pushcfunction (L, remote_require);
          lua_insert (L, 1);
          lua_callk (L, 1, 0, 0, open_fd_k);
          return open_fd_k (L, LUA_OK, 0);
        }
      if (ward_proc_authorize1 (ward_current (), WARD_ACTION (LUA_REQUIRE), name, NULL, &err) < 0)
        return luaL_error (L, "require 'fd': permission denied (lua.require on fd)");
      return open_fd_k (L, LUA_OK, 0);
    }
  if (ward_remote_chan >= 0)
    {
      /* asked (and audited) in the runtime; a module file is not sent */
      lua_settop (L, 1);
      return ward_remote_call (L, "require");
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

/* Libraries are opened on first use of their global name: most processes
 * touch few of them, and opening all costs more than the rest of a spawn. */
static int
open_coroutine (lua_State *L)
{
  static const luaL_Reg co[] = {
    { "resume", l_co_resume }, { "wrap", l_co_wrap }, { "yield", l_co_yield },
    { "running", l_co_running }, { "isyieldable", l_co_isyieldable },
    { "close", l_co_close }, { NULL, NULL } };
  luaopen_coroutine (L);
  luaL_setfuncs (L, co, 0);
  return 1;
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
  open_lazy (L, "string");
}

static int
open_os (lua_State *L)
{
  static const char *const unsafe[] = { "execute", "exit", "getenv", "remove",
                                        "rename", "tmpname", "setlocale", NULL };
  luaopen_os (L);
  for (const char *const *n = unsafe; *n; n++)
    set_nil (L, lua_gettop (L), *n);
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

static const luaL_Reg lazy_libs[] = {
  { "string", open_string }, { "table", open_table }, { "process", ward_luaopen_process },
  { "channel", ward_luaopen_channel }, { "time", ward_luaopen_time },
  { "errors", ward_luaopen_errors }, { "math", luaopen_math },
  { "coroutine", open_coroutine }, { "utf8", open_utf8 }, { "os", open_os },
  { NULL, NULL } };

/* Open the lazy library `name` into _G and package.loaded; push it, or
 * push nothing and return 0 when name is not one. */
static int
open_lazy (lua_State *L, const char *name)
{
  for (const luaL_Reg *l = lazy_libs; l->name; l++)
    if (strcmp (l->name, name) == 0)
      {
        luaL_requiref (L, l->name, l->func, 1);
        return 1;
      }
  return 0;
}

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
    { "require", l_require }, { "getmetatable", l_getmetatable }, { NULL, NULL } };
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

/* _G's __index: a missing global may be a base function or a library not
 * opened yet; it is stored in _G on first use. */
static int
lazy_global (lua_State *L)
{
  if (lua_type (L, 2) != LUA_TSTRING)
    return 0;
  const char *k = lua_tostring (L, 2);
  for (int i = 0; i < nbase; i++)
    if (strcmp (base_fns[i].name, k) == 0)
      {
        lua_pushcfunction (L, base_fns[i].fn);
        lua_pushvalue (L, 2);
        lua_pushvalue (L, -2);
        lua_rawset (L, 1);
        return 1;
      }
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
  return open_lazy (L, k);
}

/* The strings' first metatable: a method call opens the string library,
 * which installs the real metatable. */
static int
lazy_string_index (lua_State *L)
{
  open_lazy (L, "string");
  lua_pushvalue (L, 2);
  lua_gettable (L, -2);
  return 1;
}

static const ward_type *const types[] = {
  &ward_type_error, &ward_type_channel, &ward_type_case, &ward_type_message,
  &ward_type_builder, &ward_type_vmchan, &ward_type_context, &ward_type_fd, NULL };

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

void
ward_setmeta (lua_State *L, const char *tname)
{
  if (luaL_getmetatable (L, tname) == LUA_TNIL)
    {
      lua_pop (L, 1);
      for (const ward_type *const *t = types; *t; t++)
        if (strcmp ((*t)->tname, tname) == 0)
          make_type (L, *t);
      if (lua_type (L, -1) != LUA_TTABLE)
        luaL_error (L, "internal error: unknown type %s", tname);
    }
  lua_setmetatable (L, -2);
}

static void
open_safe_libs (lua_State *L)
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

/* ------------------------------------------------------------------ */
/* Boot, upgrade and close. */
/* Every call that allocates runs protected: a process killed meanwhile
 * (another thread's terminate, a link) has an allocator that refuses, and
 * an unprotected memory error would end the whole runtime. */
static int
vm_setup (lua_State *L)
{
  ward_proc *p = lua_touserdata (L, 1);
  open_safe_libs (L);
  ward_open_emilua (L, p->is_worker);
  p->co = lua_newthread (L);
  lua_setfield (L, LUA_REGISTRYINDEX, "ward.body");
  return 0;
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
  if (lua_pcall (L, 1, 0, 0) != LUA_OK)
    {
      char msg[256];
      ward_vm_describe_error (L, -1, msg, sizeof msg);
      return ward_err_set (err, WARD_E_INTERNAL, 0, "starting the process VM: %s", msg);
    }
  lua_sethook (p->co, vm_hook, LUA_MASKCOUNT, WARD_HOOK_EVERY);
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
      free (p->args);
      p->args = NULL;
      p->args_len = 0;
    }
  return 0;
}

int
ward_vm_boot (ward_proc *p, ward_err *err)
{
  p->mem_limit = p->remote ? ward_broker_proxy_memory (p->remote) : ward_cfg.mem_limit;
  p->L = lua_newstate (vm_alloc, p);
  if (p->L == NULL)
    return ward_err_set (err, WARD_E_UNAVAILABLE, ENOMEM, "creating the process VM");
  lua_atpanic (p->L, NULL);
  return vm_start (p, err);
}

void
ward_vm_close (ward_proc *p)
{
  if (p->L)
    lua_close (p->L);
  p->L = p->co = NULL;
  ward_arena_release (&p->arena);
  p->mem_used = 0;
}

int
ward_vm_upgrade (ward_proc *p, ward_err *err)
{
  ward_vm_close (p);
  p->L = lua_newstate (vm_alloc, p);
  if (p->L == NULL)
    return ward_err_set (err, WARD_E_UNAVAILABLE, ENOMEM, "creating the process VM");
  return vm_start (p, err);
}
