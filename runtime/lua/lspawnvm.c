/* lspawnvm.c -- spawn_vm and spawn_context_threads, the Emilua face's
 * globals, in both faces of the API: in the runtime spawn_vm reads its
 * options, asks its permissions and starts the actor (in a sandboxed
 * child with a `subprocess` table); in a subprocess actor the stand-in
 * performs it. */
#include "config.h"
#include "lemilua.h"
#include "face.h"
#include "remote.h"
#include "lfd.h"

#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <lauxlib.h>

/* ---- the `subprocess` table ---- */

/* subprocess.stdin, stdout or stderr (k), the value at -1. */
static void
sub_std (lua_State *L, const char *k, ward_subprocess_opts *o)
{
  /* "share": the caller's own; a descriptor: that one (Emilua's
   * spawn_vm: "Use the file descriptor as the specified standard
   * handle"); the child gets a copy, the caller keeps its own */
  int std = k[3] == 'i' ? STDIN_FILENO : k[3] == 'o' ? STDOUT_FILENO : STDERR_FILENO;
  int *u = ward_fd_test (L, -1);
  int fd = -1;
  if (lua_type (L, -1) == LUA_TSTRING && strcmp (lua_tostring (L, -1), "share") == 0)
    fd = std;
  else if (u != NULL && *u >= 0)
    fd = *u;
  else
    luaL_error (L, "spawn_vm: subprocess.%s must be \"share\", an open file "
                "descriptor (see require \"fd\") or nil", k);
  *(std == STDIN_FILENO ? &o->stdin_fd : std == STDOUT_FILENO ? &o->stdout_fd
    : &o->stderr_fd) = fd;
}

/* subprocess.environment, the table at -1. */
static void
sub_environment (lua_State *L, ward_subprocess_opts *o)
{
  /* "K=V" strings anchored in a table, and the array pointing at
   * them, both left on the stack (collected with it: nothing to
   * free when a bad entry raises) */
  luaL_checktype (L, -1, LUA_TTABLE);
  int envt = lua_absindex (L, -1);
  size_t n = 0;
  lua_pushnil (L);
  while (lua_next (L, envt))
    {
      n++;
      lua_pop (L, 1);
    }
  if (n > 4096)
    luaL_error (L, "spawn_vm: subprocess.environment: more than 4096 entries");
  const char **env = lua_newuserdatauv (L, (n + 1) * sizeof *env, 0);
  lua_createtable (L, (int) n, 0);
  int anchor = lua_absindex (L, -1);
  size_t used = 0;
  lua_pushnil (L);
  while (lua_next (L, envt))
    {
      size_t kl, vl;
      if (lua_type (L, -2) != LUA_TSTRING || lua_type (L, -1) != LUA_TSTRING)
        luaL_error (L, "spawn_vm: subprocess.environment maps names to strings");
      const char *ek = lua_tolstring (L, -2, &kl), *ev = lua_tolstring (L, -1, &vl);
      if (kl == 0 || strlen (ek) != kl || strlen (ev) != vl || strchr (ek, '='))
        luaL_error (L, "spawn_vm: subprocess.environment: bad entry `%s`", ek);
      env[used] = lua_pushfstring (L, "%s=%s", ek, ev);
      lua_rawseti (L, anchor, (lua_Integer) ++used);
      lua_pop (L, 1);
    }
  env[used] = NULL;
  o->environ = env;
  /* keep the array and its strings below the iteration's key */
  lua_rotate (L, envt - 1, 2);
}

/* subprocess.init, the table at -1. */
static void
sub_init (lua_State *L, ward_subprocess_opts *o)
{
  luaL_checktype (L, -1, LUA_TTABLE);
  lua_pushnil (L);
  while (lua_next (L, -2))
    {
      const char *ik = lua_type (L, -2) == LUA_TSTRING ? lua_tostring (L, -2) : "?";
      if (strcmp (ik, "script") == 0 && lua_type (L, -1) == LUA_TSTRING)
        o->init_script = lua_tolstring (L, -1, &o->init_len);
      else if (strcmp (ik, "arg") == 0)
        {
          /* the script's init.arg: a dup of it goes to the child */
          int *u = ward_fd_test (L, -1);
          if (u == NULL || *u < 0)
            luaL_error (L, "spawn_vm: subprocess.init.arg must be an open file "
                        "descriptor (see require \"fd\")");
          o->init_arg_fd = *u;
        }
      else
        luaL_error (L, "spawn_vm: subprocess.init: unknown field `%s` (known: "
                    "script, arg)", ik);
      lua_pop (L, 1);
    }
  if (o->init_arg_fd >= 0 && o->init_script == NULL)
    luaL_error (L, "spawn_vm: subprocess.init.arg is given to init.script, "
                "and there is none");
}

