/* init.c -- running an init script: a fresh Lua state with a small safe base,
 * a memory cap, an instruction budget, and errors that name the call. */
#include "config.h"
#include "init.h"
#include "init-int.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <lauxlib.h>
#include <lualib.h>

/* The count hook runs every WINIT_HOOK_STEP instructions until the budget
 * is spent, then on every instruction. */
#define WINIT_HOOK_STEP 10000

winit_ctx *
winit_ctx_of (lua_State *L)
{
  void *ud = NULL;
  lua_getallocf (L, &ud);
  return ud;
}

static void winit_hook (lua_State *L, lua_Debug *ar);

/* Every byte the state holds is counted; a request past the cap fails like
 * an exhausted heap, which Lua turns into a "not enough memory" error. That
 * error alone could be caught by pcall, and each later failure costs a full
 * emergency collection, so hitting the cap also ends the script: the hook
 * then raises on every instruction (lua_sethook is safe anywhere). */
void *
winit_alloc (void *ud, void *ptr, size_t osize, size_t nsize)
{
  winit_ctx *c = ud;
  size_t old = ptr != NULL ? osize : 0;
  if (nsize == 0)
    {
      free (ptr);
      c->mem_used -= old;
      return NULL;
    }
  if (nsize > old && nsize - old > c->mem_max - c->mem_used)
    {
      if (!c->mem_dead && c->L != NULL)
        lua_sethook (c->L, winit_hook, LUA_MASKCOUNT, 1);
      c->mem_dead = 1;
      return NULL;
    }
  void *p = realloc (ptr, nsize);
  if (p == NULL)
    return NULL;
  c->mem_used = c->mem_used - old + nsize;
  return p;
}

/* "CHUNK:LINE:" of the innermost Lua function on the stack. Searching
 * outward (not just level 1) keeps the line when a call is made through
 * pcall or as a tail call. */
static void
winit_where (lua_State *L, char *buf, size_t len)
{
  lua_Debug ar;
  buf[0] = '\0';
  for (int level = 1; lua_getstack (L, level, &ar); level++)
    {
      if (lua_getinfo (L, "Sl", &ar) && ar.currentline > 0)
        {
          snprintf (buf, len, "%s:%d: ", ar.short_src, ar.currentline);
          return;
        }
    }
}

static int __attribute__ ((noreturn))
winit_throw (lua_State *L, winit_ctx *c, ward_kind kind, int errnum)
{
  c->kind = kind;
  c->errnum = errnum;
  lua_pushstring (L, c->msg);
  lua_error (L);
  abort ();                     /* lua_error does not return */
}

int
winit_raise (lua_State *L, ward_kind kind, int errnum, const char *call,
             const char *fmt, ...)
{
  winit_ctx *c = winit_ctx_of (L);
  char where[256], what[WARD_ERR_MSG_MAX];
  va_list ap;
  va_start (ap, fmt);
  vsnprintf (what, sizeof what, fmt, ap);
  va_end (ap);
  winit_where (L, where, sizeof where);
  snprintf (c->msg, sizeof c->msg, "%s%s: %s", where, call, what);
  winit_throw (L, c, kind, errnum);
}

int
winit_raise_errno (lua_State *L, int errnum, const char *call)
{
  winit_raise (L, WARD_E_INTERNAL, errnum, call, "%s", strerror (errnum));
}

const char *
winit_str_arg (lua_State *L, int idx, const char *call, int opt)
{
  if (opt && lua_isnoneornil (L, idx))
    return NULL;
  if (lua_type (L, idx) != LUA_TSTRING)
    winit_raise (L, WARD_E_INVALID, 0, call, "argument #%d: string expected, got %s",
                 idx, luaL_typename (L, idx));
  size_t len;
  const char *s = lua_tolstring (L, idx, &len);
  if (strlen (s) != len)
    winit_raise (L, WARD_E_INVALID, 0, call, "argument #%d contains a NUL byte", idx);
  return s;
}

