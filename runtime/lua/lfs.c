/* lfs.c -- the `fs` module (lfs.h): open, read_file, write_file, list,
 * stat, mkdir, remove, rename, each through core/fsgate.h. */
#include "config.h"
#include "lfs.h"
#include "lfd.h"
#include "fsgate.h"
#include "remote.h"
#include "vm.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <lauxlib.h>

#ifndef RENAME_NOREPLACE
# define RENAME_NOREPLACE 1
#endif
#define CHUNK 65536
#define RETRIES 3               /* a name that came or went between check and act */

/* The path argument at idx (a string; its bytes checked by the gate). */
static const char *
path_arg (lua_State *L, int idx, size_t *len)
{
  return luaL_checklstring (L, idx, len);
}

/* nil, err "fs.WHAT 'REQ': MSG" of kind */
static int
fail (lua_State *L, const char *what, const char *req, ward_kind kind, const char *msg)
{
  return ward_push_error (L, kind, "fs.%s '%.200s': %s", what, req, msg);
}

static int
fail_err (lua_State *L, const char *what, const char *req, const ward_err *err)
{
  return fail (L, what, req, err->kind, err->msg);
}

static int
fail_errno (lua_State *L, const char *what, const char *req, int e)
{
  return fail (L, what, req, ward_fsgate_kind (e), strerror (e));
}

/* ---- opening a file ---- */

typedef struct fmode {
  int rd, wr, append, trunc, create;
} fmode;

static int
parse_mode (const char *s, fmode *m)
{
  memset (m, 0, sizeof *m);
  switch (s[0])
    {
    case 'r': m->rd = 1; break;
    case 'w': m->wr = m->trunc = m->create = 1; break;
    case 'a': m->wr = m->append = m->create = 1; break;
    default: return -1;
    }
  s++;
  if (*s == '+')
    {
      m->rd = m->wr = 1;
      s++;
    }
  if (*s == 'b')
    s++;
  return *s == '\0' ? 0 : -1;
}

/* Open req (len bytes) as mode m for the current process: 0 with *fdp (a
 * regular file with one name), or -1 with err. */
static int
open_file (const char *req, size_t len, const fmode *m, int *fdp, ward_err *err)
{
  ward_proc *p = ward_current ();
  ward_fsgate_path r;
  for (int attempt = 0;; attempt++)
    {
      if (ward_fsgate_resolve (req, len, 1, &r, err) < 0)
        return -1;
      const char *acts[3];
      int n = 0;
      int creating = !r.exists && m->create;
      if (m->rd)
        acts[n++] = WARD_ACTION (FS_READ);
      if (creating)
        acts[n++] = WARD_ACTION (FS_CREATE);
      else if (m->wr)
        acts[n++] = WARD_ACTION (FS_WRITE);
      if (ward_fsgate_check (p, acts, n, &r, req, err) < 0)
        return -1;
      if (!r.exists && !creating)
        return ward_err_set (err, ward_fsgate_kind (r.err_no), r.err_no, "%s",
                             strerror (r.err_no));
      if (r.exists && !S_ISREG (r.st.st_mode))
        return ward_err_set (err, WARD_E_INVALID, 0, "%s is not a regular file", r.canon);
      int flags = (m->rd && m->wr ? O_RDWR : m->wr ? O_WRONLY : O_RDONLY)
                  | (m->append ? O_APPEND : 0) | O_NONBLOCK | O_NOCTTY
                  | (creating ? O_CREAT | O_EXCL : 0);
      int fd = ward_fsgate_open (r.canon, flags, 0666);
      if (fd < 0)
        {
          int e = errno;
          /* it came (creating) or went (not) since the check: judge again */
          if ((e == EEXIST || e == ENOENT) && attempt + 1 < RETRIES)
            continue;
          if (e == ELOOP)
            return ward_err_set (err, WARD_E_PERMISSION_DENIED, e, "%s changed into a "
                                 "symbolic link while it was opened", r.canon);
          return ward_err_set (err, ward_fsgate_kind (e), e, "%s", strerror (e));
        }
      struct stat st;
      const char *bad = NULL;
      ward_kind kind = WARD_E_INVALID;
      char why[160];
      if (fstat (fd, &st) < 0)
        bad = strerror (errno);
      else if (!S_ISREG (st.st_mode))
        bad = "not a regular file";
      else if (st.st_nlink > 1)
        {
          /* a grant on one name must not reach a file that a denied name
           * also reaches: ward opens only files with one name */
          snprintf (why, sizeof why, "it has %ju names (hard links); ward opens only "
                    "files with one", (uintmax_t) st.st_nlink);
          bad = why;
          kind = WARD_E_PERMISSION_DENIED;
        }
      if (bad == NULL && p->remote && ward_fd_reserved (fd))
        bad = "the runtime's descriptor table is full";
      if (bad == NULL && m->trunc && ftruncate (fd, 0) < 0)
        bad = strerror (errno);
      if (bad == NULL && fcntl (fd, F_SETFL, flags & O_APPEND) < 0)
        bad = strerror (errno);
      if (bad)
        {
          close (fd);
          return ward_err_set (err, kind, 0, "%s: %s", r.canon, bad);
        }
      *fdp = fd;
      return 0;
    }
}