/* spawn_vm's `subprocess` table, at idx, into o (its strings stay on the
 * stack, which the caller keeps until the spawn is made). Raises on a bad
 * table. */
static void
parse_subprocess (lua_State *L, int idx, ward_subprocess_opts *o)
{
  static const struct { const char *key; unsigned ns; } nsflags[] = {
    { "newns_user", WARD_NS_USER }, { "newns_pid", WARD_NS_PID },
    { "newns_net", WARD_NS_NET }, { "newns_mount", WARD_NS_MOUNT },
    { "newns_ipc", WARD_NS_IPC }, { "newns_uts", WARD_NS_UTS } };
  luaL_checktype (L, idx, LUA_TTABLE);
  memset (o, 0, sizeof *o);
  o->init_arg_fd = -1;
  o->stdin_fd = o->stdout_fd = o->stderr_fd = -1;
  lua_pushnil (L);
  while (lua_next (L, idx))
    {
      if (lua_type (L, -2) != LUA_TSTRING)
        luaL_error (L, "spawn_vm: subprocess: keys are names");
      const char *k = lua_tostring (L, -2);
      size_t i;
      for (i = 0; i < sizeof nsflags / sizeof *nsflags; i++)
        if (strcmp (k, nsflags[i].key) == 0)
          break;
      if (i < sizeof nsflags / sizeof *nsflags)
        {
          if (!lua_isboolean (L, -1))
            luaL_error (L, "spawn_vm: subprocess.%s must be a boolean", k);
          if (lua_toboolean (L, -1))
            o->namespaces |= nsflags[i].ns;
        }
      else if (strcmp (k, "stdin") == 0 || strcmp (k, "stdout") == 0
               || strcmp (k, "stderr") == 0)
        sub_std (L, k, o);
      else if (strcmp (k, "environment") == 0)
        sub_environment (L, o);
      else if (strcmp (k, "init") == 0)
        sub_init (L, o);
      else
        luaL_error (L, "spawn_vm: subprocess: unknown field `%s`", k);
      lua_pop (L, 1);
    }
}

/* ---- spawn_vm ---- */

/* spawn_vm's options, the table at 2. */
typedef struct vm_opts {
  int inherit;                  /* inherit_context: the caller's host */
  int new_master;
  int sub_idx;                  /* stack index of the `subprocess` table, or 0 */
} vm_opts;

/* Raises unless the value at -1 is a concurrency_hint: a positive integer
 * or "safe" (a suggestion only: threads come from spawn_context_threads). */
static void
check_hint (lua_State *L)
{
  if (lua_isinteger (L, -1) && lua_tointeger (L, -1) > 0)
    return;
  if (!(lua_type (L, -1) == LUA_TSTRING && strcmp (lua_tostring (L, -1), "safe") == 0))
    luaL_error (L, "spawn_vm: concurrency_hint must be a positive integer or \"safe\"");
}

/* Read the options at 2 into o; a `subprocess` table is kept at 3.
 * Raises on an unknown option. */
static void
parse_vm_opts (lua_State *L, vm_opts *o)
{
  o->inherit = 1;
  o->new_master = 0;
  o->sub_idx = 0;
  if (lua_isnoneornil (L, 2))
    return;
  luaL_checktype (L, 2, LUA_TTABLE);
  lua_pushnil (L);
  while (lua_next (L, 2))
    {
      const char *k = lua_type (L, -2) == LUA_TSTRING ? lua_tostring (L, -2) : "?";
      if (strcmp (k, "inherit_context") == 0)
        o->inherit = lua_toboolean (L, -1);
      else if (strcmp (k, "new_master") == 0)
        o->new_master = lua_toboolean (L, -1);
      else if (strcmp (k, "concurrency_hint") == 0)
        check_hint (L);
      else if (strcmp (k, "subprocess") == 0)
        {
          lua_pushvalue (L, -1);        /* kept below the loop's key */
          lua_insert (L, 3);
          o->sub_idx = 3;
        }
      else
        luaL_error (L, "spawn_vm: unknown option `%s`", k);
      lua_pop (L, 1);
    }
}

