/* lchan.c -- channels, select, Message objects and the time module.
 * A channel either buffers values of its own process (channel.new) or
 * reads a port of the process's mailbox (inbox, events, listen, after). */
#include "config.h"
#include "vm.h"
#include "codec.h"
#include "wunit.h"

#include <stdlib.h>
#include <string.h>
#include <lauxlib.h>

enum { CH_LOCAL, CH_PORT };

/* A channel's user value 1: the buffer table of CH_LOCAL; for a CH_PORT
 * that gives Message objects, their metatable (ready for each message). */
typedef struct chan {
  int kind;
  int port;          /* CH_PORT */
  int raw;           /* CH_PORT: payloads rather than Message objects */
  int owned;         /* CH_PORT: the port dies with the channel */
  int topic;         /* CH_PORT: made by listen() */
  int closed;
  lua_Integer cap, head, tail;   /* CH_LOCAL: values in uservalue [head, tail) */
} chan;

#define CHAN "ward.channel"
#define MESSAGE "ward.message"

static chan *
check_chan (lua_State *L, int idx)
{
  return ward_checkudata (L, idx, CHAN);
}

static chan *
new_chan (lua_State *L, int kind)
{
  chan *c = lua_newuserdatauv (L, sizeof *c, 1);
  memset (c, 0, sizeof *c);
  c->kind = kind;
  ward_setmeta (L, CHAN);
  return c;
}

void
ward_msg_hold (ward_proc *p, ward_msg *m)
{
  ward_msg_free (p->receiving);
  p->receiving = m;
}

void
ward_msg_release (ward_proc *p)
{
  ward_msg_free (p->receiving);
  p->receiving = NULL;
}

void
ward_push_port_channel (lua_State *L, int port, int raw, int owned)
{
  chan *c = new_chan (L, CH_PORT);
  c->port = port;
  c->raw = raw;
  c->owned = owned;
  /* (a channel that gives Message objects keeps their metatable as its
   * user value, from the first it gives: push_message; not before, so
   * that an inbox that is never read makes no Message type) */
}

void
ward_push_topic_channel (lua_State *L, int port, int raw)
{
  ward_push_port_channel (L, port, raw, 1);
  ((chan *) lua_touserdata (L, -1))->topic = 1;
}

static int
l_chan_new (lua_State *L)
{
  lua_Integer n = luaL_optinteger (L, 1, 0);
  if (n < 0 || n > (1 << 24))
    return ward_push_error (L, WARD_E_INVALID, "channel.new: capacity %lld out of range 0..%d",
                            (long long) n, 1 << 24);
  chan *c = new_chan (L, CH_LOCAL);
  c->cap = n;
  lua_newtable (L);
  lua_setiuservalue (L, -2, 1);
  return 1;
}

/* ---- values of a message ---- */
static void
decode_or_raise (lua_State *L, ward_msg *m, int *n)
{
  ward_err err;
  ward_codec_opts o = *ward_codec_opts_rt ();
  o.fds = m->fds;               /* what is not taken closes with m */
  /* in a subprocess actor, the channels made take m's counted copies
   * over (remote.h); a decode that fails half-way leaves the rest counted,
   * never dropped twice */
  m->handles = 0;
  if (ward_codec_decode (L, m->data, m->len, &o, n, &err) < 0)
    luaL_error (L, "%s", err.msg);
}

