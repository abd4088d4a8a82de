/* bproxy.c -- the stand-in of a subprocess actor (remote.h): the Lua
 * module of the process that holds the actor's PID in the runtime. It
 * sends BOOT's reply to boot(), forwards what reaches its mailbox to the
 * child, performs each CALL from the child with the ordinary process API
 * as itself (so the permission engine judges the child's actor here) and
 * returns the reply; the child's end ends it. */
#include "config.h"
#include "broker.h"
#include "vm.h"
#include "codec.h"
#include "lfd.h"
#include "lio.h"
#include "lfs.h"
#include "lnet.h"
#include "lproc.h"
#include "wfault.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <lauxlib.h>
#include <lualib.h>

/* ---- the proxy's module ---- */

/* Raise msg as the stand-in's error, without a position: it describes the
 * subprocess actor, not a line of the broker. */
static int raise_plain (lua_State *L, const char *fmt, ...)
  __attribute__ ((format (printf, 2, 3)));

static int
raise_plain (lua_State *L, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  lua_pushvfstring (L, fmt, ap);
  va_end (ap);
  return lua_error (L);
}

static ward_remote *
self_remote (lua_State *L)
{
  ward_proc *p = ward_current ();
  if (p == NULL || p->remote == NULL)
    luaL_error (L, "not a subprocess actor's stand-in");
  return p->remote;
}

static void
fail (lua_State *L, const ward_err *err)
{
  raise_plain (L, "subprocess actor: %s", err->msg);
}

/* boot(): raise what went wrong when BOOT was sent. */
static int
b_boot (lua_State *L)
{
  ward_remote *r = self_remote (L);
  if (r->boot_failed)
    fail (L, &r->boot_err);
  return 0;
}

/* The descriptors and channels a CALL brought are the call's only: every
 * operation that can take one (send) dups or copies it, so the reply
 * closes them all at once rather than leaving them to the collector (a
 * channel left open would keep its actor's inbox open). Kept in the
 * registry under this key. */
static const char call_fds_key = 'f';

/* Remember every descriptor and channel in the value at idx (decoded: a
 * tree). */
static void
remember_fds (lua_State *L, int idx, int depth)
{
  idx = lua_absindex (L, idx);
  if (ward_fd_test (L, idx) != NULL || luaL_testudata (L, idx, "ward.vmchan") != NULL)
    {
      if (lua_rawgetp (L, LUA_REGISTRYINDEX, &call_fds_key) != LUA_TTABLE)
        {
          lua_pop (L, 1);
          lua_newtable (L);
          lua_pushvalue (L, -1);
          lua_rawsetp (L, LUA_REGISTRYINDEX, &call_fds_key);
        }
      lua_pushvalue (L, idx);
      lua_rawseti (L, -2, (lua_Integer) lua_rawlen (L, -2) + 1);
      lua_pop (L, 1);
      return;
    }
  if (lua_type (L, idx) != LUA_TTABLE || depth > WARD_CODEC_DEPTH_CAP)
    return;
  luaL_checkstack (L, 4, NULL);
  lua_pushnil (L);
  while (lua_next (L, idx))
    {
      remember_fds (L, -1, depth + 1);
      lua_pop (L, 1);
    }
}

/* Close what remember_fds kept. */
static void
close_call_fds (lua_State *L)
{
  if (lua_rawgetp (L, LUA_REGISTRYINDEX, &call_fds_key) == LUA_TTABLE)
    {
      lua_Integer n = (lua_Integer) lua_rawlen (L, -1);
      for (lua_Integer i = 1; i <= n; i++)
        {
          lua_rawgeti (L, -1, i);
          int *u = ward_fd_test (L, -1);
          if (u)
            ward_fd_release (u);
          else
            (void) ward_vmchan_close_at (L, -1);
          lua_pop (L, 1);
        }
      lua_pushnil (L);
      lua_rawsetp (L, LUA_REGISTRYINDEX, &call_fds_key);
    }
  lua_pop (L, 1);
}

