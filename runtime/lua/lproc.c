/* lproc.c -- the Lua `process` module (seed 001), every call through the
 * permission gate with exactly the permissions of the seed's table. */
#include "config.h"
#include "vm.h"
#include "remote.h"
#include "codec.h"
#include "lfd.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <lauxlib.h>

#define BUILDER "ward.builder"


/* In a subprocess actor, calls that reach beyond the actor are performed
 * by its stand-in in the runtime (remote.h), with the same arguments. */
#define FORWARD(L, op)                                  \
  do                                                    \
    if (ward_remote_chan >= 0)                          \
      return ward_remote_call (L, op);                  \
  while (0)

/* What a subprocess actor cannot do yet. */
#define NOT_IN_SUBPROCESS(L, what)                                              \
  do                                                                            \
    if (ward_remote_chan >= 0)                                                  \
      return ward_push_error (L, WARD_E_UNAVAILABLE, "%s is not available to a " \
                              "subprocess actor", what);                        \
  while (0)

/* ---- argument helpers: bad input is nil, INVALID -- never a raise ---- */
static const char *
arg_string (lua_State *L, int idx, const char *what, ward_err *err)
{
  if (lua_type (L, idx) != LUA_TSTRING)
    {
      ward_err_set (err, WARD_E_INVALID, 0, "%s must be a string, got %s", what,
                    luaL_typename (L, idx));
      return NULL;
    }
  size_t len;
  const char *s = lua_tolstring (L, idx, &len);
  if (s[0] == '\0')
    {
      ward_err_set (err, WARD_E_INVALID, 0, "%s must not be empty", what);
      return NULL;
    }
  /* C sees the string up to its first NUL: refuse rather than act on a
   * prefix of what the script passed. */
  if (strlen (s) != len)
    {
      ward_err_set (err, WARD_E_INVALID, 0, "%s `%s...` holds a NUL byte", what, s);
      return NULL;
    }
  return s;
}

/* Whether the value at idx is a string with a NUL byte inside. */
static int
has_nul (lua_State *L, int idx)
{
  size_t len;
  if (lua_type (L, idx) != LUA_TSTRING)
    return 0;
  const char *s = lua_tolstring (L, idx, &len);
  return strlen (s) != len;
}

/* The process named at idx, for the caller to do `action` on it: asked
 * before it is looked up (ward_proc_target), so that a caller that may not
 * learns nothing of which PIDs or names exist. */
static ward_proc *
arg_target (lua_State *L, int idx, const char *action, const char *resource, ward_err *err)
{
  const char *dest = arg_string (L, idx, "destination", err);
  if (dest == NULL)
    return NULL;
  return ward_proc_target (ward_current (), action, dest, resource, err);
}

static int
check_topic (const char *topic, ward_err *err)
{
  if (topic[0] == '@')
    return ward_err_set (err, WARD_E_INVALID, 0,
                         "topic `%s`: topics starting with @ are reserved", topic);
  return 0;
}

static int
check_name (const char *name, ward_err *err)
{
  if (name[0] == '\0' || name[0] == '{' || strlen (name) > 255)
    return ward_err_set (err, WARD_E_INVALID, 0, "bad name `%.60s`: a name is 1..255 bytes "
                         "and does not start with {", name);
  return 0;
}

static _Thread_local wbuf enc_buf;
static _Thread_local ward_fdvec enc_fds;

void
ward_lproc_thread_exit (void)
{
  wbuf_free (&enc_buf);
  ward_fdvec_close (&enc_fds);
}

static int
encode (lua_State *L, int idx, int n, ward_err *err)
{
  wbuf_reset (&enc_buf);
  return ward_codec_encode (L, idx, n, &enc_buf, ward_codec_opts_rt (), err);
}

/* Push fresh copies of the n values at idx (a snapshot: later changes to
 * the originals change nothing); -1 with err when one cannot be sent. */
static int
snapshot (lua_State *L, int idx, int n, ward_err *err)
{
  int got;
  if (encode (L, idx, n, err) < 0)
    return -1;
  /* the copies of channels are counted, then taken over by the decoded
   * ones: in the runtime by vmchan_ref, in a subprocess actor here */
  ward_remote_hold (enc_buf.data, enc_buf.len);
  if (ward_codec_decode (L, enc_buf.data, enc_buf.len, ward_codec_opts_rt (), &got, err) < 0)
    return -1;
  return got;
}

/* ---- identity ---- */
static int
l_pid (lua_State *L)
{
  lua_pushstring (L, ward_current ()->pid);
  return 1;
}

static int
l_id (lua_State *L)
{
  lua_pushstring (L, ward_current ()->frame);
  return 1;
}

/* ---- send ---- */
ward_msg *
ward_msg_encode (lua_State *L, int kind, const char *from, const char *topic, int idx, int n,
                 ward_err *err)
{
  wbuf_reset (&enc_buf);
  ward_fdvec_close (&enc_fds);  /* what a memory error left behind */
  ward_codec_opts o = *ward_codec_opts_rt ();
  o.fds = &enc_fds;
  if (ward_codec_encode (L, idx, n, &enc_buf, &o, err) < 0)
    return NULL;
  ward_msg *m = ward_msg_new (kind, from, topic, enc_buf.data, enc_buf.len);
  if (m == NULL)
    ward_err_set (err, WARD_E_INTERNAL, ENOMEM, "out of memory for a message");
  else if (ward_msg_take_fds (m, &enc_fds, err) < 0)
    {
      ward_msg_free (m);
      m = NULL;
    }
  ward_fdvec_close (&enc_fds);
  return m;
}

/* Deliver a message to t, which the caller was allowed to send to. */
static int
send_to (lua_State *L, ward_proc *p, ward_proc *t, const char *topic, int first, int n,
         ward_err *err)
{
  ward_msg *m = ward_msg_encode (L, WARD_MSG_USER, p->pid, topic, first, n, err);
  return m ? ward_deliver (t, m, err) : -1;
}

static int
l_send (lua_State *L)
{
  FORWARD (L, "send");
  ward_vm_check_killed (L);
  ward_proc *p = ward_current ();
  ward_err err;
  const char *topic = arg_string (L, 2, "topic", &err);
  if (topic == NULL || check_topic (topic, &err) < 0)
    return ward_push_err (L, &err);
  ward_proc *t = arg_target (L, 1, WARD_ACTION (SEND), NULL, &err);
  if (t == NULL)
    return ward_push_err (L, &err);
  int rc = send_to (L, p, t, topic, 3, lua_gettop (L) - 2, &err);
  ward_proc_unref (t);
  if (rc < 0)
    return ward_push_err (L, &err);
  lua_pushboolean (L, 1);
  return 1;
}

