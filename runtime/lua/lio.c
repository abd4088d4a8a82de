/* lio.c -- the granted resources of DESIGN 3.3 that every process has: the
 * run's standard streams as a small `io` (io.read, io.write, io.lines,
 * io.stdin/stdout/stderr), os.getenv, and process.permissions.query, in
 * both faces (lio.h).
 *
 * A stream asks the gate once per process, on its first use: io.stdin,
 * io.stdout or io.stderr on the stream's word ("stdin", "stdout",
 * "stderr"). In the runtime a granted stream is ward's own descriptor 0, 1
 * or 2; in a subprocess actor the stand-in asks (as the child's actor) and
 * sends a copy of ward's descriptor over the channel, so the child holds a
 * stream only once it was granted. A denial is remembered (asked, and so
 * audited, once) and raised at each use.
 *
 * Waits never hold a worker thread: a stream that is not ready is polled
 * again after a short sleep of the process (time.sleep's timer), which
 * yields to the scheduler and stays killable; where the process cannot
 * yield (inside a C call such as a sort comparator) it polls in place in
 * short slices, as lfd.c, and is ended past WARD_UNYIELDABLE_NS there, as
 * the instruction hook ends a script that runs that long unpreempted.
 * Standard input is read ahead into a buffer of the process's stream
 * (counted against its memory cap): several processes that read the run's
 * standard input each get whatever they read first. */
#include "config.h"
#include "lio.h"
#include "lfd.h"
#include "fdvec.h"
#include "vm.h"
#include "face.h"
#include "remote.h"
#include "rt.h"
#include "policy.h"
#include "fsgate.h"
#include "lnet.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <lauxlib.h>

#define IO_T "ward.io"
#define READ_CHUNK 65536
#define SLICE_MS 20                 /* a wait in place polls this long between kill checks */
#define SLEEP_MAX_MS 16             /* the longest sleep between two polls of a stream */
#define MAXFMT 250                  /* formats in one read, as Lua's lines */
#define MAXLENNUM 200               /* Lua's L_MAXLENNUM */
#define FILLS_PER_SLICE 16          /* reads of READ_CHUNK between two yields of a read
                                       whose input keeps coming */

enum { S_UNASKED, S_GRANTED, S_DENIED };
enum { M_READ = 1, M_WRITE, M_LINES };

typedef struct io_stream {
  int which;                    /* 0 stdin, 1 stdout, 2 stderr */
  int fd;                       /* -1 until granted */
  int owned;                    /* a copy the runtime sent: closed with the stream */
  int state;
  int eof;
  int regular;                  /* a regular file: writes are not cut */
  char *buf;                    /* read-ahead: buf[off..len) */
  size_t off, len, cap;
  size_t seen;                  /* buf[off..off+seen) holds no newline: a line is
                                   looked for only in what came since */
  char why[WARD_ERR_MSG_MAX];   /* the denial */
} io_stream;

static const char *const words[] = { "stdin", "stdout", "stderr" };
static const char keys[3];      /* their addresses key the streams in the registry */

static int
is_remote (lua_State *L)
{
  return ward_face_of (L) == &ward_face_remote;
}

static const char *
action_of (int which)
{
  return which == 0 ? WARD_ACTION (IO_STDIN) : which == 1 ? WARD_ACTION (IO_STDOUT)
    : WARD_ACTION (IO_STDERR);
}

/* ---- the type ---- */

static int
s_gc (lua_State *L)
{
  io_stream *s = lua_touserdata (L, 1);
  if (s == NULL)
    return 0;
  if (s->buf)
    {
      void *ud;
      lua_Alloc f = lua_getallocf (L, &ud);
      f (ud, s->buf, s->cap, 0);
      s->buf = NULL;
    }
  if (s->owned && s->fd >= 0)
    close (s->fd);
  s->fd = -1;
  return 0;
}

static int
s_tostring (lua_State *L)
{
  io_stream *s = luaL_checkudata (L, 1, IO_T);
  lua_pushfstring (L, "file (%s)", words[s->which]);
  return 1;
}

