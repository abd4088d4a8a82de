/* lemilua.c -- the Emilua face (seed 000): spawn_vm, its tx-channels,
 * require "inbox", _CONTEXT and spawn_context_threads, over one engine. */
#include "config.h"
#include "vm.h"
#include "remote.h"
#include "codec.h"
#include "lfd.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <lauxlib.h>

#define VMCHAN "ward.vmchan"
#define INBOX "ward.vminbox"   /* ("ward.inbox" holds process.inbox()) */

/* require "inbox": the actor's own receiving end. Sent in a message it
 * travels as a channel to its owner ("You can send the address of other
 * actors (or self) by sending the channel as a message", Emilua's
 * spawn_vm reference; Emilua's own chan_send encodes its inbox so). */
typedef struct inbox {
  char pid[64];
} inbox;

typedef struct vmchan {
  char pid[64];
  int closed;
  uint64_t owner;               /* the spawn_vm caller of a subprocess, 0 = not one */
} vmchan;

static void
senders_add (const char *pid, int d)
{
  /* A subprocess actor's count is the runtime's, told by its stand-in
   * (the child has no other process whose count it could keep). */
  if (ward_remote_chan >= 0)
    return;
  ward_proc *t = ward_proc_get (pid);
  if (t == NULL)
    return;
  pthread_mutex_lock (&t->lock);
  int was = t->vm_senders;
  t->vm_senders += d;
  int edge = (was == 0) != (t->vm_senders == 0);
  pthread_mutex_unlock (&t->lock);
  if (edge)
    ward_proc_wake (t);           /* a receive waiting on no sender fails; a
                                     subprocess actor's stand-in tells it */
  ward_proc_unref (t);
}

void
ward_vmchan_release (const char *pid, unsigned n)
{
  if (n > 0)
    senders_add (pid, -(int) n);
}

void
ward_vmchan_retain (const char *pid, unsigned n)
{
  if (n > 0)
    senders_add (pid, (int) n);
}

static int
adjust_one (const char *ref, size_t len, void *ctx)
{
  char pid[64];
  if (len > 0 && len < sizeof pid)
    {
      memcpy (pid, ref, len);
      pid[len] = '\0';
      senders_add (pid, *(const int *) ctx);
    }
  return 0;
}

void
ward_vmchan_adjust_values (const uint8_t *data, size_t len, int delta)
{
  if (delta != 0 && data != NULL && len > 0)
    (void) ward_codec_each_handle (data, len, adjust_one, &delta);
}

/* counted: the target already counts this channel (spawn_vm's first). */
static vmchan *
push_vmchan (lua_State *L, const char *pid, int counted)
{
  vmchan *c = lua_newuserdatauv (L, sizeof *c, 0);
  snprintf (c->pid, sizeof c->pid, "%s", pid);
  c->closed = 0;
  c->owner = 0;
  ward_setmeta (L, VMCHAN);
  if (!counted)
    senders_add (pid, 1);
  return c;
}

/* The codec sends a channel as its target's PID. The encoded reference
 * counts as an open channel from the moment it is made, so that the target
 * does not see "channel closed" while a copy is in flight; the channel
 * decoded from it takes that count over. (A message that is never decoded
 * keeps its count: the target then waits instead of seeing the close.)
 *
 * In a subprocess actor the count is the runtime's, of the copies it sent
 * the child (bhandle.c), and the child counts per PID the copies it holds
 * (remote.h): each open channel userdata and each handle in a value not
 * decoded yet. Encoding counts nothing there: the values that live on
 * (upgrade's arguments, a snapshot, a CALL until its reply) are counted
 * by ward_remote_hold, those thrown away are never counted; decoding takes
 * a counted copy over (vmchan_push counts nothing); vmchan_drop gives one
 * back, and once a PID has none left the child sends one DROP with the
 * number of copies the runtime sent of it. So a channel the child copies
 * itself (an upgrade's argument, twice, or its own inbox decoded as a
 * channel) is given back once, with exactly what the runtime counts. */
static const char *
vmchan_ref (lua_State *L, int idx, size_t *len, ward_err *err)
{
  inbox *self = luaL_testudata (L, idx, INBOX);
  if (self != NULL)
    {
      /* the inbox: a new channel to its owner (the sender itself) */
      senders_add (self->pid, 1);
      *len = strlen (self->pid);
      return self->pid;
    }
  vmchan *c = luaL_testudata (L, idx, VMCHAN);
  if (c == NULL || c->closed)
    {
      ward_err_set (err, WARD_E_INVALID, 0, "a closed channel cannot be sent");
      return NULL;
    }
  senders_add (c->pid, 1);
  *len = strlen (c->pid);
  return c->pid;
}

