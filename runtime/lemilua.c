/* lemilua.c -- the Emilua face (seed 000): spawn_vm, its tx-channels,
 * require "inbox", _CONTEXT and spawn_context_threads, over one engine. */
#include "config.h"
#include "vm.h"
#include "remote.h"
#include "codec.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <lauxlib.h>

#define VMCHAN "ward.vmchan"

typedef struct vmchan {
  char pid[64];
  int closed;
} vmchan;

static void
senders_add (const char *pid, int d)
{
  ward_proc *t = ward_proc_get (pid);
  if (t == NULL)
    return;
  pthread_mutex_lock (&t->lock);
  t->vm_senders += d;
  int last = t->vm_senders == 0;
  pthread_mutex_unlock (&t->lock);
  if (last)
    ward_proc_wake (t);           /* a receive waiting on no sender fails */
  ward_proc_unref (t);
}

/* counted: the target already counts this channel (spawn_vm's first). */
static vmchan *
push_vmchan (lua_State *L, const char *pid, int counted)
{
  vmchan *c = lua_newuserdatauv (L, sizeof *c, 0);
  snprintf (c->pid, sizeof c->pid, "%s", pid);
  c->closed = 0;
  ward_setmeta (L, VMCHAN);
  if (!counted)
    senders_add (pid, 1);
  return c;
}

/* The codec sends a channel as its target's PID. The encoded reference
 * counts as an open channel from the moment it is made, so that the target
 * does not see "channel closed" while a copy is in flight; the channel
 * decoded from it takes that count over. (A message that is never decoded
 * keeps its count: the target then waits instead of seeing the close.) */
