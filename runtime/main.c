/* main.c -- the `ward` command: run a script as the first process, and the
 * entry points of the other subcommands. */
#include "config.h"
#include "rt.h"
#include "vm.h"
#include "codec.h"
#include "policy.h"
#include "remote.h"
#include "sandbox.h"
#include "init.h"
#include "wesc.h"
#include "fdvec.h"
#include "fsgate.h"
#include "wfault.h"
#include "wunit.h"

#include <errno.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <malloc.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <lauxlib.h>


static struct {
  pthread_mutex_t lock;
  pthread_cond_t cond;
  int ended;
  int first_done, first_abnormal;
  char first_error[WARD_ERR_MSG_MAX];
  char first_pid[64];
  int signo;                    /* the run was stopped by this signal */
} ward_run_state = { .lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER };

void
ward_run_master_exited (ward_proc *p, int abnormal, const char *error)
{
  ward_lock (&ward_run_state.lock, WARD_LOCK_RUN);
  if (p->is_first)
    {
      ward_run_state.first_done = 1;
      ward_run_state.first_abnormal = abnormal;
      snprintf (ward_run_state.first_error, sizeof ward_run_state.first_error, "%s",
                error ? error : "");
      snprintf (ward_run_state.first_pid, sizeof ward_run_state.first_pid, "%s", p->pid);
    }
  if (p->is_master)
    {
      ward_run_state.ended = 1;
      pthread_cond_broadcast (&ward_run_state.cond);
    }
  ward_unlock (&ward_run_state.lock);
}

static void
usage (FILE *out)
{
  fputs ("Usage: ward run [OPTIONS] SCRIPT [ARGS...]\n"
         "       ward policy check|fmt|load|remove|list|export|explain|test ... (see ward policy --help)\n"
         "       ward audit [stats|suggest] [OPTIONS] (see ward audit --help)\n"
         "       ward --help | --version\n"
         "\n"
         "Run SCRIPT (a Lua 5.4 file) as the first process, actor `main`, on host\n"
         "ward:main. Its arguments are the chunk's `...`. ward exits 0 when the first\n"
         "process returns normally, 1 when it ends with an error (printed on stderr)\n"
         "or the run cannot start, 2 on a usage error, 3 when audit records were\n"
         "lost (said on stderr), 128+N when stopped by signal N.\n"
         "\n"
         "Options of run:\n"
         "  --root DIR          resolve process ids (ns.sub:name) under DIR\n"
         "                      (default: the directory of SCRIPT)\n"
         "  --threads N         worker threads of ward:main (default: one per core)\n"
         "  --memory SIZE       memory cap per process, e.g. 64M or 1.5G (default 256M);\n"
         "                      a SIZE is bytes or a number with K, M, G or T (KB, KiB:\n"
         "                      all binary, 64M = 64MiB)\n"
         "  --mailbox N         messages queued per process (default 100000)\n"
         "  --mailbox-bytes SIZE  bytes of those messages per process (default 64M)\n"
         "  --instructions N    instruction budget per process (default: none)\n"
         "  --children N        live children per process (default 100000)\n"
         "  --processes N       live processes in the run (default 1000000)\n"
         "  --sandbox-children N\n"
         "                      live children of each process of a sandboxed host,\n"
         "                      unless its profile says (default 16)\n"
         "  --sandbox-processes N\n"
         "                      live processes of a sandboxed host, unless its\n"
         "                      profile says (default 256)\n"
         "  --sandbox-fds N     descriptors a process of a sandboxed host may have sent\n"
         "                      and nobody received yet, unless its profile says\n"
         "                      (default 64)\n"
         "  --mailbox-fds N     descriptors queued in one mailbox (default 256)\n"
         "  --fd-reserve N      descriptors sandboxed work never takes (default 64)\n"
         "  --actor ID          actor of the first process (default main)\n"
         "  --untrusted         run SCRIPT as actor `untrusted` on ward:sandbox, a\n"
         "                      subprocess behind the strict sandbox profile\n"
         "  --deny RULE         also deny ACTION or ACTION=RESOURCE (for testing a\n"
         "                      script's handling of denials)\n"
         "  --trace-gate FILE   append every permission request to FILE\n"
         "  --policy FILE       load this policy file (in memory; repeatable)\n"
         "  --db DB             use the policy store DB (a file, or postgresql://...)\n"
         "  --audit FILE        write audit records to FILE\n"
         "  --audit postgresql://...  ship them to PostgreSQL, through a local spool\n"
         "  --audit-spool DIR   keep that spool in DIR\n"
         "  --audit-all         record every decision, not only denials\n"
         "  --audit-sync        commit each denial before the call returns\n"
         "  --audit-fold N      record the first N denials of each actor and action\n"
         "                      one by one, count the rest (default 1000)\n"
         "  --permissive        allow what would be denied, recording it\n"
         "  --allow-env NAME    let the run's actor read the variable NAME\n"
         "                      (os.getenv; repeatable; NAME is taken literally)\n"
         "  --allow-read PATH   let it read PATH (fs.read, fs.list), everything below\n"
         "                      it when a directory; PATH is made canonical\n"
         "  --allow-write PATH  let it write, create and remove PATH (fs.write,\n"
         "                      fs.create, fs.remove), below it when a directory\n"
         "  --allow-net HOST:PORT  let it connect to HOST:PORT (net.connect)\n"
         "  --allow-listen HOST:PORT  let it listen on HOST:PORT (net.listen)\n"
         "  --print-policy      print the policy the --allow-* flags build (policy\n"
         "                      text for a file or the store) and exit\n"
         "\n"
         "See ward(1) and ward-lua(7).\n", out);
}