/* The stream of the run's stream `which` in this VM, pushed. */
static io_stream *
push_stream (lua_State *L, int which)
{
  if (lua_rawgetp (L, LUA_REGISTRYINDEX, &keys[which]) == LUA_TUSERDATA)
    return lua_touserdata (L, -1);
  lua_pop (L, 1);
  io_stream *s = lua_newuserdatauv (L, sizeof *s, 0);
  memset (s, 0, sizeof *s);
  s->which = which;
  s->fd = -1;
  ward_setmeta (L, IO_T);
  lua_pushvalue (L, -1);
  lua_rawsetp (L, LUA_REGISTRYINDEX, &keys[which]);
  return s;
}

/* ---- the grant ---- */

static int dispatch (lua_State *L, lua_KContext ctx);

static int
raise_denied (lua_State *L, io_stream *s)
{
  return luaL_error (L, "io.%s: %s", words[s->which], s->why);
}

static void
note_kind (io_stream *s)
{
  struct stat st;
  s->regular = fstat (s->fd, &st) == 0 && S_ISREG (st.st_mode);
}

/* The stand-in's answer (a descriptor, or nil and an error) on top. */
static int
grant_k (lua_State *L, int status, lua_KContext ctx)
{
  (void) status;
  io_stream *s = luaL_checkudata (L, 1, IO_T);
  int *u = ward_fd_test (L, -2);
  if (u != NULL && *u >= 0)
    {
      if (s->state == S_GRANTED)
        ward_fd_release (u);    /* another coroutine's ask came first */
      else
        {
          s->fd = *u;
          *u = -1;
          s->owned = 1;
          s->state = S_GRANTED;
          note_kind (s);
        }
    }
  else if (s->state != S_GRANTED)
    {
      s->state = S_DENIED;
      if (!ward_push_err_text (L, -1))
        {
          if (lua_type (L, -1) == LUA_TSTRING)
            lua_pushvalue (L, -1);
          else
            lua_pushliteral (L, "permission denied (the runtime gave no descriptor)");
        }
      snprintf (s->why, sizeof s->why, "%s", lua_tostring (L, -1));
      lua_pop (L, 1);
    }
  lua_pop (L, 2);
  if (s->state == S_DENIED)
    return raise_denied (L, s);
  return dispatch (L, ctx);
}

/* Make sure the stream at 1 was granted, then go on with the method (ctx):
 * in the runtime the gate is asked here; in a subprocess actor the
 * stand-in asks and the method goes on when its answer came. Fails closed:
 * no process, or any error asking, is a denial. */
static int
with_grant (lua_State *L, lua_KContext ctx)
{
  io_stream *s = lua_touserdata (L, 1);
  if (s->state == S_GRANTED)
    return dispatch (L, ctx);
  if (s->state == S_DENIED)
    return raise_denied (L, s);
  if (is_remote (L))
    {
      lua_pushstring (L, words[s->which]);
      return ward_remote_callk (L, "io.stream", 1, 2, ctx, grant_k);
    }
  ward_proc *p = ward_current ();
  ward_err err;
  if (p == NULL)
    ward_err_set (&err, WARD_E_PERMISSION_DENIED, 0, "permission denied: no process asks");
  if (p == NULL || ward_proc_authorize1 (p, action_of (s->which), words[s->which], NULL,
                                         &err) < 0)
    {
      s->state = S_DENIED;
      snprintf (s->why, sizeof s->why, "%s: %s", ward_kind_name (err.kind), err.msg);
      return raise_denied (L, s);
    }
  s->fd = s->which;
  s->state = S_GRANTED;
  note_kind (s);
  return dispatch (L, ctx);
}

/* ---- waiting ---- */

/* The stream is not ready: wait a little (yielding when the process can)
 * and go on at k with ctx. *backoff_ms grows to SLEEP_MAX_MS. */
