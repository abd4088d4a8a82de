/* lproc.c -- the Lua `process` module (seed 001), every call through the
 * permission gate with exactly the permissions of the seed's table: the
 * module itself, identity, send, options, topics and the context (the
 * rest is lspawn.c's and llink.c's; lproc.h). */
#include "config.h"
#include "lproc.h"
#include "face.h"
#include "codec.h"
#include "fdvec.h"
#include "lio.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <lauxlib.h>

/* ---- argument helpers: bad input is nil, INVALID -- never a raise ---- */
const char *
ward_lproc_arg_string (lua_State *L, int idx, const char *what, ward_err *err)
{
  if (lua_type (L, idx) != LUA_TSTRING)
    {
      ward_err_set (err, WARD_E_INVALID, 0, "%s must be a string, got %s", what,
                    luaL_typename (L, idx));
      return NULL;
    }
  size_t len;
  const char *s = lua_tolstring (L, idx, &len);
  if (s[0] == '\0')
    {
      ward_err_set (err, WARD_E_INVALID, 0, "%s must not be empty", what);
      return NULL;
    }
  /* C sees the string up to its first NUL: refuse rather than act on a
   * prefix of what the script passed. */
  if (strlen (s) != len)
    {
      ward_err_set (err, WARD_E_INVALID, 0, "%s `%s...` holds a NUL byte", what, s);
      return NULL;
    }
  return s;
}

ward_proc *
ward_lproc_arg_target (lua_State *L, int idx, const char *action, const char *resource,
                       ward_err *err)
{
  const char *dest = ward_lproc_arg_string (L, idx, "destination", err);
  if (dest == NULL)
    return NULL;
  return ward_proc_target (ward_current (), action, dest, resource, err);
}

int
ward_lproc_check_topic (const char *topic, ward_err *err)
{
  if (topic[0] == '@')
    return ward_err_set (err, WARD_E_INVALID, 0,
                         "topic `%s`: topics starting with @ are reserved", topic);
  return 0;
}

int
ward_lproc_check_name (const char *name, ward_err *err)
{
  if (name[0] == '\0' || name[0] == '{' || strlen (name) > 255)
    return ward_err_set (err, WARD_E_INVALID, 0, "bad name `%.60s`: a name is 1..255 bytes "
                         "and does not start with {", name);
  return 0;
}

static _Thread_local wbuf ward_lproc_enc_buf;
static _Thread_local ward_fdvec ward_lproc_enc_fds;

void
ward_lproc_thread_exit (void)
{
  wbuf_free (&ward_lproc_enc_buf);
  ward_fdvec_close (&ward_lproc_enc_fds);
}

const wbuf *
ward_lproc_encode (lua_State *L, int idx, int n, ward_err *err)
{
  wbuf_reset (&ward_lproc_enc_buf);
  if (ward_codec_encode (L, idx, n, &ward_lproc_enc_buf, ward_codec_opts_rt (), err) < 0)
    return NULL;
  return &ward_lproc_enc_buf;
}

int
ward_lproc_snapshot (lua_State *L, int idx, int n, ward_err *err)
{
  int got;
  if (ward_lproc_encode (L, idx, n, err) == NULL)
    return -1;
  /* the copies of channels are counted, then taken over by the decoded
   * ones: in the runtime by vmchan_ref, in a subprocess actor here */
  ward_remote_hold (ward_lproc_enc_buf.data, ward_lproc_enc_buf.len);
  if (ward_codec_decode (L, ward_lproc_enc_buf.data, ward_lproc_enc_buf.len, ward_codec_opts_rt (),
                         &got, err) < 0)
    return -1;
  return got;
}

/* ---- identity ---- */
static int
l_pid (lua_State *L)
{
  lua_pushstring (L, ward_current ()->pid);
  return 1;
}

static int
l_id (lua_State *L)
{
  lua_pushstring (L, ward_current ()->frame);
  return 1;
}