static int
any_handle (const char *ref, size_t len, void *ctx)
{
  (void) ref;
  (void) len;
  (void) ctx;
  return 1;                     /* one is enough: the walk stops */
}

static void send_reply (ward_remote *r, uint32_t st, const char *kind, const uint8_t *vals,
                        size_t vlen, const char *msg, const ward_fdvec *fds);

/* Tell the child whether a channel names it, when that changed (only when
 * one now does, if up_only). Returns whether a frame was sent. */
static int
tell_senders (ward_proc *p, ward_remote *r, int up_only)
{
  unsigned now = p->is_first ? 0 : ward_broker_senders_peek (p);
  if (p->is_first || r->told_senders == (int) now || (up_only && now == 0))
    return 0;
  ward_err err;
  uint8_t n[4] = { (uint8_t) now, 0, 0, 0 };
  r->told_senders = (int) now;
  atomic_fetch_add (&r->busy, 1);
  int rc = ward_broker_put_frame (r, WARD_F_SENDERS, n, 4, NULL, &err);
  atomic_fetch_sub (&r->busy, 1);
  if (rc < 0)
    ward_broker_channel_broken (r, &err);
  return 1;
}

/* Pop what is next for the stand-in, counted busy while it is forwarded
 * (see below), or NULL. With so much waiting for the child (full), only
 * its own frames (calls, its end) are taken: the reader wakes the stand-in
 * when there is room again. */
static ward_msg *
next_msg (ward_proc *p, ward_remote *r, int full)
{
  static const int ports[] = { WARD_PORT_WIRE, WARD_PORT_INBOX, WARD_PORT_EVENTS,
                               WARD_PORT_VM, WARD_PORT_EXEC };
  size_t nports = full ? 1 : sizeof ports / sizeof *ports;
  ward_msg *m = NULL;
  /* busy before the pop: a sender that sees the mailbox empty and the
   * channel free cannot overtake what is popped here */
  atomic_fetch_add (&r->busy, 1);
  for (size_t i = 0; m == NULL && i < nports; i++)
    m = ward_port_pop (p, ports[i]);
  if (m == NULL || m->kind == WARD_MSG_WIRE)
    atomic_fetch_sub (&r->busy, 1);
  return m;
}

/* Forward a message of the actor's mailbox to the child as a MSG frame. */
static void
forward_msg (ward_proc *p, ward_remote *r, ward_msg *m)
{
  ward_err err;
  wbuf b;
  wbuf_init (&b, 0);
  ward_broker_grant_msg (r, m);
  int rc = ward_remote_msg_encode (m, &b, &err);
  if (rc == 0)
    rc = ward_broker_put_frame (r, WARD_F_MSG, b.data, b.len, m->fds, &err);
  atomic_fetch_sub (&r->busy, 1);
  wbuf_free (&b);
  ward_msg_release (p);
  if (rc < 0)
    ward_broker_channel_broken (r, &err);
}

/* The child's EXIT: its status and result are kept for the stand-in's end.
 * Returns 0 (next() ends), malformed or not. */
static int
on_exit_frame (ward_remote *r, const uint8_t *body, size_t len)
{
  ward_err err;
  ward_wire_in in = { body, body + len };
  uint32_t abnormal;
  const char *data;
  size_t dlen = 0;
  if (ward_wire_get_u32 (&in, &abnormal, &err) < 0
      || ward_wire_get_str (&in, &data, &dlen, &err) < 0 || abnormal > 1
      || in.p != in.end)
    {
      ward_broker_malformed (r, "an EXIT that is not a status and a result");
      return 0;
    }
  r->got_exit = 1;
  r->exit_abnormal = (int) abnormal;
  r->exit_data = malloc (dlen ? dlen : 1);
  if (r->exit_data)
    memcpy (r->exit_data, data, dlen);
  r->exit_len = dlen;
  return 0;
}

/* The child's CALL (op, encoded arguments): push op and {args, n=} and
 * return 2 for next() to return them, or 0 (ended as malformed). */