static int
parse_count (const char *s, unsigned long long max, unsigned long long *out)
{
  char *end;
  errno = 0;
  unsigned long long v = strtoull (s, &end, 10);
  if (errno || end == s || *end || s[0] == '-' || v > max)
    return -1;
  *out = v;
  return 0;
}

/* The options of ward run that take a number: a count, or a size
 * (wunit.h), from min to max; `what` names the option and its range in
 * the error. Each is stored by store_number. */
typedef struct num_opt {
  int code;
  int size;
  unsigned long long min, max;
  const char *what;
} num_opt;

static const num_opt num_opts[] = {
  { 't', 0, 1, 1024, "threads (1..1024)" },
  { 'm', 1, 64u << 10, SIZE_MAX, "memory (at least 64K)" },
  { 'b', 0, 1, 1u << 30, "mailbox (1..2^30)" },
  { 'B', 1, 1u << 10, SIZE_MAX, "mailbox-bytes (at least 1K)" },
  { 'i', 0, 0, ULLONG_MAX, "instructions" },
  { 'c', 0, 0, 1u << 30, "children" },
  { 'N', 0, 1, 1u << 30, "processes (1..2^30)" },
  { 'C', 0, 0, 1000000, "sandbox-children (0..1000000)" },
  { 'H', 0, 1, 1000000, "sandbox-processes (1..1000000)" },
  { 'F', 0, 0, 1000000, "sandbox-fds (0..1000000)" },
  { 'M', 0, 0, 1000000, "mailbox-fds (0..1000000)" },
  { 'R', 0, 32, 1000000, "fd-reserve (32..1000000)" },
  { 'O', 0, 1, 1ull << 62, "audit-fold (1..2^62)" },
  { 0, 0, 0, 0, NULL }
};

static void
store_number (int code, unsigned long long v, ward_policy_opts *popts)
{
  switch (code)
    {
    case 't': ward_cfg.threads = (int) v; break;
    case 'm': ward_cfg.mem_limit = (size_t) v; break;
    case 'b': ward_cfg.mailbox_limit = v; break;
    case 'B': ward_cfg.mailbox_bytes = (size_t) v; break;
    case 'i': ward_cfg.instr_budget = v; break;
    case 'c': ward_cfg.max_children = (unsigned) v; break;
    case 'N': ward_cfg.max_processes = v; break;
    case 'C': ward_cfg.sandbox_children = (unsigned) v; break;
    case 'H': ward_cfg.sandbox_processes = (unsigned) v; break;
    case 'F': ward_cfg.sandbox_fds = (unsigned) v; break;
    case 'M': ward_cfg.mailbox_fds = (unsigned) v; break;
    case 'R': ward_cfg.fd_reserve = (unsigned) v; break;
    case 'O': popts->audit_fold = v; break;
    }
}

/* The numeric option of getopt code `code`, or NULL. */
static const num_opt *
num_opt_of (int code)
{
  for (const num_opt *no = num_opts; no->code; no++)
    if (no->code == code)
      return no;
  return NULL;
}

/* The numeric option no set to arg: 0, or -1 after saying why not. */
static int
set_number (const num_opt *no, const char *arg, ward_policy_opts *popts)
{
  unsigned long long v = 0;
  int bad = 0;
  if (no->size)
    {
      uint64_t bytes;
      ward_err err;
      if (ward_parse_size (arg, &bytes, &err) < 0)
        {
          fprintf (stderr, "ward run: bad value `%s` for --%s: %s\n", arg, no->what, err.msg);
          return -1;
        }
      v = bytes;
    }
  else
    bad = parse_count (arg, no->max, &v) < 0;
  if (bad || v < no->min || v > no->max)
    {
      fprintf (stderr, "ward run: bad value `%s` for --%s\n", arg, no->what);
      return -1;
    }
  store_number (no->code, v, popts);
  return 0;
}

/* Encode the script's arguments as strings (a scratch state runs the codec). */
static int
encode_args (char **argv, int argc, wbuf *out, ward_err *err)
{
  lua_State *L = luaL_newstate ();
  if (L == NULL)
    return ward_err_set (err, WARD_E_INTERNAL, ENOMEM, "encoding arguments");
  if (!lua_checkstack (L, argc + 1))
    {
      lua_close (L);
      return ward_err_set (err, WARD_E_INVALID, 0, "too many arguments");
    }
  for (int i = 0; i < argc; i++)
    lua_pushstring (L, argv[i]);
  int rc = ward_codec_encode (L, 1, argc, out, NULL, err);
  lua_close (L);
  return rc;
}