static int
vmchan_push (lua_State *L, const char *ref, size_t len, ward_err *err)
{
  char pid[64];
  if (len == 0 || len >= sizeof pid || memchr (ref, 0, len))
    return ward_err_set (err, WARD_E_INVALID, 0, "malformed channel reference");
  memcpy (pid, ref, len);
  pid[len] = '\0';
  push_vmchan (L, pid, 1);
  return 0;
}

/* A reference that a subprocess actor encoded counted nothing in the
 * runtime: the channel made from it counts itself. */
static int
vmchan_push_wire (lua_State *L, const char *ref, size_t len, ward_err *err)
{
  if (vmchan_push (L, ref, len, err) < 0)
    return -1;
  vmchan *c = lua_touserdata (L, -1);
  senders_add (c->pid, 1);
  return 0;
}

static const ward_codec_handle vm_handle = { VMCHAN, vmchan_ref, vmchan_push, INBOX };
static const ward_codec_opts rt_opts = { 0, 0, &vm_handle };
static const ward_codec_handle wire_handle = { VMCHAN, vmchan_ref, vmchan_push_wire, INBOX };
static const ward_codec_opts wire_opts = { 0, 0, &wire_handle };

const ward_codec_opts *
ward_codec_opts_rt (void)
{
  return &rt_opts;
}

const ward_codec_opts *
ward_codec_opts_wire (void)
{
  return &wire_opts;
}

static int
vmchan_send (lua_State *L)
{
  vmchan *c = luaL_checkudata (L, 1, VMCHAN);
  luaL_checkany (L, 2);
  ward_vm_check_killed (L);
  if (ward_remote_chan >= 0 && !c->closed)
    {
      /* the target lives in the runtime: its stand-in sends for us */
      lua_settop (L, 2);
      int n = ward_remote_call (L, "vmchan.send");
      if (n == 2 && lua_isnil (L, -2))          /* nil, err: raise it, as here */
        return luaL_error (L, "send: %s", lua_tostring (L, -1) ? lua_tostring (L, -1)
                           : "refused");
      return 0;
    }
  if (c->closed)
    return luaL_error (L, "send on a closed channel");
  ward_proc *p = ward_current ();
  ward_err err;
  /* asked first: a caller that may not send learns nothing of whether the
   * actor (or a PID a forged handle names) exists */
  ward_proc *t = ward_proc_target (p, WARD_ACTION (SEND), c->pid, NULL, &err);
  if (t == NULL && err.kind == WARD_E_NOT_FOUND)
    return luaL_error (L, "send: actor %s has exited", c->pid);
  if (t == NULL)
    return luaL_error (L, "send: %s", err.msg);
  pthread_mutex_lock (&t->lock);
  int closed = t->vm_inbox_closed;
  pthread_mutex_unlock (&t->lock);
  if (closed)
    {
      ward_proc_unref (t);
      return luaL_error (L, "send: channel closed (actor %s closed its inbox)", c->pid);
    }
  ward_msg *m = ward_msg_encode (L, WARD_MSG_VM, p->pid, NULL, 2, 1, &err);
  int rc = m ? ward_deliver (t, m, &err) : -1;
  ward_proc_unref (t);
  if (rc < 0 && err.kind == WARD_E_NOT_FOUND)   /* it exited meanwhile */
    return luaL_error (L, "send: actor %s has exited", c->pid);
  if (rc < 0)
    return luaL_error (L, "send: %s", err.msg);
  return 0;
}

/* c no longer counts as an open channel: in the runtime its target's
 * count goes down; in a subprocess actor it is one copy fewer of its PID
 * (the runtime is told once the child holds none: DROP, remote.h). */
static void
vmchan_drop (vmchan *c)
{
  if (c->closed)
    return;
  c->closed = 1;
  if (ward_remote_chan >= 0)
    ward_remote_dropped (c->pid);
  else
    senders_add (c->pid, -1);
}

static int
vmchan_close (lua_State *L)
{
  vmchan_drop (luaL_checkudata (L, 1, VMCHAN));
  return 0;
}

int
ward_vmchan_close_at (lua_State *L, int idx)
{
  vmchan *c = luaL_testudata (L, idx, VMCHAN);
  if (c == NULL)
    return 0;
  vmchan_drop (c);
  return 1;
}