static int
push_event (lua_State *L, ward_msg *m)
{
  lua_createtable (L, 0, 4);
  const char *kind = m->kind == WARD_MSG_EXIT ? "EXIT"
                     : m->kind == WARD_MSG_LINK_DOWN ? "LINK_DOWN" : "CANCEL";
  lua_pushstring (L, kind);
  lua_setfield (L, -2, "kind");
  lua_pushstring (L, m->from);
  lua_setfield (L, -2, "from");
  if (m->kind == WARD_MSG_CANCEL)
    {
      time_t secs = m->at / 1000;
      struct tm tm;
      char buf[64];
      gmtime_r (&secs, &tm);
      size_t k = strftime (buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
      snprintf (buf + k, sizeof buf - k, ".%03dZ", (int) (m->at % 1000));
      lua_pushstring (L, buf);
      lua_setfield (L, -2, "deadline");
      lua_pushinteger (L, m->at);
      lua_setfield (L, -2, "deadline_ms");
      return 1;
    }
  if (m->kind == WARD_MSG_EXIT)
    {
      lua_createtable (L, 0, 1);
      if (m->is_error)
        {
          lua_pushlstring (L, (const char *) m->data, m->len);
          lua_setfield (L, -2, "error");
        }
      else
        {
          int n;
          decode_or_raise (L, m, &n);
          lua_settop (L, lua_gettop (L) - n + (n > 0));
          if (n == 0)
            lua_pushnil (L);
          lua_setfield (L, -2, "value");
        }
      lua_setfield (L, -2, "result");
    }
  else
    {
      lua_pushlstring (L, (const char *) m->data, m->len);
      lua_setfield (L, -2, "error");
    }
  return 1;
}

/* Pack the top n values into a table {n = n, ...}. */
static void
pack (lua_State *L, int n)
{
  lua_createtable (L, n, 1);
  lua_insert (L, -n - 1);
  for (int i = n; i >= 1; i--)
    lua_rawseti (L, -(i + 1), i);
  lua_pushinteger (L, n);
  lua_setfield (L, -2, "n");
}

/* A Message: its payload, and its topic and sender as bytes, made Lua
 * strings only when topic() or from() asks (a short string is interned:
 * asking again finds the same one). A payload of one scalar (nil, a
 * boolean, a number) or of none is kept in the object itself, which then
 * has no user value at all: the collector marks it without visiting it.
 * Other payloads are user value 1 (several values packed {n = N, ...}). */
typedef struct msg_ud {
  int n;                        /* payload values */
  int in_uv;                    /* the payload is user value 1, not s */
  ward_codec_scalar s;
  unsigned topic_len;           /* text: the topic, NUL, the sender */
  unsigned from_len;            /* 0: the runtime sent it (from() is nil) */
  char text[];
} msg_ud;

/* The Message of m; chidx: the port channel it came from (its metatable
 * is kept there, from the first Message), or 0. */
static int
push_message (lua_State *L, ward_msg *m, int chidx)
{
  const char *topic = m->topic ? m->topic : "";
  size_t tl = m->topic ? m->topic_len : 0, fl = strlen (m->from);
  msg_ud h;
  memset (&h, 0, sizeof h);
  if (m->handles == 0 && ward_codec_decode_scalar (m->data, m->len, ward_codec_opts_rt (), &h.s))
    h.n = h.s.kind != WARD_CODEC_S_NONE;
  else
    {
      decode_or_raise (L, m, &h.n);
      if (h.n != 1)
        pack (L, h.n);
      h.in_uv = 1;
    }
  h.topic_len = (unsigned) tl;
  h.from_len = (unsigned) fl;
  msg_ud *u = lua_newuserdatauv (L, sizeof *u + tl + fl + 2, h.in_uv);
  *u = h;
  memcpy (u->text, topic, tl);
  u->text[tl] = '\0';
  memcpy (u->text + tl + 1, m->from, fl + 1);
  if (chidx > 0 && lua_getiuservalue (L, chidx, 1) == LUA_TTABLE)
    lua_setmetatable (L, -2);
  else
    {
      if (chidx > 0)
        lua_pop (L, 1);
      ward_pushmeta (L, MESSAGE);
      if (chidx > 0)
        {
          lua_pushvalue (L, -1);
          lua_setiuservalue (L, chidx, 1);
        }
      lua_setmetatable (L, -2);
    }
  if (h.in_uv)
    {
      lua_insert (L, -2);
      lua_setiuservalue (L, -2, 1);
    }
  return 1;
}

/* The topic (i 1) or the sender (i 2) of the Message at 1. */
static int
msg_text (lua_State *L, int i)
{
  msg_ud *u = ward_checkudata (L, 1, MESSAGE);
  if (i == 1)
    lua_pushlstring (L, u->text, u->topic_len);
  else if (u->from_len > 0)
    lua_pushlstring (L, u->text + u->topic_len + 1, u->from_len);
  else
    lua_pushnil (L);
  return 1;
}

/* ward_push_msg for the channel at chidx (0: none) */
static int
push_msg_from (lua_State *L, ward_msg *m, int raw, int chidx)
{
  int n;
  ward_codec_scalar s;
  switch (m->kind)
    {
    case WARD_MSG_USER:
      if (!raw)
        return push_message (L, m, chidx);
      /* A raw channel carries one value per message: several payload
       * values arrive packed as {n = N, ...} rather than cut short. */
      if (m->handles == 0 && ward_codec_decode_scalar (m->data, m->len, ward_codec_opts_rt (), &s))
        {
          if (ward_codec_push_scalar (L, &s) == 0)
            lua_pushnil (L);
          return 1;
        }
      decode_or_raise (L, m, &n);
      if (n == 0)
        lua_pushnil (L);
      else if (n > 1)
        pack (L, n);
      return 1;
    case WARD_MSG_VM:
      decode_or_raise (L, m, &n);
      if (n != 1)
        {
          lua_settop (L, lua_gettop (L) - n);
          luaL_error (L, "malformed spawn_vm message (%d values)", n);
        }
      return 1;
    case WARD_MSG_TIMER:
      lua_pushinteger (L, m->at);
      return 1;
    default:
      return push_event (L, m);
    }
}

int
ward_push_msg (lua_State *L, ward_proc *p, ward_msg *m, int raw)
{
  (void) p;
  return push_msg_from (L, m, raw, 0);
}

static int
msg_topic (lua_State *L)
{
  return msg_text (L, 1);
}

static int
msg_from (lua_State *L)
{
  return msg_text (L, 2);
}

static int
msg_payload (lua_State *L)
{
  msg_ud *u = ward_checkudata (L, 1, MESSAGE);
  if (!u->in_uv)
    return ward_codec_push_scalar (L, &u->s);
  int n = u->n;
  lua_settop (L, 1);
  lua_getiuservalue (L, 1, 1);
  if (n == 1)
    return 1;
  luaL_checkstack (L, n, "too many payload values");
  for (int i = 1; i <= n; i++)
    lua_rawgeti (L, 2, i);
  return n;
}

/* ---- operations, shared by methods and select ---- */
/* Receive if ready: push value and ok and return 1; return 0 when the
 * receive would block. One lock for a port: pop, no separate peek. */
static int
chan_try_recv (lua_State *L, int idx, chan *c)
{
  if (c->kind == CH_LOCAL && c->head < c->tail)
    {
      lua_getiuservalue (L, idx, 1);
      lua_rawgeti (L, -1, c->head);
      lua_pushnil (L);
      lua_rawseti (L, -3, c->head);
      c->head++;
      lua_remove (L, -2);
      lua_pushboolean (L, 1);
      return 1;
    }
  if (c->closed)
    {
      lua_pushnil (L);
      lua_pushboolean (L, 0);
      return 1;
    }
  if (c->kind == CH_LOCAL)
    return 0;
  ward_proc *p = ward_current ();
  ward_msg *m = ward_port_pop (p, c->port);
  if (m == NULL)
    return 0;
  int timer = m->kind == WARD_MSG_TIMER;
  ward_msg_hold (p, m);
  push_msg_from (L, m, c->raw, lua_absindex (L, idx));
  ward_msg_release (p);
  lua_pushboolean (L, 1);
  if (c->owned && timer)
    {
      c->closed = 1;            /* a timer fires once */
      ward_port_close (p, c->port);
    }
  return 1;
}

static int
chan_send_now (lua_State *L, int idx, chan *c, int v)
{
  if (c->kind != CH_LOCAL)
    return luaL_error (L, "cannot send on this channel: it receives from the mailbox");
  if (c->closed)
    return luaL_error (L, "send on a closed channel");
  if (c->tail - c->head >= c->cap)
    return 0;
  lua_getiuservalue (L, idx, 1);
  lua_pushvalue (L, v);
  lua_rawseti (L, -2, c->tail++);
  lua_pop (L, 1);
  return 1;
}

static int recv_k (lua_State *L, int status, lua_KContext ctx);

/* Receive on c (at 1), or block until something arrives. */
static int
recv_now (lua_State *L, chan *c)
{
  ward_vm_check_killed (L);
  if (chan_try_recv (L, 1, c))
    return 2;
  if (c->kind == CH_LOCAL)
    return luaL_error (L, "receive would block forever: this channel is empty and only "
                       "this process can send to it");
  return ward_vm_block (L, 0, recv_k);
}

static int
recv_k (lua_State *L, int status, lua_KContext ctx)
{
  return recv_now (L, check_chan (L, 1));
}

static int
l_chan_receive (lua_State *L)
{
  chan *c = check_chan (L, 1);          /* (checked once: index 1 stays) */
  lua_settop (L, 1);
  return recv_now (L, c);
}

static int
l_chan_send (lua_State *L)
{
  chan *c = check_chan (L, 1);
  luaL_checkany (L, 2);
  if (!chan_send_now (L, 1, c, 2))
    return luaL_error (L, "send would block forever: the channel is full (capacity %d) and "
                       "only this process can receive from it", (int) c->cap);
  lua_pushboolean (L, 1);
  return 1;
}

static int
l_chan_close (lua_State *L)
{
  chan *c = check_chan (L, 1);
  if (c->kind == CH_PORT && !c->owned)
    return luaL_error (L, "the inbox and events channels cannot be closed");
  if (!c->closed && c->kind == CH_PORT)
    ward_port_close (ward_current (), c->port);
  c->closed = 1;
  lua_pushboolean (L, 1);
  return 1;
}

int
ward_channel_unlisten (lua_State *L, int idx, ward_err *err)
{
  chan *c = ward_testudata (L, idx, CHAN);
  if (c == NULL || c->kind != CH_PORT || !c->owned || c->port < WARD_PORT_FIRST_DYNAMIC
      || c->topic == 0)
    return ward_err_set (err, WARD_E_INVALID, 0, "unlisten: expected a channel returned by "
                         "listen(), got %s", c ? "another kind of channel" : luaL_typename (L, idx));
  if (!c->closed)
    ward_port_close (ward_current (), c->port);
  c->closed = 1;
  return 0;
}

int
ward_channel_listening (lua_State *L, int idx, int *raw)
{
  chan *c = ward_testudata (L, idx, CHAN);
  if (c == NULL || c->kind != CH_PORT || !c->topic || c->closed)
    return 0;
  *raw = c->raw;
  return 1;
}

static int
l_chan_gc (lua_State *L)
{
  chan *c = lua_touserdata (L, 1);
  ward_proc *p = ward_current ();
  if (c->kind == CH_PORT && c->owned && !c->closed && p)
    ward_port_close (p, c->port);
  c->closed = 1;
  return 0;
}

static void
push_case (lua_State *L, const char *op, int value)
{
  lua_createtable (L, 0, 3);
  lua_pushvalue (L, 1);
  lua_setfield (L, -2, "channel");
  lua_pushstring (L, op);
  lua_setfield (L, -2, "op");
  if (value)
    {
      lua_pushvalue (L, value);
      lua_setfield (L, -2, "value");
    }
  ward_setmeta (L, "ward.case");
}

static int
l_case_receive (lua_State *L)
{
  check_chan (L, 1);
  push_case (L, "receive", 0);
  return 1;
}

static int
l_case_send (lua_State *L)
{
  check_chan (L, 1);
  luaL_checkany (L, 2);
  push_case (L, "send", 2);
  return 1;
}

/* ---- select ---- */
static int
is_case (lua_State *L, int idx)
{
  if (!lua_istable (L, idx) || !lua_getmetatable (L, idx))
    return 0;
  luaL_getmetatable (L, "ward.case");
  int r = lua_rawequal (L, -1, -2);
  lua_pop (L, 2);
  return r;
}

/* Try every case in order; the first ready one wins. */
static int
select_k (lua_State *L, int status, lua_KContext ctx)
{
  ward_vm_check_killed (L);
  lua_Integer n = luaL_len (L, 1);
  int can_block = 0;
  for (lua_Integer i = 1; i <= n; i++)
    {
      lua_rawgeti (L, 1, i);
      int cs = lua_gettop (L);
      if (!is_case (L, cs))
        return luaL_error (L, "select: case %d is not made by case_receive or case_send",
                           (int) i);
      lua_getfield (L, cs, "channel");
      chan *c = ward_testudata (L, -1, CHAN);
      int chidx = lua_gettop (L);
      lua_getfield (L, cs, "op");
      const char *op = lua_tostring (L, -1);
      if (c == NULL || op == NULL)
        return luaL_error (L, "select: case %d was altered", (int) i);
      int is_send = strcmp (op, "send") == 0;
      lua_pop (L, 1);
      if (c->kind == CH_PORT && !c->closed)
        can_block = 1;
      if (is_send)
        {
          lua_getfield (L, cs, "value");
          if (chan_send_now (L, chidx, c, lua_gettop (L)))
            {
              lua_createtable (L, 0, 2);
              lua_pushvalue (L, chidx);
              lua_setfield (L, -2, "channel");
              lua_pushboolean (L, 1);
              lua_setfield (L, -2, "ok");
              return 1;
            }
        }
      else if (chan_try_recv (L, chidx, c))
        {
          lua_createtable (L, 0, 3);
          lua_insert (L, -3);
          lua_setfield (L, -3, "ok");
          lua_setfield (L, -2, "value");
          lua_pushvalue (L, chidx);
          lua_setfield (L, -2, "channel");
          return 1;
        }
      lua_settop (L, 2);
    }
  if (lua_toboolean (L, 2))
    {
      lua_createtable (L, 0, 1);
      lua_pushboolean (L, 1);
      lua_setfield (L, -2, "default");
      return 1;
    }
  if (!can_block)
    return luaL_error (L, "select would block forever: no case can become ready "
                       "(channel.new channels are filled only by this process)");
  return ward_vm_block (L, 0, select_k);
}

static int
l_select (lua_State *L)
{
  luaL_checktype (L, 1, LUA_TTABLE);
  lua_settop (L, 1);
  lua_getfield (L, 1, "default");
  int deflt = lua_toboolean (L, -1);
  lua_pop (L, 1);
  lua_Integer n = luaL_len (L, 1);
  if (n == 0 && !deflt)
    return luaL_error (L, "select: no cases");
  for (lua_Integer i = 1; i <= n; i++)
    {
      lua_rawgeti (L, 1, i);
      if (!is_case (L, -1))
        return luaL_error (L, "select: case %d is not made by case_receive or case_send",
                           (int) i);
      lua_pop (L, 1);
    }
  lua_pushboolean (L, deflt);
  return select_k (L, LUA_OK, 0);
}

static const luaL_Reg chan_methods[] = {
  { "send", l_chan_send }, { "receive", l_chan_receive }, { "close", l_chan_close },
  { "case_receive", l_case_receive }, { "case_send", l_case_send }, { NULL, NULL } };
static const luaL_Reg chan_meta[] = { { "__gc", l_chan_gc }, { NULL, NULL } };
const ward_type ward_type_channel = { CHAN, "channel", chan_methods, chan_meta };
const ward_type ward_type_case = { "ward.case", "select case", NULL, NULL };
static const luaL_Reg msg_methods[] = {
  { "topic", msg_topic }, { "from", msg_from }, { "payload", msg_payload }, { NULL, NULL } };
const ward_type ward_type_message = { MESSAGE, "Message", msg_methods, NULL };

int
ward_luaopen_channel (lua_State *L)
{
  static const luaL_Reg lib[] = { { "new", l_chan_new }, { "select", l_select }, { NULL, NULL } };
  luaL_newlib (L, lib);
  return 1;
}

/* ---- time ---- */
int
ward_check_duration (lua_State *L, int idx, int64_t *ms, ward_err *err)
{
  const int64_t max = 366LL * 24 * 3600 * 1000;
  if (lua_type (L, idx) == LUA_TNUMBER)
    {
      if (!lua_isinteger (L, idx))
        return ward_err_set (err, WARD_E_INVALID, 0,
                             "bad duration: a number must be whole milliseconds");
      lua_Integer v = lua_tointeger (L, idx);
      if (v < 0 || v > max)
        return ward_err_set (err, WARD_E_INVALID, 0, "bad duration %lld ms: out of range "
                             "0..%lld", (long long) v, (long long) max);
      *ms = v;
      return 0;
    }
  if (lua_type (L, idx) != LUA_TSTRING)
    return ward_err_set (err, WARD_E_INVALID, 0, "bad duration: expected a string like "
                         "\"250ms\", \"5s\", \"1m\" or integer milliseconds, got %s",
                         luaL_typename (L, idx));
  size_t slen;
  const char *s = lua_tolstring (L, idx, &slen);
  if (strlen (s) != slen)
    return ward_err_set (err, WARD_E_INVALID, 0, "bad duration: it contains a NUL byte");
  uint64_t v;
  if (ward_parse_duration (s, &v, err) < 0)
    return -1;
  if (v > (uint64_t) max)
    return ward_err_set (err, WARD_E_INVALID, 0, "bad duration \"%.40s\": longer than a year", s);
  *ms = (int64_t) v;
  return 0;
}

static int
l_time_now (lua_State *L)
{
  lua_pushinteger (L, ward_wall_ms ());
  return 1;
}

/* time.after: a channel fed once by the timer thread. */
static int
push_after (lua_State *L, int64_t ms)
{
  ward_proc *p = ward_current ();
  ward_err err;
  int port = ward_port_open (p, NULL, 1, &err);
  if (port < 0)
    return luaL_error (L, "%s", err.msg);
  ward_push_port_channel (L, port, 1, 1);
  ward_timer_add (ward_now_ns () + ms * 1000000LL, WARD_TIMER_PORT, p, port, NULL);
  return 1;
}

static int
l_time_after (lua_State *L)
{
  int64_t ms;
  ward_err err;
  if (ward_check_duration (L, 1, &ms, &err) < 0)
    return ward_push_err (L, &err);
  return push_after (L, ms);
}

static int
sleep_k (lua_State *L, int status, lua_KContext ctx)
{
  ward_vm_check_killed (L);
  chan *c = check_chan (L, 2);
  if (chan_try_recv (L, 2, c))
    {
      lua_pushboolean (L, 1);
      return 1;
    }
  return ward_vm_block (L, 0, sleep_k);
}

int
ward_time_sleep (lua_State *L)
{
  int64_t ms;
  ward_err err;
  if (ward_check_duration (L, 1, &ms, &err) < 0)
    return ward_push_err (L, &err);
  lua_settop (L, 1);
  push_after (L, ms);
  return sleep_k (L, LUA_OK, 0);
}

int
ward_luaopen_time (lua_State *L)
{
  static const luaL_Reg lib[] = {
    { "now", l_time_now }, { "after", l_time_after }, { "sleep", ward_time_sleep }, { NULL, NULL } };
  luaL_newlib (L, lib);
  return 1;
}