/* The definition module names ("." the caller's own): its id, and its
 * file in path. Raises when it does not resolve. */
static const char *
vm_target (lua_State *L, ward_proc *p, const char *module, char *path, size_t pathlen)
{
  ward_err err;
  if (strcmp (module, ".") == 0)
    {
      snprintf (path, pathlen, "%s", p->def_path);
      return p->def_id[0] ? p->def_id : ".";
    }
  if (ward_def_resolve (module, path, pathlen, &err) < 0)
    luaL_error (L, "spawn_vm: %s", err.msg);
  return module;
}

/* Ask the spawn's permissions, each denial audited and the first one
 * named, and check its definition (and subprocess table, into so);
 * hostname gets the host the actor runs on. Raises when refused. */
static void
vm_authorize (lua_State *L, ward_proc *p, const vm_opts *o, const char *id, const char *path,
              char *hostname, size_t hostlen, ward_subprocess_opts *so)
{
  /* A new context is named ward:context.N, N counting the contexts made:
   * the name asked for is the next one, taken only once the spawn is
   * allowed and its definition found, so a refused spawn_vm uses up no
   * name (when another spawn_vm took it meanwhile, the next is asked). */
  static atomic_int contexts;
  int seen = 0, checked = 0;
  ward_err err;
  for (;;)
    {
      if (!o->inherit)
        {
          seen = atomic_load (&contexts);
          snprintf (hostname, hostlen, "ward:context.%d", seen + 1);
        }
      else
        snprintf (hostname, hostlen, "%s", ward_host_name (p->host));
      const char *asks[] = { WARD_ACTION (SPAWN), id, WARD_ACTION (HOST), hostname,
                             WARD_ACTION (SANDBOX_SPAWN), id };
      if (ward_proc_authorize (p, asks, o->sub_idx ? 3 : 2, NULL, &err) < 0)
        luaL_error (L, "spawn_vm: %s", err.msg);
      if (!checked)
        {
          if (o->sub_idx)
            parse_subprocess (L, o->sub_idx, so);
          if (ward_def_check (path, &err) < 0)
            luaL_error (L, "spawn_vm: %s", err.msg);
          checked = 1;
        }
      if (o->inherit || atomic_compare_exchange_strong (&contexts, &seen, seen + 1))
        return;
    }
}

/* What the caller may not ask when it is a subprocess actor's stand-in
 * performing the child's spawn_vm (asked above, as the child's actor):
 * the child never chooses a sandbox. Raises. */
static void
vm_check_stand_in (lua_State *L, const ward_proc *p, const vm_opts *o)
{
  if (p->remote == NULL)
    return;
  /* A subprocess table holds an init script that runs before any
   * lockdown, and namespaces and limits weaker than its own. */
  if (o->sub_idx)
    luaL_error (L, "spawn_vm: a subprocess actor cannot choose a sandbox (the "
                "`subprocess` option); without it, spawn_vm makes an actor of its own "
                "host's profile");
  /* nor leave it: a new context runs its actors in the runtime, whatever
   * the hosts its policy allows or denies */
  if (!o->inherit)
    luaL_error (L, "spawn_vm: a subprocess actor cannot make a new context "
                "(inherit_context = false): its actors run in its own host's sandbox");
}

/* Make the actor: id (file path) on hostname, in a sandboxed child for a
 * subprocess table (so) or a sandboxed host. Raises on failure. */