/* ---- spawn ---- */
enum { SP_MONITOR = 1, SP_LINK = 2, SP_EXEC = 4 };

typedef struct builder_view {
  int idx;                      /* stack index of the builder's table, or 0 */
  const char *actor;
  const char **scope; size_t nscope; int set_scope;
  int has_context;
  const char *name;
} builder_view;
static lua_Integer builder_nmessages (lua_State *L, int t);

static int exec_k (lua_State *L, int status, lua_KContext ctx);

/* The permissions a spawn asks for, in the seed's order. */
static int
spawn_perms (const char *id, const char *host, int flags, const builder_view *b,
             const char **pairs)
{
  int n = 0;
#define ASK(a, r) (pairs[2 * n] = (a), pairs[2 * n + 1] = (r), n++)
  if (flags & SP_EXEC)
    ASK (WARD_ACTION (EXEC), id);
  else
    {
      ASK (WARD_ACTION (SPAWN), id);
      if (flags & SP_MONITOR)
        ASK (WARD_ACTION (SPAWN_MONITORED), id);
      if (flags & SP_LINK)
        ASK (WARD_ACTION (SPAWN_LINKED), id);
    }
  ASK (WARD_ACTION (HOST), host);
  if (b && (b->actor || b->set_scope))
    ASK (WARD_ACTION (SECURITY), "security");
  if (b && b->has_context)
    ASK (WARD_ACTION (CONTEXT), "context");
  /* a name is registered as registry.register would: asked on the name */
  if (b && b->name)
    ASK (WARD_ACTION (REGISTRY_REGISTER), b->name);
#undef ASK
  return n;
}

static int
no_host (lua_State *L, const char *hostname)
{
  return ward_push_error (L, WARD_E_NOT_FOUND, "no host `%s`%s", hostname,
                          strcmp (hostname, "ward:sandbox") == 0
                          ? " (no loaded policy declares it with a sandbox profile)" : "");
}

/* Spawn id on host with the arguments from index first; the builder (if
 * any) adds actor, scope, context, name and queued messages. Pushes the
 * results (pid or nil, err). */
static int
do_spawn (lua_State *L, int first, int flags, const builder_view *b)
{
  if (ward_remote_chan >= 0 && b == NULL)
    return ward_remote_call (L, (flags & SP_EXEC) ? "exec"
                             : flags == 0 ? "spawn" : flags == SP_MONITOR ? "spawn_monitored"
                             : flags == SP_LINK ? "spawn_linked" : "spawn_linked_monitored");
  ward_vm_check_killed (L);
  ward_proc *p = ward_current ();
  ward_err err;
  const char *id = arg_string (L, first, "process id", &err);
  if (id == NULL)
    return ward_push_err (L, &err);
  const char *hostname = arg_string (L, first + 1, "host", &err);
  if (hostname == NULL)
    return ward_push_err (L, &err);
  char path[4096];
  if (ward_def_resolve (id, path, sizeof path, &err) < 0)
    return ward_push_err (L, &err);
  const char *pairs[16];
  int n = spawn_perms (id, hostname, flags, b, pairs);
  if (ward_proc_authorize (p, pairs, n, NULL, &err) < 0)
    return ward_push_err (L, &err);
  ward_host *host = ward_host_find (hostname);
  if (host == NULL)
    return no_host (L, hostname);
  /* a context (spawn_vm's) is held only while the spawn is made, below */
  ward_host_drop (host);
  const ward_def *def = ward_def_get (path, 0, &err);
  if (def == NULL)
    return ward_push_err (L, &err);
  int nargs = lua_gettop (L) - (first + 1);
  if (b)
    nargs = lua_gettop (L) - (first + 1);
  if (encode (L, first + 2, nargs, &err) < 0)
    return ward_push_err (L, &err);

  ward_spawn_req req = { .def_id = id, .path = path, .def = def, .host = NULL,
                         .args = enc_buf.data, .args_len = enc_buf.len,
                         .monitor = !!(flags & SP_MONITOR), .link = !!(flags & SP_LINK),
                         .exec_wait = !!(flags & SP_EXEC), .is_worker = 1 };
  wbuf ctx;
  wbuf_init (&ctx, 0);
  if (b)
    {
      req.actor_id = b->actor;
      req.scope = b->scope;
      req.nscope = b->nscope;
      req.set_scope = b->set_scope;
      req.name = b->name;
      if (b->name && check_name (b->name, &err) < 0)
        return ward_push_err (L, &err);
      if (b->has_context)
        {
          lua_getfield (L, b->idx, "context");
          int rc = ward_codec_encode (L, -1, 1, &ctx, ward_codec_opts_rt (), &err);
          lua_pop (L, 1);
          if (rc < 0)
            {
              wbuf_free (&ctx);
              return ward_push_err (L, &err);
            }
          req.context = ctx.data;
          req.context_len = ctx.len;
          req.set_context = 1;
        }
    }
  /* The arguments live in enc_buf, which send_to below reuses: copy. */
  wbuf args;
  wbuf_init (&args, 0);
  if (wbuf_append (&args, enc_buf.data, enc_buf.len, &err) < 0)
    {
      wbuf_free (&ctx);
      return ward_push_err (L, &err);
    }
  req.args = args.data;
  /* A child with queued messages is started only once they are in its
   * mailbox: they come before anything else it receives, and a child that
   * ends at once cannot make the sends fail after it ran. */
  lua_Integer nqueued = 0;
  if (b)
    {
      nqueued = builder_nmessages (L, b->idx);
    }
  req.hold = nqueued > 0;
  req.ask_send = nqueued > 0;   /* the queued messages are the parent's sends */
  /* On a sandboxed host the child is made first: a sandbox that cannot
   * be built (an init script that fails) is this call's error. One that
   * ward_spawn would refuse for the parent's children is not made. */
  if ((req.host = host = ward_host_find (hostname)) == NULL)
    {
      wbuf_free (&ctx);
      wbuf_free (&args);
      return no_host (L, hostname);   /* a context whose last process ended */
    }
  if (ward_broker_sandboxed (host)
      && (ward_spawn_admit (p, &err) < 0
          || (req.remote = ward_broker_prepare (host, &err)) == NULL))
    {
      ward_host_drop (host);
      wbuf_free (&ctx);
      wbuf_free (&args);
      return ward_push_err (L, &err);
    }
  ward_proc *child = ward_spawn (p, &req, &err);
  ward_host_drop (host);                /* the child holds it now */
  wbuf_free (&ctx);
  wbuf_free (&args);
  if (child == NULL)
    {
      ward_broker_abort (req.remote);
      return ward_push_err (L, &err);
    }
  int rc = 1;
  char pid[64];
  snprintf (pid, sizeof pid, "%s", child->pid);

  if (b)
    {
      /* Queued messages go out as sends from the parent, in order. */
      lua_Integer nm = builder_nmessages (L, b->idx);
      lua_getfield (L, b->idx, "messages");
      for (lua_Integer i = 1; i <= nm; i++)
        {
          lua_rawgeti (L, -1, i);
          int mi = lua_gettop (L);
          lua_getfield (L, mi, "n");
          int nv = (int) lua_tointeger (L, -1);
          lua_pop (L, 1);
          luaL_checkstack (L, nv + 2, "too many message values");
          lua_getfield (L, mi, "topic");
          const char *topic = lua_tostring (L, -1);
          for (int v = 1; v <= nv; v++)
            lua_rawgeti (L, mi, v);
          if (send_to (L, p, child, topic, mi + 2, nv, &err) < 0)
            {
              ward_proc_kill (child, "spawn failed: queued message: %s", err.msg);
              ward_sched_push (child);  /* it runs only to end */
              ward_proc_unref (child);
              return ward_push_err (L, &err);
            }
          lua_settop (L, mi - 1);
        }
      lua_pop (L, 1);
      if (nqueued > 0)
        ward_sched_push (child);
    }
  ward_proc_unref (child);
  if (flags & SP_EXEC)
    {
      lua_settop (L, 0);
      lua_pushstring (L, pid);
      return exec_k (L, LUA_OK, 0);
    }
  lua_pushstring (L, pid);
  return rc;
}