/* The channel spawn_vm gave the caller for a subprocess actor; raises
 * otherwise. */
static vmchan *
own_subprocess (lua_State *L, const char *what)
{
  vmchan *c = luaL_checkudata (L, 1, VMCHAN);
  ward_proc *p = ward_current ();
  /* a copy of the channel (one a subprocess actor's stand-in got back from
   * its child) answers to the owner the broker knows */
  if (c->owner == 0 && p != NULL && ward_broker_owner (c->pid) == p->serial)
    c->owner = p->serial;
  if (c->owner == 0 || p == NULL || p->serial != c->owner)
    luaL_error (L, "%s: only the channel spawn_vm returned for a subprocess actor, in the "
                "process that spawned it", what);
  return c;
}

/* In a subprocess actor, kill, detach and child_pid of a channel are asked
 * of its stand-in, which owns what the child's spawn_vm made. */
static int
remote_vmchan_call (lua_State *L)
{
  return ward_remote_call (L, lua_tostring (L, lua_upvalueindex (1)));
}

static int
remote_kill_k (lua_State *L, int status, lua_KContext ctx)
{
  (void) status;
  vmchan *c = lua_touserdata (L, 1);
  if (ctx == SIGKILL && !c->closed)
    {
      c->closed = 1;            /* as the owner's own channel closes */
      ward_remote_dropped (c->pid);
    }
  return 0;
}

static int
remote_vmchan (lua_State *L, const char *op, int nargs, int nres, lua_KContext ctx,
               lua_KFunction k)
{
  if (!lua_isyieldable (L))
    return luaL_error (L, "%s cannot wait for the runtime here (inside a metamethod or C "
                       "callback that cannot yield)", op);
  lua_pushstring (L, op);
  lua_pushcclosure (L, remote_vmchan_call, 1);
  lua_insert (L, -(nargs + 1));
  lua_callk (L, nargs, nres, ctx, k);
  return k (L, LUA_OK, ctx);
}

static int
pass_k (lua_State *L, int status, lua_KContext ctx)
{
  (void) status;
  (void) ctx;
  return 1;
}

static int
vmchan_kill (lua_State *L)
{
  if (ward_remote_chan >= 0)
    {
      luaL_checkudata (L, 1, VMCHAN);
      lua_Integer sig = luaL_optinteger (L, 2, SIGKILL);
      if (sig < 1 || sig > 64)
        return luaL_error (L, "kill: bad signal number %d", (int) sig);
      lua_settop (L, 1);
      lua_pushvalue (L, 1);
      lua_pushinteger (L, sig);
      return remote_vmchan (L, "vmchan.kill", 2, 0, (lua_KContext) sig, remote_kill_k);
    }
  vmchan *c = own_subprocess (L, "kill");
  lua_Integer sig = luaL_optinteger (L, 2, SIGKILL);
  if (sig < 1 || sig > 64)
    return luaL_error (L, "kill: bad signal number %d", (int) sig);
  ward_err err;
  /* a signal may end the actor: asked as terminate is (an actor that has
   * ended is the broker's to report) */
  ward_proc *t = ward_proc_target (ward_current (), WARD_ACTION (TERMINATE), c->pid, NULL,
                                   &err);
  if (t == NULL && err.kind != WARD_E_NOT_FOUND)
    return luaL_error (L, "kill: %s", err.msg);
  if (t)
    ward_proc_unref (t);
  if (ward_broker_kill (c->pid, (int) sig, &err) < 0)
    return luaL_error (L, "%s", err.msg);
  /* SIGKILL ends the actor: the channel closes; other signals leave it */
  if (sig == SIGKILL && !c->closed)
    {
      c->closed = 1;
      senders_add (c->pid, -1);
    }
  return 0;
}

static int
vmchan_detach (lua_State *L)
{
  if (ward_remote_chan >= 0)
    {
      luaL_checkudata (L, 1, VMCHAN);
      lua_settop (L, 1);
      lua_pushvalue (L, 1);
      return remote_vmchan (L, "vmchan.detach", 1, 0, 0, remote_kill_k);
    }
  vmchan *c = own_subprocess (L, "detach");
  ward_err err;
  if (ward_broker_detach (c->pid, &err) < 0)
    return luaL_error (L, "detach: %s", err.msg);
  return 0;
}