static const char *
vmchan_ref (lua_State *L, int idx, size_t *len, ward_err *err)
{
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

static const ward_codec_handle vm_handle = { VMCHAN, vmchan_ref, vmchan_push };
static const ward_codec_opts rt_opts = { 0, 0, &vm_handle };

const ward_codec_opts *
ward_codec_opts_rt (void)
{
  return &rt_opts;
}

static int
vmchan_send (lua_State *L)
{
  vmchan *c = luaL_checkudata (L, 1, VMCHAN);
  luaL_checkany (L, 2);
  ward_vm_check_killed (L);
  if (c->closed)
    return luaL_error (L, "send on a closed channel");
  ward_proc *p = ward_current ();
  ward_err err;
  ward_proc *t = ward_proc_get (c->pid);
  if (t == NULL)
    return luaL_error (L, "send: actor %s has exited", c->pid);
  ward_actor actor = { .id = p->actor_id, .scope = (const char *const *) p->scope,
                       .nscope = p->nscope };
  ward_attrs attrs = { .pid = p->pid, .host = ward_host_name (p->host), .parent = ward_parent_attr (p),
                       .target_actor = t->actor_id, .target_host = ward_host_name (t->host),
                       .target_parent = ward_parent_attr (t) };
  wbuf b;
  wbuf_init (&b, 0);
  int rc;
  if (ward_authorize (&actor, "process.send", t->pid, &attrs) != WARD_ALLOW)
    rc = ward_err_set (&err, WARD_E_PERMISSION_DENIED, 0,
                       "permission denied: process.send on %s (actor %s)", t->pid, p->actor_id);
  else
    rc = ward_codec_encode (L, 2, 1, &b, &rt_opts, &err);
  if (rc == 0)
    {
      ward_msg *m = ward_msg_new (WARD_MSG_VM, p->pid, NULL, b.data, b.len);
      rc = m ? ward_deliver (t, m, &err)
             : ward_err_set (&err, WARD_E_INTERNAL, ENOMEM, "sending to %s", t->pid);
    }
  wbuf_free (&b);
  ward_proc_unref (t);
  if (rc < 0 && err.kind == WARD_E_NOT_FOUND)   /* it exited meanwhile */
    return luaL_error (L, "send: actor %s has exited", c->pid);
  if (rc < 0)
    return luaL_error (L, "send: %s", err.msg);
  return 0;
}

static int
vmchan_close (lua_State *L)
{
  vmchan *c = luaL_checkudata (L, 1, VMCHAN);
  if (!c->closed)
    {
      c->closed = 1;
      senders_add (c->pid, -1);
    }
  return 0;
}

static int
vmchan_subprocess_only (lua_State *L)
{
  return luaL_error (L, "this method is only available for channels of subprocess actors "
                     "spawned by the caller");
}

static int
vmchan_index (lua_State *L)
{
  luaL_checkudata (L, 1, VMCHAN);
  const char *k = luaL_checkstring (L, 2);
  if (strcmp (k, "child_pid") == 0)
    return vmchan_subprocess_only (L);
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

/* spawn_vm(module, opts) */
static int
l_spawn_vm (lua_State *L)
{
  if (ward_remote_chan >= 0)
    return luaL_error (L, "spawn_vm: not available to a subprocess actor");
  ward_proc *p = ward_current ();
  ward_err err;
  size_t mlen;
  const char *module = luaL_checklstring (L, 1, &mlen);
  if (strlen (module) != mlen)
    return luaL_error (L, "spawn_vm: module `%s...` holds a NUL byte", module);
  int inherit = 1, new_master = 0;
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
            return luaL_error (L, "spawn_vm: subprocess actors are not available in this build");
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
  static atomic_int contexts;
  if (!inherit)
    snprintf (hostname, sizeof hostname, "ward:context.%d", atomic_fetch_add (&contexts, 1) + 1);
  else
    snprintf (hostname, sizeof hostname, "%s", ward_host_name (host));
  ward_actor actor = { .id = p->actor_id, .scope = (const char *const *) p->scope,
                       .nscope = p->nscope };
  ward_attrs attrs = { .pid = p->pid, .host = ward_host_name (p->host), .parent = ward_parent_attr (p) };
  int allowed = ward_authorize (&actor, "process.spawn", id, &attrs) == WARD_ALLOW;
  allowed &= ward_authorize (&actor, "process.host", hostname, &attrs) == WARD_ALLOW;
  if (!allowed)
    return luaL_error (L, "spawn_vm: permission denied: process.spawn on %s, process.host on "
                       "%s (actor %s)", id, hostname, p->actor_id);
  if (ward_def_check (path, &err) < 0)
    return luaL_error (L, "spawn_vm: %s", err.msg);
  if (!inherit && (host = ward_host_create (hostname, 1, &err)) == NULL)
    return luaL_error (L, "spawn_vm: %s", err.msg);
  int hand_over = new_master && p->is_master;
  ward_spawn_req req = { .def_id = strcmp (id, ".") ? id : "", .path = path, .host = host,
                         .is_worker = 1, .vm_senders = 1, .master = hand_over };
  if (hand_over)
    p->is_master = 0;             /* before the child can run and exit */
  ward_proc *child = ward_spawn (p, &req, &err);
  if (child == NULL)
    {
      p->is_master |= hand_over;
      return luaL_error (L, "spawn_vm: %s", err.msg);
    }
  push_vmchan (L, child->pid, 1);
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
  if (ward_host_add_threads (ward_current ()->host, (int) n, &err) < 0)
    return luaL_error (L, "spawn_context_threads: %s", err.msg);
  return 0;
}

/* require "inbox": receive() returns the next raw value sent by a channel. */
static int
inbox_recv_k (lua_State *L, int status, lua_KContext ctx)
{
  ward_vm_check_killed (L);
  ward_proc *p = ward_current ();
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
  if (senders == 0 && !p->is_first)
    return luaL_error (L, "inbox: channel closed (no open channel to this actor remains)");
  return ward_vm_block (L, 0, inbox_recv_k);
}

static int
l_inbox_receive (lua_State *L)
{
  lua_settop (L, 0);
  return inbox_recv_k (L, LUA_OK, 0);
}

int
ward_luaopen_inbox (lua_State *L)
{
  lua_createtable (L, 0, 1);
  lua_pushcfunction (L, l_inbox_receive);
  lua_setfield (L, -2, "receive");
  return 1;
}

static const luaL_Reg vmchan_methods[] = {
  { "send", vmchan_send }, { "close", vmchan_close }, { "detach", vmchan_subprocess_only },
  { "kill", vmchan_subprocess_only }, { NULL, NULL } };
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