static int
exec_k (lua_State *L, int status, lua_KContext ctx)
{
  ward_vm_check_killed (L);
  ward_proc *p = ward_current ();
  ward_msg *m = ward_port_pop (p, WARD_PORT_EXEC);
  if (m == NULL)
    return ward_vm_block (L, 0, exec_k);
  ward_msg_hold (p, m);
  int n;
  ward_err err;
  if (m->is_error)
    n = ward_push_error (L, WARD_E_INTERNAL, "%s failed: %.*s", m->from, (int) m->len,
                         (const char *) m->data);
  else if ((m->handles = 0, ward_codec_decode (L, m->data, m->len, ward_codec_opts_rt (), &n,
                                               &err)) < 0)    /* (takes its copies over) */
    n = ward_push_err (L, &err);
  ward_msg_release (p);
  return n;
}

static int l_spawn (lua_State *L) { return do_spawn (L, 1, 0, NULL); }
static int l_spawn_monitored (lua_State *L) { return do_spawn (L, 1, SP_MONITOR, NULL); }
static int l_spawn_linked (lua_State *L) { return do_spawn (L, 1, SP_LINK, NULL); }
static int l_spawn_lm (lua_State *L) { return do_spawn (L, 1, SP_LINK | SP_MONITOR, NULL); }
static int
l_exec (lua_State *L)
{
  /* exec waits for its child: refuse before spawning one that nobody
   * would wait for (inside a metamethod or C callback). */
  if (!lua_isyieldable (L))
    return ward_push_error (L, WARD_E_INVALID, "exec cannot wait here (inside a metamethod "
                            "or C callback that cannot yield)");
  return do_spawn (L, 1, SP_EXEC, NULL);
}

/* ---- control ---- */
static int
l_terminate (lua_State *L)
{
  FORWARD (L, "terminate");
  ward_vm_check_killed (L);
  ward_proc *p = ward_current ();
  ward_err err;
  ward_proc *t = arg_target (L, 1, WARD_ACTION (TERMINATE), NULL, &err);
  if (t == NULL)
    return ward_push_err (L, &err);
  ward_proc_kill (t, "terminated by %s", p->pid);
  ward_proc_unref (t);
  ward_vm_check_killed (L);       /* terminating oneself ends here */
  lua_pushboolean (L, 1);
  return 1;
}

#define WARD_CANCEL_DEFAULT_MS 5000

static int
l_cancel (lua_State *L)
{
  FORWARD (L, "cancel");
  ward_vm_check_killed (L);
  ward_proc *p = ward_current ();
  ward_err err;
  int64_t ms = WARD_CANCEL_DEFAULT_MS;
  if (!lua_isnoneornil (L, 2) && ward_check_duration (L, 2, &ms, &err) < 0)
    return ward_push_err (L, &err);
  ward_proc *t = arg_target (L, 1, WARD_ACTION (CANCEL), NULL, &err);
  if (t == NULL)
    return ward_push_err (L, &err);
  int rc;
  ward_msg *m = ward_msg_new (WARD_MSG_CANCEL, p->pid, NULL, NULL, 0);
  if (m == NULL)
    rc = ward_err_set (&err, WARD_E_INTERNAL, ENOMEM, "cancelling %s", t->pid);
  else
    {
      m->at = ward_wall_ms () + ms;
      rc = ward_deliver (t, m, &err);
    }
  if (rc == 0)
    {
      /* one timer per deadline earlier than any before: repeated
       * cancels cannot pile timers up */
      int64_t when = ward_now_ns () + ms * 1000000LL;
      pthread_mutex_lock (&t->lock);
      int earlier = t->cancel_deadline_ns == 0 || when < t->cancel_deadline_ns;
      if (earlier)
        t->cancel_deadline_ns = when;
      pthread_mutex_unlock (&t->lock);
      char why[160];
      snprintf (why, sizeof why, "cancelled by %s and still running at the deadline",
                p->pid);
      if (earlier)
        ward_timer_add (when, WARD_TIMER_DEADLINE, t, 0, why);
    }
  ward_proc_unref (t);
  if (rc < 0)
    return ward_push_err (L, &err);
  lua_pushboolean (L, 1);
  return 1;
}