static int
wait_then (lua_State *L, io_stream *s, short events, int backoff_ms, lua_KContext ctx,
           lua_KFunction k)
{
  if (lua_isyieldable (L))
    {
      lua_pushcfunction (L, ward_time_sleep);
      lua_pushinteger (L, backoff_ms);
      lua_callk (L, 1, 0, ctx, k);
      return k (L, LUA_OK, ctx);
    }
  ward_proc *p = ward_current ();
  for (;;)
    {
      ward_sched_nudge ();
      struct pollfd pf = { .fd = s->fd, .events = events };
      int n = poll (&pf, 1, SLICE_MS);
      /* the thread is held meanwhile: no longer than the instruction hook
       * lets a script run where it cannot be preempted (vm.h) */
      if (n == 0 && p != NULL && ward_now_ns () - p->slice_start_ns > WARD_UNYIELDABLE_NS)
        ward_proc_kill (p, "waited for more than %lld s on io.%s where it cannot yield "
                        "(inside a C call such as a sort comparator)",
                        WARD_UNYIELDABLE_NS / 1000000000LL, words[s->which]);
      ward_vm_check_killed (L);
      if (n != 0)
        return k (L, LUA_OK, ctx);
    }
}

/* ctx: the method (2 bits), the next sleep (5 bits), the count of formats */
#define CTX(m, sleep, n) ((lua_KContext) (((lua_KContext) (n) << 7) | ((sleep) << 2) | (m)))
#define CTX_M(c) ((int) ((c) & 3))
#define CTX_SLEEP(c) ((int) (((c) >> 2) & 31))
#define CTX_N(c) ((int) ((c) >> 7))

static int
next_sleep (int ms)
{
  return ms <= 0 ? 1 : ms * 2 > SLEEP_MAX_MS ? SLEEP_MAX_MS : ms * 2;
}

/* ---- reading ---- */

/* Read what is there into the buffer, without waiting: 1 got bytes, 0 end
 * of file, -1 nothing yet, -2 an error (errno). */
static int
fill (lua_State *L, io_stream *s)
{
  struct pollfd pf = { .fd = s->fd, .events = POLLIN };
  int n = poll (&pf, 1, 0);
  if (n == 0)
    return -1;
  if (n < 0)
    return errno == EINTR ? -1 : -2;
  if (pf.revents & POLLNVAL)
    return errno = EBADF, -2;
  if (s->off > 0)
    {
      memmove (s->buf, s->buf + s->off, s->len - s->off);
      s->len -= s->off;
      s->off = 0;
    }
  if (s->cap - s->len < READ_CHUNK)
    {
      size_t ncap = s->len + READ_CHUNK;
      void *ud;
      lua_Alloc f = lua_getallocf (L, &ud);
      char *nb = f (ud, s->buf, s->buf ? s->cap : 0, ncap);
      if (nb == NULL)
        luaL_error (L, "io.stdin: not enough memory");
      s->buf = nb;
      s->cap = ncap;
    }
  ssize_t r = read (s->fd, s->buf + s->len, s->cap - s->len);
  if (r > 0)
    {
      s->len += (size_t) r;
      return 1;
    }
  if (r == 0)
    {
      s->eof = 1;
      return 0;
    }
  return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? -1 : -2;
}

enum { F_DONE, F_FAIL, F_MORE };

/* Byte i of what is buffered: the byte, -1 at the end of file, -2 when
 * more must be read first. */
static int
peek (const io_stream *s, size_t i)
{
  if (s->off + i < s->len)
    return (unsigned char) s->buf[s->off + i];
  return s->eof ? -1 : -2;
}

typedef struct numrd {
  const io_stream *s;
  size_t i;                     /* next byte */
  int c;                        /* the look-ahead */
  int n;
  char buff[MAXLENNUM + 1];
} numrd;

static int
nr_next (numrd *r)
{
  if (r->n >= MAXLENNUM)
    {
      r->buff[0] = '\0';
      return 0;
    }
  r->buff[r->n++] = (char) r->c;
  r->c = peek (r->s, r->i++);
  return 1;
}

static int
nr_test2 (numrd *r, const char *set)
{
  if (r->c == set[0] || r->c == set[1])
    return nr_next (r);
  return 0;
}