/* fs.open(path [, mode]) -> descriptor, or nil, err. mode: "r" (the
 * default), "w", "a", "r+", "w+", "a+" (a "b" is allowed and means
 * nothing). */
static int
l_open (lua_State *L)
{
  size_t len;
  const char *req = path_arg (L, 1, &len);
  const char *ms = luaL_optstring (L, 2, "r");
  fmode m;
  if (parse_mode (ms, &m) < 0)
    return luaL_argerror (L, 2, "mode: one of \"r\", \"w\", \"a\", \"r+\", \"w+\", \"a+\"");
  lua_settop (L, 2);
  ward_fd_push (L, -1);         /* made before the open: a memory error leaks nothing */
  int *u = ward_fd_test (L, -1);
  ward_err err;
  if (open_file (req, len, &m, u, &err) < 0)
    return fail_err (L, "open", req, &err);
  return 1;
}

/* fs.read_file(path) -> its bytes, or nil, err */
static int
l_read_file (lua_State *L)
{
  size_t len;
  const char *req = path_arg (L, 1, &len);
  fmode m = { .rd = 1 };
  ward_err err;
  ward_fd_push (L, -1);         /* holds the descriptor: closed by the collector
                                   if a read raises */
  int *held = ward_fd_test (L, -1);
  if (open_file (req, len, &m, held, &err) < 0)
    return fail_err (L, "read_file", req, &err);
  int fd = *held;
  struct stat st;
  size_t hint = fstat (fd, &st) == 0 && st.st_size > 0 && st.st_size < (64 << 20)
                ? (size_t) st.st_size + 1 : CHUNK;
  luaL_Buffer b;
  luaL_buffinit (L, &b);
  for (;;)
    {
      char *dst = luaL_prepbuffsize (&b, hint);
      ssize_t r = read (fd, dst, hint);
      if (r < 0 && errno == EINTR)
        continue;
      if (r < 0)
        {
          int e = errno;
          ward_fd_release (held);
          return fail_errno (L, "read_file", req, e);
        }
      if (r == 0)
        break;
      luaL_addsize (&b, (size_t) r);
      hint = CHUNK;
      ward_vm_check_killed (L);
    }
  ward_fd_release (held);
  luaL_pushresult (&b);
  return 1;
}

/* fs.write_file(path, data [, "a"]) -> true, or nil, err: the file is
 * replaced (or, with "a", appended to); made when it does not exist. */
static int
l_write_file (lua_State *L)
{
  size_t len, dlen;
  const char *req = path_arg (L, 1, &len);
  const char *data = luaL_checklstring (L, 2, &dlen);
  const char *ms = luaL_optstring (L, 3, "w");
  fmode m;
  if ((ms[0] != 'w' && ms[0] != 'a') || ms[1] != '\0' || parse_mode (ms, &m) < 0)
    return luaL_argerror (L, 3, "mode: \"w\" or \"a\"");
  ward_err err;
  int fd;
  if (open_file (req, len, &m, &fd, &err) < 0)
    return fail_err (L, "write_file", req, &err);
  size_t off = 0;
  while (off < dlen)
    {
      ssize_t w = write (fd, data + off, dlen - off);
      if (w < 0 && errno == EINTR)
        continue;
      if (w < 0)
        {
          int e = errno;
          close (fd);
          return fail_errno (L, "write_file", req, e);
        }
      off += (size_t) w;
    }
  if (close (fd) < 0 && errno != EINTR)
    return fail_errno (L, "write_file", req, errno);
  lua_pushboolean (L, 1);
  return 1;
}

/* ---- directories and names ---- */