/* monitor, unmonitor, link, unlink share one shape. */
static int
topo_call (lua_State *L, enum ward_action_id action, const char *op)
{
  FORWARD (L, op);
  ward_vm_check_killed (L);
  ward_proc *p = ward_current ();
  ward_err err;
  ward_proc *t = arg_target (L, 1, ward_actions[action].name, NULL, &err);
  if (t == NULL)
    return ward_push_err (L, &err);
  int rc = 0;
  switch (action)
    {
    case WARD_ACT_MONITOR: rc = ward_monitor (p, t, &err); break;
    case WARD_ACT_LINK: rc = ward_link (p, t, &err); break;
    case WARD_ACT_UNMONITOR:
      /* a spawn_vm stand-in's watch of its spawner is the runtime's, not
       * the child's to drop: it ends with its spawner whatever it asks */
      if (!ward_broker_owner_is (p, t->serial))
        ward_unmonitor (p, t->serial);
      break;
    default: ward_unlink (p, t->serial); break;
    }
  ward_proc_unref (t);
  if (rc < 0)
    return ward_push_err (L, &err);
  lua_pushboolean (L, 1);
  return 1;
}

static int l_monitor (lua_State *L) { return topo_call (L, WARD_ACT_MONITOR, "monitor"); }
static int l_unmonitor (lua_State *L) { return topo_call (L, WARD_ACT_UNMONITOR, "unmonitor"); }
static int l_link (lua_State *L) { return topo_call (L, WARD_ACT_LINK, "link"); }
static int l_unlink (lua_State *L) { return topo_call (L, WARD_ACT_UNLINK, "unlink"); }

/* ---- options ---- */
static int
l_get_options (lua_State *L)
{
  ward_proc *p = ward_current ();
  pthread_mutex_lock (&p->lock);
  int trap = p->trap_links;
  pthread_mutex_unlock (&p->lock);
  lua_createtable (L, 0, 1);
  lua_pushboolean (L, trap);
  lua_setfield (L, -2, "trap_links");
  return 1;
}

static int
l_set_options (lua_State *L)
{
  ward_proc *p = ward_current ();
  if (!lua_istable (L, 1))
    return ward_push_error (L, WARD_E_INVALID, "set_options: expected a table, got %s",
                            luaL_typename (L, 1));
  int trap = -1;
  lua_pushnil (L);
  while (lua_next (L, 1))
    {
      if (lua_type (L, -2) != LUA_TSTRING || strcmp (lua_tostring (L, -2), "trap_links") != 0)
        {
          const char *k = lua_type (L, -2) == LUA_TSTRING ? lua_tostring (L, -2) : "?";
          return ward_push_error (L, WARD_E_INVALID, "set_options: unknown option `%s` "
                                  "(known: trap_links)", k);
        }
      if (!lua_isboolean (L, -1))
        return ward_push_error (L, WARD_E_INVALID, "set_options: trap_links must be a "
                                "boolean, got %s", luaL_typename (L, -1));
      trap = lua_toboolean (L, -1);
      lua_pop (L, 1);
    }
  if (trap >= 0)
    {
      pthread_mutex_lock (&p->lock);
      p->trap_links = trap;
      pthread_mutex_unlock (&p->lock);
    }
  /* A subprocess actor's links are its stand-in's: it traps them too. */
  FORWARD (L, "set_options");
  lua_pushboolean (L, 1);
  return 1;
}

/* ---- inbox, events, topics ---- */
static int
fixed_channel (lua_State *L, int port, const char *key)
{
  if (lua_getfield (L, LUA_REGISTRYINDEX, key) != LUA_TNIL)
    return 1;
  lua_pop (L, 1);
  ward_push_port_channel (L, port, 0, 0);
  lua_pushvalue (L, -1);
  lua_setfield (L, LUA_REGISTRYINDEX, key);
  return 1;
}

static int l_inbox (lua_State *L) { return fixed_channel (L, WARD_PORT_INBOX, "ward.inbox"); }
static int l_events (lua_State *L) { return fixed_channel (L, WARD_PORT_EVENTS, "ward.events"); }

static int
l_listen (lua_State *L)
{
  ward_vm_check_killed (L);
  ward_proc *p = ward_current ();
  ward_err err;
  const char *topic = arg_string (L, 1, "topic", &err);
  if (topic == NULL || check_topic (topic, &err) < 0)
    return ward_push_err (L, &err);
  int message = 0;
  if (!lua_isnoneornil (L, 2))
    {
      if (!lua_istable (L, 2))
        return ward_push_error (L, WARD_E_INVALID, "listen: options must be a table");
      lua_getfield (L, 2, "message");
      if (!lua_isnil (L, -1) && !lua_isboolean (L, -1))
        return ward_push_error (L, WARD_E_INVALID, "listen: option message must be a boolean");
      message = lua_toboolean (L, -1);
      lua_pop (L, 1);
    }
  /* The same channel while the topic is listened, as inbox() and events()
   * give theirs (listen channels by topic, weak: a channel collected ends
   * its subscription). Asked for with other options, it is an error: its
   * values would not be the ones the caller expects. */
  if (lua_getfield (L, LUA_REGISTRYINDEX, "ward.listens") != LUA_TTABLE)
    {
      lua_pop (L, 1);
      lua_newtable (L);
      lua_createtable (L, 0, 1);
      lua_pushliteral (L, "v");
      lua_setfield (L, -2, "__mode");
      lua_setmetatable (L, -2);
      lua_pushvalue (L, -1);
      lua_setfield (L, LUA_REGISTRYINDEX, "ward.listens");
    }
  int listens = lua_gettop (L), raw;
  lua_getfield (L, listens, topic);
  if (ward_channel_listening (L, -1, &raw))
    {
      if (raw == !message)
        return 1;
      return ward_push_error (L, WARD_E_ALREADY_EXISTS, "already listening to topic `%s` with "
                              "message = %s", topic, raw ? "false" : "true");
    }
  lua_pop (L, 1);
  int port = ward_port_open (p, topic, !message, &err);
  if (port < 0)
    return ward_push_err (L, &err);
  ward_push_topic_channel (L, port, !message);
  lua_pushvalue (L, -1);
  lua_setfield (L, listens, topic);
  return 1;
}

static int
l_unlisten (lua_State *L)
{
  ward_err err;
  if (ward_channel_unlisten (L, 1, &err) < 0)
    return ward_push_err (L, &err);
  lua_pushboolean (L, 1);
  return 1;
}

/* ---- upgrade ---- */

/* Take the new body: def (named path, id) with the arguments 2..top, run
 * once the process yields. */