static int
nr_digits (numrd *r, int hex)
{
  int count = 0;
  while ((hex ? (r->c >= 0 && strchr ("0123456789abcdefABCDEF", r->c) && r->c) :
          (r->c >= '0' && r->c <= '9')) && nr_next (r))
    count++;
  return count;
}

/* Lua's read_number over the buffer; F_MORE while the numeral may go on
 * past what is buffered. */
static int
read_number (lua_State *L, io_stream *s)
{
  numrd r = { .s = s };
  /* blanks are consumed as Lua does, not kept: endless blanks cost no
   * buffer, and each is looked at once */
  do
    r.c = peek (s, r.i++);
  while (r.c >= 0 && strchr (" \t\n\v\f\r", r.c) && r.c);
  s->off += r.i - 1;             /* (seen counts from off) */
  s->seen = 0;
  if (r.c == -2)
    return F_MORE;
  int count = 0, hex = 0;
  r.i = 0;
  r.c = peek (s, r.i++);
  nr_test2 (&r, "-+");
  if (nr_test2 (&r, "00"))
    {
      if (nr_test2 (&r, "xX"))
        hex = 1;
      else
        count = 1;
    }
  count += nr_digits (&r, hex);
  if (nr_test2 (&r, ".."))
    count += nr_digits (&r, hex);
  if (count > 0 && nr_test2 (&r, hex ? "pP" : "eE"))
    {
      nr_test2 (&r, "-+");
      nr_digits (&r, 0);
    }
  if (r.c == -2 && r.n < MAXLENNUM)
    return F_MORE;
  s->off += r.i - 1;            /* the look-ahead stays */
  r.buff[r.n] = '\0';
  if (lua_stringtonumber (L, r.buff))
    return F_DONE;
  lua_pushnil (L);
  return F_FAIL;
}

/* Satisfy the format at idx from the buffer: F_DONE (its value pushed),
 * F_FAIL (nil pushed: the read stops) or F_MORE. */
static int
one_format (lua_State *L, io_stream *s, int idx)
{
  size_t avail = s->len - s->off;
  const char *d = s->buf ? s->buf + s->off : "";
  if (lua_type (L, idx) == LUA_TNUMBER)
    {
      lua_Integer k = luaL_checkinteger (L, idx);
      luaL_argcheck (L, k >= 0, idx, "invalid format");
      if (k == 0)
        {
          if (avail > 0)
            lua_pushliteral (L, "");
          else if (s->eof)
            lua_pushnil (L);
          else
            return F_MORE;
          return avail > 0 ? F_DONE : F_FAIL;
        }
      if (avail < (size_t) k && !s->eof)
        return F_MORE;
      if (avail == 0)
        {
          lua_pushnil (L);
          return F_FAIL;
        }
      size_t take = avail < (size_t) k ? avail : (size_t) k;
      lua_pushlstring (L, d, take);
      s->off += take;
      return F_DONE;
    }
  const char *p = luaL_checkstring (L, idx);
  if (*p == '*')
    p++;                        /* Lua 5.3's "*l" and the like */
  switch (*p)
    {
    case 'n':
      return read_number (L, s);
    case 'l':
    case 'L':
      {
        const char *nl = avail > s->seen ? memchr (d + s->seen, '\n', avail - s->seen) : NULL;
        if (nl == NULL && !s->eof)
          {
            s->seen = avail;
            return F_MORE;
          }
        if (nl == NULL && avail == 0)
          {
            lua_pushnil (L);
            return F_FAIL;
          }
        size_t n = nl ? (size_t) (nl - d) : avail;
        lua_pushlstring (L, d, n + (nl && *p == 'L'));
        s->off += n + (nl != NULL);
        return F_DONE;
      }
    case 'a':
      if (!s->eof)
        return F_MORE;
      lua_pushlstring (L, d, avail);
      s->off += avail;
      return F_DONE;
    default:
      return luaL_argerror (L, idx, "invalid format");
    }
}

