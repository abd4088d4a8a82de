/* rawwire.c -- the compromised-child harness (tests/ward-faults only).
 *
 * With WARD_TEST_RAW_WIRE=1 in ward's environment when it starts, every
 * subprocess actor's VM has a global `wire` that talks to the runtime as a
 * child whose Lua VM has been subverted would: any frame type, any body,
 * any datagram, any descriptors, at any pace, in any order. The hostile
 * child suite (tests/lua/sandbox/hostile-child.sh) drives it; the installed
 * ward has none of it.
 *
 *   wire.MAGIC, wire.MORE, wire.CHUNK, wire.MAX, wire.FD_MAX
 *   wire.BOOT, wire.MSG, wire.REPLY, wire.CALL, wire.EXIT, wire.SENDERS,
 *   wire.DROP, wire.DETACHED
 *   wire.chan                      the channel's descriptor
 *   wire.datagram(bytes [, fds])   one raw datagram (header included)
 *   wire.frame(type, body [, fds]) a well-cut frame of any type and body
 *   wire.call(op, args [, fds])    a CALL whose arguments are the raw
 *                                  codec bytes args; waits for the REPLY
 *                                  and returns its status (0 values, 1 nil
 *                                  and error, 2 raised) and two strings
 *   wire.encode(...)               the codec bytes of the values, as a
 *                                  call's arguments are encoded
 *   wire.decode(bytes)             the values of codec bytes
 *   wire.pace(ms)                  the child's reader takes at most one
 *                                  frame every ms; -1: none at all; 0: as
 *                                  fast as they come
 *   wire.sleep(ms)                 block the whole child, yielding nothing
 *   wire.quit()                    end the child at once (_exit 3), with
 *                                  nothing more sent
 *
 * fds is a list of descriptor numbers of the child (each may repeat). The
 * sending functions return true, or nil and the error. */
#include "config.h"
#include "remote.h"
#include "wire.h"
#include "vm.h"
#include "codec.h"
#include "wfd.h"

#include <errno.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <lauxlib.h>

#define RAW_FDS_MAX 64

int ward_remote_raw;
static atomic_int pace_ms;

static void
nap_ms (long ms)
{
  struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
  while (nanosleep (&ts, &ts) < 0 && errno == EINTR)
    ;
}

void
ward_rawwire_pace (void)
{
  int ms;
  while ((ms = atomic_load (&pace_ms)) < 0)
    nap_ms (50);
  if (ms > 0)
    nap_ms (ms);
}

/* The descriptor numbers of the list at idx (none when it is absent). */
static size_t
get_fds (lua_State *L, int idx, int *fds, size_t max)
{
  if (lua_isnoneornil (L, idx))
    return 0;
  luaL_checktype (L, idx, LUA_TTABLE);
  size_t n = (size_t) luaL_len (L, idx);
  luaL_argcheck (L, n <= max, idx, "too many descriptors for the harness");
  for (size_t i = 0; i < n; i++)
    {
      lua_geti (L, idx, (lua_Integer) i + 1);
      fds[i] = (int) luaL_checkinteger (L, -1);
      lua_pop (L, 1);
    }
  return n;
}

static int
sent (lua_State *L, int rc, const char *what)
{
  if (rc == 0)
    {
      lua_pushboolean (L, 1);
      return 1;
    }
  lua_pushnil (L);
  lua_pushstring (L, what);
  return 2;
}

static int
w_datagram (lua_State *L)
{
  size_t len;
  const char *d = luaL_checklstring (L, 1, &len);
  int fds[RAW_FDS_MAX];
  size_t n = get_fds (L, 2, fds, RAW_FDS_MAX);
  union { struct cmsghdr align; char buf[WFD_SPACE (RAW_FDS_MAX)]; } ctl;
  struct iovec iov = { (void *) d, len };
  struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
  if (n)
    wfd_attach (&mh, ctl.buf, fds, n);
  int rc = sendmsg (ward_remote_chan, &mh, MSG_NOSIGNAL) < 0 ? -1 : 0;
  return sent (L, rc, rc ? strerror (errno) : NULL);
}

static int
to_fdvec (lua_State *L, int idx, ward_fdvec *v)
{
  int fds[RAW_FDS_MAX];
  size_t n = get_fds (L, idx, fds, WARD_FD_MAX);
  memset (v, 0, sizeof *v);
  for (size_t i = 0; i < n; i++)
    v->fd[i] = fds[i];
  v->n = (int) n;
  return 0;
}

static int
w_frame (lua_State *L)
{
  int type = (int) luaL_checkinteger (L, 1);
  luaL_argcheck (L, type >= 0 && type <= 255, 1, "a frame type is a byte");
  size_t len;
  const char *body = luaL_checklstring (L, 2, &len);
  ward_fdvec v;
  to_fdvec (L, 3, &v);
  ward_err err;
  int rc = ward_wire_send_fds (ward_remote_chan, type, body, len, &v, &err);
  return sent (L, rc, rc ? err.msg : NULL);
}

