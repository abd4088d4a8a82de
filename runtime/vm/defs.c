/* defs.c -- process definitions (vm.h): a definition id resolved to its
 * file under the root, the file compiled once and cached for the run
 * (recompiled when it changes), and definitions sent compiled to a
 * subprocess actor. Prefix ward_def_. */
#include "config.h"
#include "rt.h"
#include "vm.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <lauxlib.h>

int
ward_def_resolve (const char *id, char *path, size_t pathlen, ward_err *err)
{
  const char *colon = strchr (id, ':');
  size_t len = strlen (id);
  if (colon == NULL || strchr (colon + 1, ':') || len > 256)
    return ward_err_set (err, WARD_E_INVALID, 0,
                         "bad process id `%s`: expected namespace:name, e.g. app.workers:handler",
                         id);
  /* The name is one segment: `a:b.c` would name the file of `a.b:c`, and
   * a policy written for one spelling would not see the other. */
  if (strchr (colon + 1, '.'))
    return ward_err_set (err, WARD_E_INVALID, 0,
                         "bad process id `%s`: the name after `:` is one segment "
                         "(dots belong to the namespace)", id);
  char rel[512];
  size_t r = 0;
  int seglen = 0;
  for (const char *c = id; *c; c++)
    {
      if (*c == '.' || *c == ':')
        {
          if (seglen == 0 && !(c == id && *c == ':'))
            return ward_err_set (err, WARD_E_INVALID, 0,
                                 "bad process id `%s`: empty segment", id);
          if (c != id)
            rel[r++] = '/';
          seglen = 0;
          continue;
        }
      if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9')
            || *c == '_' || *c == '-'))
        return ward_err_set (err, WARD_E_INVALID, 0,
                             "bad process id `%s`: only letters, digits, _ and - in segments",
                             id);
      rel[r++] = *c;
      seglen++;
    }
  if (seglen == 0)
    return ward_err_set (err, WARD_E_INVALID, 0, "bad process id `%s`: empty name", id);
  rel[r] = '\0';
  /* "%s/%s.lua" of the root and rel, by hand: every spawn passes here */
  size_t rootlen = strlen (ward_cfg.root);
  if (rootlen + 1 + r + 4 >= pathlen)
    return ward_err_set (err, WARD_E_INVALID, 0, "process id `%s`: path too long", id);
  memcpy (path, ward_cfg.root, rootlen);
  path[rootlen] = '/';
  memcpy (path + rootlen + 1, rel, r);
  memcpy (path + rootlen + 1 + r, ".lua", 5);
  return 0;
}

/* Chunk names are shown relative to the root when they are under it. */
static const char *
display_path (const char *path)
{
  size_t n = strlen (ward_cfg.root);
  if (n > 1 && strncmp (path, ward_cfg.root, n) == 0 && path[n] == '/')
    return path + n + 1;
  return path;
}

typedef struct def_entry {
  struct def_entry *next;
  char *path;
  struct timespec mtime;
  off_t size;
  char *code;            /* lua_dump of the compiled chunk */
  size_t len;
} def_entry;

static pthread_mutex_t ward_defs_lock = PTHREAD_MUTEX_INITIALIZER;
static def_entry *ward_defs_compiled;

static int
dump_writer (lua_State *L, const void *p, size_t sz, void *ud)
{
  return wbuf_append (ud, p, sz, NULL) < 0;
}

/* Read path into out; errors name the file as shown (see def_shown). */
static int
read_file (const char *path, const char *shown, wbuf *out, ward_err *err)
{
  int fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return ward_err_set (err, errno == ENOENT ? WARD_E_NOT_FOUND : WARD_E_INVALID, errno,
                         "cannot open %s", shown);
  char buf[65536];
  ssize_t n;
  while ((n = read (fd, buf, sizeof buf)) > 0)
    if (wbuf_append (out, buf, n, err) < 0)
      {
        close (fd);
        return -1;
      }
  int e = errno;
  close (fd);
  if (n < 0)
    return ward_err_set (err, WARD_E_INVALID, e, "reading %s", shown);
  return 0;
}