/* Stack: 1 the stream, 2..n+1 the formats, then the values read so far. */
static int
read_k (lua_State *L, int status, lua_KContext ctx)
{
  (void) status;
  ward_vm_check_killed (L);
  io_stream *s = lua_touserdata (L, 1);
  int n = CTX_N (ctx);
  int fills = 0;
  for (;;)
    {
      int done = lua_gettop (L) - 1 - n;
      if (done >= n)
        return n;
      luaL_checkstack (L, 2, "too many arguments");
      int f = one_format (L, s, 2 + done);
      if (f != F_MORE)
        s->seen = 0;            /* bytes were taken */
      if (f == F_DONE)
        continue;
      if (f == F_FAIL)
        return done + 1;
      int got = fill (L, s);
      /* input that keeps coming (/dev/zero, a fast writer) never makes
       * the read wait: it yields now and then all the same, so that it
       * holds no worker thread and stays killable */
      if (got > 0 && ++fills >= FILLS_PER_SLICE)
        return wait_then (L, s, POLLIN, 0, CTX (CTX_M (ctx), 0, n), read_k);
      if (got >= 0)
        continue;
      if (got == -2)
        {
          if (CTX_M (ctx) == M_LINES)
            return luaL_error (L, "io.stdin: %s", strerror (errno));
          return luaL_fileresult (L, 0, NULL);
        }
      int ms = CTX_SLEEP (ctx);
      return wait_then (L, s, POLLIN, ms, CTX (CTX_M (ctx), next_sleep (ms), n), read_k);
    }
}

/* ---- writing ---- */

/* Stack: 1 the stream, 2 what to write, 3 how much of it went. */
static int
write_k (lua_State *L, int status, lua_KContext ctx)
{
  (void) status;
  ward_vm_check_killed (L);
  io_stream *s = lua_touserdata (L, 1);
  size_t len;
  const char *d = lua_tolstring (L, 2, &len);
  size_t off = (size_t) lua_tointeger (L, 3);
  while (off < len)
    {
      struct pollfd pf = { .fd = s->fd, .events = POLLOUT };
      int n = poll (&pf, 1, 0);
      if (n == 0 || (n < 0 && errno == EINTR))
        {
          lua_pushinteger (L, (lua_Integer) off);
          lua_replace (L, 3);
          int ms = CTX_SLEEP (ctx);
          return wait_then (L, s, POLLOUT, ms, CTX (M_WRITE, next_sleep (ms), 0), write_k);
        }
      if (n > 0 && (pf.revents & POLLNVAL))
        errno = EBADF;
      /* a pipe said writable has room for PIPE_BUF bytes: more could block */
      size_t chunk = len - off;
      if (!s->regular && chunk > PIPE_BUF)
        chunk = PIPE_BUF;
      ssize_t r = n < 0 || (pf.revents & POLLNVAL) ? -1 : write (s->fd, d + off, chunk);
      if (r >= 0)
        off += (size_t) r;
      else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
        return luaL_fileresult (L, 0, NULL);
    }
  lua_settop (L, 1);
  return 1;
}

/* ---- the methods ---- */

static int
dispatch (lua_State *L, lua_KContext ctx)
{
  if (CTX_M (ctx) == M_WRITE)
    return write_k (L, LUA_OK, ctx);
  return read_k (L, LUA_OK, ctx);
}

static io_stream *
check_stream (lua_State *L, int want, const char *what)
{
  io_stream *s = luaL_checkudata (L, 1, IO_T);
  if (want == 0 && s->which != 0)
    luaL_error (L, "%s: io.%s is not open for reading", what, words[s->which]);
  if (want == 1 && s->which == 0)
    luaL_error (L, "%s: io.stdin is not open for writing", what);
  return s;
}

/* f:read(...) */
static int
m_read (lua_State *L)
{
  check_stream (L, 0, "read");
  int n = lua_gettop (L) - 1;
  if (n == 0)
    {
      lua_pushliteral (L, "l");
      n = 1;
    }
  luaL_argcheck (L, n <= MAXFMT, MAXFMT + 2, "too many arguments");
  for (int i = 2; i <= n + 1; i++)
    {
      int t = lua_type (L, i);
      luaL_argexpected (L, t == LUA_TNUMBER || t == LUA_TSTRING, i, "format");
    }
  return with_grant (L, CTX (M_READ, 0, n));
}