static int
on_call_frame (lua_State *L, ward_remote *r, const ward_msg *m, int type,
               const uint8_t *body, size_t len)
{
  ward_err err;
  ward_wire_in in = { body, body + len };
  const char *op, *args;
  size_t oplen = 0, alen = 0;
  if (type != WARD_F_CALL || ward_wire_get_str (&in, &op, &oplen, &err) < 0
      || ward_wire_get_str (&in, &args, &alen, &err) < 0 || oplen == 0 || oplen > 64
      || in.p != in.end)
    {
      ward_broker_malformed (r, "a CALL that is not an operation and its arguments");
      return 0;
    }
  lua_settop (L, 0);
  lua_pushlstring (L, op, oplen);
  lua_newtable (L);
  if (alen > WARD_WIRE_RX_KEEP)
    r->collect = 1;
  int n = 0;
  ward_codec_opts o = *ward_codec_opts_wire ();
  o.fds = m->fds;
  if (ward_codec_decode (L, (const uint8_t *) args, alen, &o, &n, &err) < 0)
    {
      char what[WARD_ERR_MSG_MAX + 32];
      snprintf (what, sizeof what, "a CALL's arguments: %s", err.msg);
      ward_broker_malformed (r, what);
      return 0;
    }
  if (m->fds != NULL || ward_codec_each_handle ((const uint8_t *) args, alen,
                                                any_handle, NULL) != 0)
    for (int i = 0; i < n; i++)
      remember_fds (L, 3 + i, 0);
  for (int i = n; i >= 1; i--)
    lua_rawseti (L, 2, i);
  lua_pushinteger (L, n);
  lua_setfield (L, 2, "n");
  atomic_store (&r->in_call, 1);
  return 2;
}

/* A frame the reader passed on from the child (m, held): a refused call is
 * answered here (-1: go on); the child's end, its EXIT or a call make
 * next() return (0 or 2). m is released. */
static int
on_wire (lua_State *L, ward_proc *p, ward_remote *r, ward_msg *m)
{
  int type = m->len ? m->data[0] : 0;
  const uint8_t *body = m->data + 1;
  size_t len = m->len ? m->len - 1 : 0;
  int rc;
  if (type == F_REFUSED)
    {
      /* the call fails, as if performed: UNAVAILABLE, with why */
      char why[WARD_ERR_MSG_MAX];
      snprintf (why, sizeof why, "%.*s", (int) len, (const char *) body);
      ward_msg_release (p);
      send_reply (r, 1, ward_kind_name (WARD_E_UNAVAILABLE), NULL, 0, why, NULL);
      return -1;
    }
  if (type == F_ENDED)
    {
      snprintf (r->ended_why, sizeof r->ended_why, "%.*s", (int) len, (const char *) body);
      rc = 0;
    }
  else if (type == WARD_F_EXIT)
    rc = on_exit_frame (r, body, len);
  else
    rc = on_call_frame (L, r, m, type, body, len);
  ward_msg_release (p);
  return rc;
}

/* next(): forward what reached the mailbox; return the child's next call
 * (op, {args, n=}) or nothing once the child has ended. */
static int
b_next (lua_State *L, int status, lua_KContext ctx)
{
  (void) status;
  (void) ctx;
  ward_vm_check_killed (L);
  ward_proc *p = ward_current ();
  ward_remote *r = self_remote (L);
  for (;;)
    {
      int full = ward_broker_tx_full (r);
      ward_msg *m = next_msg (p, r, full);
      if (m == NULL)
        {
          /* everything forwarded: then whether a channel names the actor */
          if (!full && tell_senders (p, r, 0))
            continue;
          return ward_vm_block (L, 0, b_next);
        }
      ward_msg_hold (p, m);
      if (m->kind == WARD_MSG_EXIT && r->owner && strcmp (m->from, r->owner_pid) == 0)
        {
          /* the broker's own monitor of spawn_vm's caller: not the child's */
          atomic_fetch_sub (&r->busy, 1);
          ward_msg_release (p);
          if (r->detached)
            continue;
          snprintf (r->ended_why, sizeof r->ended_why, "ended with its spawner %s",
                    r->owner_pid);
          return 0;
        }
      if (m->kind != WARD_MSG_WIRE)
        {
          forward_msg (p, r, m);
          continue;
        }
      int rc = on_wire (L, p, r, m);
      if (rc >= 0)
        return rc;
    }
}