/* ---- send ---- */
ward_msg *
ward_msg_encode (lua_State *L, int kind, const char *from, const char *topic, int idx, int n,
                 ward_err *err)
{
  /* One number or flag, or nothing: its few bytes straight into the
   * message (what a memory error left in the descriptors is closed first) */
  uint8_t sb[WARD_CODEC_SCALAR_BYTES];
  size_t sn = ward_lproc_enc_fds.n == 0 && n <= 1
              ? ward_codec_encode_scalar (L, idx, n, ward_codec_opts_rt (), sb) : 0;
  if (sn > 0)
    {
      ward_msg *m = ward_msg_new (kind, from, topic, sb, sn);
      if (m == NULL)
        ward_err_set (err, WARD_E_INTERNAL, ENOMEM, "out of memory for a message");
      return m;
    }
  wbuf_reset (&ward_lproc_enc_buf);
  ward_fdvec_close (&ward_lproc_enc_fds);  /* what a memory error left behind */
  ward_codec_opts o = *ward_codec_opts_rt ();
  o.fds = &ward_lproc_enc_fds;
  if (ward_codec_encode (L, idx, n, &ward_lproc_enc_buf, &o, err) < 0)
    return NULL;
  ward_msg *m = ward_msg_new (kind, from, topic, ward_lproc_enc_buf.data, ward_lproc_enc_buf.len);
  if (m == NULL)
    ward_err_set (err, WARD_E_INTERNAL, ENOMEM, "out of memory for a message");
  else if (ward_msg_take_fds (m, &ward_lproc_enc_fds, err) < 0)
    {
      ward_msg_free (m);
      m = NULL;
    }
  ward_fdvec_close (&ward_lproc_enc_fds);
  return m;
}

int
ward_lproc_send_to (lua_State *L, ward_proc *p, ward_proc *t, const char *topic, int first, int n,
         ward_err *err)
{
  ward_msg *m = ward_msg_encode (L, WARD_MSG_USER, p->pid, topic, first, n, err);
  return m ? ward_deliver (t, m, err) : -1;
}

static int
l_send (lua_State *L)
{
  ward_vm_check_killed (L);
  ward_proc *p = ward_current ();
  ward_err err;
  const char *topic = ward_lproc_arg_string (L, 2, "topic", &err);
  if (topic == NULL || ward_lproc_check_topic (topic, &err) < 0)
    return ward_push_err (L, &err);
  ward_proc *t = ward_lproc_arg_target (L, 1, WARD_ACTION (SEND), NULL, &err);
  if (t == NULL)
    return ward_push_err (L, &err);
  int rc = ward_lproc_send_to (L, p, t, topic, 3, lua_gettop (L) - 2, &err);
  return ward_lproc_target_done (L, t, rc, &err);
}

int
ward_lproc_target_done (lua_State *L, ward_proc *t, int rc, const ward_err *err)
{
  ward_proc_unref (t);
  if (rc < 0)
    return ward_push_err (L, err);
  lua_pushboolean (L, 1);
  return 1;
}

/* ---- options ---- */
static int
l_get_options (lua_State *L)
{
  ward_proc *p = ward_current ();
  ward_lock (&p->lock, WARD_LOCK_PROC);
  int trap = p->trap_links;
  ward_unlock (&p->lock);
  lua_createtable (L, 0, 1);
  lua_pushboolean (L, trap);
  lua_setfield (L, -2, "trap_links");
  return 1;
}

/* Apply the options table at 1 to the calling process: 0, or the number
 * of results pushed (nil, err) when it is not one. */
