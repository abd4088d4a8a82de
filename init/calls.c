/* calls.c -- the init script's system calls on files, mounts, host names,
 * ids and descriptors. Each checks its arguments, makes one call and raises
 * "CALL: strerror" when it fails. */
#include "config.h"
#include "init-int.h"
#include "wfd.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <lauxlib.h>

/* read and receive_with_fd return at most this many bytes at once */
#define WINIT_READ_MAX (1 << 20)
#define WINIT_GROUPS_MAX 65536

#define K(x) { #x, x }

static const winit_const mount_flags[] = {
  K (MS_RDONLY), K (MS_NOSUID), K (MS_NODEV), K (MS_NOEXEC),
  K (MS_SYNCHRONOUS), K (MS_REMOUNT), K (MS_MANDLOCK), K (MS_DIRSYNC),
  K (MS_NOSYMFOLLOW), K (MS_NOATIME), K (MS_NODIRATIME), K (MS_BIND),
  K (MS_MOVE), K (MS_REC), K (MS_SILENT), K (MS_UNBINDABLE), K (MS_PRIVATE),
  K (MS_SLAVE), K (MS_SHARED), K (MS_RELATIME), K (MS_STRICTATIME),
  K (MS_LAZYTIME), { NULL, 0 }
};

static const winit_const umount_flags[] = {
  K (MNT_FORCE), K (MNT_DETACH), K (MNT_EXPIRE), K (UMOUNT_NOFOLLOW), { NULL, 0 }
};

static const winit_const open_flags[] = {
  K (O_RDONLY), K (O_WRONLY), K (O_RDWR), K (O_CREAT), K (O_EXCL),
  K (O_NOCTTY), K (O_TRUNC), K (O_APPEND), K (O_NONBLOCK), K (O_DIRECTORY),
  K (O_NOFOLLOW), K (O_CLOEXEC), K (O_PATH), K (O_TMPFILE), K (O_SYNC),
  K (O_DSYNC), K (O_NOATIME), { NULL, 0 }
};

/* Return n, a call's result, to Lua; raise "CALL: strerror" when it is
 * negative (the call failed, errno says why). */
static int
push_result (lua_State *L, long long n, const char *call)
{
  if (n < 0)
    winit_raise_errno (L, errno, call);
  lua_pushinteger (L, n);
  return 1;
}

static int
fd_arg (lua_State *L, int idx, const char *call)
{
  return (int) winit_int_arg (L, idx, call, 0, INT_MAX, 0, 0);
}

/* mount(source, target, fstype, flags, data): source, fstype and data may
 * be nil. */
static int
l_mount (lua_State *L)
{
  const char *src = winit_str_arg (L, 1, "mount", 1);
  const char *target = winit_str_arg (L, 2, "mount", 0);
  const char *fstype = winit_str_arg (L, 3, "mount", 1);
  unsigned long flags = (unsigned long) winit_flags_arg (L, 4, "mount", mount_flags);
  const char *data = winit_str_arg (L, 5, "mount", 1);
  if (mount (src, target, fstype, flags, data) < 0)
    winit_raise_errno (L, errno, "mount");
  return 0;
}

static int
l_umount2 (lua_State *L)
{
  const char *target = winit_str_arg (L, 1, "umount2", 0);
  int flags = (int) winit_flags_arg (L, 2, "umount2", umount_flags);
  if (umount2 (target, flags) < 0)
    winit_raise_errno (L, errno, "umount2");
  return 0;
}

/* mkdir(path[, mode = 0755]) */
static int
l_mkdir (lua_State *L)
{
  const char *path = winit_str_arg (L, 1, "mkdir", 0);
  mode_t mode = (mode_t) winit_int_arg (L, 2, "mkdir", 0, 07777, 1, 0755);
  if (mkdir (path, mode) < 0)
    winit_raise_errno (L, errno, "mkdir");
  return 0;
}

/* open(path[, flags = O_RDONLY[, mode = 0644]]) -> fd. O_CLOEXEC is always
 * added: nothing the script opens should outlive an exec. */
