/* test-init.c -- the init-script environment (init/include/init.h): the restricted
 * state, its limits, error messages, each call, and the empty root. Every
 * script runs in a forked child, which reports back over a pipe. */
#include "config.h"
#include "init.h"
#include "tap.h"
#include "testutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <linux/capability.h>
#include <linux/magic.h>
#include <linux/securebits.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <lua.h>
#include <lauxlib.h>

#ifndef WARD_TOP_SRCDIR
#define WARD_TOP_SRCDIR "."
#endif

/* What a child reports. */
typedef struct res {
  int rc, kind, errnum;
  int skip;                     /* the kernel refused a namespace */
  long long v[6];               /* checks the child made after the script */
  char msg[WARD_ERR_MSG_MAX];
  char note[256];
} res;

typedef struct job {
  const char *script;
  const char *name;
  int arg;
  int ns;                       /* CLONE_* flags besides CLONE_NEWUSER; -1 = none */
  size_t len;                   /* 0 = strlen (script) */
} job;

typedef void (*child_fn) (res *r, job *j);

static char *empty_root;        /* init/empty-root.lua */

static void
write_all (int fd, const void *p, size_t n)
{
  const char *c = p;
  while (n > 0)
    {
      ssize_t w = write (fd, c, n);
      if (w <= 0)
        return;
      c += w;
      n -= (size_t) w;
    }
}

/* Run fn in a forked child; returns its wait status. r->rc is -99 when the
 * child died before reporting. */
static int
in_child (child_fn fn, job *j, res *r)
{
  int p[2];
  pid_t pid = tu_fork_piped (p, 0);
  if (pid == 0)
    {
      res mine;
      memset (&mine, 0, sizeof mine);
      fn (&mine, j);
      write_all (p[1], &mine, sizeof mine);
      _exit (0);
    }
  memset (r, 0, sizeof *r);
  r->rc = -99;
  size_t got = 0;
  while (got < sizeof *r)
    {
      ssize_t n = read (p[0], (char *) r + got, sizeof *r - got);
      if (n <= 0)
        break;
      got += (size_t) n;
    }
  if (got < sizeof *r)
    r->rc = -99;
  close (p[0]);
  int st = 0;
  waitpid (pid, &st, 0);
  return st;
}

static void
run (res *r, job *j, scmp_filter_ctx f)
{
  ward_err e = { 0 };
  size_t len = j->len ? j->len : strlen (j->script);
  r->rc = winit_run (j->script, len, j->name ? j->name : "t.lua", j->arg, f, &e);
  r->kind = e.kind;
  r->errnum = e.errnum;
  snprintf (r->msg, sizeof r->msg, "%s", e.msg);
}

/* A user namespace (root inside maps to our uid) plus flags; the mounts
 * made private when CLONE_NEWNS is among them. -1 with r->skip set when the
 * kernel refuses the namespaces. */