/* Resolve req and ask `action` on it: 0 with *r, or -1 with err. */
static int
resolve_check (const char *req, size_t len, int follow, const char *action,
               ward_fsgate_path *r, ward_err *err)
{
  if (ward_fsgate_resolve (req, len, follow, r, err) < 0)
    return -1;
  return ward_fsgate_check (ward_current (), &action, 1, r, req, err);
}

/* pcall'd: the names of the directory (light userdata at 1) into a new
 * table, so that a memory error cannot leak the DIR. */
static int
list_body (lua_State *L)
{
  DIR *d = lua_touserdata (L, 1);
  lua_newtable (L);
  lua_Integer i = 0;
  struct dirent *e;
  errno = 0;
  while ((e = readdir (d)) != NULL)
    {
      if (strcmp (e->d_name, ".") == 0 || strcmp (e->d_name, "..") == 0)
        continue;
      lua_pushstring (L, e->d_name);
      lua_rawseti (L, -2, ++i);
      if ((i & 1023) == 0)
        ward_vm_check_killed (L);
      errno = 0;
    }
  if (errno != 0)
    {
      lua_pushinteger (L, errno);
      return 2;
    }
  return 1;
}

/* fs.list(path) -> { name, ... } (in no particular order, without "."
 * and ".."), or nil, err */
static int
l_list (lua_State *L)
{
  size_t len;
  const char *req = path_arg (L, 1, &len);
  ward_fsgate_path r;
  ward_err err;
  if (resolve_check (req, len, 1, WARD_ACTION (FS_LIST), &r, &err) < 0)
    return fail_err (L, "list", req, &err);
  if (!r.exists)
    return fail_errno (L, "list", req, r.err_no);
  int fd = ward_fsgate_open (r.canon, O_RDONLY | O_DIRECTORY, 0);
  if (fd < 0)
    return fail_errno (L, "list", req, errno);
  DIR *d = fdopendir (fd);
  if (d == NULL)
    {
      int e = errno;
      close (fd);
      return fail_errno (L, "list", req, e);
    }
  lua_settop (L, 1);
  lua_pushcfunction (L, list_body);
  lua_pushlightuserdata (L, d);
  int st = lua_pcall (L, 1, 2, 0);
  closedir (d);
  if (st != LUA_OK)
    return lua_error (L);
  if (!lua_isnil (L, -1))
    return fail_errno (L, "list", req, (int) lua_tointeger (L, -1));
  lua_pop (L, 1);
  return 1;
}

static const char *
type_name (mode_t m)
{
  return S_ISREG (m) ? "file" : S_ISDIR (m) ? "directory" : S_ISLNK (m) ? "link"
         : S_ISFIFO (m) ? "fifo" : S_ISSOCK (m) ? "socket" : S_ISCHR (m) ? "char"
         : S_ISBLK (m) ? "block" : "other";
}

/* fs.stat(path) -> { type, size, mode, mtime, nlink, path }, or nil, err.
 * Asks fs.read on the canonical path (given as `path`). */
static int
l_stat (lua_State *L)
{
  size_t len;
  const char *req = path_arg (L, 1, &len);
  ward_fsgate_path r;
  ward_err err;
  if (resolve_check (req, len, 1, WARD_ACTION (FS_READ), &r, &err) < 0)
    return fail_err (L, "stat", req, &err);
  if (!r.exists)
    return fail_errno (L, "stat", req, r.err_no);
  /* stat what the canonical path names now, reached through no link */
  int fd = ward_fsgate_open (r.canon, O_PATH, 0);
  struct stat st;
  if (fd < 0 || fstat (fd, &st) < 0)
    {
      int e = errno;
      if (fd >= 0)
        close (fd);
      return fail_errno (L, "stat", req, e);
    }
  close (fd);
  if (S_ISREG (st.st_mode) && st.st_nlink > 1)
    /* its size and times are a denied name's too (open_file) */
    return fail (L, "stat", req, WARD_E_PERMISSION_DENIED, "it has more than one name (hard "
                 "links); ward reaches only files with one");
  lua_createtable (L, 0, 6);
  lua_pushstring (L, type_name (st.st_mode));
  lua_setfield (L, -2, "type");
  lua_pushinteger (L, (lua_Integer) st.st_size);
  lua_setfield (L, -2, "size");
  lua_pushinteger (L, (lua_Integer) (st.st_mode & 07777));
  lua_setfield (L, -2, "mode");
  lua_pushinteger (L, (lua_Integer) st.st_mtime);
  lua_setfield (L, -2, "mtime");
  lua_pushinteger (L, (lua_Integer) st.st_nlink);
  lua_setfield (L, -2, "nlink");
  lua_pushstring (L, r.canon);
  lua_setfield (L, -2, "path");
  return 1;
}

