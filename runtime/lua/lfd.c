/* lfd.c -- file descriptors as Lua values (lfd.h): the "ward.fd" type and
 * the `fd` module. The descriptor lists of messages are in core/fdvec.c. */
#include "config.h"
#include "lfd.h"
#include "vm.h"
#include "rt.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <lauxlib.h>

#define FD_T "ward.fd"
#define SLICE_MS 20                 /* a wait polls this long between kill checks */
#define READ_DEFAULT 65536
#define READ_MAX (16 << 20)

/* ---- the type ---- */

int *
ward_fd_test (lua_State *L, int idx)
{
  return luaL_testudata (L, idx, FD_T);
}

/* Push a descriptor holding nothing yet: the caller fills it in once
 * nothing more can raise, so that a memory error leaks no descriptor. */
static int *
new_closed (lua_State *L)
{
  int *u = lua_newuserdatauv (L, sizeof *u, 0);
  *u = -1;
  ward_setmeta (L, FD_T);
  return u;
}

void
ward_fd_push (lua_State *L, int fd)
{
  *new_closed (L) = fd;
}

/* The open descriptor of argument 1 of method `what`, or -1 after pushing
 * nil and an error (a closed descriptor). Arguments are checked first: a
 * bad one raises whether or not the descriptor is open. */
static int
self_fd (lua_State *L, const char *what)
{
  int *u = luaL_checkudata (L, 1, FD_T);
  if (*u < 0)
    {
      ward_push_error (L, WARD_E_INVALID, "fd:%s: the descriptor is closed", what);
      return -1;
    }
  return *u;
}

static int
is_socket (int fd)
{
  struct stat st;
  return fstat (fd, &st) == 0 && S_ISSOCK (st.st_mode);
}

/* Optional timeout at idx: a deadline in ns, or -1 for none. */
static int64_t
deadline_arg (lua_State *L, int idx)
{
  if (lua_isnoneornil (L, idx))
    return -1;
  int64_t ms;
  ward_err err;
  if (ward_check_duration (L, idx, &ms, &err) < 0)
    luaL_argerror (L, idx, err.msg);
  return ward_now_ns () + ms * 1000000LL;
}

/* Wait until fd is ready for events, in slices that let a kill through.
 * 1 ready (or hung up: the call will say how), 0 past the deadline, -1
 * with errno. */
static int
wait_fd (lua_State *L, int fd, short events, int64_t deadline)
{
  for (;;)
    {
      /* what this worker queued for itself must not wait for the poll */
      ward_sched_nudge ();
      int slice = SLICE_MS;
      if (deadline >= 0)
        {
          int64_t left = (deadline - ward_now_ns () + 999999) / 1000000;
          if (left <= 0)
            slice = 0;
          else if (left < slice)
            slice = (int) left;
        }
      struct pollfd p = { .fd = fd, .events = events };
      int n = poll (&p, 1, slice);
      if (n > 0)
        return (p.revents & POLLNVAL) ? (errno = EBADF, -1) : 1;
      if (n < 0 && errno != EINTR)
        return -1;
      ward_vm_check_killed (L);
      if (n == 0 && deadline >= 0 && ward_now_ns () >= deadline)
        return 0;
    }
}

/* f:read([n [, timeout]]) -> 1..n bytes, "" at end of file, or nil, err */
static int
fd_read (lua_State *L)
{
  luaL_checkudata (L, 1, FD_T);
  lua_Integer n = luaL_optinteger (L, 2, READ_DEFAULT);
  luaL_argcheck (L, n >= 1 && n <= READ_MAX, 2, "fd:read: size out of range 1..16 MiB");
  int64_t deadline = deadline_arg (L, 3);
  int fd = self_fd (L, "read");
  if (fd < 0)
    return 2;
  int sock = is_socket (fd);
  luaL_Buffer b;
  char *buf = luaL_buffinitsize (L, &b, (size_t) n);
  for (;;)
    {
      int w = wait_fd (L, fd, POLLIN, deadline);
      if (w == 0)
        return ward_push_error (L, WARD_E_UNAVAILABLE, "fd:read: nothing to read before "
                                "the timeout");
      ssize_t r = w < 0 ? -1 : sock ? recv (fd, buf, (size_t) n, MSG_DONTWAIT)
                                    : read (fd, buf, (size_t) n);
      if (r >= 0)
        {
          luaL_pushresultsize (&b, (size_t) r);
          return 1;
        }
      if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
        return ward_push_error (L, ward_fd_errno_kind (errno), "fd:read: %s", strerror (errno));
    }
}