static int
ns_enter (res *r, int flags)
{
  uid_t uid = getuid ();
  gid_t gid = getgid ();
  if (unshare (CLONE_NEWUSER | flags) < 0)
    {
      int e = errno;
      r->skip = e == EPERM || e == EINVAL || e == ENOSPC || e == EUSERS || e == EACCES;
      snprintf (r->note, sizeof r->note, "unshare: %s", strerror (e));
      r->rc = -98;
      return -1;
    }
  if (tu_map_root ((unsigned) uid, (unsigned) gid) < 0)
    goto fail;
  if ((flags & CLONE_NEWNS) && mount (NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
    goto fail;
  return 0;
fail:
  snprintf (r->note, sizeof r->note, "namespace setup: %s", strerror (errno));
  r->rc = -98;
  return -1;
}

/* msg: NULL = any, "~text" = contains text, else the exact message. */
static void
expect (const char *what, const res *r, int rc, ward_kind kind, int errnum, const char *msg)
{
  int good = r->rc == rc;
  if (good && rc != 0)
    good = r->kind == (int) kind && r->errnum == errnum;
  if (good && msg != NULL)
    good = msg[0] == '~' ? strstr (r->msg, msg + 1) != NULL : strcmp (r->msg, msg) == 0;
  if (!ok (good, "%s", what))
    printf ("#   rc %d kind %s errnum %d msg \"%s\" %s\n", r->rc,
            ward_kind_name ((ward_kind) r->kind), r->errnum, r->msg, r->note);
}

static void
child_plain (res *r, job *j)
{
  run (r, j, NULL);
}

static void
check (const char *what, const char *script, int arg, int rc, ward_kind kind,
       int errnum, const char *msg)
{
  job j = { .script = script, .arg = arg };
  res r;
  in_child (child_plain, &j, &r);
  expect (what, &r, rc, kind, errnum, msg);
}

/* ---- the state, its limits, its errors ---------------------------------- */

static double
now (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

static char dumped[4096];
static size_t dumped_len;

static int
dump_writer (lua_State *L, const void *p, size_t n, void *ud)
{
  (void) L;
  (void) ud;
  if (n > sizeof dumped - dumped_len)
    return 1;
  memcpy (dumped + dumped_len, p, n);
  dumped_len += n;
  return 0;
}

static void
test_state (void)
{
  check ("init.arg, arg and C are there", "assert(init.arg == 7 and arg == 7 and C == init)",
         7, 0, 0, 0, NULL);
  check ("init.arg is nil without an fd", "assert(init.arg == nil and arg == nil)",
         -1, 0, 0, 0, NULL);
  check ("a failing call names script, line, call and strerror",
         "-- a comment\n\ninit.chdir('/nonexistent/ward-test')\n", -1, -1,
         WARD_E_INTERNAL, ENOENT, "t.lua:3: chdir: No such file or directory");
  check ("a call error caught and re-raised keeps its errno",
         "local ok, e = pcall(init.chdir, '/nonexistent')\nassert(not ok)\nerror(e, 0)",
         -1, -1, WARD_E_INTERNAL, ENOENT, "t.lua:1: chdir: No such file or directory");
  check ("a caught call error lets the script go on",
         "local ok = pcall(init.close, 9999)\nassert(not ok)", -1, 0, 0, 0, NULL);
  check ("a syntax error is INVALID with Lua's message", "\ninit.chdir(", -1, -1,
         WARD_E_INVALID, 0, "~t.lua:2:");
  check ("the script's own error() is INVALID", "\nerror('boom')", -1, -1,
         WARD_E_INVALID, 0, "t.lua:2: boom");
  check ("a wrong type is INVALID", "init.chdir({})", -1, -1, WARD_E_INVALID, 0,
         "t.lua:1: chdir: argument #1: string expected, got table");
  check ("a non-integer mode is INVALID", "init.mkdir('/x', 'abc')", -1, -1,
         WARD_E_INVALID, 0, "t.lua:1: mkdir: argument #2: integer expected, got string");
  check ("a NUL byte in a path is refused", "init.chdir('/tmp\\0/etc')", -1, -1,
         WARD_E_INVALID, 0, "t.lua:1: chdir: argument #1 contains a NUL byte");
  check ("an unknown flag name is refused", "init.open('/dev/null', 'O_RDONLY|O_BOGUS')",
         -1, -1, WARD_E_INVALID, 0, "t.lua:1: open: unknown flag 'O_BOGUS'");
  check ("a flag of another call is refused", "init.umount2('/x', 'MS_BIND')", -1, -1,
         WARD_E_INVALID, 0, "t.lua:1: umount2: unknown flag 'MS_BIND'");
  check ("read refuses a huge count", "init.read(0, 1 << 30)", -1, -1, WARD_E_INVALID, 0,
         "~out of range");
  check ("mkdir on an existing path fails with EEXIST", "init.mkdir('/')", -1, -1,
         WARD_E_INTERNAL, EEXIST, "t.lua:1: mkdir: File exists");
  check ("close of a bad fd fails with EBADF", "\n\n\n\ninit.close(12345)", -1, -1,
         WARD_E_INTERNAL, EBADF, "t.lua:5: close: Bad file descriptor");
  check ("open/write/read/close with string and integer flags",
         "local fd = init.open('/dev/null', 'O_WRONLY')\n"
         "assert(init.write(fd, 'abc') == 3)\ninit.close(fd)\n"
         "fd = init.open('/dev/zero', init.O_RDONLY)\n"
         "assert(init.read(fd, 4) == '\\0\\0\\0\\0')\ninit.close(fd)", -1, 0, 0, 0, NULL);
  check ("mode() builds permission bits",
         "assert(init.mode(7, 5, 5) == 493 and mode(6, 4, 0) == 416)", -1, 0, 0, 0, NULL);

  /* a binary chunk made by the host's Lua */
  lua_State *L = luaL_newstate ();
  luaL_loadstring (L, "return 1");
  lua_dump (L, dump_writer, NULL, 0);
  lua_close (L);
  job j = { .script = dumped, .len = dumped_len, .arg = -1 };
  res r;
  in_child (child_plain, &j, &r);
  expect ("a binary chunk is refused", &r, -1, WARD_E_INVALID, 0, "~binary chunks are refused");
  ok (dumped_len > 4 && dumped[0] == '\x1b', "the binary chunk was made (%zu bytes)", dumped_len);
}

static void
test_limits (void)
{
  double t0 = now ();
  check ("an endless loop is stopped", "local n = 0\nwhile true do n = n + 1 end", -1, -1,
         WARD_E_UNAVAILABLE, 0, "~t.lua:2: instruction budget exhausted");
  double t1 = now ();
  printf ("# endless loop stopped after %.3f s\n", t1 - t0);
  check ("an endless loop inside pcall is stopped",
         "while true do pcall(function() while true do end end) end", -1, -1,
         WARD_E_UNAVAILABLE, 0, "~instruction budget exhausted");
  check ("endless recursion ends", "local function f() return 1 + f() end\nf()", -1, -1,
         WARD_E_UNAVAILABLE, ENOMEM, "~not enough memory");
  check ("one huge string hits the memory cap", "local s = string.rep('x', 1 << 30)",
         -1, -1, WARD_E_UNAVAILABLE, ENOMEM, "~not enough memory");
  check ("a growing table hits the memory cap",
         "local t = {}\nfor i = 1, 1e9 do t[i] = tostring(i) .. 'xxxxxxxxxxxx' end",
         -1, -1, WARD_E_UNAVAILABLE, ENOMEM, "~not enough memory");
  check ("a memory bomb under pcall still ends",
         "local t = {}\nwhile true do pcall(function() t[#t + 1] = string.rep('y', 4096) end) end",
         -1, -1, WARD_E_UNAVAILABLE, ENOMEM, "~t.lua:2: not enough memory");

  static const char *const absent[] = {
    "io", "os", "require", "dofile", "loadfile", "load", "debug", "package",
    "collectgarbage", "setmetatable", "getmetatable", "xpcall", "print", "coroutine",
    "string.dump", "string.find", "string.gsub", "('').match", "table.move", NULL
  };
  for (const char *const *n = absent; *n != NULL; n++)
    {
      char script[128], what[128];
      snprintf (script, sizeof script, "assert(%s == nil, [[%s is there]])", *n, *n);
      snprintf (what, sizeof what, "%s is absent", *n);
      check (what, script, -1, 0, 0, 0, NULL);
    }
  check ("the safe base is there",
         "assert(pcall and error and type and tostring and tonumber and ipairs and pairs"
         " and select and assert and string.format and string.rep and ('x'):upper() == 'X'"
         " and table.concat and math.max)", -1, 0, 0, 0, NULL);
}

/* ---- seccomp ------------------------------------------------------------ */

static void
child_seccomp_allow (res *r, job *j)
{
  /* a profile-like filter: all but a few calls fail with EXDEV */
  scmp_filter_ctx f = seccomp_init (SCMP_ACT_ERRNO (EXDEV));
  /* the sanitizers' exit path needs the memory and signal-stack calls */
  static const char *const needed[] = { "write", "exit_group", "exit", "mmap", "munmap",
                                        "sigaltstack", "rt_sigprocmask", NULL };
  for (const char *const *n = needed; *n != NULL; n++)
    seccomp_rule_add (f, SCMP_ACT_ALLOW, seccomp_syscall_resolve_name (*n), 0);
  if (strstr (j->script, "deny") != NULL)
    seccomp_rule_add (f, SCMP_ACT_ALLOW, SCMP_SYS (getppid), 0);
  run (r, j, f);
  if (r->rc == 0 && seccomp_load (f) < 0)
    r->rc = -97;
  errno = 0;
  r->v[0] = syscall (SYS_getppid);
  r->v[1] = errno;
  errno = 0;
  r->v[2] = syscall (SYS_getpgid, 0);
  r->v[3] = errno;
}

static void
child_seccomp_nofilter (res *r, job *j)
{
  run (r, j, NULL);
  errno = 0;
  r->v[0] = syscall (SYS_getppid);
  r->v[1] = errno;
}

static void
test_seccomp (void)
{
  job j = { .script = "init.seccomp_allow('getppid')", .arg = -1 };
  res r;
  in_child (child_seccomp_allow, &j, &r);
  expect ("seccomp_allow adds to the profile's filter", &r, 0, 0, 0, NULL);
  ok (r.v[0] > 0 && r.v[2] == -1 && r.v[3] == EXDEV,
      "an allowed call works, others get the profile's errno");

  j.script = "init.seccomp_deny('getppid', 'EACCES')";
  in_child (child_seccomp_allow, &j, &r);
  expect ("seccomp_deny with an errno name", &r, 0, 0, 0, NULL);
  ok (r.v[0] == -1 && r.v[1] == EACCES, "a deny holds where the profile allows the call");

  j.script = "init.seccomp_deny('getppid', init.ENOTTY)";
  in_child (child_seccomp_nofilter, &j, &r);
  expect ("seccomp_deny with an integer errno and no profile filter", &r, 0, 0, 0, NULL);
  ok (r.v[0] == -1 && r.v[1] == ENOTTY, "the denied call fails with that errno");

  j.script = "init.seccomp_deny('getppid')\nerror('stop')";
  in_child (child_seccomp_nofilter, &j, &r);
  expect ("a failing script's deny rules", &r, -1, WARD_E_INVALID, 0, "t.lua:2: stop");
  ok (r.v[0] > 0, "are not loaded when the script fails");

  j.script = "init.seccomp_allow('getppid')";
  in_child (child_seccomp_nofilter, &j, &r);
  expect ("seccomp_allow without a filter does nothing", &r, 0, 0, 0, NULL);

  j.script = "init.seccomp_kill('getppid')";
  int st = in_child (child_seccomp_nofilter, &j, &r);
  ok (r.rc == -99 && WIFSIGNALED (st) && WTERMSIG (st) == SIGSYS,
      "seccomp_kill: the call kills the process with SIGSYS");

  check ("an unknown system call name is refused", "init.seccomp_deny('no_such_call')", -1,
         -1, WARD_E_INVALID, 0, "t.lua:1: seccomp_deny: unknown system call 'no_such_call'");
  check ("an unknown errno name is refused", "init.seccomp_deny('getppid', 'EWHAT')", -1,
         -1, WARD_E_INVALID, 0, "t.lua:1: seccomp_deny: unknown errno name 'EWHAT'");
}

/* ---- process and descriptor calls ------------------------------------------ */

static void
child_nnp (res *r, job *j)
{
  run (r, j, NULL);
  r->v[0] = prctl (PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0);
}

static void
child_setsid (res *r, job *j)
{
  run (r, j, NULL);
  r->v[0] = getsid (0) == getpid ();
}

static void
child_fds (res *r, job *j)
{
  int sv[2], pp[2];
  if (socketpair (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0 || pipe (pp) < 0)
    {
      r->rc = -97;
      return;
    }
  /* first "plain" without a descriptor, then "ping" with the pipe's end */
  send (sv[0], "plain", 5, 0);
  union { struct cmsghdr h; char buf[CMSG_SPACE (sizeof (int))]; } u;
  memset (&u, 0, sizeof u);
  struct iovec iov = { "ping", 4 };
  struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
                      .msg_controllen = sizeof u.buf };
  struct cmsghdr *h = CMSG_FIRSTHDR (&m);
  h->cmsg_level = SOL_SOCKET;
  h->cmsg_type = SCM_RIGHTS;
  h->cmsg_len = CMSG_LEN (sizeof (int));
  memcpy (CMSG_DATA (h), &pp[1], sizeof (int));
  sendmsg (sv[0], &m, 0);
  close (pp[1]);
  j->arg = sv[1];
  run (r, j, NULL);
  char buf[64] = "";
  r->v[0] = read (pp[0], buf, sizeof buf) == 4 && memcmp (buf, "pong", 4) == 0;
  /* "back" with /dev/null, then "nofd" alone */
  for (int k = 0; k < 2; k++)
    {
      char data[16] = "";
      iov = (struct iovec) { data, sizeof data };
      memset (&u, 0, sizeof u);
      m = (struct msghdr) { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
                            .msg_controllen = sizeof u.buf };
      ssize_t n = recvmsg (sv[0], &m, MSG_DONTWAIT);
      h = CMSG_FIRSTHDR (&m);
      int fd = -1;
      if (h != NULL && h->cmsg_type == SCM_RIGHTS)
        memcpy (&fd, CMSG_DATA (h), sizeof fd);
      struct stat st;
      if (k == 0)
        r->v[1] = n == 4 && memcmp (data, "back", 4) == 0 && fd >= 0
                  && fstat (fd, &st) == 0 && S_ISCHR (st.st_mode);
      else
        r->v[2] = n == 4 && memcmp (data, "nofd", 4) == 0 && fd < 0;
    }
}

static void
test_process (void)
{
  job j = { .script = "init.set_no_new_privs()", .arg = -1 };
  res r;
  in_child (child_nnp, &j, &r);
  expect ("set_no_new_privs", &r, 0, 0, 0, NULL);
  is_int (r.v[0], 1, "no_new_privs is set afterwards");

  j.script = "local s = init.setsid()\nassert(s > 0)\ninit.setsid()";
  in_child (child_setsid, &j, &r);
  expect ("a second setsid fails with EPERM", &r, -1, WARD_E_INTERNAL, EPERM,
          "t.lua:3: setsid: Operation not permitted");
  is_int (r.v[0], 1, "the first setsid made a session");

  j.script = "local s, fd = init.receive_with_fd(init.arg, 64)\n"
             "assert(s == 'plain' and fd == nil, 'plain')\n"
             "s, fd = receive_with_fd(arg, 64)\n"
             "assert(s == 'ping' and math.type(fd) == 'integer', 'ping')\n"
             "init.write(fd, 'pong')\ninit.close(fd)\n"
             "assert(init.send_with_fd(init.arg, 'back', init.open('/dev/null')) == 4)\n"
             "send_with_fd(init.arg, 'nofd')";
  in_child (child_fds, &j, &r);
  expect ("receive_with_fd and send_with_fd over a socket pair", &r, 0, 0, 0, NULL);
  is_int (r.v[0], 1, "the received descriptor works");
  is_int (r.v[1], 1, "send_with_fd passes a descriptor");
  is_int (r.v[2], 1, "send_with_fd without one sends none");
}

/* ---- namespaces ------------------------------------------------------------- */

static void
child_ns (res *r, job *j)
{
  if (j->ns >= 0 && ns_enter (r, j->ns) < 0)
    return;
  run (r, j, NULL);
}

/* Run the job in a user and mount namespace; 0 when the script ran and
 * returned 0 (the caller then looks at what it left). */
static int
ns_run (res *r, job *j)
{
  if (ns_enter (r, CLONE_NEWNS) < 0)
    return -1;
  run (r, j, NULL);
  return r->rc == 0 ? 0 : -1;
}

static void
child_empty_root (res *r, job *j)
{
  if (ns_run (r, j) < 0)
    return;
  DIR *d = opendir ("/");
  struct dirent *e;
  r->v[0] = d == NULL ? -1 : 0;
  while (d != NULL && (e = readdir (d)) != NULL)
    if (strcmp (e->d_name, ".") != 0 && strcmp (e->d_name, "..") != 0)
      r->v[0]++;
  if (d != NULL)
    closedir (d);
  r->v[1] = open ("/etc/passwd", O_RDONLY) < 0 ? errno : 0;
  r->v[2] = mkdir ("/x", 0700) < 0 ? errno : 0;
  struct statfs sf;
  r->v[3] = statfs ("/", &sf) == 0 && sf.f_type == TMPFS_MAGIC;
  char cwd[64] = "";
  r->v[4] = getcwd (cwd, sizeof cwd) != NULL && strcmp (cwd, "/") == 0;
  /* ".." at the root crosses into a mount stacked on it, as the old root
   * would be if it were not detached */
  struct stat a, b;
  r->v[5] = stat ("/", &a) == 0 && stat ("/..", &b) == 0 && a.st_dev == b.st_dev
            && a.st_ino == b.st_ino && access ("/../etc", F_OK) < 0;
}

static void
child_round_trip (res *r, job *j)
{
  if (ns_run (r, j) < 0)
    return;
  char buf[64] = "";
  int fd = open ("/d/f", O_RDONLY);
  r->v[0] = fd >= 0 && read (fd, buf, sizeof buf) == 10 && memcmp (buf, "hello ward", 10) == 0;
  struct stat st;
  r->v[1] = stat ("/d", &st) == 0 && (st.st_mode & 07777) == 0700;
  ssize_t n = readlink ("/link", buf, sizeof buf);
  r->v[2] = n == 3 && memcmp (buf, "d/f", 3) == 0;
  r->v[3] = access ("/etc/passwd", F_OK) < 0;
}

static void
child_uts (res *r, job *j)
{
  if (ns_enter (r, CLONE_NEWUTS) < 0)
    return;
  run (r, j, NULL);
  char host[128] = "", dom[128] = "";
  gethostname (host, sizeof host);
  getdomainname (dom, sizeof dom);
  r->v[0] = strcmp (host, "ward-init-test") == 0;
  r->v[1] = strcmp (dom, "ward.test") == 0;
}

static void
child_caps (res *r, job *j)
{
  if (ns_enter (r, CLONE_NEWNS) < 0)
    return;
  run (r, j, NULL);
  r->v[0] = prctl (PR_CAPBSET_READ, CAP_SYS_ADMIN, 0, 0, 0);
  r->v[1] = prctl (PR_CAPBSET_READ, CAP_CHOWN, 0, 0, 0);
}

/* Whether r says the kernel refused the namespaces; prints the skip. */
static int
skipped (const res *r, int n, const char *what)
{
  if (!r->skip)
    return 0;
  for (int i = 0; i < n; i++)
    ok (1, "%s # SKIP user namespaces refused (%s)", what, r->note);
  return 1;
}

/* The line of the first "I.mount(" in the empty root script. */
static int
first_mount_line (void)
{
  int line = 1;
  for (const char *p = empty_root; *p != '\0'; p++)
    {
      if ((p == empty_root || p[-1] == '\n') && strncmp (p, "I.mount(", 8) == 0)
        return line;
      if (*p == '\n')
        line++;
    }
  return -1;
}

static void
test_namespaces (void)
{
  res r;
  job j = { .script = empty_root, .name = "init/empty-root.lua", .arg = -1 };
  in_child (child_empty_root, &j, &r);
  if (!skipped (&r, 7, "empty root"))
    {
      expect ("init/empty-root.lua runs in a user+mount namespace", &r, 0, 0, 0, NULL);
      is_int (r.v[0], 0, "the new root has no entries (%lld)", r.v[0]);
      is_int (r.v[1], ENOENT, "/etc/passwd is gone (%s)", strerror ((int) r.v[1]));
      is_int (r.v[2], EROFS, "the root is read-only (%s)", strerror ((int) r.v[2]));
      is_int (r.v[3], 1, "the root is a tmpfs");
      is_int (r.v[4], 1, "the working directory is /");
      is_int (r.v[5], 1, "the old root is not reachable through /..");
    }

  /* a user namespace alone gives no power over the host's mounts */
  j.ns = 0;
  in_child (child_ns, &j, &r);
  if (!skipped (&r, 1, "empty root without a mount namespace"))
    {
      char want[128];
      snprintf (want, sizeof want, "init/empty-root.lua:%d: mount: Operation not permitted",
                first_mount_line ());
      expect ("init/empty-root.lua without a mount namespace fails at its first mount",
              &r, -1, WARD_E_INTERNAL, EPERM, want);
    }

  j = (job) { .arg = -1, .script =
    "init.mount('tmpfs', '/tmp', 'tmpfs', 'MS_NOSUID|MS_NODEV', 'size=64k')\n"
    "init.mkdir('/tmp/d', init.mode(7, 0, 0))\n"
    "local fd = init.open('/tmp/d/f', 'O_WRONLY|O_CREAT|O_EXCL', init.mode(6, 0, 0))\n"
    "assert(init.write(fd, 'hello ward') == 10)\ninit.close(fd)\n"
    "init.symlink('d/f', '/tmp/link')\n"
    "fd = init.open('/tmp/link')\n"
    "local s = init.read(fd, 100)\nassert(s == 'hello ward', s)\n"
    "assert(init.read(fd, 100) == '')\ninit.close(fd)\n"
    "init.chroot('/tmp')\ninit.chdir('/')" };
  in_child (child_round_trip, &j, &r);
  if (!skipped (&r, 5, "tmpfs round trip"))
    {
      expect ("mount/mkdir/open/write/symlink/read/chroot on a tmpfs", &r, 0, 0, 0, NULL);
      is_int (r.v[0], 1, "the file holds what was written");
      is_int (r.v[1], 1, "mkdir used the mode given");
      is_int (r.v[2], 1, "the symlink points where it was told");
      is_int (r.v[3], 1, "chroot hid the host's files");
    }

  j = (job) { .arg = -1, .script =
    "init.sethostname('ward-init-test')\ninit.setdomainname('ward.test')" };
  in_child (child_uts, &j, &r);
  if (!skipped (&r, 3, "sethostname"))
    {
      expect ("sethostname and setdomainname in a UTS namespace", &r, 0, 0, 0, NULL);
      is_int (r.v[0], 1, "the host name is set");
      is_int (r.v[1], 1, "the domain name is set");
    }
  j = (job) { .arg = -1, .ns = 0, .script = "init.sethostname('ward-init-test')" };
  in_child (child_ns, &j, &r);
  if (!skipped (&r, 1, "sethostname refused"))
    expect ("sethostname outside an owned UTS namespace fails with EPERM", &r, -1,
            WARD_E_INTERNAL, EPERM, "t.lua:1: sethostname: Operation not permitted");

  j = (job) { .arg = -1, .ns = 0, .script =
    "init.setresgid(0, 0, 0)\ninit.setresuid(0, nil, -1)\n"
    "local ok, e = pcall(init.setgroups, {0})\n"
    "assert(e == 't.lua:3: setgroups: Operation not permitted', e)\n"
    "init.setresuid(1, 1, 1)" };
  in_child (child_ns, &j, &r);
  if (!skipped (&r, 1, "ids"))
    expect ("setresgid/setresuid/setgroups; an unmapped uid fails with EINVAL", &r, -1,
            WARD_E_INTERNAL, EINVAL, "t.lua:5: setresuid: Invalid argument");

  j = (job) { .arg = -1, .script =
    "init.cap_clear()\ninit.cap_keep{'CAP_CHOWN', 'net_bind_service'}\ninit.cap_apply()\n"
    "assert(init.cap_has('CAP_CHOWN'), 'chown')\n"
    "assert(init.cap_has('cap_net_bind_service', 'permitted'), 'nbs')\n"
    "assert(not init.cap_has('CAP_SYS_ADMIN'), 'sys_admin')\n"
    "assert(not init.cap_has('CAP_NET_BIND_SERVICE', 'inheritable'), 'inh')" };
  in_child (child_caps, &j, &r);
  if (!skipped (&r, 2, "capabilities"))
    {
      expect ("cap_clear, cap_keep, cap_apply, cap_has", &r, 0, 0, 0, NULL);
      ok (r.v[0] == 0 && r.v[1] == 1, "the bounding set holds only what was kept");
    }

  /* after the empty root: libcap-ng must do without /proc */
  size_t n = strlen (empty_root);
  char *both = malloc (n + 512);
  snprintf (both, n + 512, "%s\ninit.cap_drop{'CAP_SYS_ADMIN'}\ninit.cap_apply()\n"
            "assert(not init.cap_has('CAP_SYS_ADMIN'), 'effective')\n"
            "assert(not init.cap_has('sys_admin', 'bounding'), 'bounding')\n"
            "assert(init.cap_has('CAP_CHOWN'), 'chown kept')\n", empty_root);
  j = (job) { .arg = -1, .script = both };
  in_child (child_caps, &j, &r);
  if (!skipped (&r, 2, "cap_drop"))
    {
      expect ("cap_drop after the empty root", &r, 0, 0, 0, NULL);
      ok (r.v[0] == 0 && r.v[1] == 1, "only the dropped capability left the bounding set");
    }
  free (both);

  j = (job) { .arg = -1, .ns = 0, .script =
    "init.cap_clear()\ninit.cap_apply()\ninit.cap_keep{'CAP_SYS_ADMIN'}\ninit.cap_apply()" };
  in_child (child_ns, &j, &r);
  if (!skipped (&r, 1, "cap_apply refused"))
    expect ("a dropped capability cannot be kept again", &r, -1, WARD_E_INTERNAL, EPERM,
            "t.lua:4: cap_apply: Operation not permitted");
  check ("an unknown capability name is refused", "init.cap_drop{'CAP_WHATEVER'}", -1, -1,
         WARD_E_INVALID, 0, "t.lua:1: cap_drop: unknown capability 'whatever'");
}

/* ---- the rest of Emilua's C table ----------------------------------------- */

static void
child_umask_pgid (res *r, job *j)
{
  run (r, j, NULL);
  mode_t m = umask (0);
  r->v[0] = m;
  r->v[1] = getpgrp () == getpid ();
}

static void
child_dup2 (res *r, job *j)
{
  int sv[2];
  if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
    {
      r->rc = -97;
      return;
    }
  j->arg = sv[1];
  run (r, j, NULL);
  struct stat st;
  /* stdin is now /dev/null; descriptor 200 a dup of it */
  r->v[0] = fstat (0, &st) == 0 && S_ISCHR (st.st_mode);
  r->v[1] = fcntl (200, F_GETFD) == FD_CLOEXEC;
  /* stdout is the socket: what the child writes there reaches sv[0] */
  char buf[8] = "";
  r->v[2] = write (1, "out", 3) == 3 && read (sv[0], buf, sizeof buf) == 3
            && memcmp (buf, "out", 3) == 0;
  r->v[3] = fcntl (sv[1], F_GETFD) >= 0;      /* init.arg was not replaced */
}

static void
child_capset (res *r, job *j)
{
  if (ns_enter (r, 0) < 0)
    return;
  run (r, j, NULL);
  struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
  struct __user_cap_data_struct d[2];
  if (syscall (SYS_capget, &h, d) < 0)
    return;
  r->v[0] = d[0].effective;
  r->v[1] = d[0].permitted;
  r->v[2] = d[0].inheritable;
  r->v[3] = prctl (PR_CAPBSET_READ, CAP_SYS_ADMIN, 0, 0, 0);
  r->v[4] = prctl (PR_CAPBSET_READ, CAP_CHOWN, 0, 0, 0);
  r->v[5] = prctl (PR_GET_SECUREBITS, 0, 0, 0, 0);
}

static void
test_emilua (void)
{
  res r;
  job j = { .arg = -1, .script =
    "assert(C.umask(init.mode(0, 2, 7)) >= 0)\n"
    "assert(C.umask(init.mode(0, 2, 7)) == init.mode(0, 2, 7))\n"
    "C.setpgid(0, 0)" };
  in_child (child_umask_pgid, &j, &r);
  expect ("umask returns the previous mask; setpgid(0, 0)", &r, 0, 0, 0, NULL);
  is_int (r.v[0], 027, "the umask is the one set (%llo)", r.v[0]);
  is_int (r.v[1], 1, "setpgid made a process group of the child's own");
  check ("setpgid of no such process fails with ESRCH", "C.setpgid(2147483646, 0)", -1, -1,
         WARD_E_INTERNAL, ESRCH, "t.lua:1: setpgid: No such process");
  check ("umask out of range is refused", "C.umask(4096)", -1, -1, WARD_E_INVALID, 0, NULL);

  j = (job) { .arg = -1, .script =
    "local fd = C.open('/dev/null')\n"
    "assert(C.dup2(fd, 0) == 0)\n"
    "assert(C.dup2(fd, 200) == 200)\n"
    "C.dup2(arg, 1)\n"
    "local ok, e = pcall(C.dup2, fd, 200)\n"
    "assert(e == 't.lua:5: dup2: descriptor 200 is open: only 0, 1, 2 or a free number "
    "may be replaced', e)\n"
    "ok, e = pcall(C.dup2, fd, arg)\n"
    "assert(not ok, 'init.arg replaced')\n"
    "C.close(fd)" };
  in_child (child_dup2, &j, &r);
  expect ("dup2 onto a standard stream and a free number", &r, 0, 0, 0, NULL);
  is_int (r.v[0], 1, "dup2 gave stdin /dev/null");
  is_int (r.v[1], 1, "a descriptor past 2 is close-on-exec");
  is_int (r.v[2], 1, "dup2 gave stdout the socket of init.arg");
  is_int (r.v[3], 1, "an open descriptor (init.arg) cannot be replaced");

  check ("execve, fexecve, unshare and setns are not there (they would skip the lockdown)",
         "assert(C.execve == nil and C.fexecve == nil and C.unshare == nil and C.setns == nil)",
         -1, 0, 0, 0, NULL);

  j = (job) { .arg = -1, .ns = 0, .script =
    "C.cap_drop_bound('CAP_SYS_ADMIN')\n"
    "C.cap_set_proc('cap_chown,cap_kill=ep cap_net_bind_service=p cap_kill+i')\n"
    "assert(init.cap_has('CAP_CHOWN') and init.cap_has('kill', 'inheritable'))\n"
    "assert(not init.cap_has('CAP_SYS_ADMIN') and not init.cap_has('net_bind_service'))\n"
    "C.cap_set_ambient('CAP_KILL', true)\n"
    "assert(init.cap_has('CAP_KILL', 'ambient'))\n"
    "C.cap_set_ambient('CAP_KILL', false)\n"
    "assert(not init.cap_has('CAP_KILL', 'ambient'))\n"
    "C.cap_set_ambient('CAP_KILL', true)\n"
    "C.cap_reset_ambient()\n"
    "assert(not init.cap_has('CAP_KILL', 'ambient'))\n"
    "local ok, e = pcall(C.cap_set_proc, 'cap_sys_admin=ep')\n"
    "assert(e == 't.lua:12: cap_set_proc: Operation not permitted', e)" };
  in_child (child_capset, &j, &r);
  if (!skipped (&r, 5, "cap_set_proc"))
    {
      expect ("cap_drop_bound, cap_set_proc, cap_set_ambient, cap_reset_ambient; a "
              "capability given up cannot be taken back", &r, 0, 0, 0, NULL);
      unsigned chown = 1u << CAP_CHOWN, kill = 1u << CAP_KILL,
               nbs = 1u << CAP_NET_BIND_SERVICE;
      is_int (r.v[0], (long long) (chown | kill), "effective: what the text set (%llx)", r.v[0]);
      is_int (r.v[1], (long long) (chown | kill | nbs), "permitted: what the text set (%llx)",
              r.v[1]);
      is_int (r.v[2], (long long) kill, "inheritable: what the text set (%llx)", r.v[2]);
      ok (r.v[3] == 0 && r.v[4] == 1, "cap_drop_bound took only the one named");
    }

  j = (job) { .arg = -1, .ns = 0, .script =
    "C.cap_set_secbits(C.SECBIT_NOROOT | C.SECBIT_KEEP_CAPS_LOCKED)\n"
    "C.cap_set_proc('=')\n"
    "assert(not init.cap_has('CAP_CHOWN', 'permitted'))" };
  in_child (child_capset, &j, &r);
  if (!skipped (&r, 2, "cap_set_secbits"))
    {
      expect ("cap_set_secbits, then cap_set_proc('=') clears every set", &r, 0, 0, 0, NULL);
      ok (r.v[5] == (SECBIT_NOROOT | SECBIT_KEEP_CAPS_LOCKED) && r.v[0] == 0 && r.v[1] == 0
          && r.v[2] == 0, "the securebits are set, no capability is left");
    }
  check ("errexit = false: a failing call returns -1 and the errno, one that succeeds its "
         "result and 0; errexit = true raises again",
         "assert(errexit == true)\n"
         "errexit = false\n"
         "local r, e = C.mkdir('/nonexistent-ward-dir/x')\n"
         "assert(r == -1 and e == C.ENOENT, 'mkdir')\n"
         "local fd, e2 = C.open('/dev/null')\n"
         "assert(fd >= 0 and e2 == 0, 'open')\n"
         "local c, e3 = C.close(fd)\n"
         "assert(c == 0 and e3 == 0, 'close')\n"
         "r, e = C.close(fd)\n"
         "assert(r == -1 and e == C.EBADF, 'close twice')\n"
         "errexit = true\n"
         "C.close(fd)", -1, -1, WARD_E_INTERNAL, EBADF, "t.lua:12: close: Bad file descriptor");
  check ("errexit = false: a bad argument still raises", "errexit = false\nC.mkdir(nil)", -1,
         -1, WARD_E_INVALID, 0, NULL);
  check ("cap_set_proc of an unknown capability is refused", "C.cap_set_proc('cap_nope=ep')",
         -1, -1, WARD_E_INVALID, 0, "t.lua:1: cap_set_proc: unknown capability 'cap_nope'");
  check ("cap_set_proc of a clause without an operation is refused",
         "C.cap_set_proc('cap_chown')", -1, -1, WARD_E_INVALID, 0, NULL);
  check ("cap_set_ambient wants a boolean", "C.cap_set_ambient('CAP_KILL', 1)", -1, -1,
         WARD_E_INVALID, 0, NULL);
  check ("cap_drop_bound of an unknown capability is refused", "C.cap_drop_bound('x')", -1,
         -1, WARD_E_INVALID, 0, NULL);
}

static char *
slurp (const char *path)
{
  int fd = open (path, O_RDONLY);
  if (fd < 0)
    return NULL;
  size_t cap = 4096, len = 0;
  char *buf = malloc (cap);
  ssize_t n;
  while ((n = read (fd, buf + len, cap - len - 1)) > 0)
    {
      len += (size_t) n;
      if (cap - len < 2)
        buf = realloc (buf, cap *= 2);
    }
  close (fd);
  buf[len] = '\0';
  return buf;
}

/* ---- a script made ready once, run by each child (winit_ready_*) ---- */

static winit_ready *ready_script;

static void
child_ready (res *r, job *j)
{
  (void) j;
  ward_err e = { 0 };
  r->rc = winit_ready_run (ready_script, &e);
  r->kind = e.kind;
  r->errnum = e.errnum;
  snprintf (r->msg, sizeof r->msg, "%s", e.msg);
}

/* Made ready here, run in a child: as winit_run there would. */
static void
ready_as_run (const char *what, const char *script)
{
  job j = { .script = script, .arg = -1 };
  res a, b;
  in_child (child_plain, &j, &a);
  ward_err e = { 0 };
  ready_script = winit_ready_new (script, strlen (script), "t.lua", NULL, &e);
  if (ready_script == NULL)
    {
      b.rc = -1;
      b.kind = e.kind;
      b.errnum = e.errnum;
      snprintf (b.msg, sizeof b.msg, "%s", e.msg);
    }
  else
    in_child (child_ready, &j, &b);
  ok (a.rc == b.rc && a.kind == b.kind && a.errnum == b.errnum && strcmp (a.msg, b.msg) == 0,
      "made ready, %s as winit_run says (%d: %s)", what, b.rc, b.msg);
  winit_ready_free (ready_script);
  ready_script = NULL;
}

static void
test_ready (void)
{
  ready_as_run ("a script runs", "local x = 1 + 1");
  ready_as_run ("a syntax error is reported", "local = 1");
  ready_as_run ("a failing call names its line",
                "local x = 1\ninit.chdir('/no/such/dir/at/all')");
  ready_as_run ("the script's own error is reported", "error('no', 0)");
  ready_as_run ("the instruction budget holds", "local i = 0\nwhile true do i = i + 1 end");

  /* each child runs its own copy: the state made ready is the same for
   * all, and none sees what another did */
  const char *once = "n = (n or 0) + 1\nif n ~= 1 then error('run before: ' .. n, 0) end";
  ward_err e = { 0 };
  ready_script = winit_ready_new (once, strlen (once), "t.lua", NULL, &e);
  job j = { .script = once, .arg = -1 };
  res a, b;
  memset (&a, 0, sizeof a);
  memset (&b, 0, sizeof b);
  a.rc = b.rc = -99;
  if (ready_script != NULL)
    {
      in_child (child_ready, &j, &a);
      in_child (child_ready, &j, &b);
    }
  ok (ready_script != NULL && a.rc == 0 && b.rc == 0,
      "two children each run their own copy of the script made ready (%d %s, %d %s)",
      a.rc, a.msg, b.rc, b.msg);
  winit_ready_free (ready_script);
  ready_script = NULL;
}

int
main (void)
{
  const char *src = getenv ("WARD_SRCDIR");
  char path[4096];
  snprintf (path, sizeof path, "%s/init/empty-root.lua", src ? src : WARD_TOP_SRCDIR);
  empty_root = slurp (path);
  if (empty_root == NULL)
    {
      printf ("Bail out! cannot read %s: %s\n", path, strerror (errno));
      return 1;
    }
  plan (121);
  printf ("# running as uid %u\n", (unsigned) getuid ());
  size_t blen = 0;
  const char *built = winit_builtin ("empty-root.lua", &blen);
  ok (built != NULL && blen == strlen (empty_root) && strcmp (built, empty_root) == 0,
      "winit_builtin(\"empty-root.lua\") is the shipped file");
  ok (winit_builtin ("no-such.lua", &blen) == NULL, "winit_builtin of an unknown name is NULL");
  test_state ();
  test_limits ();
  test_seccomp ();
  test_process ();
  test_namespaces ();
  test_emilua ();
  test_ready ();
  free (empty_root);
  return done ();
}