/* f:write(...) -> f, or nil, message, errno */
static int
m_write (lua_State *L)
{
  check_stream (L, 1, "write");
  int n = lua_gettop (L);
  luaL_Buffer b;
  luaL_buffinit (L, &b);
  for (int i = 2; i <= n; i++)
    {
      if (lua_type (L, i) == LUA_TNUMBER)
        {
          if (lua_isinteger (L, i))
            lua_pushfstring (L, "%I", (LUAI_UACINT) lua_tointeger (L, i));
          else
            {
              char num[64];
              snprintf (num, sizeof num, LUA_NUMBER_FMT, (LUAI_UACNUMBER) lua_tonumber (L, i));
              lua_pushstring (L, num);
            }
          luaL_addvalue (&b);
        }
      else
        {
          size_t l;
          const char *s = luaL_checklstring (L, i, &l);
          luaL_addlstring (&b, s, l);
        }
    }
  luaL_pushresult (&b);
  lua_replace (L, 2);
  lua_settop (L, 2);
  lua_pushinteger (L, 0);
  return with_grant (L, CTX (M_WRITE, 0, 0));
}

/* The iterator of f:lines(...): upvalues the stream, the count of formats,
 * the formats. */
static int
lines_iter (lua_State *L)
{
  int n = (int) lua_tointeger (L, lua_upvalueindex (2));
  lua_settop (L, 0);
  luaL_checkstack (L, n + 2, "too many arguments");
  for (int i = 1; i <= n + 1; i++)
    lua_pushvalue (L, lua_upvalueindex (i == 1 ? 1 : i + 1));
  return with_grant (L, CTX (M_LINES, 0, n));
}

static int
push_lines (lua_State *L)
{
  int n = lua_gettop (L) - 1;
  if (n == 0)
    {
      lua_pushliteral (L, "l");
      n = 1;
    }
  luaL_argcheck (L, n <= MAXFMT, MAXFMT + 2, "too many arguments");
  lua_pushinteger (L, n);
  lua_insert (L, 2);
  lua_pushcclosure (L, lines_iter, n + 2);
  return 1;
}

/* f:lines(...) -> an iterator of reads with those formats */
static int
m_lines (lua_State *L)
{
  check_stream (L, 0, "lines");
  return push_lines (L);
}

static int
m_close (lua_State *L)
{
  luaL_checkudata (L, 1, IO_T);
  luaL_pushfail (L);
  lua_pushliteral (L, "cannot close standard file");
  return 2;
}

static int
m_flush (lua_State *L)
{
  luaL_checkudata (L, 1, IO_T);
  lua_settop (L, 1);
  return 1;
}

static int
m_setvbuf (lua_State *L)
{
  luaL_checkudata (L, 1, IO_T);
  lua_pushboolean (L, 1);       /* writes are not buffered at all */
  return 1;
}

static int
m_seek (lua_State *L)
{
  luaL_checkudata (L, 1, IO_T);
  errno = ESPIPE;
  return luaL_fileresult (L, 0, NULL);
}

static const luaL_Reg s_methods[] = {
  { "read", m_read }, { "write", m_write }, { "lines", m_lines }, { "close", m_close },
  { "flush", m_flush }, { "setvbuf", m_setvbuf }, { "seek", m_seek }, { NULL, NULL } };
static const luaL_Reg s_meta[] = {
  { "__gc", s_gc }, { "__tostring", s_tostring }, { NULL, NULL } };
const ward_type ward_type_io = { IO_T, "file", s_methods, s_meta };

/* ---- the library ---- */

/* io.read(...): io.stdin:read(...) */
static int
l_read (lua_State *L)
{
  push_stream (L, 0);
  lua_insert (L, 1);
  return m_read (L);
}