/* f:write(s [, timeout]) -> #s, or nil, err (part of s may have been
 * written; the message says how much) */
static int
fd_write (lua_State *L)
{
  luaL_checkudata (L, 1, FD_T);
  size_t len;
  const char *s = luaL_checklstring (L, 2, &len);
  int64_t deadline = deadline_arg (L, 3);
  int fd = self_fd (L, "write");
  if (fd < 0)
    return 2;
  int sock = is_socket (fd);
  size_t off = 0;
  while (off < len)
    {
      int w = wait_fd (L, fd, POLLOUT, deadline);
      if (w == 0)
        return ward_push_error (L, WARD_E_UNAVAILABLE, "fd:write: timed out with %zu of "
                                "%zu bytes written", off, len);
      /* a pipe said writable has room for PIPE_BUF bytes: more could block */
      size_t chunk = len - off;
      if (!sock && chunk > PIPE_BUF)
        chunk = PIPE_BUF;
      ssize_t r = w < 0 ? -1 : sock ? send (fd, s + off, chunk, MSG_DONTWAIT | MSG_NOSIGNAL)
                                    : write (fd, s + off, chunk);
      if (r >= 0)
        off += (size_t) r;
      else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
        return ward_push_error (L, ward_fd_errno_kind (errno), "fd:write: %s (%zu of %zu bytes "
                                "written)", strerror (errno), off, len);
    }
  lua_pushinteger (L, (lua_Integer) len);
  return 1;
}

void
ward_fd_release (int *held)
{
  if (*held >= 0)
    {
      close (*held);
      *held = -1;
    }
}

/* f:close() -> true; closing again does nothing */
static int
fd_close (lua_State *L)
{
  ward_fd_release (luaL_checkudata (L, 1, FD_T));
  lua_pushboolean (L, 1);
  return 1;
}

static int
fd_gc (lua_State *L)
{
  int *u = lua_touserdata (L, 1);
  if (u)
    ward_fd_release (u);
  return 0;
}

/* f:dup() -> a new descriptor for the same open file */
static int
fd_dup (lua_State *L)
{
  int fd = self_fd (L, "dup");
  if (fd < 0)
    return 2;
  int *u = new_closed (L);
  if ((*u = fcntl (fd, F_DUPFD_CLOEXEC, 3)) < 0)
    return ward_push_error (L, ward_fd_errno_kind (errno), "fd:dup: %s", strerror (errno));
  return 1;
}

/* f:seek([whence [, offset]]) -> the new offset from the start, or nil,
 * err; whence "set", "cur" (the default) or "end", as Lua's file:seek */
static int
fd_seek (lua_State *L)
{
  static const char *const names[] = { "set", "cur", "end", NULL };
  static const int whences[] = { SEEK_SET, SEEK_CUR, SEEK_END };
  luaL_checkudata (L, 1, FD_T);
  int w = luaL_checkoption (L, 2, "cur", names);
  lua_Integer off = luaL_optinteger (L, 3, 0);
  int fd = self_fd (L, "seek");
  if (fd < 0)
    return 2;
  off_t r = lseek (fd, (off_t) off, whences[w]);
  if (r < 0)
    return ward_push_error (L, errno == ESPIPE || errno == EINVAL ? WARD_E_INVALID
                            : ward_fd_errno_kind (errno), "fd:seek: %s", strerror (errno));
  lua_pushinteger (L, (lua_Integer) r);
  return 1;
}

/* The iterator of f:lines(): upvalues the descriptor, what was read past
 * the last line (a pipe or socket cannot give it back), and whether the
 * line ends are kept. */
