/* lemilua.c -- the Emilua face (seed 000) over one engine: spawn_vm's
 * tx-channels (in both faces of the API), the codec's handles for them,
 * require "inbox" and _CONTEXT; spawn_vm itself is lspawnvm.c's. */
#include "config.h"
#include "lemilua.h"
#include "face.h"
#include "remote.h"
#include "codec.h"
#include "fdvec.h"

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
   * (the child has no other process whose count it could keep). Asked of
   * the process, not of a VM's face: the runtime's counting (core/,
   * remote/) and the codec's channel handles come here without one. */
  if (ward_remote_chan >= 0)
    return;
  ward_proc *t = ward_proc_get (pid);
  if (t == NULL)
    return;
  ward_lock (&t->lock, WARD_LOCK_PROC);
  int was = t->vm_senders;
  t->vm_senders += d;
  int edge = (was == 0) != (t->vm_senders == 0);
  ward_unlock (&t->lock);
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

void
ward_emilua_push_channel (lua_State *L, const char *pid, uint64_t owner)
{
  push_vmchan (L, pid, 1)->owner = owner;
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

/* The channel at 1 that the value at 2 goes on (both faces); sending on
 * a closed one raises. */
static vmchan *
send_channel (lua_State *L)
{
  vmchan *c = luaL_checkudata (L, 1, VMCHAN);
  luaL_checkany (L, 2);
  ward_vm_check_killed (L);
  if (c->closed)
    luaL_error (L, "send on a closed channel");
  return c;
}

static int
vmchan_send (lua_State *L)
{
  vmchan *c = send_channel (L);
  ward_proc *p = ward_current ();
  ward_err err;
  /* asked first: a caller that may not send learns nothing of whether the
   * actor (or a PID a forged handle names) exists */
  ward_proc *t = ward_proc_target (p, WARD_ACTION (SEND), c->pid, NULL, &err);
  if (t == NULL && err.kind == WARD_E_NOT_FOUND)
    return luaL_error (L, "send: actor %s has exited", c->pid);
  if (t == NULL)
    return luaL_error (L, "send: %s", err.msg);
  ward_lock (&t->lock, WARD_LOCK_PROC);
  int closed = t->vm_inbox_closed;
  ward_unlock (&t->lock);
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

/* c no longer counts as an open channel: its target's count goes down. */
static void
vmchan_drop (vmchan *c)
{
  if (c->closed)
    return;
  c->closed = 1;
  senders_add (c->pid, -1);
}

static int
vmchan_close (lua_State *L)
{
  vmchan_drop (luaL_checkudata (L, 1, VMCHAN));
  return 0;
}

/* (The runtime's: a stand-in closes what it got back from its child.) */
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

/* kill's signal, at 2 (SIGKILL when none); raises on a bad one. */
static lua_Integer
kill_signal (lua_State *L)
{
  lua_Integer sig = luaL_optinteger (L, 2, SIGKILL);
  if (sig < 1 || sig > 64)
    luaL_error (L, "kill: bad signal number %d", (int) sig);
  return sig;
}

static int
vmchan_kill (lua_State *L)
{
  vmchan *c = own_subprocess (L, "kill");
  lua_Integer sig = kill_signal (L);
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
  vmchan *c = own_subprocess (L, "detach");
  ward_err err;
  if (ward_broker_detach (c->pid, &err) < 0)
    return luaL_error (L, "detach: %s", err.msg);
  return 0;
}

/* The method k of the channel at 1 (its metatable's "methods"). */
static int
vmchan_method (lua_State *L, const char *k)
{
  lua_getmetatable (L, 1);
  lua_getfield (L, -1, "methods");
  lua_getfield (L, -1, k);
  return 1;
}

static int
vmchan_index (lua_State *L)
{
  luaL_checkudata (L, 1, VMCHAN);
  const char *k = luaL_checkstring (L, 2);
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
  return vmchan_method (L, k);
}

static int
vmchan_eq (lua_State *L)
{
  vmchan *a = luaL_checkudata (L, 1, VMCHAN), *b = luaL_checkudata (L, 2, VMCHAN);
  lua_pushboolean (L, strcmp (a->pid, b->pid) == 0);
  return 1;
}

/* ---- a channel in a subprocess actor: the target lives in the runtime,
 * whose stand-in sends for the actor; kill, detach and child_pid are asked
 * of the stand-in, which owns what the child's spawn_vm made ---- */
static int
r_vmchan_send (lua_State *L)
{
  send_channel (L);
  lua_settop (L, 2);
  int n = ward_remote_call (L, "vmchan.send");
  if (n == 2 && lua_isnil (L, -2))          /* nil, err: raise it, as in the runtime */
    return luaL_error (L, "send: %s", lua_tostring (L, -1) ? lua_tostring (L, -1)
                       : "refused");
  return 0;
}

/* One copy fewer of the channel's PID: the runtime is told once the child
 * holds none (DROP, remote.h). */
static int
r_vmchan_close (lua_State *L)
{
  vmchan *c = luaL_checkudata (L, 1, VMCHAN);
  if (!c->closed)
    {
      c->closed = 1;
      ward_remote_dropped (c->pid);
    }
  return 0;
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
  return ward_remote_callk (L, op, nargs, nres, ctx, k);
}

static int
pass_k (lua_State *L, int status, lua_KContext ctx)
{
  (void) status;
  (void) ctx;
  return 1;
}

static int
r_vmchan_kill (lua_State *L)
{
  luaL_checkudata (L, 1, VMCHAN);
  lua_Integer sig = kill_signal (L);
  lua_settop (L, 1);
  lua_pushvalue (L, 1);
  lua_pushinteger (L, sig);
  return remote_vmchan (L, "vmchan.kill", 2, 0, (lua_KContext) sig, remote_kill_k);
}

static int
r_vmchan_detach (lua_State *L)
{
  luaL_checkudata (L, 1, VMCHAN);
  lua_settop (L, 1);
  lua_pushvalue (L, 1);
  return remote_vmchan (L, "vmchan.detach", 1, 0, 0, remote_kill_k);
}

static int
r_vmchan_index (lua_State *L)
{
  luaL_checkudata (L, 1, VMCHAN);
  const char *k = luaL_checkstring (L, 2);
  if (strcmp (k, "child_pid") == 0)
    {
      lua_settop (L, 1);
      lua_pushvalue (L, 1);
      return remote_vmchan (L, "vmchan.child_pid", 1, 1, 0, pass_k);
    }
  return vmchan_method (L, k);
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
 * a copy the child counts, which ward_msg_free drops: m->handles, and the
 * release counts nothing: senders_add). */
static void
inbox_drain (ward_proc *p)
{
  ward_msg *m;
  while ((m = ward_port_pop (p, WARD_PORT_VM)) != NULL)
    {
      (void) ward_codec_each_handle (m->data, m->len, drop_handle, NULL);
      ward_msg_free (m);
    }
}

void
ward_inbox_close (ward_proc *p)
{
  ward_lock (&p->lock, WARD_LOCK_PROC);
  p->vm_inbox_closed = 1;
  ward_unlock (&p->lock);
  inbox_drain (p);
}

/* require "inbox": receive() returns the next raw value sent by a channel.
 * ctx: 1 in the subprocess face, 0 in the in-process one. */
static int
inbox_recv_k (lua_State *L, int status, lua_KContext ctx)
{
  ward_vm_check_killed (L);
  ward_proc *p = ward_current ();
  ward_lock (&p->lock, WARD_LOCK_PROC);
  int closed = p->vm_inbox_closed;
  ward_unlock (&p->lock);
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
  ward_lock (&p->lock, WARD_LOCK_PROC);
  int senders = p->vm_senders;
  ward_unlock (&p->lock);
  /* the run's first process is named by no channel (a subprocess actor's
   * count is the runtime's, told by its stand-in) */
  if (senders == 0 && (!p->is_first || (ctx && (ward_remote_tracks_senders
                                                || ward_remote_gone))))
    return luaL_error (L, "inbox: channel closed (no open channel to this actor remains)");
  return ward_vm_block (L, ctx, inbox_recv_k);
}

static int
l_inbox_receive (lua_State *L)
{
  lua_settop (L, 0);
  return inbox_recv_k (L, LUA_OK, 0);
}

static int
r_inbox_receive (lua_State *L)
{
  lua_settop (L, 0);
  return inbox_recv_k (L, LUA_OK, 1);
}

/* inbox:close(), as Emilua's (reference, inbox: "Closes the channel. No
 * further messages can be received after inbox is closed"; its source
 * drops what is queued, wakes a waiting receive with channel_closed, and
 * a send to it fails). Whether it was closed already. */
static int
close_inbox (lua_State *L)
{
  ward_vm_check_killed (L);
  ward_proc *p = ward_current ();
  ward_lock (&p->lock, WARD_LOCK_PROC);
  int was = p->vm_inbox_closed;
  ward_unlock (&p->lock);
  ward_inbox_close (p);
  return was;
}

static int
l_inbox_close (lua_State *L)
{
  (void) close_inbox (L);
  return 0;
}

/* In a subprocess actor the runtime's stand-in closes too, so that
 * senders there are refused. */
static int
r_inbox_close (lua_State *L)
{
  if (close_inbox (L))
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
      lua_createtable (L, 0, 2);
      luaL_setfuncs (L, ward_face_of (L)->inbox, 0);
      lua_setfield (L, -2, "__index");
      lua_pushliteral (L, "inbox");
      lua_setfield (L, -2, "__metatable");
    }
  lua_setmetatable (L, -2);
  return 1;
}

/* ---- the faces ---- */
const luaL_Reg ward_face_inbox_local[] = {
  { "receive", l_inbox_receive }, { "close", l_inbox_close }, { NULL, NULL } };
const luaL_Reg ward_face_inbox_remote[] = {
  { "receive", r_inbox_receive }, { "close", r_inbox_close }, { NULL, NULL } };

/* __index is a function (child_pid is a property), so the methods table is
 * kept in the metatable's field "methods". */
static const luaL_Reg vmchan_methods[] = {
  { "send", vmchan_send }, { "close", vmchan_close }, { "detach", vmchan_detach },
  { "kill", vmchan_kill }, { NULL, NULL } };
static const luaL_Reg vmchan_meta[] = {
  { "__index", vmchan_index }, { "__gc", vmchan_close }, { "__eq", vmchan_eq }, { NULL, NULL } };
const ward_type ward_type_vmchan = { VMCHAN, "channel", vmchan_methods, vmchan_meta };

static const luaL_Reg vmchan_methods_remote[] = {
  { "send", r_vmchan_send }, { "close", r_vmchan_close }, { "detach", r_vmchan_detach },
  { "kill", r_vmchan_kill }, { NULL, NULL } };
static const luaL_Reg vmchan_meta_remote[] = {
  { "__index", r_vmchan_index }, { "__gc", r_vmchan_close }, { "__eq", vmchan_eq },
  { NULL, NULL } };
const ward_type ward_type_vmchan_remote = { VMCHAN, "channel", vmchan_methods_remote,
                                            vmchan_meta_remote };

void
ward_open_emilua (lua_State *L, int is_worker)
{
  for (const luaL_Reg *r = ward_face_of (L)->emilua; r->name; r++)
    {
      lua_pushcfunction (L, r->func);
      lua_setglobal (L, r->name);
    }
  lua_pushstring (L, is_worker ? "worker" : "main");
  lua_setglobal (L, "_CONTEXT");
}