/* Compile text under the name path into a new (uncached) entry. */
static def_entry *
compile_text (const char *path, const char *shown, const char *src, size_t len, ward_err *err)
{
  wbuf code;
  wbuf_init (&code, 0);
  def_entry *e = NULL;
  lua_State *L = luaL_newstate ();
  if (L == NULL)
    {
      ward_err_set (err, WARD_E_INTERNAL, ENOMEM, "compiling %s", shown);
      return NULL;
    }
  char chunkname[4200];
  snprintf (chunkname, sizeof chunkname, "@%s", display_path (path));
  if (luaL_loadbufferx (L, src, len, chunkname, "t") != LUA_OK)
    {
      ward_err_set (err, WARD_E_INVALID, 0, "%s", lua_tostring (L, -1));
      lua_close (L);
      goto out;
    }
  if (lua_dump (L, dump_writer, &code, 0) != 0)
    {
      ward_err_set (err, WARD_E_INTERNAL, ENOMEM, "compiling %s", shown);
      lua_close (L);
      goto out;
    }
  lua_close (L);
  e = calloc (1, sizeof *e);
  if (e == NULL || (e->path = strdup (path)) == NULL)
    {
      free (e);
      e = NULL;
      ward_err_set (err, WARD_E_INTERNAL, ENOMEM, "caching %s", shown);
      goto out;
    }
  e->code = (char *) wbuf_steal (&code, &e->len);
out:
  wbuf_free (&code);
  return e;
}

/* Compile path in a scratch state and cache its bytecode. Text only. */
static def_entry *
def_compile (const char *path, const char *shown, const struct stat *st, ward_err *err)
{
  wbuf src;
  wbuf_init (&src, WARD_DEF_SOURCE_MAX);
  def_entry *e = NULL;
  if (read_file (path, shown, &src, err) == 0
      && (e = compile_text (path, shown, (const char *) src.data, src.len, err)) != NULL)
    {
      e->mtime = st->st_mtim;
      e->size = st->st_size;
    }
  wbuf_free (&src);
  return e;
}

const ward_def *
ward_def_from_source (const char *name, const char *src, size_t len, ward_err *err)
{
  char shown[4200];
  snprintf (shown, sizeof shown, "`%s`", name);
  return (const ward_def *) compile_text (name, shown, src, len, err);
}

void
ward_def_code (const ward_def *d, const char **code, size_t *len)
{
  const def_entry *e = (const def_entry *) d;
  *code = e->code;
  *len = e->len;
}

const ward_def *
ward_def_from_code (const char *name, const char *code, size_t len, ward_err *err)
{
  def_entry *e = calloc (1, sizeof *e);
  if (e == NULL || (e->path = strdup (name)) == NULL || (e->code = malloc (len ? len : 1)) == NULL)
    {
      if (e)
        free (e->path);
      free (e);
      ward_err_set (err, WARD_E_INTERNAL, ENOMEM, "loading `%s`", name);
      return NULL;
    }
  memcpy (e->code, code, len);
  e->len = len;
  return (const ward_def *) e;
}

int
ward_def_source (const char *path, wbuf *out, ward_err *err)
{
  wbuf_init (out, WARD_DEF_SOURCE_MAX);
  char shown[4200];
  snprintf (shown, sizeof shown, "`%s`", path);
  if (read_file (path, shown, out, err) < 0)
    {
      wbuf_free (out);
      return -1;
    }
  return 0;
}

const char *
ward_def_display (const char *path)
{
  return display_path (path);
}

/* How the errors of ward_def_get name the definition at path, into buf
 * (n bytes): by its file (`/srv/app/tools/x.lua`) for a caller in the
 * runtime, by its id (`tools:x`, the inverse of ward_def_resolve) for the
 * stand-in of a subprocess actor -- a sandboxed caller learns nothing of
 * the host's files from an error. Returns 1 when it named it by id. */