long long
winit_int_arg (lua_State *L, int idx, const char *call, long long lo,
               long long hi, int has_dflt, long long dflt)
{
  if (has_dflt && lua_isnoneornil (L, idx))
    return dflt;
  int isint = 0;
  lua_Integer v = lua_tointegerx (L, idx, &isint);
  if (!isint || lua_type (L, idx) != LUA_TNUMBER)
    winit_raise (L, WARD_E_INVALID, 0, call, "argument #%d: integer expected, got %s",
                 idx, luaL_typename (L, idx));
  if (v < lo || v > hi)
    winit_raise (L, WARD_E_INVALID, 0, call, "argument #%d: %lld is out of range",
                 idx, (long long) v);
  return v;
}

long long
winit_flags_arg (lua_State *L, int idx, const char *call, const winit_const *table)
{
  if (lua_isnoneornil (L, idx))
    return 0;
  if (lua_type (L, idx) == LUA_TNUMBER)
    return winit_int_arg (L, idx, call, 0, 0xffffffffLL, 0, 0);
  const char *s = winit_str_arg (L, idx, call, 0);
  long long flags = 0;
  while (*s != '\0')
    {
      s += strspn (s, " |");
      size_t n = strcspn (s, " |");
      if (n == 0)
        break;
      const winit_const *k = table;
      while (k->name != NULL && (strlen (k->name) != n || memcmp (k->name, s, n) != 0))
        k++;
      if (k->name == NULL)
        winit_raise (L, WARD_E_INVALID, 0, call, "unknown flag '%.*s'",
                     (int) (n > 64 ? 64 : n), s);
      flags |= k->value;
      s += n;
    }
  return flags;
}

void
winit_set_consts (lua_State *L, const winit_const *table)
{
  for (const winit_const *k = table; k->name != NULL; k++)
    {
      lua_pushinteger (L, k->value);
      lua_setfield (L, -2, k->name);
    }
}

/* Stops a script that runs too long or has hit the memory cap. From then
 * on the hook fires on every instruction, so a pcall that catches the error
 * is hit again by its caller's next instruction, up to the main chunk. */
static void
winit_hook (lua_State *L, lua_Debug *ar)
{
  winit_ctx *c = winit_ctx_of (L);
  char where[256] = "";
  if (c->mem_dead)
    {
      if (lua_getinfo (L, "Sl", ar) && ar->currentline > 0)
        snprintf (where, sizeof where, "%s:%d: ", ar->short_src, ar->currentline);
      snprintf (c->msg, sizeof c->msg, "%snot enough memory (an init script may use %zu bytes)",
                where, c->mem_max);
      winit_throw (L, c, WARD_E_UNAVAILABLE, ENOMEM);
    }
  if (!c->exhausted)
    {
      c->insns += WINIT_HOOK_STEP;
      if (c->insns < c->insn_max)
        return;
      c->exhausted = 1;
      lua_sethook (L, winit_hook, LUA_MASKCOUNT, 1);
    }
  if (lua_getinfo (L, "Sl", ar) && ar->currentline > 0)
    snprintf (where, sizeof where, "%s:%d: ", ar->short_src, ar->currentline);
  snprintf (c->msg, sizeof c->msg, "%sinstruction budget exhausted (%lld instructions)",
            where, c->insn_max);
  winit_throw (L, c, WARD_E_UNAVAILABLE, 0);
}

/* What the script may not have: file and process access outside the init
 * calls, chunk loading, metatables (a __gc finalizer runs with hooks off and
 * could hang lua_close), the collector's controls, xpcall (when the hook
 * raises, Lua runs the message handler with hooks still off, so a looping
 * handler would never be stopped), and what can run for minutes inside C,
 * where no hook fires: string patterns (backtracking) and table.move
 * (table.move({}, 1, math.maxinteger - 1, 2) loops without allocating). */
static const char *const winit_removed[] = {
  "dofile", "loadfile", "load", "require", "collectgarbage", "setmetatable",
  "getmetatable", "xpcall", "print", "warn", NULL
};
static const char *const winit_removed_string[] = {
  "dump", "find", "match", "gmatch", "gsub", NULL
};
static const char *const winit_removed_table[] = { "move", NULL };

