/* fuzz-init.c -- how the init script's calls decode their arguments
 * (init/): strings without NUL bytes, integers in range, flags given as an
 * integer or as names joined by '|' ("MS_BIND|MS_REC"), modes, errno
 * names and numbers, capability names and sets, system call names, and
 * what each call does with them.
 *
 * Input: a call number, then its arguments, each a tag byte and its bytes:
 * 0 nil, 1 false, 2 true, 3 an integer (8 bytes), 4 a float (8 bytes),
 * 5 a string (a length byte, then the bytes), 6 a table of the values that
 * follow (a count byte; nested tags, one level), anything else nil. Only
 * calls that cannot change this process or the machine are made: where a
 * call takes a path that it would act on, any string given there is
 * replaced by a path that cannot exist, so that the system call fails
 * after the arguments were decoded. Seccomp rules go into filters that
 * are never loaded; capability changes are never applied. */
#include "config.h"
#include "fuzz.h"
#include "init.h"
#include "init-int.h"

#include <lauxlib.h>
#include <stdlib.h>
#include <string.h>

#define NOWHERE "/nonexistent-ward-fuzz/none/x"

typedef struct call {
  const char *name;
  unsigned paths;               /* bit i: argument i+1 is a path acted on */
} call;

static const call calls[] = {
  { "mount", 0x3 }, { "umount2", 0x1 }, { "pivot_root", 0x3 }, { "chroot", 0x1 },
  { "chdir", 0x1 }, { "mkdir", 0x1 }, { "symlink", 0x2 }, { "open", 0x1 },
  { "mode", 0 }, { "cap_clear", 0 }, { "cap_keep", 0 }, { "cap_drop", 0 },
  { "cap_has", 0 }, { "seccomp_allow", 0 }, { "seccomp_deny", 0 },
  { "seccomp_kill", 0 },
};
#define NCALLS (sizeof calls / sizeof calls[0])
#define MAX_ARGS 6

typedef struct input {
  const uint8_t *p, *end;
} input;

static void
push_value (lua_State *L, input *in, int depth)
{
  if (in->p >= in->end)
    {
      lua_pushnil (L);
      return;
    }
  uint8_t tag = *in->p++;
  switch (tag)
    {
    case 1:
    case 2:
      lua_pushboolean (L, tag == 2);
      return;
    case 3:
    case 4:
      {
        uint8_t b[8] = { 0 };
        size_t n = (size_t) (in->end - in->p) < 8 ? (size_t) (in->end - in->p) : 8;
        memcpy (b, in->p, n);
        in->p += n;
        uint64_t u = 0;
        for (int i = 0; i < 8; i++)
          u |= (uint64_t) b[i] << (8 * i);
        if (tag == 3)
          lua_pushinteger (L, (lua_Integer) u);
        else
          {
            double d;
            memcpy (&d, &u, sizeof d);
            lua_pushnumber (L, d);
          }
        return;
      }
    case 5:
      {
        size_t n = in->p < in->end ? *in->p++ : 0;
        if (n > (size_t) (in->end - in->p))
          n = (size_t) (in->end - in->p);
        lua_pushlstring (L, (const char *) in->p, n);
        in->p += n;
        return;
      }
    case 6:
      {
        size_t n = in->p < in->end ? *in->p++ : 0;
        lua_createtable (L, 0, 0);
        for (size_t i = 1; i <= n && in->p < in->end; i++)
          {
            if (depth > 0)
              lua_pushnil (L);
            else
              push_value (L, in, depth + 1);
            lua_rawseti (L, -2, (lua_Integer) i);
          }
        return;
      }
    default:
      lua_pushnil (L);
    }
}

typedef struct job {
  input in;
  const call *c;
} job;

static int
run (lua_State *L)
{
  job *j = lua_touserdata (L, 1);
  lua_settop (L, 0);
  lua_newtable (L);
  winit_open_calls (L);
  winit_open_guard (L);
  lua_getfield (L, 1, j->c->name);
  if (lua_type (L, -1) != LUA_TFUNCTION)
    fuzz_fail ("an init call is missing");
  int nargs = 0;
  while (nargs < MAX_ARGS && j->in.p < j->in.end)
    {
      push_value (L, &j->in, 0);
      if (((j->c->paths >> nargs) & 1) && lua_type (L, -1) == LUA_TSTRING)
        {
          lua_pop (L, 1);
          lua_pushliteral (L, NOWHERE);
        }
      nargs++;
    }
  lua_call (L, nargs, LUA_MULTRET);
  return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  if (size < 1)
    return 0;
  int before = fuzz_lowest_free_fd ();
  winit_ctx c;
  memset (&c, 0, sizeof c);
  c.mem_max = WINIT_MEMORY_MAX;
  c.insn_max = WINIT_INSTRUCTIONS_MAX;
  c.filter = seccomp_init (SCMP_ACT_KILL_PROCESS);
  if (c.filter == NULL)
    fuzz_fail ("seccomp_init");
  lua_State *L = lua_newstate (winit_alloc, &c);
  if (L == NULL)
    fuzz_fail ("lua_newstate");
  c.L = L;
  job j = { { data + 1, data + size }, &calls[data[0] % NCALLS] };
  lua_pushcfunction (L, run);
  lua_pushlightuserdata (L, &j);
  if (lua_pcall (L, 1, 0, 0) != LUA_OK)
    {
      /* a call's own error names it and says what was wrong */
      if (lua_type (L, -1) == LUA_TSTRING && c.msg[0] != '\0'
          && strstr (lua_tostring (L, -1), j.c->name) == NULL)
        fuzz_fail ("an init call's error does not name the call");
    }
  lua_close (L);
  if (c.mem_used != 0)
    fuzz_fail ("the init state's memory count is off");
  if (c.deny != NULL)
    seccomp_release (c.deny);
  seccomp_release (c.filter);
  if (fuzz_lowest_free_fd () != before)
    fuzz_fail ("a descriptor was left open");
  return 0;
}