static int
l_open (lua_State *L)
{
  const char *path = winit_str_arg (L, 1, "open", 0);
  int flags = (int) winit_flags_arg (L, 2, "open", open_flags);
  mode_t mode = (mode_t) winit_int_arg (L, 3, "open", 0, 07777, 1, 0644);
  int fd = open (path, flags | O_CLOEXEC, mode);
  return push_result (L, fd, "open");
}

/* read(fd, n) -> string of at most n bytes ("" at end of file) */
static int
l_read (lua_State *L)
{
  int fd = fd_arg (L, 1, "read");
  size_t n = (size_t) winit_int_arg (L, 2, "read", 0, WINIT_READ_MAX, 0, 0);
  luaL_Buffer b;
  char *p = luaL_buffinitsize (L, &b, n);
  ssize_t got;
  do
    got = read (fd, p, n);
  while (got < 0 && errno == EINTR);
  if (got < 0)
    winit_raise_errno (L, errno, "read");
  luaL_pushresultsize (&b, (size_t) got);
  return 1;
}

/* write(fd, s) -> bytes written. One write(2): /proc/self/uid_map and its
 * kin take their contents in a single write only. */
static int
l_write (lua_State *L)
{
  int fd = fd_arg (L, 1, "write");
  size_t len;
  const char *s = luaL_checklstring (L, 2, &len);
  ssize_t n;
  do
    n = write (fd, s, len);
  while (n < 0 && errno == EINTR);
  return push_result (L, n, "write");
}

static int
l_close (lua_State *L)
{
  int fd = fd_arg (L, 1, "close");
  /* Linux frees the fd even when close reports EINTR: never retry */
  if (close (fd) < 0 && errno != EINTR)
    winit_raise_errno (L, errno, "close");
  return 0;
}

/* setsid() -> the new session id */
static int
l_setsid (lua_State *L)
{
  pid_t sid = setsid ();
  return push_result (L, sid, "setsid");
}

/* setgroups{gid, ...}; an empty list drops every supplementary group */
static int
l_setgroups (lua_State *L)
{
  if (lua_type (L, 1) != LUA_TTABLE)
    winit_raise (L, WARD_E_INVALID, 0, "setgroups", "argument #1: table expected, got %s",
                 luaL_typename (L, 1));
  size_t n = (size_t) lua_rawlen (L, 1);
  if (n > WINIT_GROUPS_MAX)
    winit_raise (L, WARD_E_INVALID, 0, "setgroups", "too many groups (%zu)", n);
  gid_t *list = lua_newuserdatauv (L, (n ? n : 1) * sizeof *list, 0);
  for (size_t i = 0; i < n; i++)
    {
      lua_rawgeti (L, 1, (lua_Integer) i + 1);
      list[i] = (gid_t) winit_int_arg (L, -1, "setgroups", 0, 0xfffffffeLL, 0, 0);
      lua_pop (L, 1);
    }
  if (setgroups (n, list) < 0)
    winit_raise_errno (L, errno, "setgroups");
  return 0;
}