static int
b_next_entry (lua_State *L)
{
  return b_next (L, 0, 0);
}

/* A REPLY to the child's call: st 0 with the encoded values (and the
 * descriptors they hold, fds), else 1 (an error value of kind) or 2 (a
 * raised error) with msg; then the channel is watched again. */
static void
send_reply (ward_remote *r, uint32_t st, const char *kind, const uint8_t *vals, size_t vlen,
            const char *msg, const ward_fdvec *fds)
{
  ward_err err;
  wbuf b;
  wbuf_init (&b, 0);
  int rc = ward_wire_put_u32 (&b, st, &err);
  if (rc == 0)
    rc = st == 0 ? ward_wire_put_str (&b, (const char *) vals, vlen, &err)
                 : ward_wire_put_str (&b, kind, strlen (kind), &err);
  if (rc == 0)
    rc = ward_wire_put_str (&b, msg, st == 0 ? 0 : strlen (msg), &err);
  if (rc == 0 && st == 0)
    ward_broker_grant_handles (r, vals, vlen);
  if (rc == 0)
    {
      atomic_fetch_add (&r->busy, 1);
      rc = ward_broker_put_frame (r, WARD_F_REPLY, b.data, b.len, fds, &err);
      atomic_fetch_sub (&r->busy, 1);
    }
  wbuf_free (&b);
  if (rc < 0)
    ward_broker_channel_broken (r, &err);
  else
    ward_broker_rearm (r);
}

/* reply(ok, ...): the result of pcall(op, ...) back to the child. */
static int
b_reply (lua_State *L)
{
  ward_remote *r = self_remote (L);
  atomic_store (&r->in_call, 0);
  ward_err err;
  wbuf vals;
  wbuf_init (&vals, 0);
  ward_fdvec fds = { 0 };
  int top = lua_gettop (L);
  uint32_t st;
  char msg[WARD_ERR_MSG_MAX];
  const char *kind = "";
  msg[0] = '\0';
  if (!lua_toboolean (L, 1))
    {
      st = 2;
      ward_vm_describe_error (L, 2, msg, sizeof msg);
    }
  else if (top >= 3 && lua_isnil (L, 2) && luaL_testudata (L, 3, "ward.error"))
    {
      const ward_err *e = lua_touserdata (L, 3);
      st = 1;
      kind = ward_kind_name (e->kind);
      snprintf (msg, sizeof msg, "%s", e->msg);
    }
  else
    {
      /* a descriptor in the result (fs.open's, net.connect's, a granted
       * standard stream's) goes to the child with the reply; the
       * stand-in's own is closed at once */
      ward_codec_opts o = *ward_codec_opts_rt ();
      o.fds = &fds;
      if (ward_codec_encode (L, 2, top - 1, &vals, &o, &err) == 0)
        st = 0;
      else
        {
          st = 1;
          kind = ward_kind_name (err.kind);
          snprintf (msg, sizeof msg, "the result cannot be sent: %s", err.msg);
        }
      for (int i = 2; i <= top; i++)
        {
          int *u = ward_fd_test (L, i);
          if (u)
            ward_fd_release (u);
        }
    }
  close_call_fds (L);
  /* a call that made a channel to the child (its inbox sent as its
   * address): the child knows before the reply, so that its next receive
   * waits (a close is told only once what came before is forwarded) */
  (void) tell_senders (ward_current (), r, 1);
  send_reply (r, st, kind, vals.data, vals.len, msg, st == 0 ? &fds : NULL);
  ward_fdvec_close (&fds);
  wbuf_free (&vals);
  return 0;
}

/* tidy(): after a call, once the loop has dropped its arguments. A
 * stand-in that then idles allocates nothing, so its collector would never
 * free the arguments of a large call (up to 16 MiB per idle child): after
 * one, collect at once. */