static int
def_shown (const char *path, char *buf, size_t n)
{
  ward_proc *p = ward_current ();
  if (p == NULL || p->remote == NULL)
    {
      snprintf (buf, n, "`%s`", path);
      return 0;
    }
  const char *rel = display_path (path);
  while (*rel == '/')
    rel++;
  size_t len = strlen (rel);
  if (len > 4 && strcmp (rel + len - 4, ".lua") == 0)
    len -= 4;
  const char *last = memrchr (rel, '/', len);
  if (len + 4 > n)
    len = n - 4;
  size_t k = 0;
  buf[k++] = '`';
  if (last == NULL)
    buf[k++] = ':';
  for (size_t i = 0; i < len; i++)
    buf[k++] = rel + i == last ? ':' : rel[i] == '/' ? '.' : rel[i];
  buf[k++] = '`';
  buf[k] = '\0';
  return 1;
}

/* Find or (re)compile the cache entry of path (whose stat is st); called
 * with defs_lock held. shown (4200 bytes) is filled to compile. */
static def_entry *
def_lookup (const char *path, char *shown, const struct stat *stp, int fresh,
            ward_err *err)
{
  struct stat st = *stp;
  def_entry **pp = &ward_defs_compiled;
  for (; *pp; pp = &(*pp)->next)
    if (strcmp ((*pp)->path, path) == 0)
      break;
  def_entry *e = *pp;
  if (e && !fresh && e->size == st.st_size && e->mtime.tv_sec == st.st_mtim.tv_sec
      && e->mtime.tv_nsec == st.st_mtim.tv_nsec)
    return e;
  def_shown (path, shown, 4200);
  def_entry *ne = def_compile (path, shown, &st, err);
  if (ne == NULL)
    return NULL;
  if (e)
    {
      /* Keep the old entry's memory alive: another thread may be loading
       * it. Definitions change rarely; the cost is a small leak per edit. */
      ne->next = e->next;
      *pp = ne;
    }
  else
    {
      ne->next = ward_defs_compiled;
      ward_defs_compiled = ne;
    }
  return ne;
}

/* The stat is made outside the lock: spawns on every worker pass here.
 * (How the definition is shown is worked out only for an error or a
 * compile: a spawn of a cached definition does not pay for it.) */
const ward_def *
ward_def_get (const char *path, int fresh, ward_err *err)
{
  char shown[4200];
  struct stat st;
  if (stat (path, &st) < 0)
    {
      int e = errno;
      int by_id = def_shown (path, shown, sizeof shown);
      ward_err_set (err, e == ENOENT ? WARD_E_NOT_FOUND : WARD_E_INVALID, e,
                    "no process definition %s%s", by_id ? "" : "at ", shown);
      return NULL;
    }
  if (!S_ISREG (st.st_mode))
    {
      def_shown (path, shown, sizeof shown);
      ward_err_set (err, WARD_E_INVALID, 0, "%s is not a regular file", shown);
      return NULL;
    }
  ward_lock (&ward_defs_lock, WARD_LOCK_DEFS);
  def_entry *e = def_lookup (path, shown, &st, fresh, err);
  ward_unlock (&ward_defs_lock);
  return (const ward_def *) e;
}

int
ward_def_check (const char *path, ward_err *err)
{
  return ward_def_get (path, 0, err) ? 0 : -1;
}

int
ward_def_push (lua_State *L, const char *path, int fresh, ward_err *err)
{
  const ward_def *d = ward_def_get (path, fresh, err);
  return d ? ward_def_load (L, d, err) : -1;
}

/* Entries are never freed during a run, so a ward_def stays valid. */
int
ward_def_load (lua_State *L, const ward_def *d, ward_err *err)
{
  const def_entry *e = (const def_entry *) d;
  const char *path = e->path;
  char chunkname[4200];
  const char *shown = display_path (path);
  size_t n = strnlen (shown, sizeof chunkname - 2);
  chunkname[0] = '@';                   /* "@%s", cut to fit */
  memcpy (chunkname + 1, shown, n);
  chunkname[n + 1] = '\0';
  /* Binary here is our own dump of a text chunk, never a script's bytes. */
  if (luaL_loadbufferx (L, e->code, e->len, chunkname, "b") != LUA_OK)
    {
      ward_err_set (err, WARD_E_INTERNAL, 0, "loading `%s`: %s", path, lua_tostring (L, -1));
      lua_pop (L, 1);
      return -1;
    }
  return 0;
}