static int
l_set_no_new_privs (lua_State *L)
{
  if (prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
    winit_raise_errno (L, errno, "set_no_new_privs");
  return 0;
}

/* send_with_fd(sock, s[, fd]) -> bytes sent; fd travels as SCM_RIGHTS */
static int
l_send_with_fd (lua_State *L)
{
  int sock = fd_arg (L, 1, "send_with_fd");
  size_t len;
  const char *s = luaL_checklstring (L, 2, &len);
  int fd = lua_isnoneornil (L, 3) ? -1 : fd_arg (L, 3, "send_with_fd");
  struct iovec iov = { (void *) s, len };
  union { struct cmsghdr h; char buf[WFD_SPACE (1)]; } u;
  struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
  if (fd >= 0)
    wfd_attach (&m, u.buf, &fd, 1);
  ssize_t n;
  do
    n = sendmsg (sock, &m, MSG_NOSIGNAL);
  while (n < 0 && errno == EINTR);
  return push_result (L, n, "send_with_fd");
}

/* receive_with_fd(sock, maxlen) -> string, fd or nil. Descriptors past the
 * first of one message are closed. */
static int
l_receive_with_fd (lua_State *L)
{
  int sock = fd_arg (L, 1, "receive_with_fd");
  size_t max = (size_t) winit_int_arg (L, 2, "receive_with_fd", 1, WINIT_READ_MAX, 0, 0);
  luaL_Buffer b;
  char *p = luaL_buffinitsize (L, &b, max);
  struct iovec iov = { p, max };
  union { struct cmsghdr h; char buf[CMSG_SPACE (16 * sizeof (int))]; } u;
  struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
                      .msg_controllen = sizeof u.buf };
  ssize_t n;
  do
    n = recvmsg (sock, &m, MSG_CMSG_CLOEXEC);
  while (n < 0 && errno == EINTR);
  if (n < 0)
    winit_raise_errno (L, errno, "receive_with_fd");
  int fd = -1;
  wfd_take (&m, &fd, 1);
  luaL_pushresultsize (&b, (size_t) n);
  if (fd >= 0)
    lua_pushinteger (L, fd);
  else
    lua_pushnil (L);
  return 2;
}

/* ---- more of Emilua's init.script C table ---------------------------------
 * (https://docs.emilua.org/api/0.10/ref/init.script.html; emilua
 * src/linux_namespaces/sys_bindings.ipp). execve, fexecve, unshare and setns
 * are left out on purpose: an exec would run a program before the lockdown
 * (no capability drop, no seccomp filter), and the namespaces are the
 * profile's to choose, not the script's to leave or add to. */

/* umask(mask) -> the previous mask */
static int
l_umask (lua_State *L)
{
  mode_t mask = (mode_t) winit_int_arg (L, 1, "umask", 0, 0777, 0, 0);
  lua_pushinteger (L, (lua_Integer) umask (mask));
  return 1;
}

/* setpgid(pid, pgid); 0 for either means this process */
static int
l_setpgid (lua_State *L)
{
  pid_t pid = (pid_t) winit_int_arg (L, 1, "setpgid", 0, INT_MAX, 0, 0);
  pid_t pgid = (pid_t) winit_int_arg (L, 2, "setpgid", 0, INT_MAX, 0, 0);
  if (setpgid (pid, pgid) < 0)
    winit_raise_errno (L, errno, "setpgid");
  return 0;
}

/* dup2(oldfd, newfd) -> newfd, close-on-exec. newfd is a standard stream
 * (0, 1, 2) or a number no descriptor holds: the script may give the actor
 * its standard streams, never take the place of a descriptor the sandbox
 * holds (its channel to the runtime, init.arg). The lockdown closes all
 * but the standard streams and the sandbox's own. */
static int
l_dup2 (lua_State *L)
{
  int oldfd = fd_arg (L, 1, "dup2");
  int newfd = fd_arg (L, 2, "dup2");
  if (newfd > 2 && newfd != oldfd && fcntl (newfd, F_GETFD) >= 0)
    winit_raise (L, WARD_E_INVALID, 0, "dup2", "descriptor %d is open: only 0, 1, 2 or a "
                 "free number may be replaced", newfd);
  int fd;
  if (oldfd == newfd)
    fd = fcntl (oldfd, F_GETFD) < 0 ? -1 : newfd;
  else
    do
      fd = dup3 (oldfd, newfd, newfd > 2 ? O_CLOEXEC : 0);
    while (fd < 0 && errno == EINTR);
  return push_result (L, fd, "dup2");
}

/* mode(user, group, other) -> permission bits, e.g. mode(7, 5, 5) == 0755:
 * Lua has no octal literals. */
static int
l_mode (lua_State *L)
{
  long long u = winit_int_arg (L, 1, "mode", 0, 7, 0, 0);
  long long g = winit_int_arg (L, 2, "mode", 0, 7, 0, 0);
  long long o = winit_int_arg (L, 3, "mode", 0, 7, 0, 0);
  lua_pushinteger (L, (u << 6) | (g << 3) | o);
  return 1;
}