static int
upgrade_to (lua_State *L, ward_proc *p, const ward_def *def, const char *path, const char *id,
            int top)
{
  ward_err err;
  if (encode (L, 2, top - 1, &err) < 0)
    return ward_push_err (L, &err);
  uint8_t *args = malloc (enc_buf.len ? enc_buf.len : 1);
  char *np = strdup (path), *nid = strdup (id);
  if (args == NULL || np == NULL || nid == NULL)
    {
      free (args);
      free (np);
      free (nid);
      return ward_push_error (L, WARD_E_INTERNAL, "upgrade: out of memory");
    }
  memcpy (args, enc_buf.data, enc_buf.len);
  free (p->args);
  p->args = args;
  p->args_len = enc_buf.len;
  /* the arguments' channels stay held while the old VM's close and the
   * new one takes them over (in the runtime vmchan_ref counted them; in a
   * subprocess actor they are counted here) */
  ward_remote_hold (args, enc_buf.len);
  free (p->def_path);
  p->def_path = np;
  free (p->def_id);
  p->def_id = nid;
  p->def = def;
  p->yield_reason = WARD_Y_UPGRADE;
  return lua_yield (L, 0);
}

/* In a subprocess actor the stand-in asks for the new definition (as an
 * in-process upgrade asks) and sends it compiled; the arguments stay here. */
static int
remote_upgrade (lua_State *L)
{
  lua_settop (L, 1);
  return ward_remote_call (L, "upgrade");
}

static int
remote_upgrade_k (lua_State *L, int status, lua_KContext ctx)
{
  (void) status;
  int top = (int) ctx;
  if (lua_isnil (L, top + 1))
    {
      lua_settop (L, top + 2);
      return 2;                         /* nil, err */
    }
  ward_err err;
  size_t code_len;
  const char *id = lua_tostring (L, top + 1), *chunk = lua_tostring (L, top + 2);
  const char *code = lua_tolstring (L, top + 3, &code_len);
  if (id == NULL || chunk == NULL || code == NULL)
    return ward_push_error (L, WARD_E_INTERNAL, "upgrade: a malformed answer from the runtime");
  const ward_def *def = ward_remote_def (chunk, code, code_len, &err);
  if (def == NULL)
    return ward_push_err (L, &err);
  return upgrade_to (L, ward_current (), def, chunk, id, top);
}

static int
l_upgrade (lua_State *L)
{
  if (ward_remote_chan >= 0)
    {
      ward_vm_check_killed (L);
      if (!lua_isyieldable (L))
        return luaL_error (L, "upgrade cannot be called here (inside a metamethod or C "
                           "callback)");
      ward_err err;
      int top = lua_gettop (L);
      if (top == 0)
        lua_pushnil (L), top = 1;
      /* what cannot be sent is refused before the runtime is asked */
      if ((!lua_isnil (L, 1) && arg_string (L, 1, "process id", &err) == NULL)
          || encode (L, 2, top - 1, &err) < 0)
        return ward_push_err (L, &err);
      lua_pushcfunction (L, remote_upgrade);
      lua_pushvalue (L, 1);
      lua_callk (L, 1, 3, top, remote_upgrade_k);
      return remote_upgrade_k (L, LUA_OK, top);
    }
  ward_proc *p = ward_current ();
  ward_vm_check_killed (L);
  /* Checked first: a failed upgrade must leave the process as it was. */
  if (!lua_isyieldable (L))
    return luaL_error (L, "upgrade cannot be called here (inside a metamethod or C callback)");
  ward_err err;
  char path[4096];
  const char *id;
  const ward_def *def = ward_upgrade_target (L, p, 1, path, sizeof path, &id, &err);
  if (def == NULL)
    return ward_push_err (L, &err);
  return upgrade_to (L, p, def, path, id, lua_gettop (L));
}

const ward_def *
ward_upgrade_target (lua_State *L, ward_proc *p, int idx, char *path, size_t pathlen,
                     const char **id, ward_err *err)
{
  *id = p->def_id;
  if (!lua_isnil (L, idx))
    {
      if ((*id = arg_string (L, idx, "process id", err)) == NULL
          || ward_def_resolve (*id, path, pathlen, err) < 0
          || (strcmp (*id, p->def_id) != 0
              && ward_proc_authorize1 (p, WARD_ACTION (SPAWN), *id, NULL, err) < 0))
        return NULL;
    }
  else
    snprintf (path, pathlen, "%s", p->def_path);
  return ward_def_get (path, 0, err);
}

/* ---- context: a read-only view, nested tables included ---- */
#define CONTEXT "ward.context"

/* Push the read-only view of the table at idx: a userdata (rawset cannot
 * reach its data) whose nested tables are handed out as fresh copies, so
 * that they can be changed and sent without touching the context. */
static void
push_view (lua_State *L, int idx)
{
  idx = lua_absindex (L, idx);
  lua_newuserdatauv (L, 0, 1);
  ward_setmeta (L, CONTEXT);
  lua_pushvalue (L, idx);
  lua_setiuservalue (L, -2, 1);
}

static void
push_wrapped (lua_State *L)
{
  ward_err err;
  if (lua_type (L, -1) == LUA_TTABLE)
    {
      if (snapshot (L, -1, 1, &err) < 0)
        luaL_error (L, "context: %s", err.msg);
      lua_remove (L, -2);
    }
}

static int
ctx_index (lua_State *L)
{
  luaL_checkudata (L, 1, CONTEXT);
  lua_getiuservalue (L, 1, 1);
  lua_pushvalue (L, 2);
  lua_rawget (L, -2);
  push_wrapped (L);
  return 1;
}

static int
ctx_newindex (lua_State *L)
{
  return luaL_error (L, "the process context is read-only");
}

static int
ctx_len (lua_State *L)
{
  luaL_checkudata (L, 1, CONTEXT);
  lua_getiuservalue (L, 1, 1);
  lua_pushinteger (L, (lua_Integer) lua_rawlen (L, -1));
  return 1;
}

static int
ctx_next (lua_State *L)
{
  luaL_checkudata (L, 1, CONTEXT);
  lua_getiuservalue (L, 1, 1);
  lua_pushvalue (L, 2);
  if (!lua_next (L, -2))
    return 0;
  push_wrapped (L);
  return 2;
}

static int
ctx_pairs (lua_State *L)
{
  luaL_checkudata (L, 1, CONTEXT);
  lua_pushcfunction (L, ctx_next);
  lua_pushvalue (L, 1);
  lua_pushnil (L);
  return 3;
}