static int
b_tidy (lua_State *L)
{
  ward_remote *r = self_remote (L);
  if (r->collect)
    {
      r->collect = 0;
      lua_gc (L, LUA_GCCOLLECT, 0);
    }
  return 0;
}

/* finish(): the child's result, or its error raised. */
static int
b_finish (lua_State *L)
{
  ward_remote *r = self_remote (L);
  if (!r->got_exit)
    return raise_plain (L, "subprocess actor %s", r->own_why[0] ? r->own_why
                        : r->ended_why[0] ? r->ended_why : "ended without a result");
  if (r->exit_abnormal)
    {
      lua_pushlstring (L, (const char *) r->exit_data, r->exit_len);
      return lua_error (L);
    }
  ward_err err;
  int n = 0;
  lua_settop (L, 0);
  /* each channel in it counts itself: the child's copies are dropped
   * when it is released */
  if (ward_codec_decode (L, r->exit_data, r->exit_len, ward_codec_opts_wire (), &n, &err) < 0)
    {
      char what[WARD_ERR_MSG_MAX + 32];
      snprintf (what, sizeof what, "its result: %s", err.msg);
      ward_broker_malformed (r, what);
      return raise_plain (L, "subprocess actor %s", r->own_why);
    }
  return n;
}

/* malformed(what): the child sent a call no child side makes. */
static int
b_malformed (lua_State *L)
{
  ward_broker_malformed (self_remote (L), luaL_checkstring (L, 1));
  return 0;
}

/* upgrade(id): the child's process.upgrade, asked as in-process (a new
 * definition needs process.spawn on it); returns the id, the chunkname and
 * the compiled definition for the child to run, or nil, err. The child
 * keeps its arguments: they never leave it. */
static int
b_upgrade (lua_State *L)
{
  ward_proc *p = ward_current ();
  ward_err err;
  ward_upgrade u;
  if (ward_upgrade_target (L, p, 1, &u, &err) < 0)
    return ward_push_err (L, &err);
  char *np = strdup (u.path), *nid = strdup (u.id);
  if (np == NULL || nid == NULL)
    {
      free (np);
      free (nid);
      return ward_push_error (L, WARD_E_INTERNAL, "upgrade: out of memory");
    }
  /* the stand-in now stands for the new definition ("." of spawn_vm, a
   * later upgrade(nil)) */
  ward_proc_free_copy (p, p->def_path);
  p->def_path = np;
  ward_proc_free_copy (p, p->def_id);
  p->def_id = nid;
  const char *code;
  size_t code_len;
  ward_def_code (u.def, &code, &code_len);
  lua_pushstring (L, p->def_id);
  lua_pushstring (L, ward_def_display (p->def_path));
  lua_pushlstring (L, code, code_len);
  return 3;
}

/* inbox_close(): the child closed its Emilua inbox: so does its stand-in,
 * whose senders are then refused. */
static int
b_inbox_close (lua_State *L)
{
  (void) L;
  ward_inbox_close (ward_current ());
  return 0;
}

/* may_require(name): whether the child's actor may require name (asked,
 * and so audited, as an in-process require would be). */
static int
b_may_require (lua_State *L)
{
  ward_err err;
  lua_pushboolean (L, ward_proc_authorize1 (ward_current (), WARD_ACTION (LUA_REQUIRE),
                                            luaL_checkstring (L, 1), NULL, &err) == 0);
  return 1;
}

void
ward_broker_push_module (lua_State *L)
{
  static const luaL_Reg fns[] = {
    { "boot", b_boot }, { "next", b_next_entry }, { "reply", b_reply },
    { "finish", b_finish }, { "may_require", b_may_require }, { "tidy", b_tidy },
    { "malformed", b_malformed }, { "upgrade", b_upgrade },
    { "inbox_close", b_inbox_close }, { "io_stream", ward_io_stream_for_child },
    { NULL, NULL } };
  luaL_newlib (L, fns);
  ward_luaopen_fs (L);          /* the child's fs calls (lfs.h) */
  lua_setfield (L, -2, "fs");
  ward_luaopen_net (L);         /* and net's connect and listen (lnet.h) */
  lua_setfield (L, -2, "net");
}

