/* lnet.c -- the `net` module (lnet.h): connect, listen, accept. */
#include "config.h"
#include "lnet.h"
#include "lfd.h"
#include "remote.h"
#include "rt.h"
#include "vm.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <lauxlib.h>

#define MAX_ADDRS 16            /* addresses of one name that are asked and tried */
#define CONNECT_TIMEOUT_MS 10000
#define SLICE_MS 20
#define RES_MAX 300             /* the resource "host:port" */

typedef struct naddr {
  struct sockaddr_storage sa;
  socklen_t len;
  int family;
  char text[INET6_ADDRSTRLEN];
} naddr;

typedef struct nopts {
  int udp;
  int64_t timeout_ms;
  int backlog;
} nopts;

static void
get_opts (lua_State *L, int idx, nopts *o)
{
  o->udp = 0;
  o->timeout_ms = CONNECT_TIMEOUT_MS;
  o->backlog = 64;
  if (lua_isnoneornil (L, idx))
    return;
  luaL_checktype (L, idx, LUA_TTABLE);
  if (lua_getfield (L, idx, "proto") != LUA_TNIL)
    {
      const char *p = luaL_checkstring (L, -1);
      if (strcmp (p, "udp") == 0)
        o->udp = 1;
      else if (strcmp (p, "tcp") != 0)
        luaL_argerror (L, idx, "proto: \"tcp\" or \"udp\"");
    }
  lua_pop (L, 1);
  if (lua_getfield (L, idx, "timeout") != LUA_TNIL)
    {
      ward_err err;
      int t = lua_gettop (L);
      if (ward_check_duration (L, t, &o->timeout_ms, &err) < 0)
        luaL_argerror (L, idx, err.msg);
    }
  lua_pop (L, 1);
  if (lua_getfield (L, idx, "backlog") != LUA_TNIL)
    {
      lua_Integer b = luaL_checkinteger (L, -1);
      luaL_argcheck (L, b >= 1 && b <= 4096, idx, "backlog: 1 to 4096");
      o->backlog = (int) b;
    }
  lua_pop (L, 1);
}

/* The resource of host (len bytes) and port, "host:port" ("[v6]:port"),
 * into res. Names are compared without case and a trailing dot names the
 * same host: the resource has neither, so that a rule on a name holds
 * whatever its spelling ("LocalHost", "localhost."). */
static void
resource_of (const char *host, size_t len, int port, char *res, size_t size)
{
  char canon[256];
  size_t n = len < sizeof canon ? len : sizeof canon - 1;
  if (n > 1 && host[n - 1] == '.')
    n--;
  for (size_t i = 0; i < n; i++)
    canon[i] = (host[i] >= 'A' && host[i] <= 'Z') ? (char) (host[i] - 'A' + 'a') : host[i];
  canon[n] = '\0';
  snprintf (res, size, strchr (canon, ':') ? "[%s]:%d" : "%s:%d", canon, port);
}

/* host (a name or an address literal) and port, checked; the resource
 * "host:port" ("[v6]:port") into res. */
static const char *
endpoint (lua_State *L, int *port, int port_min, char *res, size_t size)
{
  size_t len;
  const char *host = luaL_checklstring (L, 1, &len);
  lua_Integer p = luaL_checkinteger (L, 2);
  luaL_argcheck (L, len > 0 && len <= 253 && strlen (host) == len, 1,
                 "a host name or address of 1 to 253 bytes, without NUL");
  luaL_argcheck (L, p >= port_min && p <= 65535, 2, port_min ? "a port from 1 to 65535"
                 : "a port from 0 to 65535");
  *port = (int) p;
  resource_of (host, len, *port, res, size);
  return host;
}

/* The addresses of host (at most MAX_ADDRS), for a stream or datagram
 * socket. The count, or -1 with err. */