static int
apply_options (lua_State *L)
{
  ward_proc *p = ward_current ();
  if (!lua_istable (L, 1))
    return ward_push_error (L, WARD_E_INVALID, "set_options: expected a table, got %s",
                            luaL_typename (L, 1));
  int trap = -1;
  lua_pushnil (L);
  while (lua_next (L, 1))
    {
      if (lua_type (L, -2) != LUA_TSTRING || strcmp (lua_tostring (L, -2), "trap_links") != 0)
        {
          const char *k = lua_type (L, -2) == LUA_TSTRING ? lua_tostring (L, -2) : "?";
          return ward_push_error (L, WARD_E_INVALID, "set_options: unknown option `%s` "
                                  "(known: trap_links)", k);
        }
      if (!lua_isboolean (L, -1))
        return ward_push_error (L, WARD_E_INVALID, "set_options: trap_links must be a "
                                "boolean, got %s", luaL_typename (L, -1));
      trap = lua_toboolean (L, -1);
      lua_pop (L, 1);
    }
  if (trap >= 0)
    {
      ward_lock (&p->lock, WARD_LOCK_PROC);
      p->trap_links = trap;
      ward_unlock (&p->lock);
    }
  return 0;
}

static int
l_set_options (lua_State *L)
{
  int n = apply_options (L);
  if (n > 0)
    return n;
  lua_pushboolean (L, 1);
  return 1;
}

/* A subprocess actor's links are its stand-in's: it traps them too. */
static int
r_set_options (lua_State *L)
{
  int n = apply_options (L);
  if (n > 0)
    return n;
  return ward_remote_call (L, "set_options");
}

/* ---- inbox, events, topics ---- */
static int
fixed_channel (lua_State *L, int port, const char *key)
{
  if (lua_getfield (L, LUA_REGISTRYINDEX, key) != LUA_TNIL)
    return 1;
  lua_pop (L, 1);
  ward_push_port_channel (L, port, 0, 0);
  lua_pushvalue (L, -1);
  lua_setfield (L, LUA_REGISTRYINDEX, key);
  return 1;
}

static int l_inbox (lua_State *L) { return fixed_channel (L, WARD_PORT_INBOX, "ward.inbox"); }
static int l_events (lua_State *L) { return fixed_channel (L, WARD_PORT_EVENTS, "ward.events"); }

static int
l_listen (lua_State *L)
{
  ward_vm_check_killed (L);
  ward_proc *p = ward_current ();
  ward_err err;
  const char *topic = ward_lproc_arg_string (L, 1, "topic", &err);
  if (topic == NULL || ward_lproc_check_topic (topic, &err) < 0)
    return ward_push_err (L, &err);
  int message = 0;
  if (!lua_isnoneornil (L, 2))
    {
      if (!lua_istable (L, 2))
        return ward_push_error (L, WARD_E_INVALID, "listen: options must be a table");
      lua_getfield (L, 2, "message");
      if (!lua_isnil (L, -1) && !lua_isboolean (L, -1))
        return ward_push_error (L, WARD_E_INVALID, "listen: option message must be a boolean");
      message = lua_toboolean (L, -1);
      lua_pop (L, 1);
    }
  /* The same channel while the topic is listened, as inbox() and events()
   * give theirs (listen channels by topic, weak: a channel collected ends
   * its subscription). Asked for with other options, it is an error: its
   * values would not be the ones the caller expects. */
  if (lua_getfield (L, LUA_REGISTRYINDEX, "ward.listens") != LUA_TTABLE)
    {
      lua_pop (L, 1);
      lua_newtable (L);
      lua_createtable (L, 0, 1);
      lua_pushliteral (L, "v");
      lua_setfield (L, -2, "__mode");
      lua_setmetatable (L, -2);
      lua_pushvalue (L, -1);
      lua_setfield (L, LUA_REGISTRYINDEX, "ward.listens");
    }
  int listens = lua_gettop (L), raw;
  lua_getfield (L, listens, topic);
  if (ward_channel_listening (L, -1, &raw))
    {
      if (raw == !message)
        return 1;
      return ward_push_error (L, WARD_E_ALREADY_EXISTS, "already listening to topic `%s` with "
                              "message = %s", topic, raw ? "false" : "true");
    }
  lua_pop (L, 1);
  int port = ward_port_open (p, topic, !message, &err);
  if (port < 0)
    return ward_push_err (L, &err);
  ward_push_topic_channel (L, port, !message);
  lua_pushvalue (L, -1);
  lua_setfield (L, listens, topic);
  return 1;
}