/* The stand-in's body: every call of the child is performed by the
 * ordinary process API, as this process. */
static const char broker_lua[] =
  "local w = ...\n"
  "local process, pcall, unpack, ipairs = process, pcall, table.unpack, ipairs\n"
  "local reg = process.registry\n"
  "local ops = {\n"
  "  send = process.send, spawn = process.spawn, spawn_monitored = process.spawn_monitored,\n"
  "  spawn_linked = process.spawn_linked,\n"
  "  spawn_linked_monitored = process.spawn_linked_monitored, exec = process.exec,\n"
  "  terminate = process.terminate, cancel = process.cancel, monitor = process.monitor,\n"
  "  unmonitor = process.unmonitor, link = process.link, unlink = process.unlink,\n"
  "  set_options = process.set_options, ['registry.register'] = reg.register,\n"
  "  ['registry.lookup'] = reg.lookup, ['registry.unregister'] = reg.unregister,\n"
  "  ['vmchan.send'] = function(ch, v) ch:send(v); return true end,\n"
  "  spawn_vm = spawn_vm, upgrade = w.upgrade,\n"
  "  ['vmchan.kill'] = function(ch, sig) ch:kill(sig); return true end,\n"
  "  ['vmchan.detach'] = function(ch) ch:detach(); return true end,\n"
  "  ['vmchan.child_pid'] = function(ch) return ch.child_pid end,\n"
  "  ['inbox.close'] = function() w.inbox_close() end,\n"
  "  ['io.stream'] = w.io_stream,\n"
  "  ['env.read'] = function(name) return os.getenv(name) end,\n"
  "  ['permissions.query'] = function(q) return process.permissions.query(q) end,\n"
  "  ['fs.open'] = w.fs.open, ['fs.read_file'] = w.fs.read_file,\n"
  "  ['fs.write_file'] = w.fs.write_file, ['fs.list'] = w.fs.list, ['fs.stat'] = w.fs.stat,\n"
  "  ['fs.mkdir'] = w.fs.mkdir, ['fs.remove'] = w.fs.remove, ['fs.rename'] = w.fs.rename,\n"
  "  ['net.connect'] = w.net.connect, ['net.listen'] = w.net.listen,\n"
  "  with_context = function()\n"
  "    local b, e = process.with_context({})\n"
  "    if b then return true end\n"
  "    return nil, e\n"
  "  end,\n"
  "  require = function(name)\n"
  "    if not w.may_require(name) then\n"
  "      error(\"require '\" .. tostring(name) .. \"': permission denied (lua.require on \" .. tostring(name) .. \")\", 0)\n"
  "    end\n"
  "    if name == 'fd' or name == 'fs' or name == 'net' then return true end\n"
  "    error(\"require '\" .. tostring(name) .. \"': module files are not available to a subprocess actor\", 0)\n"
  "  end,\n"
  "}\n"
  "local function rebuild(t)\n"
  "  if type(t) ~= 'table' then return nil, 'not a builder' end\n"
  "  local b, e = process.with_context(type(t.context) == 'table' and t.context or {})\n"
  "  if b and t.actor ~= nil then b, e = b:with_actor(t.actor) end\n"
  "  if b and t.scope ~= nil then b, e = b:with_scope(t.scope) end\n"
  "  if b and t.name ~= nil then b, e = b:with_name(t.name) end\n"
  "  if b and type(t.messages) == 'table' then\n"
  "    for _, m in ipairs(t.messages) do\n"
  "      if not b then break end\n"
  "      b, e = b:with_message(m.topic, unpack(m, 1, m.n))\n"
  "    end\n"
  "  end\n"
  "  return b, e\n"
  "end\n"
  "for _, v in ipairs { 'spawn', 'spawn_monitored', 'spawn_linked', 'spawn_linked_monitored' } do\n"
  "  ops['builder.' .. v] = function(t, ...)\n"
  "    local b, e = rebuild(t)\n"
  "    if not b then return nil, e end\n"
  "    return b[v](b, ...)\n"
  "  end\n"
  "end\n"
  "w.boot()\n"
  "while true do\n"
  "  local op, args = w.next()\n"
  "  if op == nil then break end\n"
  "  local f = ops[op]\n"
  "  if not f then w.malformed('a CALL of no operation the child side makes') break end\n"
  "  w.reply(pcall(f, unpack(args, 1, args.n)))\n"
  "  args = nil\n"
  "  w.tidy()\n"
  "end\n"
  "return w.finish()\n";

