/* vmco.c -- the coroutine library of a process's VM: resume and wrap pass
 * scheduler yields up to the process, and close is bounded in nesting. */
#include "config.h"
#include "vmint.h"

#include <pthread.h>
#include <stdint.h>
#include <lauxlib.h>
#include <lualib.h>

/* A scheduler yield (preemption or a blocking call) inside a
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
    ward_vm__raise_killed (L, p);
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
static _Thread_local struct { const char *lo; size_t size; int known; } ward_vm_cstack;

static size_t
cstack_left (void)
{
  if (ward_vm_cstack.known == 0)
    {
      pthread_attr_t attr;
      void *lo;
      size_t size;
      ward_vm_cstack.known = -1;
      if (pthread_getattr_np (pthread_self (), &attr) == 0)
        {
          if (pthread_attr_getstack (&attr, &lo, &size) == 0)
            {
              ward_vm_cstack.lo = lo;
              ward_vm_cstack.size = size;
              ward_vm_cstack.known = 1;
            }
          pthread_attr_destroy (&attr);
        }
    }
  if (ward_vm_cstack.known < 0)
    return SIZE_MAX;
  const char *here = (const char *) __builtin_frame_address (0);
  return here > ward_vm_cstack.lo ? (size_t) (here - ward_vm_cstack.lo) : 0;
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
  size_t reserve = ward_vm_cstack.size / 4 > (128u << 10) ? ward_vm_cstack.size / 4 : (128u << 10);
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

/* The coroutine library, with the functions above in place of Lua's. */
int
ward_vm__open_coroutine (lua_State *L)
{
  static const luaL_Reg co[] = {
    { "resume", l_co_resume }, { "wrap", l_co_wrap }, { "yield", l_co_yield },
    { "running", l_co_running }, { "isyieldable", l_co_isyieldable },
    { "close", l_co_close }, { NULL, NULL } };
  luaopen_coroutine (L);
  luaL_setfuncs (L, co, 0);
  return 1;
}