/* fs.mkdir(path) -> true, or nil, err (fs.create on the new directory) */
static int
l_mkdir (lua_State *L)
{
  size_t len;
  const char *req = path_arg (L, 1, &len);
  ward_fsgate_path r;
  ward_err err;
  if (resolve_check (req, len, 0, WARD_ACTION (FS_CREATE), &r, &err) < 0)
    return fail_err (L, "mkdir", req, &err);
  if (r.exists)
    return fail_errno (L, "mkdir", req, EEXIST);
  const char *base;
  int dfd = ward_fsgate_open_parent (r.canon, &base);
  if (dfd < 0)
    return fail_errno (L, "mkdir", req, errno);
  int rc = mkdirat (dfd, base, 0777);
  int e = errno;
  close (dfd);
  if (rc < 0)
    return fail_errno (L, "mkdir", req, e);
  lua_pushboolean (L, 1);
  return 1;
}

/* fs.remove(path) -> true, or nil, err: a file, a link (not its target)
 * or an empty directory (fs.remove on it) */
static int
l_remove (lua_State *L)
{
  size_t len;
  const char *req = path_arg (L, 1, &len);
  ward_fsgate_path r;
  ward_err err;
  if (resolve_check (req, len, 0, WARD_ACTION (FS_REMOVE), &r, &err) < 0)
    return fail_err (L, "remove", req, &err);
  if (!r.exists)
    return fail_errno (L, "remove", req, r.err_no);
  const char *base;
  int dfd = ward_fsgate_open_parent (r.canon, &base);
  if (dfd < 0)
    return fail_errno (L, "remove", req, errno);
  int rc = unlinkat (dfd, base, 0);
  if (rc < 0 && (errno == EISDIR || errno == EPERM))
    rc = unlinkat (dfd, base, AT_REMOVEDIR);
  int e = errno;
  close (dfd);
  if (rc < 0)
    return fail_errno (L, "remove", req, e);
  lua_pushboolean (L, 1);
  return 1;
}

#define TREE_DEPTH 64            /* directories below one renamed */
#define TREE_NAMES 100000        /* names below one renamed that are asked */

/* Ask fs.remove on every name below the directory dfd (whose canonical
 * path is in path, plen bytes long): renaming a directory removes them all
 * from where they were, so a rule on a name below it must hold. Fails
 * closed: a directory that cannot be read, too deep or too many names
 * deny. 0, or -1 with err (dfd is closed either way). */