static void
winit_open_lib (lua_State *L, const char *name, lua_CFunction open)
{
  luaL_requiref (L, name, open, 1);
  lua_pop (L, 1);
}

/* Emilua's errexit (https://docs.emilua.org/api/0.10/ref/init.script.html):
 * a global, true when the script starts. While it is true a failing call
 * raises (ward's way, and Emilua's abort). Set to false, a call whose
 * system call fails returns -1 and the errno instead, and one that
 * succeeds returns its result and 0 (0, 0 when it has none). Bad arguments,
 * the limits and the script's own errors raise either way. */
static int
errexit_call (lua_State *L)
{
  winit_ctx *c = winit_ctx_of (L);
  int n = lua_gettop (L);
  lua_pushvalue (L, lua_upvalueindex (1));
  lua_insert (L, 1);
  int st = lua_pcall (L, n, LUA_MULTRET, 0);
  lua_getglobal (L, "errexit");
  int off = lua_type (L, -1) == LUA_TBOOLEAN && !lua_toboolean (L, -1);
  lua_pop (L, 1);
  if (st == LUA_OK)
    {
      int k = lua_gettop (L);
      if (off && k <= 1)
        {
          if (k == 0)
            lua_pushinteger (L, 0);
          lua_pushinteger (L, 0);
          return 2;
        }
      return k;
    }
  if (off && st == LUA_ERRRUN && !c->exhausted && !c->mem_dead && c->kind == WARD_E_INTERNAL
      && c->errnum != 0 && lua_type (L, -1) == LUA_TSTRING
      && strcmp (lua_tostring (L, -1), c->msg) == 0)
    {
      int e = c->errnum;
      c->msg[0] = '\0';
      lua_pushinteger (L, -1);
      lua_pushinteger (L, e);
      return 2;
    }
  return lua_error (L);
}

/* Wrap every call of the table on top of the stack (not mode, which makes
 * no system call) in errexit_call. */
static void
wrap_errexit (lua_State *L)
{
  int t = lua_gettop (L);
  lua_pushnil (L);
  while (lua_next (L, t))
    {
      if (lua_type (L, -1) == LUA_TFUNCTION && lua_type (L, -2) == LUA_TSTRING
          && strcmp (lua_tostring (L, -2), "mode") != 0)
        {
          lua_pushvalue (L, -2);
          lua_insert (L, -2);
          lua_pushcclosure (L, errexit_call, 1);
          lua_rawset (L, t);      /* an existing field: next() goes on from the key */
        }
      else
        lua_pop (L, 1);
    }
}

/* Runs protected: opening libraries allocates and may hit the cap. */
static int
winit_prepare (lua_State *L)
{
  int arg_fd = (int) lua_tointeger (L, 1);
  winit_open_lib (L, LUA_GNAME, luaopen_base);
  winit_open_lib (L, LUA_STRLIBNAME, luaopen_string);
  winit_open_lib (L, LUA_TABLIBNAME, luaopen_table);
  winit_open_lib (L, LUA_MATHLIBNAME, luaopen_math);
  for (const char *const *n = winit_removed; *n != NULL; n++)
    {
      lua_pushnil (L);
      lua_setglobal (L, *n);
    }
  lua_getglobal (L, LUA_STRLIBNAME);
  for (const char *const *n = winit_removed_string; *n != NULL; n++)
    {
      lua_pushnil (L);
      lua_setfield (L, -2, *n);
    }
  lua_getglobal (L, LUA_TABLIBNAME);
  for (const char *const *n = winit_removed_table; *n != NULL; n++)
    {
      lua_pushnil (L);
      lua_setfield (L, -2, *n);
    }
  lua_pop (L, 2);

  lua_newtable (L);
  winit_open_calls (L);
  winit_open_guard (L);
  wrap_errexit (L);
  lua_pushboolean (L, 1);
  lua_setglobal (L, "errexit");
  if (arg_fd >= 0)
    {
      lua_pushinteger (L, arg_fd);
      lua_setfield (L, -2, "arg");
    }
  /* Emilua's names for the same things: C.mount, arg, mode, send_with_fd */
  lua_pushvalue (L, -1);
  lua_setglobal (L, "C");
  lua_getfield (L, -1, "arg");
  lua_setglobal (L, "arg");
  static const char *const aliases[] = { "mode", "send_with_fd", "receive_with_fd", NULL };
  for (const char *const *n = aliases; *n != NULL; n++)
    {
      lua_getfield (L, -1, *n);
      lua_setglobal (L, *n);
    }
  lua_setglobal (L, "init");
  return 0;
}