static int
vmchan_index (lua_State *L)
{
  luaL_checkudata (L, 1, VMCHAN);
  const char *k = luaL_checkstring (L, 2);
  if (strcmp (k, "child_pid") == 0 && ward_remote_chan >= 0)
    {
      lua_settop (L, 1);
      lua_pushvalue (L, 1);
      return remote_vmchan (L, "vmchan.child_pid", 1, 1, 0, pass_k);
    }
  if (strcmp (k, "child_pid") == 0)
    {
      vmchan *c = own_subprocess (L, "child_pid");
      ward_err err;
      long pid = ward_broker_child_pid (c->pid, &err);
      if (pid < 0)
        return luaL_error (L, "child_pid: %s", err.msg);
      lua_pushinteger (L, pid);
      return 1;
    }
  lua_getmetatable (L, 1);
  lua_getfield (L, -1, "methods");
  lua_getfield (L, -1, k);
  return 1;
}

static int
vmchan_eq (lua_State *L)
{
  vmchan *a = luaL_checkudata (L, 1, VMCHAN), *b = luaL_checkudata (L, 2, VMCHAN);
  lua_pushboolean (L, strcmp (a->pid, b->pid) == 0);
  return 1;
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
      else if (strcmp (k, "environment") == 0)
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
      else if (strcmp (k, "init") == 0)
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
      else
        luaL_error (L, "spawn_vm: subprocess: unknown field `%s`", k);
      lua_pop (L, 1);
    }
}