static int
resolve (const char *host, int port, const nopts *o, int passive, naddr *out, ward_err *err)
{
  struct addrinfo hints = { .ai_family = AF_UNSPEC,
                            .ai_socktype = o->udp ? SOCK_DGRAM : SOCK_STREAM,
                            .ai_flags = AI_NUMERICSERV | (passive ? AI_PASSIVE : 0) }, *ai;
  char ps[8];
  snprintf (ps, sizeof ps, "%d", port);
  int rc = getaddrinfo (host, ps, &hints, &ai);
  if (rc != 0)
    return ward_err_set (err, WARD_E_NOT_FOUND, 0, "%s does not resolve: %s", host,
                         gai_strerror (rc));
  int n = 0;
  for (struct addrinfo *a = ai; a && n < MAX_ADDRS; a = a->ai_next)
    {
      if ((a->ai_family != AF_INET && a->ai_family != AF_INET6)
          || a->ai_addrlen > sizeof out[n].sa)
        continue;
      memcpy (&out[n].sa, a->ai_addr, a->ai_addrlen);
      out[n].len = a->ai_addrlen;
      out[n].family = a->ai_family;
      struct sockaddr_in6 *s6 = (struct sockaddr_in6 *) &out[n].sa;
      if (a->ai_family == AF_INET6 && IN6_IS_ADDR_V4MAPPED (&s6->sin6_addr))
        {
          /* ::ffff:a.b.c.d reaches a.b.c.d: it is asked about (attr.address)
           * and used as that IPv4 address, so that a rule on the address
           * holds whatever the spelling */
          struct sockaddr_in s4 = { .sin_family = AF_INET, .sin_port = s6->sin6_port };
          memcpy (&s4.sin_addr, &s6->sin6_addr.s6_addr[12], 4);
          memset (&out[n].sa, 0, sizeof out[n].sa);
          memcpy (&out[n].sa, &s4, sizeof s4);
          out[n].len = sizeof s4;
          out[n].family = AF_INET;
        }
      const struct sockaddr *sa = (const struct sockaddr *) &out[n].sa;
      if (!passive && ((out[n].family == AF_INET
                        && ((const struct sockaddr_in *) sa)->sin_addr.s_addr == htonl (INADDR_ANY))
                       || (out[n].family == AF_INET6
                           && IN6_IS_ADDR_UNSPECIFIED (&((const struct sockaddr_in6 *) sa)->sin6_addr))))
        {
          /* the kernel takes a connection to 0.0.0.0 or :: as one to this
           * host: a rule on 127.** or ::1 would not see it */
          freeaddrinfo (ai);
          return ward_err_set (err, WARD_E_INVALID, 0, "%s is the unspecified address, "
                               "which names no endpoint to connect to", host);
        }
      const void *bin = out[n].family == AF_INET
                        ? (const void *) &((const struct sockaddr_in *) sa)->sin_addr
                        : (const void *) &((const struct sockaddr_in6 *) sa)->sin6_addr;
      if (inet_ntop (out[n].family, bin, out[n].text, sizeof out[n].text) == NULL)
        continue;
      n++;
    }
  freeaddrinfo (ai);
  if (n == 0)
    return ward_err_set (err, WARD_E_NOT_FOUND, 0, "%s has no IPv4 or IPv6 address", host);
  return n;
}

/* Whether the name of res may be looked up at all: only where some grant
 * could follow (a rule allows action on res whatever its address), so
 * that a script granted nothing cannot make the runtime's resolver carry
 * the names it makes up (a channel out through DNS). Otherwise the
 * request is asked as it stands, without an address, and so refused and
 * audited like any other. 0, or -1 with err. */
static int
may_resolve (const char *action, const char *res, ward_err *err)
{
  ward_proc *p = ward_current ();
  ward_actor actor;
  ward_attrs attrs;
  ward_proc_gate_view (p, NULL, &actor, &attrs);
  if (ward_authorize_possible (&actor, action, res) == WARD_ALLOW)
    return 0;
  const char *pair[2] = { action, res };
  return ward_proc_authorize (p, pair, 1, NULL, err);
}