static int
l_unlisten (lua_State *L)
{
  ward_err err;
  if (ward_channel_unlisten (L, 1, &err) < 0)
    return ward_push_err (L, &err);
  lua_pushboolean (L, 1);
  return 1;
}

/* ---- context: a read-only view, nested tables included ---- */
#define CONTEXT "ward.context"

/* Push the read-only view of the table at idx: a userdata (rawset cannot
 * reach its data) whose nested tables are handed out as fresh copies, so
 * that they can be changed and sent without touching the context. */
static void
push_view (lua_State *L, int idx)
{
  idx = lua_absindex (L, idx);
  lua_newuserdatauv (L, 0, 1);
  ward_setmeta (L, CONTEXT);
  lua_pushvalue (L, idx);
  lua_setiuservalue (L, -2, 1);
}

static void
push_wrapped (lua_State *L)
{
  ward_err err;
  if (lua_type (L, -1) == LUA_TTABLE)
    {
      if (ward_lproc_snapshot (L, -1, 1, &err) < 0)
        luaL_error (L, "context: %s", err.msg);
      lua_remove (L, -2);
    }
}

static int
ctx_index (lua_State *L)
{
  luaL_checkudata (L, 1, CONTEXT);
  lua_getiuservalue (L, 1, 1);
  lua_pushvalue (L, 2);
  lua_rawget (L, -2);
  push_wrapped (L);
  return 1;
}

static int
ctx_newindex (lua_State *L)
{
  return luaL_error (L, "the process context is read-only");
}

static int
ctx_len (lua_State *L)
{
  luaL_checkudata (L, 1, CONTEXT);
  lua_getiuservalue (L, 1, 1);
  lua_pushinteger (L, (lua_Integer) lua_rawlen (L, -1));
  return 1;
}

static int
ctx_next (lua_State *L)
{
  luaL_checkudata (L, 1, CONTEXT);
  lua_getiuservalue (L, 1, 1);
  lua_pushvalue (L, 2);
  if (!lua_next (L, -2))
    return 0;
  push_wrapped (L);
  return 2;
}

static int
ctx_pairs (lua_State *L)
{
  luaL_checkudata (L, 1, CONTEXT);
  lua_pushcfunction (L, ctx_next);
  lua_pushvalue (L, 1);
  lua_pushnil (L);
  return 3;
}

static const luaL_Reg ctx_meta[] = {
  { "__index", ctx_index }, { "__newindex", ctx_newindex }, { "__len", ctx_len },
  { "__pairs", ctx_pairs }, { NULL, NULL } };
const ward_type ward_type_context = { CONTEXT, "context", NULL, ctx_meta };

/* process.context(), its values decoded with o. */
static int
push_context (lua_State *L, const ward_codec_opts *o)
{
  if (lua_getfield (L, LUA_REGISTRYINDEX, "ward.context.root") != LUA_TNIL)
    return 1;
  lua_pop (L, 1);
  ward_proc *p = ward_current ();
  if (p->context_len)
    {
      int n;
      ward_err err;
      if (ward_codec_decode (L, p->context, p->context_len, o, &n, &err) < 0)
        return luaL_error (L, "context: %s", err.msg);
      ward_remote_hold (p->context, p->context_len);
      if (n != 1 || !lua_istable (L, -1))
        return luaL_error (L, "context: malformed");
    }
  else
    lua_newtable (L);
  push_view (L, -1);
  lua_pushvalue (L, -1);
  lua_setfield (L, LUA_REGISTRYINDEX, "ward.context.root");
  return 1;
}

/* The channels decoded are copies of their own, beside the ones the
 * process's context keeps: in the runtime each counts itself (the wire's
 * decoding), in a subprocess actor the child counts them. */
static int l_context (lua_State *L) { return push_context (L, ward_codec_opts_wire ()); }
static int r_context (lua_State *L) { return push_context (L, ward_codec_opts_rt ()); }