static ward_proc *
vm_start (lua_State *L, ward_proc *p, const vm_opts *o, const char *id, const char *path,
          const char *hostname, const ward_subprocess_opts *so)
{
  ward_err err;
  ward_host *host = p->host;
  /* The caller's own context is a sandboxed host only for a subprocess
   * actor's stand-in: what it spawns there is a subprocess actor of the
   * host's profile, never code of the child run unsandboxed. */
  int sandboxed = o->inherit && !o->sub_idx && ward_broker_sandboxed (host);
  int hand_over = o->new_master && p->is_master;
  ward_spawn_req req = { .def_id = strcmp (id, ".") ? id : "", .path = path, .host = host,
                         .is_worker = 1, .vm_senders = 1, .master = hand_over,
                         .hold = o->sub_idx != 0 };
  /* admitted before a child is made for nothing */
  if ((o->sub_idx || sandboxed) && ward_spawn_admit (p, &err) < 0)
    luaL_error (L, "spawn_vm: %s", err.msg);
  if (sandboxed && (req.remote = ward_broker_prepare (host, &err)) == NULL)
    luaL_error (L, "spawn_vm: %s", err.msg);
  if (o->sub_idx && (req.remote = ward_broker_prepare_vm (p, so, &err)) == NULL)
    luaL_error (L, "spawn_vm: subprocess: %s", err.msg);
  /* a new context lives while its processes do (rt.h): its threads end
   * with the last of them */
  if (!o->inherit
      && (req.host = host = ward_host_create_transient (hostname, 1, &err)) == NULL)
    {
      ward_broker_abort (req.remote);
      luaL_error (L, "spawn_vm: %s", err.msg);
    }
  if (hand_over)
    p->is_master = 0;             /* before the child can run and exit */
  ward_proc *child = ward_spawn (p, &req, &err);
  if (!o->inherit)
    ward_host_drop (host);        /* the creator's hold: the child has its own */
  if (child == NULL)
    {
      p->is_master |= hand_over;
      ward_broker_abort (req.remote);
      luaL_error (L, "spawn_vm: %s", err.msg);
    }
  return child;
}

/* spawn_vm(module, opts) */
static int
l_spawn_vm (lua_State *L)
{
  ward_proc *p = ward_current ();
  ward_err err;
  size_t mlen;
  const char *module = luaL_checklstring (L, 1, &mlen);
  if (strlen (module) != mlen)
    return luaL_error (L, "spawn_vm: module `%s...` holds a NUL byte", module);
  vm_opts o;
  parse_vm_opts (L, &o);
  char path[4096], hostname[128];
  const char *id = vm_target (L, p, module, path, sizeof path);
  ward_subprocess_opts so;
  vm_authorize (L, p, &o, id, path, hostname, sizeof hostname, &so);
  vm_check_stand_in (L, p, &o);
  ward_proc *child = vm_start (L, p, &o, id, path, hostname, &so);
  if (o.sub_idx)
    {
      /* bound before it runs: it cannot miss its spawner's end */
      if (ward_broker_bind_owner (child, p, &err) < 0)
        ward_proc_kill (child, "spawn_vm: %s", err.msg);
      ward_sched_push (child);
    }
  ward_emilua_push_channel (L, child->pid, o.sub_idx ? p->serial : 0);
  ward_proc_unref (child);
  return 1;
}

/* A subprocess actor's spawn_vm is performed by its stand-in in the
 * runtime, as the actor: asked, and refused, as there. */
static int
r_spawn_vm (lua_State *L)
{
  ward_vm_check_killed (L);
  luaL_checkstring (L, 1);
  if (!lua_isnoneornil (L, 2))
    luaL_checktype (L, 2, LUA_TTABLE);
  if (!lua_isyieldable (L))
    return luaL_error (L, "spawn_vm cannot wait for the runtime here (inside a metamethod "
                       "or C callback that cannot yield)");
  lua_settop (L, 2);
  return ward_remote_call (L, "spawn_vm");
}

/* ---- spawn_context_threads ---- */
static int
l_spawn_context_threads (lua_State *L)
{
  lua_Integer n = luaL_checkinteger (L, 1);
  ward_err err;
  if (n < 1 || n > 256)
    return luaL_error (L, "spawn_context_threads: count %d out of range 1..256", (int) n);
  /* more threads for the pool: its host is what is asked */
  ward_proc *p = ward_current ();
  if (ward_proc_authorize1 (p, WARD_ACTION (HOST), ward_host_name (p->host), NULL, &err) < 0)
    return luaL_error (L, "spawn_context_threads: %s", err.msg);
  if (ward_host_add_threads (p->host, (int) n, &err) < 0)
    return luaL_error (L, "spawn_context_threads: %s", err.msg);
  return 0;
}

static int
r_spawn_context_threads (lua_State *L)
{
  return luaL_error (L, "spawn_context_threads: not available to a subprocess actor");
}

/* ---- the faces ---- */
const luaL_Reg ward_face_emilua_local[] = {
  { "spawn_vm", l_spawn_vm }, { "spawn_context_threads", l_spawn_context_threads },
  { NULL, NULL } };
const luaL_Reg ward_face_emilua_remote[] = {
  { "spawn_vm", r_spawn_vm }, { "spawn_context_threads", r_spawn_context_threads },
  { NULL, NULL } };