/* Ask action on res for each address (attr.address); all are asked. 0,
 * or -1 with the first denial. */
static int
ask_all (const char *action, const char *res, const naddr *a, int n, ward_err *err)
{
  ward_proc *p = ward_current ();
  const char *pair[2] = { action, res };
  int denied = 0;
  for (int i = 0; i < n; i++)
    {
      ward_attrs extra = { .address = a[i].text };
      ward_err e;
      if (ward_proc_authorize_with (p, pair, 1, &extra, &e) < 0 && !denied++)
        {
          *err = e;
          size_t l = strlen (err->msg);
          snprintf (err->msg + l, sizeof err->msg - l, " (address %s)", a[i].text);
        }
    }
  return denied ? -1 : 0;
}

/* Wait until fd is ready for events, killable; 1 ready, 0 past the
 * deadline (ns; -1 = none), -1 with errno. */
static int
wait_ready (lua_State *L, int fd, short events, int64_t deadline)
{
  for (;;)
    {
      ward_sched_nudge ();
      int slice = SLICE_MS;
      if (deadline >= 0)
        {
          int64_t left = (deadline - ward_now_ns () + 999999) / 1000000;
          slice = left <= 0 ? 0 : left < slice ? (int) left : slice;
        }
      struct pollfd pf = { .fd = fd, .events = events };
      int r = poll (&pf, 1, slice);
      if (r > 0)
        return 1;
      if (r < 0 && errno != EINTR)
        return -1;
      ward_vm_check_killed (L);
      if (r == 0 && deadline >= 0 && ward_now_ns () >= deadline)
        return 0;
    }
}