static const luaL_Reg ctx_meta[] = {
  { "__index", ctx_index }, { "__newindex", ctx_newindex }, { "__len", ctx_len },
  { "__pairs", ctx_pairs }, { NULL, NULL } };
const ward_type ward_type_context = { CONTEXT, "context", NULL, ctx_meta };

static int
l_context (lua_State *L)
{
  if (lua_getfield (L, LUA_REGISTRYINDEX, "ward.context.root") != LUA_TNIL)
    return 1;
  lua_pop (L, 1);
  ward_proc *p = ward_current ();
  if (p->context_len)
    {
      int n;
      ward_err err;
      /* the channels decoded are copies of their own, beside the ones the
       * process's context keeps: in the runtime each counts itself (the
       * wire's decoding), in a subprocess actor the child counts them */
      const ward_codec_opts *o = ward_remote_chan >= 0 ? ward_codec_opts_rt ()
                                                        : ward_codec_opts_wire ();
      if (ward_codec_decode (L, p->context, p->context_len, o, &n, &err) < 0)
        return luaL_error (L, "context: %s", err.msg);
      ward_remote_hold (p->context, p->context_len);
      if (n != 1 || !lua_istable (L, -1))
        return luaL_error (L, "context: malformed");
    }
  else
    lua_newtable (L);
  push_view (L, -1);
  lua_pushvalue (L, -1);
  lua_setfield (L, LUA_REGISTRYINDEX, "ward.context.root");
  return 1;
}

/* ---- SpawnBuilder: an immutable userdata over a private table ---- */
static int
builder_table (lua_State *L, int idx)
{
  luaL_checkudata (L, idx, BUILDER);
  lua_getiuservalue (L, idx, 1);
  return lua_gettop (L);
}

/* Push a new builder whose table copies the one at t (shallow: the list of
 * queued messages is shared, each builder seeing its first `nmessages`). */
static int
builder_copy (lua_State *L, int t)
{
  lua_newuserdatauv (L, 0, 1);
  ward_setmeta (L, BUILDER);
  lua_createtable (L, 0, 7);
  if (t)
    {
      lua_pushnil (L);
      while (lua_next (L, t))
        {
          lua_pushvalue (L, -2);
          lua_insert (L, -2);
          lua_rawset (L, -4);
        }
    }
  lua_setiuservalue (L, -2, 1);
  return lua_gettop (L);
}

/* How many queued messages the builder table at t holds. */
static lua_Integer
builder_nmessages (lua_State *L, int t)
{
  lua_getfield (L, t, "nmessages");
  lua_Integer n = lua_tointeger (L, -1);
  lua_pop (L, 1);
  return n;
}

/* A plain copy of the builder table at t, its messages only its own:
 * what a subprocess actor sends its stand-in to rebuild it. */
static void
builder_state (lua_State *L, int t)
{
  lua_Integer n = builder_nmessages (L, t);
  lua_createtable (L, 0, 7);
  int c = lua_gettop (L);
  lua_pushnil (L);
  while (lua_next (L, t))
    {
      lua_pushvalue (L, -2);
      lua_insert (L, -2);
      lua_rawset (L, c);
    }
  lua_createtable (L, (int) n, 0);
  if (lua_getfield (L, t, "messages") == LUA_TTABLE)
    for (lua_Integer i = 1; i <= n; i++)
      {
        lua_rawgeti (L, -1, i);
        lua_rawseti (L, -3, i);
      }
  lua_pop (L, 1);
  lua_setfield (L, c, "messages");
}

/* Merge the table at src over the context in the builder table at t. */
static void
merge_context (lua_State *L, int t, int src)
{
  lua_newtable (L);
  int dst = lua_gettop (L);
  if (lua_getfield (L, t, "context") == LUA_TTABLE)
    {
      lua_pushnil (L);
      while (lua_next (L, -2))
        {
          lua_pushvalue (L, -2);
          lua_insert (L, -2);
          lua_rawset (L, dst);
        }
    }
  lua_pop (L, 1);
  lua_pushnil (L);
  while (lua_next (L, src))
    {
      lua_pushvalue (L, -2);
      lua_insert (L, -2);
      lua_rawset (L, dst);
    }
  lua_setfield (L, t, "context");
  lua_pushboolean (L, 1);
  lua_setfield (L, t, "has_context");
}

/* The builder with the table at `values` merged over the context (of the
 * builder at 1 when from_builder), once the permission was granted. */
static int
make_context_builder (lua_State *L, int values, int from_builder)
{
  ward_err err;
  if (snapshot (L, values, 1, &err) < 0)
    return ward_push_err (L, &err);
  values = lua_gettop (L);
  int t = from_builder ? builder_table (L, 1) : 0;
  int b = builder_copy (L, t);
  lua_getiuservalue (L, b, 1);
  merge_context (L, lua_gettop (L), values);
  lua_settop (L, b);
  return 1;
}

/* In a subprocess actor, with_context is asked in the runtime, as its
 * stand-in (which asks again when it rebuilds the builder to spawn). */
static int
remote_context (lua_State *L)
{
  lua_settop (L, 0);
  return ward_remote_call (L, "with_context");
}

static int
remote_context_k (lua_State *L, int status, lua_KContext ctx)
{
  (void) status;
  if (lua_isnil (L, -2))
    return 2;                           /* nil, err */
  lua_pop (L, 2);
  return make_context_builder (L, (int) (ctx >> 1), (int) (ctx & 1));
}

static int
start_context_builder (lua_State *L, int values, int from_builder)
{
  ward_proc *p = ward_current ();
  ward_err err;
  if (!lua_istable (L, values))
    return ward_push_error (L, WARD_E_INVALID, "with_context: expected a table of values, "
                            "got %s", luaL_typename (L, values));
  if (ward_remote_chan >= 0)
    {
      lua_KContext ctx = ((lua_KContext) values << 1) | from_builder;
      lua_pushcfunction (L, remote_context);
      lua_callk (L, 0, 2, ctx, remote_context_k);
      return remote_context_k (L, LUA_OK, ctx);
    }
  if (ward_proc_authorize1 (p, WARD_ACTION (CONTEXT), "context", NULL, &err) < 0)
    return ward_push_err (L, &err);
  return make_context_builder (L, values, from_builder);
}

static int l_with_context (lua_State *L) { return start_context_builder (L, 1, 0); }
static int b_with_context (lua_State *L) { return start_context_builder (L, 2, 1); }