/* SIGINT, SIGTERM and SIGHUP stop the run the orderly way: every process
 * is ended and the audit writer commits what it holds, so that no denial
 * goes unrecorded. A second signal does not wait. One that was ignored when
 * ward started (nohup, a shell's background job) stays ignored: Linux
 * queues a blocked signal even when it is ignored, so it is left out of
 * the set rather than waited for. */
static sigset_t stop_signals;

static void *
signal_main (void *unused)
{
  (void) unused;
  for (;;)
    {
      int sig;
      if (sigwait (&stop_signals, &sig) != 0)
        continue;
      ward_lock (&ward_run_state.lock, WARD_LOCK_RUN);
      int again = ward_run_state.signo != 0;
      if (!again)
        {
          ward_run_state.signo = sig;
          ward_run_state.ended = 1;
          pthread_cond_broadcast (&ward_run_state.cond);
        }
      ward_unlock (&ward_run_state.lock);
      if (again)
        {
          static const char msg[] = "ward: a second signal: exiting without waiting\n";
          if (write (STDERR_FILENO, msg, sizeof msg - 1) < 0)
            { /* nothing left to tell */ }
          _exit (128 + sig);
        }
    }
  return NULL;
}

static int
start_signal_thread (ward_err *err)
{
  static const int stops[] = { SIGINT, SIGTERM, SIGHUP };
  int any = 0;
  sigemptyset (&stop_signals);
  for (size_t i = 0; i < sizeof stops / sizeof stops[0]; i++)
    {
      /* ignored by whoever started ward: left so; a failed query (no
       * such signal) counts as handled, so that the signal stops the run */
      struct sigaction was;
      if (sigaction (stops[i], NULL, &was) == 0 && was.sa_handler == SIG_IGN)
        continue;
      sigaddset (&stop_signals, stops[i]);
      any = 1;
    }
  if (!any)
    return 0;                           /* all three ignored: nothing to wait for */
  /* blocked here, before any other thread: every thread inherits it */
  int rc = pthread_sigmask (SIG_BLOCK, &stop_signals, NULL);
  pthread_t t;
  if (rc == 0)
    rc = pthread_create (&t, NULL, signal_main, NULL);
  if (rc == 0)
    rc = pthread_detach (t);
  return rc ? ward_err_set (err, WARD_E_INTERNAL, rc, "starting the signal thread") : 0;
}

/* The text of a profile's init script: one built into ward by its name
 * (init/NAME.lua), or a file. */
static int
init_text (const char *name, wbuf *out, ward_err *err)
{
  size_t len;
  const char *text = strncmp (name, "init/", 5) == 0 ? winit_builtin (name + 5, &len) : NULL;
  if (text)
    {
      wbuf_init (out, 0);
      return wbuf_append (out, text, len, err);
    }
  if (ward_def_source (name, out, err) < 0)
    return ward_err_prefix (err, "init script");
  return 0;
}

/* One declared host (not ward:main): a pool of its threads, made a
 * sandboxed host when it names a profile. */
static ward_host *
declared_host (const char *name, ward_err *err)
{
  ward_host_spec hs;
  ward_profile ss;
  if (ward_policy_host (name, &hs, err) < 0)
    return NULL;
  wbuf init;
  wbuf_init (&init, 0);
  if (hs.sandbox[0] && ward_policy_sandbox (hs.sandbox, &ss, err) < 0)
    return NULL;
  if (hs.sandbox[0] && ss.init[0] && init_text (ss.init, &init, err) < 0)
    {
      ward_err_prefix (err, "sandbox profile `%s`", hs.sandbox);
      return NULL;
    }
  long ncpu = sysconf (_SC_NPROCESSORS_ONLN);
  ward_host *h = ward_host_create (name, hs.threads > 0 ? hs.threads : ncpu > 0 ? (int) ncpu : 1,
                                   err);
  if (h && hs.sandbox[0]
      && ward_broker_host (h, hs.sandbox, &ss, ss.init[0] ? (const char *) init.data : NULL,
                           init.len, err) < 0)
    h = NULL;
  wbuf_free (&init);
  return h;
}

/* Every host the loaded policies declare besides ward:main (whose threads
 * are --threads'); *sandbox is ward:sandbox when it is a sandboxed host.
 * Hosts declared by a later `ward policy load` come with the next run. */
static int
declared_hosts (ward_host **sandbox, ward_err *err)
{
  *sandbox = NULL;
  char **names = ward_policy_host_names (err);
  if (names == NULL)
    return -1;
  int rc = 0;
  for (size_t i = 0; rc == 0 && names[i]; i++)
    {
      if (strcmp (names[i], "ward:main") == 0)
        continue;
      ward_host *h = declared_host (names[i], err);
      if (h == NULL)
        rc = ward_err_prefix (err, "host %s", names[i]);
      else if (strcmp (names[i], "ward:sandbox") == 0 && ward_broker_sandboxed (h))
        *sandbox = h;
    }
  ward_policy_names_free (names);
  return rc;
}

/* "ward run: MESSAGE": a message may quote a script (a compile error),
 * so it is escaped (wesc.h). */
static void
run_error (const char *msg)
{
  fputs ("ward run: ", stderr);
  ward_esc_fputs (msg, 0, stderr);
  fputc ('\n', stderr);
}