/* ---- calls of one shape, from a table -----------------------------------
 * Each is a Lua closure over its entry: it reads its arguments, makes the
 * call and raises "NAME: strerror" when the call returns -1. */

/* Exactly one of one, two and ids is set: a call on one or two strings
 * (none may be nil), or on three ids (setresuid(ruid, euid, suid) and its
 * gid twin: nil or -1 leaves an id as it is). */
typedef struct table_call {
  const char *name;
  int (*one) (const char *);
  int (*two) (const char *, const char *);
  int (*ids) (long long r, long long e, long long s);
} table_call;

/* umount(target): umount2(target, 0) */
static int
do_umount (const char *target)
{
  return umount2 (target, 0);
}

static int
do_sethostname (const char *name)
{
  return sethostname (name, strlen (name));
}

static int
do_setdomainname (const char *name)
{
  return setdomainname (name, strlen (name));
}

static int
do_pivot_root (const char *new_root, const char *put_old)
{
  return (int) syscall (SYS_pivot_root, new_root, put_old);
}

static int
do_setresuid (long long r, long long e, long long s)
{
  return setresuid ((uid_t) r, (uid_t) e, (uid_t) s);
}

static int
do_setresgid (long long r, long long e, long long s)
{
  return setresgid ((gid_t) r, (gid_t) e, (gid_t) s);
}

static const table_call table_calls[] = {
  { "chroot", chroot, NULL, NULL }, { "chdir", chdir, NULL, NULL },
  { "umount", do_umount, NULL, NULL }, { "sethostname", do_sethostname, NULL, NULL },
  { "setdomainname", do_setdomainname, NULL, NULL },
  { "pivot_root", NULL, do_pivot_root, NULL }, { "symlink", NULL, symlink, NULL },
  { "setresuid", NULL, NULL, do_setresuid }, { "setresgid", NULL, NULL, do_setresgid },
};

/* An id argument: an integer, or nil/-1 for "leave unchanged". */
static long long
id_arg (lua_State *L, int idx, const char *call)
{
  return winit_int_arg (L, idx, call, -1, 0xfffffffeLL, 1, -1);
}

static int
l_table_call (lua_State *L)
{
  const table_call *c = lua_touserdata (L, lua_upvalueindex (1));
  int r;
  if (c->ids)
    {
      long long ru = id_arg (L, 1, c->name), eu = id_arg (L, 2, c->name),
                su = id_arg (L, 3, c->name);
      r = c->ids (ru, eu, su);
    }
  else
    {
      const char *a = winit_str_arg (L, 1, c->name, 0);
      r = c->two ? c->two (a, winit_str_arg (L, 2, c->name, 0)) : c->one (a);
    }
  if (r < 0)
    winit_raise_errno (L, errno, c->name);
  return 0;
}

void
winit_open_calls (lua_State *L)
{
  static const luaL_Reg fns[] = {
    { "mount", l_mount }, { "umount2", l_umount2 }, { "mkdir", l_mkdir },
    { "open", l_open }, { "read", l_read }, { "write", l_write }, { "close", l_close },
    { "setsid", l_setsid }, { "setgroups", l_setgroups },
    { "set_no_new_privs", l_set_no_new_privs }, { "send_with_fd", l_send_with_fd },
    { "receive_with_fd", l_receive_with_fd }, { "mode", l_mode }, { "umask", l_umask },
    { "setpgid", l_setpgid }, { "dup2", l_dup2 }, { NULL, NULL }
  };
  luaL_setfuncs (L, fns, 0);
  for (size_t i = 0; i < sizeof table_calls / sizeof table_calls[0]; i++)
    {
      lua_pushlightuserdata (L, (void *) &table_calls[i]);
      lua_pushcclosure (L, l_table_call, 1);
      lua_setfield (L, -2, table_calls[i].name);
    }
  winit_set_consts (L, mount_flags);
  winit_set_consts (L, umount_flags);
  winit_set_consts (L, open_flags);
}