/* The error on top of the stack as text: strings as they are, anything
 * else by its type (no metatables exist to call). Allocates nothing: it runs
 * unprotected, maybe with the memory cap reached. */
static const char *
winit_error_text (lua_State *L, char *buf, size_t len)
{
  int t = lua_type (L, -1);
  if (t == LUA_TSTRING)
    return lua_tostring (L, -1);
  if (t == LUA_TNUMBER && lua_isinteger (L, -1))
    snprintf (buf, len, "%lld", (long long) lua_tointeger (L, -1));
  else if (t == LUA_TNUMBER)
    snprintf (buf, len, "%.14g", (double) lua_tonumber (L, -1));
  else
    snprintf (buf, len, "(error object is a %s value)", lua_typename (L, t));
  return buf;
}

/* Load the script's deny/kill rules, stacked on any filter loaded later:
 * the kernel applies the strictest verdict of all the filters, so a deny
 * holds even where the profile's filter allows the call. */
static int
winit_load_deny (winit_ctx *c, const char *name, ward_err *err)
{
  if (c->deny == NULL)
    return 0;
  int rc = seccomp_load (c->deny);
  if (rc < 0)
    return ward_err_set (err, WARD_E_INTERNAL, -rc,
                         "%s: loading the script's seccomp rules", name);
  return 0;
}

const char *
winit_builtin (const char *name, size_t *len)
{
  for (size_t i = 0; name != NULL && i < winit_builtin_count; i++)
    if (strcmp (winit_builtin_names[i], name) == 0)
      {
        if (len != NULL)
          *len = winit_builtin_lens[i];
        return winit_builtin_texts[i];
      }
  return NULL;
}

static unsigned last_allows;

unsigned
winit_seccomp_allows (void)
{
  return last_allows;
}

/* A script made ready: its state prepared and its chunk compiled, on the
 * stack of L, waiting to run. */
struct winit_ready {
  winit_ctx *c;
  lua_State *L;
  char name[256];
};

/* The state for script, prepared, with its chunk loaded and not yet run:
 * the steps of winit_run before the script runs. NULL with err. */