static int
call_k (lua_State *L, int status, lua_KContext ctx)
{
  (void) status;
  (void) ctx;
  ward_vm_check_killed (L);
  ward_proc *p = ward_current ();
  ward_remote_reply rep;
  int got = ward_remote_take_reply (p, &rep);
  if (got == 0)
    return ward_vm_block (L, 0, call_k);
  if (got < 0)
    return luaL_error (L, "the runtime's reply is malformed");
  lua_settop (L, 0);
  lua_pushinteger (L, rep.st);
  lua_pushlstring (L, rep.a, rep.alen);
  lua_pushlstring (L, rep.b, rep.blen);
  ward_msg_release (p);
  return 3;
}

static int
w_call (lua_State *L)
{
  size_t oplen, alen;
  const char *op = luaL_checklstring (L, 1, &oplen);
  const char *args = luaL_checklstring (L, 2, &alen);
  ward_fdvec v;
  to_fdvec (L, 3, &v);
  ward_err err;
  wbuf b;
  wbuf_init (&b, 0);
  int rc = ward_wire_put_str (&b, op, oplen, &err);
  if (rc == 0)
    rc = ward_wire_put_str (&b, args, alen, &err);
  if (rc == 0)
    rc = ward_wire_send_fds (ward_remote_chan, WARD_F_CALL, b.data, b.len, &v, &err);
  wbuf_free (&b);
  if (rc < 0)
    return sent (L, rc, err.msg);
  return ward_vm_block (L, 0, call_k);
}

static int
w_encode (lua_State *L)
{
  wbuf b;
  wbuf_init (&b, 0);
  ward_err err;
  int rc = ward_codec_encode (L, 1, lua_gettop (L), &b, ward_codec_opts_rt (), &err);
  if (rc == 0)
    lua_pushlstring (L, (const char *) b.data, b.len);
  wbuf_free (&b);
  if (rc < 0)
    return luaL_error (L, "wire.encode: %s", err.msg);
  return 1;
}

static int
w_decode (lua_State *L)
{
  size_t len;
  const char *d = luaL_checklstring (L, 1, &len);
  lua_settop (L, 1);
  int n = 0;
  ward_err err;
  if (ward_codec_decode (L, (const uint8_t *) d, len, ward_codec_opts_rt (), &n, &err) < 0)
    return luaL_error (L, "wire.decode: %s", err.msg);
  return n;
}

static int
w_pace (lua_State *L)
{
  lua_Integer ms = luaL_checkinteger (L, 1);
  luaL_argcheck (L, ms >= -1 && ms <= 3600000, 1, "-1, or 0 to an hour in ms");
  atomic_store (&pace_ms, (int) ms);
  return 0;
}

static int
w_sleep (lua_State *L)
{
  lua_Integer ms = luaL_checkinteger (L, 1);
  luaL_argcheck (L, ms >= 0 && ms <= 3600000, 1, "0 to an hour in ms");
  nap_ms ((long) ms);
  return 0;
}

static int
w_quit (lua_State *L)
{
  (void) L;
  _exit (3);
}

static int
install (lua_State *L)
{
  static const luaL_Reg fns[] = {
    { "datagram", w_datagram }, { "frame", w_frame }, { "call", w_call },
    { "encode", w_encode }, { "decode", w_decode }, { "pace", w_pace },
    { "sleep", w_sleep }, { "quit", w_quit }, { NULL, NULL }
  };
  static const struct { const char *name; lua_Integer v; } consts[] = {
    { "MAGIC", 0x57 }, { "MORE", 1 }, { "CHUNK", WARD_WIRE_CHUNK }, { "MAX", WARD_WIRE_MAX },
    { "FD_MAX", WARD_FD_MAX }, { "BOOT", WARD_F_BOOT }, { "MSG", WARD_F_MSG },
    { "REPLY", WARD_F_REPLY }, { "CALL", WARD_F_CALL }, { "EXIT", WARD_F_EXIT },
    { "SENDERS", WARD_F_SENDERS }, { "DROP", WARD_F_DROP }, { "DETACHED", WARD_F_DETACHED }
  };
  lua_pushglobaltable (L);
  luaL_newlib (L, fns);
  for (size_t i = 0; i < sizeof consts / sizeof consts[0]; i++)
    {
      lua_pushinteger (L, consts[i].v);
      lua_setfield (L, -2, consts[i].name);
    }
  lua_pushinteger (L, ward_remote_chan);
  lua_setfield (L, -2, "chan");
  lua_pushliteral (L, "wire");
  lua_rotate (L, -2, 1);
  lua_rawset (L, -3);             /* past the globals' lazy metatable */
  return 0;
}

int
ward_rawwire_install (lua_State *L, ward_err *err)
{
  lua_pushcfunction (L, install);
  if (lua_pcall (L, 0, 0, 0) != LUA_OK)
    {
      ward_err_set (err, WARD_E_INTERNAL, 0, "the raw wire harness: %s", lua_tostring (L, -1));
      lua_pop (L, 1);
      return -1;
    }
  return 0;
}