static int
b_set_field (lua_State *L, const char *field, int type)
{
  int t = builder_table (L, 1);
  if (lua_type (L, 2) != type)
    return ward_push_error (L, WARD_E_INVALID, "%s: expected a %s, got %s", field,
                            lua_typename (L, type), luaL_typename (L, 2));
  if (has_nul (L, 2))
    return ward_push_error (L, WARD_E_INVALID, "%s: `%s...` holds a NUL byte", field,
                            lua_tostring (L, 2));
  int b = builder_copy (L, t);
  lua_getiuservalue (L, b, 1);
  lua_pushvalue (L, 2);
  lua_setfield (L, -2, field);
  lua_settop (L, b);
  return 1;
}

static int
b_with_actor (lua_State *L)
{
  if (lua_type (L, 2) == LUA_TSTRING && lua_rawlen (L, 2) == 0)
    return ward_push_error (L, WARD_E_INVALID, "with_actor: the actor id must not be empty");
  return b_set_field (L, "actor", LUA_TSTRING);
}

static int
b_with_scope (lua_State *L)
{
  if (lua_type (L, 2) == LUA_TTABLE)
    {
      lua_Integer n = luaL_len (L, 2);
      for (lua_Integer i = 1; i <= n; i++)
        if (lua_rawgeti (L, 2, i) != LUA_TSTRING || has_nul (L, -1) || (lua_pop (L, 1), 0))
          return ward_push_error (L, WARD_E_INVALID, "with_scope: entry %lld is not a "
                                  "policy name", (long long) i);
    }
  return b_set_field (L, "scope", LUA_TTABLE);
}

static int
b_with_name (lua_State *L)
{
  ward_err err;
  if (lua_type (L, 2) == LUA_TSTRING && check_name (lua_tostring (L, 2), &err) < 0)
    return ward_push_err (L, &err);
  return b_set_field (L, "name", LUA_TSTRING);
}

static int
b_with_message (lua_State *L)
{
  ward_err err;
  int t = builder_table (L, 1);
  const char *topic = arg_string (L, 2, "topic", &err);
  if (topic == NULL || check_topic (topic, &err) < 0)
    return ward_push_err (L, &err);
  int nv = t - 3;                       /* values between topic and the table */
  int first = lua_gettop (L) + 1;
  if (snapshot (L, 3, nv, &err) < 0)    /* refuse what cannot be sent, now */
    return ward_push_err (L, &err);
  lua_createtable (L, nv, 2);
  int m = lua_gettop (L);
  for (int i = 0; i < nv; i++)
    {
      lua_pushvalue (L, first + i);
      lua_rawseti (L, m, i + 1);
    }
  lua_pushinteger (L, nv);
  lua_setfield (L, m, "n");
  lua_pushvalue (L, 2);
  lua_setfield (L, m, "topic");
  /* The list is shared with the builder this one copies: appended to in
   * place when nothing follows this builder's last message there (the
   * usual chain of calls, each O(1)), copied otherwise. */
  lua_Integer k = builder_nmessages (L, t);
  int b = builder_copy (L, t);
  lua_getiuservalue (L, b, 1);
  int bt = lua_gettop (L);
  if (lua_getfield (L, bt, "messages") != LUA_TTABLE || (lua_Integer) lua_rawlen (L, -1) != k)
    {
      int old = lua_gettop (L);
      lua_createtable (L, (int) k + 1, 0);
      for (lua_Integer i = 1; i <= k; i++)
        {
          lua_rawgeti (L, old, i);
          lua_rawseti (L, -2, i);
        }
      lua_pushvalue (L, -1);
      lua_setfield (L, bt, "messages");
    }
  lua_pushvalue (L, m);
  lua_rawseti (L, -2, k + 1);
  lua_pushinteger (L, k + 1);
  lua_setfield (L, bt, "nmessages");
  lua_settop (L, b);
  return 1;
}

static int
b_spawn_flags (lua_State *L, int flags)
{
  if (ward_remote_chan >= 0)
    {
      /* the stand-in rebuilds the builder from its state */
      builder_state (L, builder_table (L, 1));
      lua_replace (L, 1);
      lua_pop (L, 1);
      return ward_remote_call (L, flags == 0 ? "builder.spawn"
                               : flags == SP_MONITOR ? "builder.spawn_monitored"
                               : flags == SP_LINK ? "builder.spawn_linked"
                               : "builder.spawn_linked_monitored");
    }
  int t = builder_table (L, 1);
  lua_insert (L, 2);                    /* table at 2; id at 3 */
  builder_view v = { .idx = 2 };
  (void) t;
  lua_getfield (L, 2, "actor");
  v.actor = lua_tostring (L, -1);
  lua_pop (L, 1);                       /* still referenced by the table */
  const char *scope[64];
  if (lua_getfield (L, 2, "scope") == LUA_TTABLE)
    {
      lua_Integer n = luaL_len (L, -1);
      if (n > 64)
        return ward_push_error (L, WARD_E_INVALID, "with_scope: more than 64 policies");
      for (lua_Integer i = 1; i <= n; i++)
        {
          lua_rawgeti (L, -1, i);
          scope[i - 1] = lua_tostring (L, -1);
          lua_pop (L, 1);
          if (scope[i - 1] == NULL)
            return ward_push_error (L, WARD_E_INVALID, "with_scope: entry %lld is not a "
                                    "policy name", (long long) i);
        }
      v.scope = scope;
      v.nscope = (size_t) n;
      v.set_scope = 1;
    }
  lua_pop (L, 1);
  lua_getfield (L, 2, "has_context");
  v.has_context = lua_toboolean (L, -1);
  lua_pop (L, 1);
  lua_getfield (L, 2, "name");
  v.name = lua_tostring (L, -1);
  lua_pop (L, 1);
  return do_spawn (L, 3, flags, &v);
}

static int b_spawn (lua_State *L) { return b_spawn_flags (L, 0); }
static int b_spawn_monitored (lua_State *L) { return b_spawn_flags (L, SP_MONITOR); }
static int b_spawn_linked (lua_State *L) { return b_spawn_flags (L, SP_LINK); }
static int b_spawn_lm (lua_State *L) { return b_spawn_flags (L, SP_LINK | SP_MONITOR); }