static winit_ready *
ready_new (const char *script, size_t len, const char *name, int arg_fd,
           scmp_filter_ctx filter, ward_err *err)
{
  if (name == NULL)
    name = "init";
  if (script == NULL)
    return ward_err_set (err, WARD_E_INVALID, 0, "%s: no init script given", name), NULL;
  /* refused before Lua sees it; mode "t" below is the second lock */
  if (len > 0 && script[0] == LUA_SIGNATURE[0])
    return ward_err_set (err, WARD_E_INVALID, 0, "%s: binary chunks are refused, the init "
                         "script must be text", name), NULL;

  winit_ready *r = calloc (1, sizeof *r);
  winit_ctx *c = calloc (1, sizeof *c);
  if (r == NULL || c == NULL)
    {
      free (r);
      free (c);
      return ward_err_set (err, WARD_E_INTERNAL, ENOMEM, "%s: allocating the init state",
                           name), NULL;
    }
  snprintf (r->name, sizeof r->name, "%s", name);
  c->mem_max = WINIT_MEMORY_MAX;
  c->insn_max = WINIT_INSTRUCTIONS_MAX;
  c->filter = filter;

  lua_State *L = lua_newstate (winit_alloc, c);
  if (L == NULL)
    {
      free (c);
      free (r);
      return ward_err_set (err, WARD_E_INTERNAL, ENOMEM, "%s: creating the init state",
                           name), NULL;
    }
  c->L = L;
  r->c = c;
  r->L = L;

  char chunk[256], buf[64];
  snprintf (chunk, sizeof chunk, "=%s", name);
  lua_pushcfunction (L, winit_prepare);
  lua_pushinteger (L, arg_fd);
  int status = lua_pcall (L, 1, 0, 0);
  if (status != LUA_OK)
    {
      ward_err_set (err, WARD_E_INTERNAL, status == LUA_ERRMEM ? ENOMEM : 0,
                    "%s: preparing the init state: %s", name,
                    winit_error_text (L, buf, sizeof buf));
      winit_ready_free (r);
      return NULL;
    }

  status = luaL_loadbufferx (L, script, len, chunk, "t");
  if (status != LUA_OK)
    {
      if (status == LUA_ERRMEM)
        ward_err_set (err, WARD_E_UNAVAILABLE, 0,
                      "%s: not enough memory to load the script", name);
      else
        ward_err_set (err, WARD_E_INVALID, 0, "%s", winit_error_text (L, buf, sizeof buf));
      winit_ready_free (r);
      return NULL;
    }
  return r;
}

winit_ready *
winit_ready_new (const char *script, size_t len, const char *name, scmp_filter_ctx filter,
                 ward_err *err)
{
  return ready_new (script, len, name, -1, filter, err);
}

void
winit_ready_free (winit_ready *r)
{
  if (r == NULL)
    return;
  r->c->L = NULL;
  lua_close (r->L);
  if (r->c->deny != NULL)
    seccomp_release (r->c->deny);
  free (r->c);
  free (r);
}

int
winit_ready_run (winit_ready *r, ward_err *err)
{
  winit_ctx *c = r->c;
  lua_State *L = r->L;
  const char *name = r->name;
  char buf[64];
  int rc = 0;
  last_allows = 0;
  c->msg[0] = '\0';
  lua_sethook (L, winit_hook, LUA_MASKCOUNT, c->mem_dead ? 1 : WINIT_HOOK_STEP);
  int status = lua_pcall (L, 0, 0, 0);
  c->L = NULL;
  lua_sethook (L, NULL, 0, 0);
  if (status == LUA_OK)
    goto out;
  const char *msg = winit_error_text (L, buf, sizeof buf);
  ward_kind kind = WARD_E_INVALID;  /* the script's own error() or a misuse */
  int errnum = 0;
  if (status == LUA_ERRMEM || c->mem_dead)
    {
      /* Lua's own "not enough memory" has no position; the hook's has */
      if (status == LUA_ERRMEM || strcmp (msg, c->msg) != 0)
        snprintf (c->msg, sizeof c->msg, "%s: not enough memory (an init script may use %zu bytes)",
                  name, c->mem_max);
      msg = c->msg;
      kind = WARD_E_UNAVAILABLE;
      errnum = ENOMEM;
    }
  else if (c->exhausted)
    kind = WARD_E_UNAVAILABLE;
  else if (c->msg[0] != '\0' && strcmp (msg, c->msg) == 0)
    {
      kind = c->kind;
      errnum = c->errnum;
    }
  /* errnum set by hand: ward_err_set would append strerror a second time */
  rc = ward_err_set (err, kind, 0, "%s", msg);
  if (err != NULL)
    err->errnum = errnum;

out:
  lua_close (L);
  last_allows = c->allows;
  if (rc == 0)
    rc = winit_load_deny (c, name, err);
  if (c->deny != NULL)
    seccomp_release (c->deny);
  free (c);
  free (r);
  return rc;
}

int
winit_run (const char *script, size_t len, const char *name, int arg_fd,
           scmp_filter_ctx filter, ward_err *err)
{
  last_allows = 0;
  winit_ready *r = ready_new (script, len, name, arg_fd, filter, err);
  return r != NULL ? winit_ready_run (r, err) : -1;
}