/* spawn_vm(module, opts) */
static int
l_spawn_vm (lua_State *L)
{
  if (ward_remote_chan >= 0)
    {
      /* A subprocess actor's spawn_vm is performed by its stand-in in the
       * runtime, as the actor: asked, and refused, as there. */
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
  ward_proc *p = ward_current ();
  ward_err err;
  size_t mlen;
  const char *module = luaL_checklstring (L, 1, &mlen);
  if (strlen (module) != mlen)
    return luaL_error (L, "spawn_vm: module `%s...` holds a NUL byte", module);
  int inherit = 1, new_master = 0, sub_idx = 0;
  lua_Integer hint = 0;
  if (!lua_isnoneornil (L, 2))
    {
      luaL_checktype (L, 2, LUA_TTABLE);
      lua_pushnil (L);
      while (lua_next (L, 2))
        {
          const char *k = lua_type (L, -2) == LUA_TSTRING ? lua_tostring (L, -2) : "?";
          if (strcmp (k, "inherit_context") == 0)
            inherit = lua_toboolean (L, -1);
          else if (strcmp (k, "new_master") == 0)
            new_master = lua_toboolean (L, -1);
          else if (strcmp (k, "concurrency_hint") == 0)
            {
              if (lua_isinteger (L, -1) && lua_tointeger (L, -1) > 0)
                hint = lua_tointeger (L, -1);
              else if (!(lua_type (L, -1) == LUA_TSTRING
                         && strcmp (lua_tostring (L, -1), "safe") == 0))
                return luaL_error (L, "spawn_vm: concurrency_hint must be a positive integer "
                                   "or \"safe\"");
            }
          else if (strcmp (k, "subprocess") == 0)
            {
              lua_pushvalue (L, -1);        /* kept below the loop's key */
              lua_insert (L, 3);
              sub_idx = 3;
            }
          else
            return luaL_error (L, "spawn_vm: unknown option `%s`", k);
          lua_pop (L, 1);
        }
    }
  (void) hint;   /* a suggestion only: threads come from spawn_context_threads */
  char path[4096];
  const char *id = module;
  if (strcmp (module, ".") == 0)
    {
      id = p->def_id[0] ? p->def_id : ".";
      snprintf (path, sizeof path, "%s", p->def_path);
    }
  else if (ward_def_resolve (module, path, sizeof path, &err) < 0)
    return luaL_error (L, "spawn_vm: %s", err.msg);
  ward_host *host = p->host;
  char hostname[128];
  /* A new context is named ward:context.N, N counting the contexts made:
   * the name asked for is the next one, taken only once the spawn is
   * allowed and its definition found, so a refused spawn_vm uses up no
   * name (when another spawn_vm took it meanwhile, the next is asked). */
  static atomic_int contexts;
  int seen = 0, checked = 0;
  ward_subprocess_opts so;
  for (;;)
    {
      if (!inherit)
        {
          seen = atomic_load (&contexts);
          snprintf (hostname, sizeof hostname, "ward:context.%d", seen + 1);
        }
      else
        snprintf (hostname, sizeof hostname, "%s", ward_host_name (host));
      /* each permission asked (each denial audited); the first denied named */
      const char *asks[] = { WARD_ACTION (SPAWN), id, WARD_ACTION (HOST), hostname,
                             WARD_ACTION (SANDBOX_SPAWN), id };
      if (ward_proc_authorize (p, asks, sub_idx ? 3 : 2, NULL, &err) < 0)
        return luaL_error (L, "spawn_vm: %s", err.msg);
      if (!checked)
        {
          if (sub_idx)
            parse_subprocess (L, sub_idx, &so);
          if (ward_def_check (path, &err) < 0)
            return luaL_error (L, "spawn_vm: %s", err.msg);
          checked = 1;
        }
      if (inherit || atomic_compare_exchange_strong (&contexts, &seen, seen + 1))
        break;
    }
  /* A subprocess actor's stand-in performs the child's spawn_vm (asked
   * above, as the child's actor): the child never chooses a sandbox. A
   * subprocess table holds an init script that runs before any lockdown,
   * and namespaces and limits weaker than its own. */
  if (sub_idx && p->remote != NULL)
    return luaL_error (L, "spawn_vm: a subprocess actor cannot choose a sandbox (the "
                       "`subprocess` option); without it, spawn_vm makes an actor of its own "
                       "host's profile");
  /* nor leave it: a new context runs its actors in the runtime, whatever
   * the hosts its policy allows or denies */
  if (!inherit && p->remote != NULL)
    return luaL_error (L, "spawn_vm: a subprocess actor cannot make a new context "
                       "(inherit_context = false): its actors run in its own host's sandbox");
  /* The caller's own context is a sandboxed host only for a subprocess
   * actor's stand-in: what it spawns there is a subprocess actor of the
   * host's profile, never code of the child run unsandboxed. */
  int sandboxed = inherit && !sub_idx && ward_broker_sandboxed (host);
  int hand_over = new_master && p->is_master;
  ward_spawn_req req = { .def_id = strcmp (id, ".") ? id : "", .path = path, .host = host,
                         .is_worker = 1, .vm_senders = 1, .master = hand_over,
                         .hold = sub_idx != 0 };
  if ((sub_idx || sandboxed) && ward_spawn_admit (p, &err) < 0)   /* before a child is made for nothing */
    return luaL_error (L, "spawn_vm: %s", err.msg);
  if (sandboxed && (req.remote = ward_broker_prepare (host, &err)) == NULL)
    return luaL_error (L, "spawn_vm: %s", err.msg);
  if (sub_idx && (req.remote = ward_broker_prepare_vm (p, &so, &err)) == NULL)
    return luaL_error (L, "spawn_vm: subprocess: %s", err.msg);
  /* a new context lives while its processes do (rt.h): its threads end
   * with the last of them */
  if (!inherit && (req.host = host = ward_host_create_transient (hostname, 1, &err)) == NULL)
    {
      ward_broker_abort (req.remote);
      return luaL_error (L, "spawn_vm: %s", err.msg);
    }
  if (hand_over)
    p->is_master = 0;             /* before the child can run and exit */
  ward_proc *child = ward_spawn (p, &req, &err);
  if (!inherit)
    ward_host_drop (host);        /* the creator's hold: the child has its own */
  if (child == NULL)
    {
      p->is_master |= hand_over;
      ward_broker_abort (req.remote);
      return luaL_error (L, "spawn_vm: %s", err.msg);
    }
  if (sub_idx)
    {
      /* bound before it runs: it cannot miss its spawner's end */
      if (ward_broker_bind_owner (child, p, &err) < 0)
        ward_proc_kill (child, "spawn_vm: %s", err.msg);
      ward_sched_push (child);
    }
  vmchan *c = push_vmchan (L, child->pid, 1);
  if (sub_idx)
    c->owner = p->serial;
  ward_proc_unref (child);
  return 1;
}

static int
l_spawn_context_threads (lua_State *L)
{
  if (ward_remote_chan >= 0)
    return luaL_error (L, "spawn_context_threads: not available to a subprocess actor");
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
drop_handle (const char *ref, size_t len, void *ctx)
{
  (void) ctx;
  char pid[64];
  if (len > 0 && len < sizeof pid)
    {
      memcpy (pid, ref, len);
      pid[len] = '\0';
      ward_vmchan_release (pid, 1);
    }
  return 0;
}

/* Drop what waits in p's Emilua inbox, with the count of every channel it
 * holds (encoded in the runtime: each counted; in a subprocess actor each
 * a copy the child counts, which ward_msg_free drops: m->handles). */
static void
inbox_drain (ward_proc *p)
{
  ward_msg *m;
  while ((m = ward_port_pop (p, WARD_PORT_VM)) != NULL)
    {
      if (ward_remote_chan < 0)
        (void) ward_codec_each_handle (m->data, m->len, drop_handle, NULL);
      ward_msg_free (m);
    }
}

void
ward_inbox_close (ward_proc *p)
{
  pthread_mutex_lock (&p->lock);
  p->vm_inbox_closed = 1;
  pthread_mutex_unlock (&p->lock);
  inbox_drain (p);
}

/* require "inbox": receive() returns the next raw value sent by a channel. */
static int
inbox_recv_k (lua_State *L, int status, lua_KContext ctx)
{
  ward_vm_check_killed (L);
  ward_proc *p = ward_current ();
  pthread_mutex_lock (&p->lock);
  int closed = p->vm_inbox_closed;
  pthread_mutex_unlock (&p->lock);
  if (closed)
    {
      inbox_drain (p);          /* what a sender slipped in meanwhile */
      return luaL_error (L, "inbox: channel closed (the inbox was closed)");
    }
  ward_msg *m = ward_port_pop (p, WARD_PORT_VM);
  if (m)
    {
      ward_msg_hold (p, m);
      int n = ward_push_msg (L, p, m, 1);
      ward_msg_release (p);
      return n;
    }
  pthread_mutex_lock (&p->lock);
  int senders = p->vm_senders;
  pthread_mutex_unlock (&p->lock);
  /* the run's first process is named by no channel (a subprocess actor's
   * count is the runtime's, told by its stand-in) */
  if (senders == 0 && (!p->is_first || (ward_remote_chan >= 0 && (ward_remote_tracks_senders
                                                                  || ward_remote_gone))))
    return luaL_error (L, "inbox: channel closed (no open channel to this actor remains)");
  return ward_vm_block (L, 0, inbox_recv_k);
}

static int
l_inbox_receive (lua_State *L)
{
  lua_settop (L, 0);
  return inbox_recv_k (L, LUA_OK, 0);
}

/* inbox:close(), as Emilua's (reference, inbox: "Closes the channel. No
 * further messages can be received after inbox is closed"; its source
 * drops what is queued, wakes a waiting receive with channel_closed, and
 * a send to it fails). In a subprocess actor the runtime's stand-in
 * closes too, so that senders there are refused. */
static int
l_inbox_close (lua_State *L)
{
  ward_vm_check_killed (L);
  ward_proc *p = ward_current ();
  pthread_mutex_lock (&p->lock);
  int was = p->vm_inbox_closed;
  pthread_mutex_unlock (&p->lock);
  ward_inbox_close (p);
  if (was || ward_remote_chan < 0)
    return 0;
  lua_settop (L, 0);
  return ward_remote_call (L, "inbox.close");
}

int
ward_luaopen_inbox (lua_State *L)
{
  ward_proc *p = ward_current ();
  inbox *b = lua_newuserdatauv (L, sizeof *b, 0);
  snprintf (b->pid, sizeof b->pid, "%s", p ? p->pid : "");
  if (luaL_newmetatable (L, INBOX))
    {
      static const luaL_Reg methods[] = {
        { "receive", l_inbox_receive }, { "close", l_inbox_close }, { NULL, NULL } };
      luaL_newlib (L, methods);
      lua_setfield (L, -2, "__index");
      lua_pushliteral (L, "inbox");
      lua_setfield (L, -2, "__metatable");
    }
  lua_setmetatable (L, -2);
  return 1;
}

static const luaL_Reg vmchan_methods[] = {
  { "send", vmchan_send }, { "close", vmchan_close }, { "detach", vmchan_detach },
  { "kill", vmchan_kill }, { NULL, NULL } };
/* __index is a function (child_pid is a property), so the methods table is
 * kept in the metatable's field "methods". */
static const luaL_Reg vmchan_meta[] = {
  { "__index", vmchan_index }, { "__gc", vmchan_close }, { "__eq", vmchan_eq }, { NULL, NULL } };
const ward_type ward_type_vmchan = { VMCHAN, "channel", vmchan_methods, vmchan_meta };

void
ward_open_emilua (lua_State *L, int is_worker)
{
  lua_pushcfunction (L, l_spawn_vm);
  lua_setglobal (L, "spawn_vm");
  lua_pushcfunction (L, l_spawn_context_threads);
  lua_setglobal (L, "spawn_context_threads");
  lua_pushstring (L, is_worker ? "worker" : "main");
  lua_setglobal (L, "_CONTEXT");
}