static int
ask_tree (ward_proc *p, int dfd, char *path, size_t plen, int depth, long *budget,
          const char *req, ward_err *err)
{
  DIR *d = fdopendir (dfd);
  if (d == NULL)
    {
      int e = errno;
      close (dfd);
      return ward_err_set (err, ward_fsgate_kind (e), e, "a directory below it cannot be "
                           "read to ask about its names: %s", strerror (e));
    }
  const char *act = WARD_ACTION (FS_REMOVE);
  int rc = 0;
  struct dirent *e;
  errno = 0;
  while (rc == 0 && (e = readdir (d)) != NULL)
    {
      if (strcmp (e->d_name, ".") == 0 || strcmp (e->d_name, "..") == 0)
        continue;
      size_t n = strlen (e->d_name);
      if (--*budget < 0 || depth >= TREE_DEPTH || plen + 1 + n >= PATH_MAX)
        {
          rc = ward_err_set (err, WARD_E_UNAVAILABLE, 0, "it holds more than %d names or "
                             "%d levels of directories to ask about", TREE_NAMES, TREE_DEPTH);
          break;
        }
      path[plen] = '/';
      memcpy (path + plen + 1, e->d_name, n + 1);
      const char *pair[2] = { act, path };
      ward_attrs extra = { .path = req };
      if (ward_proc_authorize_with (p, pair, 1, &extra, err) < 0)
        {
          /* the caller is told the directory it named, not what is in it */
          ward_kind k = err->kind;
          rc = ward_err_set (err, k, 0, "fs.remove is %s on a name below it (renaming the "
                             "directory would move that name)", k == WARD_E_PERMISSION_DENIED
                             ? "denied" : "not decided");
          break;
        }
      struct stat st;
      if (e->d_type == DT_DIR || (e->d_type == DT_UNKNOWN
                                  && fstatat (dirfd (d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0
                                  && S_ISDIR (st.st_mode)))
        {
          int sub = openat (dirfd (d), e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW
                            | O_CLOEXEC);
          if (sub < 0)
            {
              int en = errno;
              rc = ward_err_set (err, ward_fsgate_kind (en), en, "a directory below it cannot "
                                 "be opened to ask about its names: %s", strerror (en));
              break;
            }
          rc = ask_tree (p, sub, path, plen + 1 + n, depth + 1, budget, req, err);
        }
      path[plen] = '\0';
      errno = 0;
    }
  if (rc == 0 && errno != 0)
    rc = ward_err_set (err, ward_fsgate_kind (errno), errno, "a directory below it cannot "
                       "be read to ask about its names: %s", strerror (errno));
  path[plen] = '\0';
  closedir (d);
  return rc;
}

/* fs.rename(from, to) -> true, or nil, err: fs.remove on from, and
 * fs.create on to (fs.write as well when to exists: it is replaced). A
 * `to` that did not exist when asked is never replaced. */
static int
l_rename (lua_State *L)
{
  size_t flen, tlen;
  const char *from = path_arg (L, 1, &flen);
  const char *to = path_arg (L, 2, &tlen);
  ward_fsgate_path a, b;
  ward_err err, err2;
  ward_proc *p = ward_current ();
  if (ward_fsgate_resolve (from, flen, 0, &a, &err) < 0)
    return fail_err (L, "rename", from, &err);
  if (ward_fsgate_resolve (to, tlen, 0, &b, &err) < 0)
    return fail_err (L, "rename", to, &err);
  const char *ra = WARD_ACTION (FS_REMOVE);
  const char *rb[2] = { WARD_ACTION (FS_CREATE), WARD_ACTION (FS_WRITE) };
  int c1 = ward_fsgate_check (p, &ra, 1, &a, from, &err);
  int c2 = ward_fsgate_check (p, rb, b.exists ? 2 : 1, &b, to, &err2);
  if (c1 < 0)
    return fail_err (L, "rename", from, &err);
  if (c2 < 0)
    return fail_err (L, "rename", to, &err2);
  if (!a.exists)
    return fail_errno (L, "rename", from, a.err_no);
  if (S_ISDIR (a.st.st_mode))
    {
      int dfd = ward_fsgate_open (a.canon, O_RDONLY | O_DIRECTORY, 0);
      if (dfd < 0)
        return fail_errno (L, "rename", from, errno);
      char path[PATH_MAX];
      long budget = TREE_NAMES;
      snprintf (path, sizeof path, "%s", a.canon);
      size_t plen = strlen (path) == 1 ? 0 : strlen (path);     /* "/" */
      if (ask_tree (p, dfd, path, plen, 0, &budget, from, &err) < 0)
        return fail_err (L, "rename", from, &err);
    }
  const char *ba, *bb;
  int da = ward_fsgate_open_parent (a.canon, &ba);
  if (da < 0)
    return fail_errno (L, "rename", from, errno);
  int db = ward_fsgate_open_parent (b.canon, &bb);
  if (db < 0)
    {
      int e = errno;
      close (da);
      return fail_errno (L, "rename", to, e);
    }
  int rc = (int) syscall (SYS_renameat2, da, ba, db, bb, b.exists ? 0 : RENAME_NOREPLACE);
  int e = errno;
  close (da);
  close (db);
  if (rc < 0)
    return fail_errno (L, "rename", from, e);
  lua_pushboolean (L, 1);
  return 1;
}

static const luaL_Reg fs_fns[] = {
  { "open", l_open }, { "read_file", l_read_file }, { "write_file", l_write_file },
  { "list", l_list }, { "stat", l_stat }, { "mkdir", l_mkdir }, { "remove", l_remove },
  { "rename", l_rename }, { NULL, NULL } };

int
ward_luaopen_fs (lua_State *L)
{
  luaL_newlib (L, fs_fns);
  return 1;
}

/* ---- in a subprocess actor ---- */

static int
remote_fs (lua_State *L)
{
  const char *op = lua_tostring (L, lua_upvalueindex (1));
  if (strcmp (op, "fs.open") == 0)
    return ward_remote_call_fd (L, op);
  return ward_remote_call (L, op);
}

int
ward_luaopen_fs_remote (lua_State *L)
{
  lua_createtable (L, 0, sizeof fs_fns / sizeof fs_fns[0] - 1);
  ward_remote_proxies (L, "fs", fs_fns, remote_fs);
  return 1;
}