static int run_script (ward_policy_opts *popts, int untrusted, const char *actor, int argc,
                       char **argv);
struct run_opts;
static int run_with_grants (int argc, char **argv, struct run_opts *po);

static const struct option run_options[] = {
  { "root", required_argument, 0, 'r' }, { "threads", required_argument, 0, 't' },
  { "memory", required_argument, 0, 'm' }, { "mailbox", required_argument, 0, 'b' },
  { "mailbox-bytes", required_argument, 0, 'B' },
  { "instructions", required_argument, 0, 'i' }, { "children", required_argument, 0, 'c' },
  { "processes", required_argument, 0, 'N' },
  { "sandbox-children", required_argument, 0, 'C' },
  { "sandbox-processes", required_argument, 0, 'H' },
  { "sandbox-fds", required_argument, 0, 'F' },
  { "mailbox-fds", required_argument, 0, 'M' },
  { "fd-reserve", required_argument, 0, 'R' },
  { "actor", required_argument, 0, 'a' }, { "deny", required_argument, 0, 'd' },
  { "trace-gate", required_argument, 0, 'T' }, { "permissive", no_argument, 0, 'P' },
  { "policy", required_argument, 0, 'p' }, { "db", required_argument, 0, 'D' },
  { "audit", required_argument, 0, 'A' }, { "audit-all", no_argument, 0, 'L' },
  { "audit-sync", no_argument, 0, 'S' }, { "audit-fold", required_argument, 0, 'O' },
  { "untrusted", no_argument, 0, 'U' }, { "print-policy", no_argument, 0, 'Q' },
  { "audit-spool", required_argument, 0, 'W' },
  { "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 } };

/* ward run's --allow-* flags (the Deno habit): each grants its actions on
 * the value it is given, in a policy of the run's own that joins the
 * scope of the run's actor (ward_policy_grants_text: the value is a
 * literal, quoted and glob-escaped, so no value can become a pattern or
 * end its string). One line a flag. value refuses a value before the
 * policy's own checks (empty, control characters) with a sentence of its
 * own, or turns it into the resource the gate is asked about (a path into
 * its canonical form, *below set for a directory), into out (size
 * bytes); NULL keeps the value as it is. */
#define ALLOW_ACTS 3
#define ALLOW_GRANTS (ALLOW_ACTS + 1)   /* the grants of one flag, its module's with them */
typedef struct allow_flag {
  const char *name;             /* the option, without -- */
  enum ward_action_id act[ALLOW_ACTS];
  int nact;
  const char *module;           /* lua.require on this too (NULL: none), once a run */
  int (*value) (const char *v, char *out, size_t size, int *below, const char **why);
} allow_flag;

static int
check_env_name (const char *v, char *out, size_t size, int *below, const char **why)
{
  (void) out, (void) size, (void) below;
  if (strchr (v, '=') != NULL)
    {
      *why = "a variable's name holds no `=`";
      return -1;
    }
  return 1;
}

/* A path, as fs.open resolves it (fsgate.h: relative to the working
 * directory, every link followed, no . or ..): its canonical absolute
 * form; a directory that exists, or a value ending in `/`, grants
 * everything below it as well. */
static int
path_value (const char *v, char *out, size_t size, int *below, const char **why)
{
  static ward_fsgate_path r;
  static char msg[WARD_ERR_MSG_MAX];
  ward_err err;
  if (ward_fsgate_resolve (v, strlen (v), 1, &r, &err) < 0)
    {
      snprintf (msg, sizeof msg, "%s", err.msg);
      *why = msg;
      return -1;
    }
  size_t n = strlen (v);
  *below = (r.exists && S_ISDIR (r.st.st_mode)) || v[n - 1] == '/';
  if (r.exists && !S_ISDIR (r.st.st_mode) && v[n - 1] == '/')
    {
      *why = "it ends in `/` but is no directory";
      return -1;
    }
  if (snprintf (out, size, "%s", r.canon) >= (int) size)
    {
      *why = "its canonical form is too long";
      return -1;
    }
  return 0;
}

/* HOST:PORT as net.connect and net.listen name it (ward-lua(7)): a name
 * or IPv4 address, or an IPv6 address in brackets, and a port number
 * (written back without leading zeros); port 0 (any) only for listen. */
static int
endpoint_value (const char *v, char *out, size_t size, int port_min, const char **why)
{
  const char *colon = strrchr (v, ':');
  if (colon == NULL || colon == v)
    {
      *why = "it is HOST:PORT ([ADDRESS]:PORT for IPv6)";
      return -1;
    }
  size_t hl = (size_t) (colon - v);
  const char *host = v;
  if (v[0] == '[')
    {
      if (hl < 3 || v[hl - 1] != ']' || memchr (v + 1, ']', hl - 2) != NULL)
        {
          *why = "an IPv6 address is written [ADDRESS]:PORT";
          return -1;
        }
      host = v + 1;
      hl -= 2;
    }
  else if (memchr (v, ':', hl) != NULL)
    {
      *why = "an IPv6 address goes in brackets: [ADDRESS]:PORT";
      return -1;
    }
  if (hl > 253 || memchr (host, '[', hl) || memchr (host, ']', hl) || memchr (host, '/', hl)
      || memchr (host, ' ', hl))
    {
      *why = "the host is a name or an address of at most 253 bytes";
      return -1;
    }
  unsigned long long port;
  if (parse_count (colon + 1, 65535, &port) < 0 || port < (unsigned long long) port_min)
    {
      *why = port_min ? "the port is a number from 1 to 65535 (a pattern such as "
                        "\"host:*\" is a policy rule: ward-policy(5))"
                      : "the port is a number from 0 to 65535 (a pattern such as "
                        "\"host:*\" is a policy rule: ward-policy(5))";
      return -1;
    }
  snprintf (out, size, v[0] == '[' ? "[%.*s]:%llu" : "%.*s:%llu", (int) hl, host, port);
  return 0;
}

static int
connect_value (const char *v, char *out, size_t size, int *below, const char **why)
{
  (void) below;
  return endpoint_value (v, out, size, 1, why);
}

static int
listen_value (const char *v, char *out, size_t size, int *below, const char **why)
{
  (void) below;
  return endpoint_value (v, out, size, 0, why);
}

/* Each also lets the script require its module. --allow-read covers what
 * reads (fs.stat and fs.list too); --allow-write
 * what changes a file, as Deno's does: writing, making (and so
 * fs.write_file of a new file, fs.mkdir) and removing (and so fs.rename
 * within the grant). */
static const allow_flag allow_flags[] = {
  { "allow-env", { WARD_ACT_ENV_READ }, 1, NULL, check_env_name },
  { "allow-read", { WARD_ACT_FS_READ, WARD_ACT_FS_LIST }, 2, "fs", path_value },
  { "allow-write", { WARD_ACT_FS_WRITE, WARD_ACT_FS_CREATE, WARD_ACT_FS_REMOVE }, 3, "fs",
    path_value },
  { "allow-net", { WARD_ACT_NET_CONNECT }, 1, "net", connect_value },
  { "allow-listen", { WARD_ACT_NET_LISTEN }, 1, "net", listen_value },
};
#define NALLOW (sizeof allow_flags / sizeof *allow_flags)
#define ALLOW_CODE 1000         /* getopt code of allow_flags[0]; the others follow */

/* run_options and one option a flag of allow_flags, into all. */
#define NRUN_OPTIONS (sizeof run_options / sizeof *run_options)
static struct option all_options[NRUN_OPTIONS + NALLOW];

static const struct option *
options_of_run (void)
{
  size_t k = 0;
  for (; k + 1 < NRUN_OPTIONS; k++)
    all_options[k] = run_options[k];
  for (size_t i = 0; i < NALLOW; i++)
    all_options[k++] = (struct option) { allow_flags[i].name, required_argument, 0,
                                         ALLOW_CODE + (int) i };
  all_options[k] = (struct option) { 0, 0, 0, 0 };
  return all_options;
}

/* --allow-*'s value v: the resource it grants (malloc'd; NULL for v
 * itself when the flag keeps values as they are), *below for a directory;
 * 0, or -1 after saying why not. */
static int
allow_value (const allow_flag *f, const char *v, char **res, int *below)
{
  const char *why = NULL;
  char buf[PATH_MAX];
  int r = 1;
  *res = NULL;
  *below = 0;
  if (v[0] == '\0')
    why = "an empty value grants nothing";
  for (const unsigned char *p = (const unsigned char *) v; why == NULL && *p; p++)
    if (*p < 0x20 || *p == 0x7f)
      why = "it holds a control character (a newline?)";
  if (why == NULL && f->value && (r = f->value (v, buf, sizeof buf, below, &why)) == 0
      && (*res = strdup (buf)) == NULL)
    why = "out of memory";
  if (why == NULL)
    return 0;
  free (*res);
  *res = NULL;
  fprintf (stderr, "ward run: bad value `");
  ward_esc_fputs (v, WARD_ESC_MAX, stderr);
  fprintf (stderr, "` for --%s: %s\n", f->name, why);
  return -1;
}

/* What ward run's options say besides the limits, which go to ward_cfg. */
typedef struct run_opts {
  const char *root, *actor;
  int untrusted, actor_given, print_policy;
  ward_grant *grants;           /* room for ALLOW_GRANTS per argument */
  size_t ngrants;
  char **owned;                 /* the resources made from a value (one per argument) */
  size_t nowned;
  const char **deny, **pfiles;  /* room for one per argument, NULL-terminated */
  size_t ndeny, npfiles;
  ward_policy_opts popts;
} run_opts;

/* ward_cfg's limits before the options. */
static void
run_defaults (void)
{
  long ncpu = sysconf (_SC_NPROCESSORS_ONLN);
  ward_cfg.threads = ncpu > 0 ? (int) ncpu : 1;
  ward_cfg.mem_limit = 256u << 20;
  ward_cfg.mailbox_limit = 100000;
  ward_cfg.mailbox_bytes = (size_t) 64 << 20;
  ward_cfg.max_children = 100000;
  ward_cfg.max_processes = 1000000;
}

/* Read the options into ward_cfg and *o; optind is then the script's
 * index. -1 to go on, or ward's exit status: 0 after --help, 2 after a
 * usage error (said). */
static int
run_parse (int argc, char **argv, run_opts *o)
{
  int c;
  optind = 1;
  const struct option *options = options_of_run ();
  while ((c = getopt_long (argc, argv, "+h", options, NULL)) != -1)
    switch (c)
      {
      case 'Q': o->print_policy = 1; break;
      case 'r': o->root = optarg; break;
      case 'a':
        if (optarg[0] == '\0')
          {
            fprintf (stderr, "ward run: bad value `%s` for --actor (an actor id, not empty)\n",
                     optarg);
            return 2;
          }
        o->actor = optarg;
        o->actor_given = 1;
        break;
      case 'U': o->untrusted = 1; break;
      case 'd': o->deny[o->ndeny++] = optarg; break;
      case 'T': o->popts.trace_path = optarg; break;
      case 'P': o->popts.permissive = 1; break;
      case 'p': o->pfiles[o->npfiles++] = optarg; break;
      case 'D': o->popts.db_path = optarg; break;
      case 'A': o->popts.audit_path = optarg; break;
      case 'W': o->popts.audit_spool = optarg; break;
      case 'L': o->popts.audit_all = 1; break;
      case 'S': o->popts.audit_sync = ward_cfg.audit_sync = 1; break;
      case 'h': usage (stdout); return 0;
      default:
        {
          if (c >= ALLOW_CODE && c < ALLOW_CODE + (int) NALLOW)
            {
              const allow_flag *f = &allow_flags[c - ALLOW_CODE];
              char *res;
              int below;
              if (allow_value (f, optarg, &res, &below) < 0)
                return 2;
              if (res)
                o->owned[o->nowned++] = res;
              for (int a = 0; a < f->nact; a++)
                o->grants[o->ngrants++] = (ward_grant) { ward_actions[f->act[a]].name,
                                                         res ? res : optarg, below };
              /* the module that makes the grant usable (require "fs"), once */
              size_t g = 0;
              while (f->module && g < o->ngrants
                     && !(strcmp (o->grants[g].action, WARD_ACTION (LUA_REQUIRE)) == 0
                          && strcmp (o->grants[g].resource, f->module) == 0))
                g++;
              if (f->module && g == o->ngrants)
                o->grants[o->ngrants++] = (ward_grant) { WARD_ACTION (LUA_REQUIRE),
                                                         f->module, 0 };
              break;
            }
          const num_opt *no = num_opt_of (c);
          if (no == NULL)
            {
              usage (stderr);
              return 2;
            }
          if (set_number (no, optarg, &o->popts) < 0)
            return 2;
        }
      }
  return -1;
}

/* Check the options together and resolve the script and the root into
 * ward_cfg: 0, or 2 after saying why not. */
static int
run_check (int argc, char **argv, run_opts *o)
{
  if (optind >= argc)
    {
      fprintf (stderr, "ward run: no script given\n");
      usage (stderr);
      return 2;
    }
  const char *script = argv[optind];
  if (realpath (script, ward_cfg.main_path) == NULL)
    {
      /* /dev/fd/N of a pipe (`ward run <(...)`) exists but names no file:
       * a script is a file, known by its path */
      int e = errno;
      struct stat st;
      if (e == ENOENT && stat (script, &st) == 0 && !S_ISREG (st.st_mode))
        fprintf (stderr, "ward run: cannot open script `%s`: not a regular file (a script "
                 "is a file ward names by its path: save it to one)\n", script);
      else
        fprintf (stderr, "ward run: cannot open script `%s`: %s\n", script, strerror (e));
      return 2;
    }
  if (o->root)
    {
      if (realpath (o->root, ward_cfg.root) == NULL)
        {
          fprintf (stderr, "ward run: bad --root `%s`: %s\n", o->root, strerror (errno));
          return 2;
        }
    }
  else
    {
      snprintf (ward_cfg.root, sizeof ward_cfg.root, "%s", ward_cfg.main_path);
      char *slash = strrchr (ward_cfg.root, '/');
      if (slash)
        *(slash == ward_cfg.root ? slash + 1 : slash) = '\0';
    }

  if (o->untrusted && o->actor_given && strcmp (o->actor, "untrusted") != 0)
    {
      fprintf (stderr, "ward run: --untrusted runs the script as actor `untrusted`; "
               "it does not go with --actor %s\n", o->actor);
      return 2;
    }
  if (o->untrusted)
    o->actor = "untrusted";
  return 0;
}

/* What the process needs before the first thread: SIGPIPE ignored, the
 * allocator tuned, the sandbox supervisor forked, the descriptor table
 * sized. 0, or 1 after saying why not. */
static int
run_start (void)
{
  ward_err err;
#ifdef WARD_TEST_HOOKS
  ward_remote_raw = getenv ("WARD_TEST_RAW_WIRE") != NULL;
#endif
  /* a write to a pipe nobody reads (fd:write) is EPIPE for that process,
   * never a signal that ends the run */
  struct sigaction ign;
  memset (&ign, 0, sizeof ign);
  ign.sa_handler = SIG_IGN;
  if (wfault_at ("main.sigpipe") || sigaction (SIGPIPE, &ign, NULL) < 0)
    {
      fprintf (stderr, "ward run: cannot ignore SIGPIPE: %s\n", strerror (errno));
      return 1;
    }
  /* Messages of up to 16 MiB pass through buffers of the runtime: past
   * 1 MiB each is mapped and unmapped on its own. glibc's default raises
   * that threshold to the largest block freed so far, after which freed
   * message buffers stay in its arenas: hundreds of MB held after a burst
   * of large messages to idle processes. */
  mallopt (M_MMAP_THRESHOLD, 1 << 20);
  /* The sandbox supervisor is forked before any thread or secret exists;
   * without it, spawns on sandboxed hosts fail (and say why). */
  if (wsb_supervisor_start (ward_remote_main, &err) < 0)
    snprintf (ward_broker_no_supervisor, sizeof ward_broker_no_supervisor, "%s", err.msg);
  /* (after the supervisor: its children keep the limits ward was given) */
  if (ward_fd_table_init (ward_cfg.fd_reserve, &err) < 0)
    {
      run_error (err.msg);
      return 1;
    }
  return 0;
}

/* The policy text of the --allow-* flags into *text (NULL when there are
 * none and --print-policy was not given): 0, or 2 after saying why not. */
static int
run_grants (run_opts *o, char **text)
{
  *text = NULL;
  if (o->ngrants == 0 && !o->print_policy)
    return 0;
  ward_err err;
  if ((*text = ward_policy_grants_text (o->grants, o->ngrants, &err)) == NULL)
    {
      fprintf (stderr, "ward run: --allow-*: ");
      ward_esc_fputs (err.msg, WARD_ESC_MAX, stderr);
      fputc ('\n', stderr);
      return 2;
    }
  return 0;
}

static int
run_with_opts (int argc, char **argv, run_opts *po)
{
  run_opts o = *po;
  run_defaults ();
  int rc = run_parse (argc, argv, &o);
  po->nowned = o.nowned;
  if (rc >= 0)
    return rc;
  char *grants_text;
  if ((rc = run_grants (&o, &grants_text)) != 0)
    return rc;
  if (o.print_policy)
    {
      fputs (grants_text, stdout);
      free (grants_text);
      return fflush (stdout) == 0 ? 0 : 1;
    }
  o.popts.grants_text = grants_text;
  rc = run_with_grants (argc, argv, &o);
  free (grants_text);
  return rc;
}

static int
run_with (int argc, char **argv, const char **deny, const char **pfiles, ward_grant *grants)
{
  char **owned = calloc ((size_t) argc + 1, sizeof *owned);
  if (owned == NULL)
    {
      fprintf (stderr, "ward: out of memory\n");
      return 1;
    }
  run_opts o = { .actor = "main", .deny = deny, .pfiles = pfiles, .grants = grants,
                 .owned = owned };
  int rc = run_with_opts (argc, argv, &o);
  for (size_t i = 0; i < o.nowned; i++)
    free (owned[i]);
  free (owned);
  return rc;
}

static int
run_with_grants (int argc, char **argv, run_opts *po)
{
  run_opts o = *po;
  int rc;
  if ((rc = run_check (argc, argv, &o)) != 0)
    return rc;
  /* a run that sandboxes its first process has the supervisor compile the
   * default seccomp profile while the runtime starts, not at its spawn */
  wsb_supervisor_prepare_early (o.untrusted);
  if ((rc = run_start ()) != 0)
    return rc;
  o.popts.deny = o.deny;
  o.popts.policy_files = o.pfiles;
  o.popts.run_actor = o.actor;
  o.popts.audit_later = 1;
  rc = run_script (&o.popts, o.untrusted, o.actor, argc - optind, argv + optind);
  /* However the run went, ward exits only once the supervisor and every
   * sandboxed child not detached are reaped (a no-op when done already). */
  wsb_supervisor_stop ();
  return rc;
}

/* The run has ended (its master exited, or a signal came): end every
 * process, stop the threads and the audit writer, say how the first
 * process ended. ward's exit status. */
static int
run_stop (void)
{
  if (ward_run_state.signo)
    fprintf (stderr, "ward: stopped by %s: ending every process\n",
             strsignal (ward_run_state.signo));
  ward_proc_kill_all (ward_run_state.signo ? "the run was stopped by a signal"
                      : "the run ended: the master process exited");
  ward_wait_all_exited ();
  ward_broker_shutdown ();
  wsb_supervisor_stop ();
  ward_hosts_stop ();
  ward_timers_stop ();
  ward_policy_shutdown ();
  if (ward_run_state.first_abnormal && !ward_run_state.signo)
    {
      fputs ("ward: ", stderr);
      ward_esc_fputs (ward_run_state.first_pid, 0, stderr);
      fputs (": ", stderr);
      ward_esc_fputs (ward_run_state.first_error, WARD_ESC_MAX, stderr);
      fputc ('\n', stderr);
    }
  /* lost audit records (already reported) outrank every other status */
  if (ward_policy_audit_lost ())
    return 3;
  if (ward_run_state.signo)
    return 128 + ward_run_state.signo;
  return ward_run_state.first_abnormal ? 1 : 0;
}

/* Run SCRIPT (argv[0]) with its arguments, the supervisor started: ward's
 * exit status. */
static int
run_script (ward_policy_opts *popts, int untrusted, const char *actor, int argc, char **argv)
{
  ward_err err;
  wbuf args;
  wbuf_init (&args, 0);
  if (start_signal_thread (&err) < 0 || ward_policy_init (popts, &err) < 0 || ward_timers_start (&err) < 0
      || encode_args (argv + 1, argc - 1, &args, &err) < 0)
    {
      run_error (err.msg);
      return 1;
    }
  ward_host *mainh = ward_host_create ("ward:main", ward_cfg.threads, &err);
  ward_host *sbxh = NULL;
  if (mainh == NULL || declared_hosts (&sbxh, &err) < 0
      || ward_def_check (ward_cfg.main_path, &err) < 0)
    {
      run_error (err.msg);
      return 1;
    }
  ward_spawn_req req = { .def_id = "", .path = ward_cfg.main_path, .host = mainh,
                         .args = args.data, .args_len = args.len, .actor_id = actor,
                         .first = 1 };
  if (untrusted)
    {
      if (sbxh == NULL)
        {
          fprintf (stderr, "ward run: --untrusted: no loaded policy declares host "
                   "ward:sandbox with a sandbox profile\n");
          return 1;
        }
      req.host = sbxh;
      if ((req.remote = ward_broker_prepare (sbxh, &err)) == NULL)
        {
          run_error (err.msg);
          return 1;
        }
    }
  /* The audit database opened meanwhile (audit_later): nothing of the
   * script runs before the run is known to be auditable. */
  if (ward_policy_audit_ready (&err) < 0)
    {
      ward_broker_abort (req.remote);
      wbuf_free (&args);
      run_error (err.msg);
      return 1;
    }
  /* The first process is both "first" (its status is ward's) and master. */
  ward_proc *first = ward_spawn (NULL, &req, &err);
  wbuf_free (&args);
  if (first == NULL)
    {
      ward_broker_abort (req.remote);
      run_error (err.msg);
      return 1;
    }
  ward_proc_unref (first);

  ward_lock (&ward_run_state.lock, WARD_LOCK_RUN);
  while (!ward_run_state.ended)
    pthread_cond_wait (&ward_run_state.cond, &ward_run_state.lock);
  ward_unlock (&ward_run_state.lock);

  return run_stop ();
}

static int
cmd_run (int argc, char **argv)
{
  ward_err err;
  if (ward_vm_lua_check (&err) < 0)
    {
      run_error (err.msg);
      return 1;
    }
  const char **deny = calloc ((size_t) argc + 1, sizeof *deny);
  const char **pfiles = calloc ((size_t) argc + 1, sizeof *pfiles);
  ward_grant *grants = calloc (((size_t) argc + 1) * ALLOW_GRANTS, sizeof *grants);
  int rc = 1;
  if (deny && pfiles && grants)
    rc = run_with (argc, argv, deny, pfiles, grants);
  else
    fprintf (stderr, "ward: out of memory\n");
  free (deny);
  free (pfiles);
  free (grants);
  return rc;
}

/* Descriptors 0, 1 and 2 are the standard streams that io hands to a
 * script granted them (a subprocess actor gets a copy). A stream ward was
 * started without would be the first descriptor ward opens (the sandbox
 * supervisor's socket, the audit database): each is /dev/null before
 * anything is opened, or ward does not start. 0, or -1 (errno). */
static int
std_fds_open (void)
{
  for (int fd = 0; fd < 3; fd++)
    if (fcntl (fd, F_GETFD) < 0)
      {
        if (errno != EBADF)
          return -1;
        int n = open ("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY);
        if (n != fd)
          {
            if (n >= 0)
              close (n), errno = EBADF;
            return -1;
          }
      }
  return 0;
}

int
main (int argc, char **argv)
{
  ward_policy_scrub_argv (argc, argv);
  if (std_fds_open () < 0)
    {
      fprintf (stderr, "ward: a standard stream is closed and /dev/null cannot take its place: "
               "%s\n", strerror (errno));
      return 1;
    }
  if (argc < 2)
    {
      usage (stderr);
      return 2;
    }
  if (strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0
      || strcmp (argv[1], "help") == 0)
    {
      usage (stdout);
      return 0;
    }
  if (strcmp (argv[1], "--version") == 0)
    {
      int lr = ward_lua_release_running ();
      printf ("ward %s (Lua %s)\n", PACKAGE_VERSION, LUA_VERSION_MAJOR "." LUA_VERSION_MINOR);
      printf ("Lua library: built with %s, running %d.%d.%d\n", LUA_RELEASE,
              lr / 10000, lr / 100 % 100, lr % 100);
      return 0;
    }
  if (strcmp (argv[1], "run") == 0)
    return cmd_run (argc - 1, argv + 1);
  if (strcmp (argv[1], "policy") == 0)
    return ward_policy_cli (argc - 1, argv + 1);
  if (strcmp (argv[1], "audit") == 0)
    return ward_audit_cli (argc - 1, argv + 1);
  fprintf (stderr, "ward: unknown command `%s`\n", argv[1]);
  usage (stderr);
  return 2;
}