/* io.write(...): io.stdout:write(...) */
static int
l_write (lua_State *L)
{
  push_stream (L, 1);
  lua_insert (L, 1);
  return m_write (L);
}

/* io.lines([nil, formats...]): the lines of the standard input; a file
 * name is refused (ward has no io.open). */
static int
l_lines (lua_State *L)
{
  if (lua_isnone (L, 1))
    lua_pushnil (L);
  if (!lua_isnil (L, 1))
    return luaL_error (L, "io.lines: ward opens no file by name (there is no io.open); "
                       "io.lines() reads the standard input");
  push_stream (L, 0);
  lua_replace (L, 1);
  return push_lines (L);
}

static int
l_type (lua_State *L)
{
  luaL_checkany (L, 1);
  if (luaL_testudata (L, 1, IO_T))
    lua_pushliteral (L, "file");
  else
    luaL_pushfail (L);
  return 1;
}

/* io.input() / io.output(): the standard stream; only it may be chosen */
static int
choose (lua_State *L, int which, const char *what)
{
  io_stream *s = push_stream (L, which);
  if (!lua_isnoneornil (L, 1))
    {
      io_stream *o = luaL_testudata (L, 1, IO_T);
      if (o != s)
        return luaL_error (L, "io.%s: ward opens no file (there is no io.open); the %s is "
                           "io.%s", what, which ? "output" : "input", words[which]);
    }
  return 1;
}

static int
l_input (lua_State *L)
{
  return choose (L, 0, "input");
}

static int
l_output (lua_State *L)
{
  return choose (L, 1, "output");
}

static int
l_flush (lua_State *L)
{
  (void) L;
  lua_pushboolean (L, 1);
  return 1;
}

int
ward_luaopen_io (lua_State *L)
{
  static const luaL_Reg fns[] = {
    { "read", l_read }, { "write", l_write }, { "lines", l_lines }, { "type", l_type },
    { "input", l_input }, { "output", l_output }, { "flush", l_flush }, { NULL, NULL } };
  luaL_newlib (L, fns);
  for (int i = 0; i < 3; i++)
    {
      push_stream (L, i);
      lua_setfield (L, -2, words[i]);
    }
  return 1;
}

/* ---- the stand-in's side ---- */

int
ward_io_stream_for_child (lua_State *L)
{
  static const char *const opts[] = { "stdin", "stdout", "stderr", NULL };
  int which = luaL_checkoption (L, 1, NULL, opts);
  ward_proc *p = ward_current ();
  ward_err err;
  if (p == NULL)
    return ward_push_error (L, WARD_E_PERMISSION_DENIED, "permission denied: no process asks");
  if (ward_proc_authorize1 (p, action_of (which), words[which], NULL, &err) < 0)
    return ward_push_err (L, &err);
  int fd = fcntl (ward_fd_std (which), F_DUPFD_CLOEXEC, 3);
  if (fd < 0)
    return ward_push_error (L, WARD_E_UNAVAILABLE, "io.%s: %s", words[which], strerror (errno));
  /* sandboxed work never takes a reserved number (fdvec.h) */
  if (ward_fd_reserved (fd))
    {
      close (fd);
      ward_proc_audit_limit (p, WARD_ACTION (LIMIT_FD_RESERVE), p->pid);
      ward_fd_refuse ("a standard stream cannot be sent", &err);
      return ward_push_err (L, &err);
    }
  ward_fd_push (L, fd);         /* (a memory error here leaks fd: the stand-in's
                                   heap is not the child's, and is rarely full) */
  return 1;
}

/* ---- os.getenv ---- */

int
ward_io_getenv (lua_State *L)
{
  size_t len;
  const char *name = luaL_checklstring (L, 1, &len);
  luaL_argcheck (L, strlen (name) == len, 1, "a variable name holds no NUL byte");
  lua_settop (L, 1);
  if (is_remote (L))
    return ward_remote_call (L, "env.read");
  ward_proc *p = ward_current ();
  ward_err err;
  if (p == NULL)
    return ward_push_error (L, WARD_E_PERMISSION_DENIED, "permission denied: no process asks");
  if (ward_proc_authorize1 (p, WARD_ACTION (ENV_READ), name, NULL, &err) < 0)
    return ward_push_err (L, &err);
  const char *v = getenv (name);
  if (v == NULL)
    luaL_pushfail (L);
  else
    lua_pushstring (L, v);
  return 1;
}