static int
lines_next (lua_State *L)
{
  int *u = luaL_checkudata (L, lua_upvalueindex (1), FD_T);
  int keep = lua_toboolean (L, lua_upvalueindex (3));
  for (;;)
    {
      size_t len;
      const char *s = lua_tolstring (L, lua_upvalueindex (2), &len);
      const char *nl = memchr (s, '\n', len);
      if (nl != NULL || *u < 0 || len >= READ_MAX)
        {
          size_t n = nl ? (size_t) (nl - s) + 1 : len;
          if (n == 0)
            return 0;                   /* end of file, nothing left */
          lua_pushlstring (L, s, n - (nl && !keep ? 1 : 0));
          lua_pushlstring (L, s + n, len - n);
          /* a file keeps its offset just past the line */
          if (*u >= 0 && len > n && lseek (*u, -(off_t) (len - n), SEEK_CUR) >= 0)
            {
              lua_pop (L, 1);
              lua_pushliteral (L, "");
            }
          lua_replace (L, lua_upvalueindex (2));
          return 1;
        }
      int w = wait_fd (L, *u, POLLIN, -1);
      char buf[4096];
      ssize_t r = w < 0 ? -1 : is_socket (*u) ? recv (*u, buf, sizeof buf, MSG_DONTWAIT)
                                              : read (*u, buf, sizeof buf);
      if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        continue;
      if (r < 0)
        return luaL_error (L, "fd:lines: %s", strerror (errno));
      if (r == 0)
        {
          /* end of file: what is left is the last line */
          if (len == 0)
            return 0;
          lua_pushlstring (L, s, len);
          lua_pushliteral (L, "");
          lua_replace (L, lua_upvalueindex (2));
          return 1;
        }
      lua_pushlstring (L, s, len);
      lua_pushlstring (L, buf, (size_t) r);
      lua_concat (L, 2);
      lua_replace (L, lua_upvalueindex (2));
    }
}

/* f:lines(["l" | "L"]) -> an iterator over the lines of what is left to
 * read ("L" keeps each line's end), as Lua's file:lines */
static int
fd_lines (lua_State *L)
{
  static const char *const fmts[] = { "l", "L", NULL };
  luaL_checkudata (L, 1, FD_T);
  int keep = luaL_checkoption (L, 2, "l", fmts);
  lua_settop (L, 1);
  lua_pushliteral (L, "");
  lua_pushboolean (L, keep);
  lua_pushcclosure (L, lines_next, 3);
  return 1;
}

static int
fd_tostring (lua_State *L)
{
  int *u = luaL_checkudata (L, 1, FD_T);
  if (*u < 0)
    lua_pushliteral (L, "fd (closed)");
  else
    lua_pushfstring (L, "fd %d", *u);
  return 1;
}

static const luaL_Reg fd_methods[] = {
  { "read", fd_read }, { "write", fd_write }, { "close", fd_close }, { "dup", fd_dup },
  { "seek", fd_seek }, { "lines", fd_lines }, { NULL, NULL } };
static const luaL_Reg fd_meta[] = {
  { "__gc", fd_gc }, { "__close", fd_gc }, { "__tostring", fd_tostring }, { NULL, NULL } };
const ward_type ward_type_fd = { FD_T, "fd", fd_methods, fd_meta };

/* ---- the module ---- */

/* fd.pipe() -> reader, writer */
static int
m_pipe (lua_State *L)
{
  int *r = new_closed (L), *w = new_closed (L);
  int p[2];
  if (pipe2 (p, O_CLOEXEC) < 0)
    return ward_push_error (L, ward_fd_errno_kind (errno), "fd.pipe: %s", strerror (errno));
  *r = p[0];
  *w = p[1];
  return 2;
}

/* fd.socketpair(["stream" | "seqpacket" | "dgram"]) -> a, b (AF_UNIX) */
static int
m_socketpair (lua_State *L)
{
  static const char *const kinds[] = { "stream", "seqpacket", "dgram", NULL };
  static const int types[] = { SOCK_STREAM, SOCK_SEQPACKET, SOCK_DGRAM };
  int k = luaL_checkoption (L, 1, "stream", kinds);
  int *a = new_closed (L), *b = new_closed (L);
  int sv[2];
  if (socketpair (AF_UNIX, types[k] | SOCK_CLOEXEC, 0, sv) < 0)
    return ward_push_error (L, ward_fd_errno_kind (errno), "fd.socketpair: %s", strerror (errno));
  *a = sv[0];
  *b = sv[1];
  return 2;
}

/* fd.is(v) -> whether v is a descriptor (open or closed) */
static int
m_is (lua_State *L)
{
  lua_pushboolean (L, ward_fd_test (L, 1) != NULL);
  return 1;
}

int
ward_luaopen_fd (lua_State *L)
{
  static const luaL_Reg fns[] = {
    { "pipe", m_pipe }, { "socketpair", m_socketpair }, { "is", m_is }, { NULL, NULL } };
  luaL_newlib (L, fns);
  return 1;
}