/* A socket of ours for sandboxed work must not take a reserved number. */
static int
socket_for (int family, int type)
{
  int s = socket (family, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  ward_proc *p = ward_current ();
  if (s >= 0 && p && p->remote && ward_fd_reserved (s))
    {
      close (s);
      errno = EMFILE;
      return -1;
    }
  return s;
}

static int
fail (lua_State *L, const char *what, const char *res, ward_kind kind, const char *msg)
{
  return ward_push_error (L, kind, "net.%s '%s': %s", what, res, msg);
}

static ward_kind
errno_kind (int e)
{
  switch (e)
    {
    case ECONNREFUSED: case ETIMEDOUT: case EHOSTUNREACH: case ENETUNREACH: case EADDRINUSE:
    case EADDRNOTAVAIL: case EMFILE: case ENFILE:
      return WARD_E_UNAVAILABLE;
    case EACCES: case EPERM:
      return WARD_E_PERMISSION_DENIED;
    default:
      return ward_fd_errno_kind (e);
    }
}

/* What connect (listening 0) and listen (1) begin with: the endpoint and
 * options of the call (arguments 1..3) into res and o, its addresses into
 * a, each asked of the policy, and an empty descriptor pushed at 4 to hold
 * the socket they make. The count of addresses, or -1 with nil, err
 * pushed. */
static int
begin (lua_State *L, int listening, char res[RES_MAX], nopts *o, naddr a[MAX_ADDRS])
{
  const char *action = listening ? WARD_ACTION (NET_LISTEN) : WARD_ACTION (NET_CONNECT);
  int port;
  const char *host = endpoint (L, &port, !listening, res, RES_MAX);
  get_opts (L, 3, o);
  ward_err err;
  int n = may_resolve (action, res, &err) < 0 ? -1
          : resolve (host, port, o, listening, a, &err);
  if (n < 0 || ask_all (action, res, a, n, &err) < 0)
    {
      fail (L, listening ? "listen" : "connect", res, err.kind, err.msg);
      return -1;
    }
  lua_settop (L, 3);
  ward_fd_push (L, -1);
  return n;
}

/* net.connect(host, port [, {proto =, timeout =}]) -> descriptor, or nil, err */
static int
l_connect (lua_State *L)
{
  char res[RES_MAX];
  nopts o;
  naddr a[MAX_ADDRS];
  int n = begin (L, 0, res, &o, a);
  if (n < 0)
    return 2;
  int *u = ward_fd_test (L, -1);  /* holds the socket while it connects (killable) */
  int64_t deadline = ward_now_ns () + o.timeout_ms * 1000000LL;
  int last = ECONNREFUSED;
  for (int i = 0; i < n; i++)
    {
      *u = socket_for (a[i].family, o.udp ? SOCK_DGRAM : SOCK_STREAM);
      if (*u < 0)
        {
          last = errno;
          continue;
        }
      int rc = connect (*u, (struct sockaddr *) &a[i].sa, a[i].len);
      if (rc < 0 && errno == EINPROGRESS)
        {
          int w = wait_ready (L, *u, POLLOUT, deadline);
          int soerr = 0;
          socklen_t sl = sizeof soerr;
          if (w == 0)
            soerr = ETIMEDOUT;
          else if (w < 0 || getsockopt (*u, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0)
            soerr = errno;
          rc = soerr ? (errno = soerr, -1) : 0;
        }
      if (rc == 0)
        {
          int fl = fcntl (*u, F_GETFL);
          if (fl >= 0)
            (void) fcntl (*u, F_SETFL, fl & ~O_NONBLOCK);
          return 1;
        }
      last = errno;
      ward_fd_release (u);
      if (last == ETIMEDOUT)
        break;
    }
  return fail (L, "connect", res, errno_kind (last), strerror (last));
}

/* net.listen(host, port [, {proto =, backlog =}]) -> descriptor, port, or
 * nil, err (port 0: one the system chooses, given as the second value) */
static int
l_listen (lua_State *L)
{
  char res[RES_MAX];
  nopts o;
  naddr a[MAX_ADDRS];
  int n = begin (L, 1, res, &o, a);
  if (n < 0)
    return 2;
  int *u = ward_fd_test (L, -1);
  int last = EADDRNOTAVAIL;
  for (int i = 0; i < n; i++)
    {
      *u = socket_for (a[i].family, o.udp ? SOCK_DGRAM : SOCK_STREAM);
      if (*u < 0)
        {
          last = errno;
          continue;
        }
      int one = 1;
      (void) setsockopt (*u, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
      struct sockaddr_storage got;
      socklen_t gl = sizeof got;
      if (bind (*u, (struct sockaddr *) &a[i].sa, a[i].len) == 0
          && (o.udp || listen (*u, o.backlog) == 0)
          && getsockname (*u, (struct sockaddr *) &got, &gl) == 0)
        {
          lua_pushinteger (L, ntohs (got.ss_family == AF_INET
                                     ? ((struct sockaddr_in *) &got)->sin_port
                                     : ((struct sockaddr_in6 *) &got)->sin6_port));
          return 2;
        }
      last = errno;
      ward_fd_release (u);
    }
  return fail (L, "listen", res, errno_kind (last), strerror (last));
}

/* net.accept(listener [, timeout]) -> descriptor, "address:port", or nil,
 * err: the next connection on a listening descriptor */
static int
l_accept (lua_State *L)
{
  int *l = ward_fd_test (L, 1);
  luaL_argcheck (L, l != NULL, 1, "a descriptor (from net.listen)");
  int64_t deadline = -1;
  if (!lua_isnoneornil (L, 2))
    {
      int64_t ms;
      ward_err err;
      if (ward_check_duration (L, 2, &ms, &err) < 0)
        return luaL_argerror (L, 2, err.msg);
      deadline = ward_now_ns () + ms * 1000000LL;
    }
  if (*l < 0)
    return ward_push_error (L, WARD_E_INVALID, "net.accept: the descriptor is closed");
  lua_settop (L, 2);
  ward_fd_push (L, -1);
  int *u = ward_fd_test (L, -1);
  for (;;)
    {
      int w = wait_ready (L, *l, POLLIN, deadline);
      if (w == 0)
        return ward_push_error (L, WARD_E_UNAVAILABLE, "net.accept: no connection before "
                                "the timeout");
      struct sockaddr_storage ss;
      socklen_t sl = sizeof ss;
      *u = w < 0 ? -1 : accept4 (*l, (struct sockaddr *) &ss, &sl, SOCK_CLOEXEC);
      if (*u >= 0)
        {
          char text[INET6_ADDRSTRLEN] = "?";
          int port = 0;
          if (ss.ss_family == AF_INET)
            {
              inet_ntop (AF_INET, &((struct sockaddr_in *) &ss)->sin_addr, text, sizeof text);
              port = ntohs (((struct sockaddr_in *) &ss)->sin_port);
            }
          else if (ss.ss_family == AF_INET6)
            {
              inet_ntop (AF_INET6, &((struct sockaddr_in6 *) &ss)->sin6_addr, text, sizeof text);
              port = ntohs (((struct sockaddr_in6 *) &ss)->sin6_port);
            }
          lua_pushfstring (L, ss.ss_family == AF_INET6 ? "[%s]:%d" : "%s:%d", text, port);
          return 2;
        }
      if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR && errno != ECONNABORTED)
        return ward_push_error (L, ward_fd_errno_kind (errno), "net.accept: %s",
                                strerror (errno));
    }
}

static const luaL_Reg net_fns[] = {
  { "connect", l_connect }, { "listen", l_listen }, { "accept", l_accept }, { NULL, NULL } };

ward_decision
ward_net_query (const ward_actor *actor, const char *action, const char *res, ward_attrs *attrs,
                const char **why)
{
  const char *colon = strrchr (res, ':');
  size_t hl = colon ? (size_t) (colon - res) : 0;
  const char *h = res;
  if (hl >= 2 && res[0] == '[' && res[hl - 1] == ']')
    h++, hl -= 2;
  char *end;
  long port = colon ? strtol (colon + 1, &end, 10) : -1;
  if (colon == NULL || hl == 0 || hl > 253 || memchr (h, '\0', hl) || colon[1] < '0'
      || colon[1] > '9' || *end != '\0' || port < 0 || port > 65535)
    {
      *why = "not HOST:PORT";
      return WARD_DENY;
    }
  char host[256], canon[300];
  memcpy (host, h, hl);
  host[hl] = '\0';
  resource_of (host, hl, (int) port, canon, sizeof canon);
  if (ward_authorize_possible (actor, action, canon) != WARD_ALLOW)
    {
      *why = "no rule could allow it (the name is not looked up)";
      return WARD_DENY;
    }
  nopts o = { .udp = 0, .timeout_ms = CONNECT_TIMEOUT_MS, .backlog = 64 };
  naddr a[MAX_ADDRS];
  ward_err err;
  int passive = strcmp (action, WARD_ACTION (NET_LISTEN)) == 0;
  int n = resolve (host, (int) port, &o, passive, a, &err);
  if (n < 0)
    {
      *why = err.kind == WARD_E_INVALID ? "the unspecified address"
             : "the host does not resolve";
      return WARD_DENY;
    }
  ward_decision d = WARD_DENY;
  for (int i = 0; i < n; i++)
    {
      attrs->address = a[i].text;
      d = ward_authorize_query (actor, action, canon, attrs, why);
      attrs->address = NULL;
      if (d != WARD_ALLOW)
        break;
    }
  return d;
}

int
ward_luaopen_net (lua_State *L)
{
  luaL_newlib (L, net_fns);
  return 1;
}

static int
remote_net (lua_State *L)
{
  return ward_remote_call_fd (L, lua_tostring (L, lua_upvalueindex (1)));
}

int
ward_luaopen_net_remote (lua_State *L)
{
  luaL_newlib (L, net_fns);
  static const luaL_Reg remote[] = { { "connect", NULL }, { "listen", NULL }, { NULL, NULL } };
  ward_remote_proxies (L, "net", remote, remote_net);
  return 1;
}