/* ---- a child's send, performed by the reader ---- */

/* The reader's own Lua state, where a send's arguments are decoded as the
 * stand-in's would be (and re-encoded as its process.send does): made at
 * the first such send, closed when the reader ends. */
static lua_State *send_now_L;

typedef struct send_now {
  const uint8_t *args;
  size_t alen;
  int decoded;                  /* the arguments decoded: the send is judged */
  int rc;
  ward_err err;
  ward_proc *target;            /* a reference while the send is under way */
} send_now;

/* pcall'd in send_now_L: decode the arguments, then what process.send
 * (lproc.c l_send) does, as ward_current () (the stand-in). */
static int
send_now_body (lua_State *L)
{
  send_now *f = lua_touserdata (L, 1);
  lua_settop (L, 0);
  int n = 0;
  if (ward_codec_decode (L, f->args, f->alen, ward_codec_opts_wire (), &n, &f->err) < 0)
    return 0;
  /* A name is looked up in the registry, whose lock ranks before the
   * reader's (rt.h): a send to one is the stand-in's, nothing judged yet. */
  if (lua_type (L, 1) == LUA_TSTRING && lua_tostring (L, 1)[0] != '{')
    return 0;
  /* So is a send to a process that holds names: the gate's target.names
   * would take the registry's lock (ward_proc_target_names). */
  if (lua_type (L, 1) == LUA_TSTRING)
    {
      ward_err e;
      ward_proc *t = ward_resolve (lua_tostring (L, 1), &e);
      int named = t && atomic_load (&t->nnames) > 0;
      if (t)
        ward_proc_unref (t);
      if (named)
        return 0;
    }
  f->decoded = 1;
  f->rc = -1;
  const char *topic = ward_lproc_arg_string (L, 2, "topic", &f->err);
  if (topic == NULL || ward_lproc_check_topic (topic, &f->err) < 0)
    return 0;
  if ((f->target = ward_lproc_arg_target (L, 1, WARD_ACTION (SEND), NULL, &f->err)) == NULL)
    return 0;
  f->rc = ward_lproc_send_to (L, ward_current (), f->target, topic, 3, lua_gettop (L) - 2,
                              &f->err);
  return 0;
}