/* ---- process.permissions.query ---- */

static const char *
query_field (lua_State *L, const char *k)
{
  lua_getfield (L, 1, k);
  if (lua_type (L, -1) != LUA_TSTRING)
    luaL_error (L, "process.permissions.query: `%s` must be a string (got %s)", k,
                luaL_typename (L, -1));
  size_t len;
  const char *s = lua_tolstring (L, -1, &len);
  if (strlen (s) != len)
    luaL_error (L, "process.permissions.query: `%s` holds a NUL byte", k);
  return s;
}

/* The fs.* answer as the call would get it: the path resolved as fs.open
 * resolves it (fsgate.h; fs.remove takes a link itself, not its target),
 * the gate asked on the canonical form with attr.path = the path as given.
 * A path that is no path (empty, too long) is denied. */
static ward_decision
query_fs (const ward_actor *actor, const char *action, const char *req, ward_attrs *attrs,
          const char **why)
{
  static _Thread_local ward_fsgate_path r;
  ward_err err;
  if (ward_fsgate_resolve (req, strlen (req), strcmp (action, "fs.remove") != 0, &r, &err) < 0)
    {
      *why = "not a path";
      return WARD_DENY;
    }
  attrs->path = req;
  return ward_authorize_query (actor, action, r.canon, attrs, why);
}

int
ward_io_query (lua_State *L)
{
  luaL_checktype (L, 1, LUA_TTABLE);
  lua_settop (L, 1);
  const char *action = query_field (L, "action");
  const char *resource = query_field (L, "resource");
  if (!ward_action_askable (action))
    return luaL_error (L, "process.permissions.query: unknown action `%s` (ward-policy(5) "
                       "lists the actions)", action);
  if (is_remote (L))
    {
      /* only the two strings travel */
      lua_createtable (L, 0, 2);
      lua_pushvalue (L, 2);
      lua_setfield (L, -2, "action");
      lua_pushvalue (L, 3);
      lua_setfield (L, -2, "resource");
      lua_replace (L, 1);
      lua_settop (L, 1);
      return ward_remote_call (L, "permissions.query");
    }
  ward_proc *p = ward_current ();
  const char *why = "no process asks";
  ward_decision d = WARD_DENY;
  if (p != NULL)
    {
      ward_proc *t = NULL;
      ward_err err;
      for (size_t i = 0; i < WARD_ACT_COUNT; i++)
        if (ward_actions[i].kind == WARD_ACT_PID && strcmp (ward_actions[i].name, action) == 0
            && resource[0] == '{')
          t = ward_resolve (resource, &err);
      ward_actor actor;
      ward_attrs attrs;
      ward_proc_gate_view (p, t, &actor, &attrs);
      char **names = t ? ward_proc_target_names (t, &attrs) : NULL;
      if (strncmp (action, "fs.", 3) == 0)
        d = query_fs (&actor, action, resource, &attrs, &why);
      else if (strncmp (action, "net.", 4) == 0)
        d = ward_net_query (&actor, action, resource, &attrs, &why);
      else
        d = ward_authorize_query (&actor, action, resource, &attrs, &why);
      free (names);
      if (t)
        ward_proc_unref (t);
    }
  lua_createtable (L, 0, 2);
  lua_pushstring (L, d == WARD_ALLOW ? "granted" : "denied");
  lua_setfield (L, -2, "state");
  lua_pushstring (L, why);
  lua_setfield (L, -2, "reason");
  return 1;
}

void
ward_io_push_permissions (lua_State *L)
{
  lua_createtable (L, 0, 1);
  lua_pushcfunction (L, ward_io_query);
  lua_setfield (L, -2, "query");
}