WARD_LPROC_FORWARD (r_send, "send")

/* This file's part of the library, in each face. */
const luaL_Reg ward_face_proc_local[] = {
  { "id", l_id }, { "pid", l_pid }, { "send", l_send },
  { "get_options", l_get_options }, { "set_options", l_set_options },
  { "inbox", l_inbox }, { "events", l_events }, { "listen", l_listen },
  { "unlisten", l_unlisten }, { "context", l_context }, { NULL, NULL } };
const luaL_Reg ward_face_proc_remote[] = {
  { "id", l_id }, { "pid", l_pid }, { "send", r_send },
  { "get_options", l_get_options }, { "set_options", r_set_options },
  { "inbox", l_inbox }, { "events", l_events }, { "listen", l_listen },
  { "unlisten", l_unlisten }, { "context", r_context }, { NULL, NULL } };

/* Push the field k of the library (a function of the VM's face, made into
 * a field on first use: most processes touch two or three of them, and each
 * field costs its process memory; or a sub-table), or nothing (returns 0)
 * when it has none by that name. */
static int
process_field (lua_State *L, const char *k)
{
  const ward_face *f = ward_face_of (L);
  for (const luaL_Reg *const *part = f->process; *part; part++)
    for (const luaL_Reg *r = *part; r->name; r++)
      if (strcmp (r->name, k) == 0)
        {
          lua_pushcfunction (L, r->func);
          return 1;
        }
  if (strcmp (k, "registry") == 0)
    {
      lua_createtable (L, 0, 3);
      luaL_setfuncs (L, f->registry, 0);
      return 1;
    }
  if (strcmp (k, "permissions") == 0)
    {
      ward_io_push_permissions (L);
      return 1;
    }
  if (strcmp (k, "event") == 0)
    {
      lua_createtable (L, 0, 3);
      static const char *const ev[] = { "CANCEL", "EXIT", "LINK_DOWN", NULL };
      for (const char *const *e = ev; *e; e++)
        {
          lua_pushstring (L, *e);
          lua_setfield (L, -2, *e);
        }
      return 1;
    }
  return 0;
}

/* process.k, first use: made, stored in the table, returned. */
static int
process_index (lua_State *L)
{
  if (lua_type (L, 2) != LUA_TSTRING || !process_field (L, lua_tostring (L, 2)))
    return 0;
  lua_pushvalue (L, 2);
  lua_pushvalue (L, -2);
  lua_rawset (L, 1);
  return 1;
}

/* next(t, k) without the base library */
static int
process_next (lua_State *L)
{
  luaL_checktype (L, 1, LUA_TTABLE);
  lua_settop (L, 2);
  if (lua_next (L, 1))
    return 2;
  lua_pushnil (L);
  return 1;
}

/* pairs(process) sees every field: the ones not made yet are made first
 * (each lookup goes through __index). */
static int
process_pairs (lua_State *L)
{
  static const char *const subs[] = { "registry", "event", "permissions", NULL };
  for (const luaL_Reg *const *part = ward_face_of (L)->process; *part; part++)
    for (const luaL_Reg *r = *part; r->name; r++)
      {
        lua_getfield (L, 1, r->name);
        lua_pop (L, 1);
      }
  for (const char *const *k = subs; *k; k++)
    {
      lua_getfield (L, 1, *k);
      lua_pop (L, 1);
    }
  lua_pushcfunction (L, process_next);
  lua_pushvalue (L, 1);
  lua_pushnil (L);
  return 3;
}

int
ward_luaopen_process (lua_State *L)
{
  lua_createtable (L, 0, 4);
  lua_createtable (L, 0, 3);
  lua_pushcfunction (L, process_index);
  lua_setfield (L, -2, "__index");
  lua_pushcfunction (L, process_pairs);
  lua_setfield (L, -2, "__pairs");
  lua_pushboolean (L, 0);       /* getmetatable(process) is false */
  lua_setfield (L, -2, "__metatable");
  lua_setmetatable (L, -2);
  return 1;
}