int
ward_broker_send_now (ward_remote *r)
{
  ward_proc *p = r->proxy;
  if (p == NULL || r->rx.fds.n > 0 || r->boot_failed || r->ended || r->broken
      || atomic_load (&r->in_call) || atomic_load (&p->killed) || atomic_load (&p->ended)
      || p->state == WARD_ST_NEW || ward_cfg.audit_sync)
    return 0;                   /* (a stand-in that has ended performs nothing; under
                                   --audit-sync a denial waits for its commit, which
                                   the reader must not, serving every child) */
  ward_err err;
  ward_wire_in in = { r->rx.body.data, r->rx.body.data + r->rx.body.len };
  const char *op, *args;
  size_t oplen = 0, alen = 0;
  /* anything unusual, malformed included, is the stand-in's to judge */
  if (ward_wire_get_str (&in, &op, &oplen, &err) < 0
      || ward_wire_get_str (&in, &args, &alen, &err) < 0 || in.p != in.end
      || oplen != 4 || memcmp (op, "send", 4) != 0 || alen > SEND_NOW_MAX
      || ward_codec_each_handle ((const uint8_t *) args, alen, any_handle, NULL) != 0)
    return 0;
  if (send_now_L == NULL && (send_now_L = luaL_newstate ()) == NULL)
    return 0;
  lua_State *L = send_now_L;
  /* its CPU time is the child's, as the stand-in's would be */
  int64_t cpu0 = ward_thread_cpu_ns ();
  send_now f = { .args = (const uint8_t *) args, .alen = alen };
  ward_proc *was = ward_sched_act_as (p);
  lua_settop (L, 0);
  lua_pushcfunction (L, send_now_body);
  lua_pushlightuserdata (L, &f);
  int status = lua_pcall (L, 1, 0, 0);
  ward_sched_act_as (was);
  if (f.target)
    ward_proc_unref (f.target);
  if (!f.decoded)
    {
      lua_settop (L, 0);
      ward_broker_charge_cpu_locked (r, ward_thread_cpu_ns () - cpu0);
      if (!atomic_load (&r->cpu_spent))
        return 0;
      ward_wire_rx_reset (&r->rx);      /* ended: nothing more is read */
      return 1;                 /* nothing done: the stand-in decodes it (and ends a
                                   child whose arguments are malformed) */
    }
  /* the REPLY, as b_reply makes it: true, nil and an error, or (a memory
   * error of the encoder) the error raised */
  static const uint8_t yes[] = { 0x01, 0x01, 0x02 };   /* codec: one value, true */
  uint32_t st = status != LUA_OK ? 2 : f.rc == 0 ? 0 : 1;
  char msg[WARD_ERR_MSG_MAX];
  const char *kind = "";
  msg[0] = '\0';
  if (st == 2)
    snprintf (msg, sizeof msg, "%s", lua_isstring (L, -1) ? lua_tostring (L, -1) : "error");
  else if (st == 1)
    {
      kind = ward_kind_name (f.err.kind);
      snprintf (msg, sizeof msg, "%s", f.err.msg);
    }
  lua_settop (L, 0);
  wbuf b;
  wbuf_init (&b, 0);
  int rc = ward_wire_put_u32 (&b, st, &err);
  if (rc == 0)
    rc = st == 0 ? ward_wire_put_str (&b, (const char *) yes, sizeof yes, &err)
                 : ward_wire_put_str (&b, kind, strlen (kind), &err);
  if (rc == 0)
    rc = ward_wire_put_str (&b, msg, st == 0 ? 0 : strlen (msg), &err);
  /* not counted busy, unlike the stand-in's frames: nothing of its mailbox
   * is in flight (whose order a message sent straight from a sender's
   * thread must keep), and the frame is written whole under tx_lock, or
   * waits in tx, which a sender's thread writes after. (The target the
   * send woke runs once the reader is done: reader_main.) */
  if (rc == 0)
    rc = ward_broker_put_frame (r, WARD_F_REPLY, b.data, b.len, NULL, &err);
  wbuf_free (&b);
  ward_wire_rx_reset (&r->rx);
  if (rc < 0)
    {
      ward_broker_channel_broken_locked (r, &err);
      return 1;
    }
  ward_broker_charge_cpu_locked (r, ward_thread_cpu_ns () - cpu0);
  if (atomic_load (&r->cpu_spent))
    return 1;                   /* ended: nothing more is read */
  ward_broker_rearm_locked (r);
  return 1;
}

void
ward_broker_send_now_end (void)
{
  if (send_now_L)
    lua_close (send_now_L);
  send_now_L = NULL;
  ward_lproc_thread_exit ();
}

static pthread_once_t broker_once = PTHREAD_ONCE_INIT;
static const ward_def *broker_def;
static ward_err broker_def_err;

static void
compile_broker (void)
{
  broker_def = ward_def_from_source ("=ward.broker", broker_lua, sizeof broker_lua - 1,
                                     &broker_def_err);
}

const void *
ward_broker_def (ward_err *err)
{
  pthread_once (&broker_once, compile_broker);
  if (broker_def == NULL && err)
    *err = broker_def_err;
  return broker_def;
}