/* ---- registry ---- */
static int
l_register (lua_State *L)
{
  FORWARD (L, "registry.register");
  ward_vm_check_killed (L);
  ward_proc *p = ward_current ();
  ward_err err;
  const char *name = arg_string (L, 1, "name", &err);
  if (name == NULL || check_name (name, &err) < 0)
    return ward_push_err (L, &err);
  ward_proc *t;
  if (lua_isnoneornil (L, 2))
    {
      if (ward_proc_authorize1 (p, WARD_ACTION (REGISTRY_REGISTER), name, NULL, &err) < 0)
        return ward_push_err (L, &err);
      ward_proc_ref (t = p);
    }
  else if ((t = arg_target (L, 2, WARD_ACTION (REGISTRY_REGISTER), name, &err)) == NULL)
    return ward_push_err (L, &err);
  int rc = ward_registry_register (name, t, &err);
  ward_proc_unref (t);
  if (rc < 0)
    return ward_push_err (L, &err);
  lua_pushboolean (L, 1);
  return 1;
}

static int
l_lookup (lua_State *L)
{
  FORWARD (L, "registry.lookup");
  ward_vm_check_killed (L);
  ward_err err;
  const char *name = arg_string (L, 1, "name", &err);
  if (name == NULL
      || ward_proc_authorize1 (ward_current (), WARD_ACTION (REGISTRY_LOOKUP), name, NULL,
                               &err) < 0)
    return ward_push_err (L, &err);
  char pid[64];
  if (ward_registry_lookup (name, pid, sizeof pid) < 0)
    return ward_push_error (L, WARD_E_NOT_FOUND,
                            "name `%s` not found (no process is registered under it)", name);
  lua_pushstring (L, pid);
  return 1;
}

static int
l_unregister (lua_State *L)
{
  FORWARD (L, "registry.unregister");
  ward_vm_check_killed (L);
  ward_proc *p = ward_current ();
  ward_err err;
  const char *name = arg_string (L, 1, "name", &err);
  if (name == NULL
      || ward_proc_authorize1 (p, WARD_ACTION (REGISTRY_UNREGISTER), name, NULL, &err) < 0)
    return ward_push_err (L, &err);
  lua_pushboolean (L, ward_registry_unregister (name));
  return 1;
}

static const luaL_Reg builder_methods[] = {
  { "with_context", b_with_context }, { "with_actor", b_with_actor },
  { "with_scope", b_with_scope }, { "with_name", b_with_name },
  { "with_message", b_with_message }, { "spawn", b_spawn },
  { "spawn_monitored", b_spawn_monitored }, { "spawn_linked", b_spawn_linked },
  { "spawn_linked_monitored", b_spawn_lm }, { NULL, NULL } };
const ward_type ward_type_builder = { BUILDER, "SpawnBuilder", builder_methods, NULL };

/* The library's functions, made into fields on first use: most processes
 * touch two or three of them, and each field costs its process memory. */
static const luaL_Reg process_lib[] = {
  { "id", l_id }, { "pid", l_pid }, { "send", l_send }, { "spawn", l_spawn },
  { "spawn_monitored", l_spawn_monitored }, { "spawn_linked", l_spawn_linked },
  { "spawn_linked_monitored", l_spawn_lm }, { "exec", l_exec },
  { "terminate", l_terminate }, { "cancel", l_cancel }, { "monitor", l_monitor },
  { "unmonitor", l_unmonitor }, { "link", l_link }, { "unlink", l_unlink },
  { "get_options", l_get_options }, { "set_options", l_set_options },
  { "inbox", l_inbox }, { "events", l_events }, { "listen", l_listen },
  { "unlisten", l_unlisten }, { "upgrade", l_upgrade }, { "with_context", l_with_context },
  { "context", l_context }, { NULL, NULL } };

/* Push the field k of the library (a function or a sub-table), or nothing
 * (returns 0) when it has none by that name. */
static int
process_field (lua_State *L, const char *k)
{
  for (const luaL_Reg *r = process_lib; r->name; r++)
    if (strcmp (r->name, k) == 0)
      {
        lua_pushcfunction (L, r->func);
        return 1;
      }
  if (strcmp (k, "registry") == 0)
    {
      static const luaL_Reg reg[] = {
        { "register", l_register }, { "lookup", l_lookup }, { "unregister", l_unregister },
        { NULL, NULL } };
      luaL_newlib (L, reg);
      return 1;
    }
  if (strcmp (k, "event") == 0)
    {
      lua_createtable (L, 0, 3);
      static const char *const ev[] = { "CANCEL", "EXIT", "LINK_DOWN", NULL };
      for (const char *const *e = ev; *e; e++)
        {
          lua_pushstring (L, *e);
          lua_setfield (L, -2, *e);
        }
      return 1;
    }
  return 0;
}

/* process.k, first use: made, stored in the table, returned. */
static int
process_index (lua_State *L)
{
  if (lua_type (L, 2) != LUA_TSTRING || !process_field (L, lua_tostring (L, 2)))
    return 0;
  lua_pushvalue (L, 2);
  lua_pushvalue (L, -2);
  lua_rawset (L, 1);
  return 1;
}

/* next(t, k) without the base library */
static int
process_next (lua_State *L)
{
  luaL_checktype (L, 1, LUA_TTABLE);
  lua_settop (L, 2);
  if (lua_next (L, 1))
    return 2;
  lua_pushnil (L);
  return 1;
}

/* pairs(process) sees every field: the ones not made yet are made first
 * (each lookup goes through __index). */
static int
process_pairs (lua_State *L)
{
  static const char *const subs[] = { "registry", "event", NULL };
  for (const luaL_Reg *r = process_lib; r->name; r++)
    {
      lua_getfield (L, 1, r->name);
      lua_pop (L, 1);
    }
  for (const char *const *k = subs; *k; k++)
    {
      lua_getfield (L, 1, *k);
      lua_pop (L, 1);
    }
  lua_pushcfunction (L, process_next);
  lua_pushvalue (L, 1);
  lua_pushnil (L);
  return 3;
}

int
ward_luaopen_process (lua_State *L)
{
  lua_createtable (L, 0, 4);
  lua_createtable (L, 0, 3);
  lua_pushcfunction (L, process_index);
  lua_setfield (L, -2, "__index");
  lua_pushcfunction (L, process_pairs);
  lua_setfield (L, -2, "__pairs");
  lua_pushboolean (L, 0);       /* getmetatable(process) is false */
  lua_setfield (L, -2, "__metatable");
  lua_setmetatable (L, -2);
  return 1;
}
