/* lspawn.c -- the `process` calls that start processes: spawn and its
 * variants, exec, upgrade, and SpawnBuilder (with_context, with_actor,
 * with_scope, with_name, with_message), in both faces (lproc.h). */
#include "config.h"
#include "lproc.h"
#include "face.h"
#include "codec.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <lauxlib.h>

#define BUILDER "ward.builder"

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

/* What the builder b adds to req: actor, scope, name, and the context,
 * encoded into ctx (which the caller frees). -1 with err. */
static int
builder_req (lua_State *L, const builder_view *b, ward_spawn_req *req, wbuf *ctx, ward_err *err)
{
  req->actor_id = b->actor;
  req->scope = b->scope;
  req->nscope = b->nscope;
  req->set_scope = b->set_scope;
  req->name = b->name;
  if (b->name && ward_lproc_check_name (b->name, err) < 0)
    return -1;
  if (b->has_context)
    {
      lua_getfield (L, b->idx, "context");
      int rc = ward_codec_encode (L, -1, 1, ctx, ward_codec_opts_rt (), err);
      lua_pop (L, 1);
      if (rc < 0)
        return -1;
      req->context = ctx->data;
      req->context_len = ctx->len;
      req->set_context = 1;
    }
  return 0;
}

/* Send the builder b's queued messages to child, as sends from p, in
 * order. -1 with err (the child is then ended). */
static int
send_queued (lua_State *L, ward_proc *p, ward_proc *child, const builder_view *b, ward_err *err)
{
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
      if (ward_lproc_send_to (L, p, child, topic, mi + 2, nv, err) < 0)
        {
          ward_proc_kill (child, "spawn failed: queued message: %s", err->msg);
          ward_sched_push (child);  /* it runs only to end */
          return -1;
        }
      lua_settop (L, mi - 1);
    }
  lua_pop (L, 1);
  return 0;
}

/* Make the child of req on the host named hostname (found again: a
 * context whose last process ended is gone). On a sandboxed host the
 * child is made first: a sandbox that cannot be built (an init script
 * that fails) is this call's error. One that ward_spawn would refuse for
 * the parent's children is not made. NULL with err, or with *gone set
 * when the host is no more. */
static ward_proc *
start_child (ward_proc *p, ward_spawn_req *req, const char *hostname, int *gone,
             ward_err *err)
{
  ward_host *host;
  if ((req->host = host = ward_host_find (hostname)) == NULL)
    {
      *gone = 1;                /* a context whose last process ended */
      return NULL;
    }
  if (ward_broker_sandboxed (host)
      && (ward_spawn_admit (p, err) < 0
          || (req->remote = ward_broker_prepare (host, err)) == NULL))
    {
      ward_host_drop (host);
      return NULL;
    }
  ward_proc *child = ward_spawn (p, req, err);
  ward_host_drop (host);                /* the child holds it now */
  if (child == NULL)
    ward_broker_abort (req->remote);
  return child;
}

/* Spawn id on host with the arguments from index first; the builder (if
 * any) adds actor, scope, context, name and queued messages. Pushes the
 * results (pid or nil, err). */
static int
do_spawn (lua_State *L, int first, int flags, const builder_view *b)
{
  ward_vm_check_killed (L);
  ward_proc *p = ward_current ();
  ward_err err;
  const char *id = ward_lproc_arg_string (L, first, "process id", &err);
  if (id == NULL)
    return ward_push_err (L, &err);
  const char *hostname = ward_lproc_arg_string (L, first + 1, "host", &err);
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
  const wbuf *enc = ward_lproc_encode (L, first + 2, nargs, &err);
  if (enc == NULL)
    return ward_push_err (L, &err);

  ward_spawn_req req = { .def_id = id, .path = path, .def = def, .host = NULL,
                         .args = enc->data, .args_len = enc->len,
                         .monitor = !!(flags & SP_MONITOR), .link = !!(flags & SP_LINK),
                         .exec_wait = !!(flags & SP_EXEC), .is_worker = 1 };
  wbuf ctx;
  wbuf_init (&ctx, 0);
  if (b && builder_req (L, b, &req, &ctx, &err) < 0)
    {
      wbuf_free (&ctx);
      return ward_push_err (L, &err);
    }
  /* The arguments live in the scratch buffer, which send_to below
   * reuses: copy. */
  wbuf args;
  wbuf_init (&args, 0);
  if (wbuf_append (&args, enc->data, enc->len, &err) < 0)
    {
      wbuf_free (&ctx);
      return ward_push_err (L, &err);
    }
  req.args = args.data;
  /* A child with queued messages is started only once they are in its
   * mailbox: they come before anything else it receives, and a child that
   * ends at once cannot make the sends fail after it ran. */
  lua_Integer nqueued = b ? builder_nmessages (L, b->idx) : 0;
  req.hold = nqueued > 0;
  req.ask_send = nqueued > 0;   /* the queued messages are the parent's sends */
  int gone = 0;
  ward_proc *child = start_child (p, &req, hostname, &gone, &err);
  wbuf_free (&ctx);
  wbuf_free (&args);
  if (child == NULL)
    return gone ? no_host (L, hostname) : ward_push_err (L, &err);
  char pid[64];
  memcpy (pid, child->pid, sizeof pid);    /* (both 64 bytes, NUL-terminated) */

  if (b)
    {
      if (send_queued (L, p, child, b, &err) < 0)
        {
          ward_proc_unref (child);
          return ward_push_err (L, &err);
        }
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
  return 1;
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
/* exec waits for its child: refused before spawning one that nobody
 * would wait for (inside a metamethod or C callback). */
static int
exec_cannot_wait (lua_State *L)
{
  return ward_push_error (L, WARD_E_INVALID, "exec cannot wait here (inside a metamethod "
                          "or C callback that cannot yield)");
}

static int
l_exec (lua_State *L)
{
  if (!lua_isyieldable (L))
    return exec_cannot_wait (L);
  return do_spawn (L, 1, SP_EXEC, NULL);
}

/* ---- upgrade ---- */

/* Take the new body: def (named path, id) with the arguments 2..top, run
 * once the process yields. */
static int
upgrade_to (lua_State *L, ward_proc *p, const ward_def *def, const char *path, const char *id,
            int top)
{
  ward_err err;
  const wbuf *enc = ward_lproc_encode (L, 2, top - 1, &err);
  if (enc == NULL)
    return ward_push_err (L, &err);
  uint8_t *args = malloc (enc->len ? enc->len : 1);
  char *np = strdup (path), *nid = strdup (id);
  if (args == NULL || np == NULL || nid == NULL)
    {
      free (args);
      free (np);
      free (nid);
      return ward_push_error (L, WARD_E_INTERNAL, "upgrade: out of memory");
    }
  memcpy (args, enc->data, enc->len);
  ward_proc_free_copy (p, p->args);
  p->args = args;
  p->args_len = enc->len;
  /* the arguments' channels stay held while the old VM's close and the
   * new one takes them over (in the runtime vmchan_ref counted them; in a
   * subprocess actor they are counted here) */
  ward_remote_hold (args, p->args_len);
  ward_proc_free_copy (p, p->def_path);
  p->def_path = np;
  ward_proc_free_copy (p, p->def_id);
  p->def_id = nid;
  p->def = def;
  p->yield_reason = WARD_Y_UPGRADE;
  return lua_yield (L, 0);
}

/* In a subprocess actor the stand-in asks for the new definition (as an
 * in-process upgrade asks) and sends it compiled; the arguments stay here. */
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
r_upgrade (lua_State *L)
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
  if ((!lua_isnil (L, 1) && ward_lproc_arg_string (L, 1, "process id", &err) == NULL)
      || ward_lproc_encode (L, 2, top - 1, &err) == NULL)
    return ward_push_err (L, &err);
  lua_pushvalue (L, 1);
  return ward_remote_callk (L, "upgrade", 1, 3, top, remote_upgrade_k);
}

static int
l_upgrade (lua_State *L)
{
  ward_proc *p = ward_current ();
  ward_vm_check_killed (L);
  /* Checked first: a failed upgrade must leave the process as it was. */
  if (!lua_isyieldable (L))
    return luaL_error (L, "upgrade cannot be called here (inside a metamethod or C callback)");
  ward_err err;
  ward_upgrade u;
  if (ward_upgrade_target (L, p, 1, &u, &err) < 0)
    return ward_push_err (L, &err);
  return upgrade_to (L, p, u.def, u.path, u.id, lua_gettop (L));
}

int
ward_upgrade_target (lua_State *L, ward_proc *p, int idx, ward_upgrade *u, ward_err *err)
{
  u->id = p->def_id;
  if (!lua_isnil (L, idx))
    {
      if ((u->id = ward_lproc_arg_string (L, idx, "process id", err)) == NULL
          || ward_def_resolve (u->id, u->path, sizeof u->path, err) < 0
          || (strcmp (u->id, p->def_id) != 0
              && ward_proc_authorize1 (p, WARD_ACTION (SPAWN), u->id, NULL, err) < 0))
        return -1;
    }
  else
    snprintf (u->path, sizeof u->path, "%s", p->def_path);
  u->def = ward_def_get (u->path, 0, err);
  return u->def ? 0 : -1;
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
  if (ward_lproc_snapshot (L, values, 1, &err) < 0)
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
remote_context_k (lua_State *L, int status, lua_KContext ctx)
{
  (void) status;
  if (lua_isnil (L, -2))
    return 2;                           /* nil, err */
  lua_pop (L, 2);
  return make_context_builder (L, (int) (ctx >> 1), (int) (ctx & 1));
}

static int
not_context_values (lua_State *L, int values)
{
  return ward_push_error (L, WARD_E_INVALID, "with_context: expected a table of values, "
                          "got %s", luaL_typename (L, values));
}

static int
start_context_builder (lua_State *L, int values, int from_builder)
{
  ward_proc *p = ward_current ();
  ward_err err;
  if (!lua_istable (L, values))
    return not_context_values (L, values);
  if (ward_proc_authorize1 (p, WARD_ACTION (CONTEXT), "context", NULL, &err) < 0)
    return ward_push_err (L, &err);
  return make_context_builder (L, values, from_builder);
}

static int
remote_context_builder (lua_State *L, int values, int from_builder)
{
  if (!lua_istable (L, values))
    return not_context_values (L, values);
  lua_KContext ctx = ((lua_KContext) values << 1) | from_builder;
  return ward_remote_callk (L, "with_context", 0, 2, ctx, remote_context_k);
}

static int l_with_context (lua_State *L) { return start_context_builder (L, 1, 0); }
static int b_with_context (lua_State *L) { return start_context_builder (L, 2, 1); }
static int r_with_context (lua_State *L) { return remote_context_builder (L, 1, 0); }
static int rb_with_context (lua_State *L) { return remote_context_builder (L, 2, 1); }

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
  if (lua_type (L, 2) == LUA_TSTRING && ward_lproc_check_name (lua_tostring (L, 2), &err) < 0)
    return ward_push_err (L, &err);
  return b_set_field (L, "name", LUA_TSTRING);
}

static int
b_with_message (lua_State *L)
{
  ward_err err;
  int t = builder_table (L, 1);
  const char *topic = ward_lproc_arg_string (L, 2, "topic", &err);
  if (topic == NULL || ward_lproc_check_topic (topic, &err) < 0)
    return ward_push_err (L, &err);
  int nv = t - 3;                       /* values between topic and the table */
  int first = lua_gettop (L) + 1;
  if (ward_lproc_snapshot (L, 3, nv, &err) < 0)    /* refuse what cannot be sent, now */
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

/* In a subprocess actor the stand-in rebuilds the builder from its state
 * and spawns as the actor (op: the method's name). */
static int
rb_spawn_op (lua_State *L, const char *op)
{
  builder_state (L, builder_table (L, 1));
  lua_replace (L, 1);
  lua_pop (L, 1);
  return ward_remote_call (L, op);
}

static int
b_spawn_flags (lua_State *L, int flags)
{
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

static int rb_spawn (lua_State *L) { return rb_spawn_op (L, "builder.spawn"); }
static int rb_spawn_monitored (lua_State *L) { return rb_spawn_op (L, "builder.spawn_monitored"); }
static int rb_spawn_linked (lua_State *L) { return rb_spawn_op (L, "builder.spawn_linked"); }
static int rb_spawn_lm (lua_State *L) { return rb_spawn_op (L, "builder.spawn_linked_monitored"); }

/* ---- the faces ---- */
static const luaL_Reg builder_methods[] = {
  { "with_context", b_with_context }, { "with_actor", b_with_actor },
  { "with_scope", b_with_scope }, { "with_name", b_with_name },
  { "with_message", b_with_message }, { "spawn", b_spawn },
  { "spawn_monitored", b_spawn_monitored }, { "spawn_linked", b_spawn_linked },
  { "spawn_linked_monitored", b_spawn_lm }, { NULL, NULL } };
const ward_type ward_type_builder = { BUILDER, "SpawnBuilder", builder_methods, NULL };

static const luaL_Reg builder_methods_remote[] = {
  { "with_context", rb_with_context }, { "with_actor", b_with_actor },
  { "with_scope", b_with_scope }, { "with_name", b_with_name },
  { "with_message", b_with_message }, { "spawn", rb_spawn },
  { "spawn_monitored", rb_spawn_monitored }, { "spawn_linked", rb_spawn_linked },
  { "spawn_linked_monitored", rb_spawn_lm }, { NULL, NULL } };
const ward_type ward_type_builder_remote = { BUILDER, "SpawnBuilder", builder_methods_remote,
                                             NULL };

WARD_LPROC_FORWARD (r_spawn, "spawn")
WARD_LPROC_FORWARD (r_spawn_monitored, "spawn_monitored")
WARD_LPROC_FORWARD (r_spawn_linked, "spawn_linked")
WARD_LPROC_FORWARD (r_spawn_lm, "spawn_linked_monitored")

static int
r_exec (lua_State *L)
{
  if (!lua_isyieldable (L))
    return exec_cannot_wait (L);
  return ward_remote_call (L, "exec");
}

const luaL_Reg ward_face_spawn_local[] = {
  { "spawn", l_spawn }, { "spawn_monitored", l_spawn_monitored },
  { "spawn_linked", l_spawn_linked }, { "spawn_linked_monitored", l_spawn_lm },
  { "exec", l_exec }, { "upgrade", l_upgrade }, { "with_context", l_with_context },
  { NULL, NULL } };
const luaL_Reg ward_face_spawn_remote[] = {
  { "spawn", r_spawn }, { "spawn_monitored", r_spawn_monitored },
  { "spawn_linked", r_spawn_linked }, { "spawn_linked_monitored", r_spawn_lm },
  { "exec", r_exec }, { "upgrade", r_upgrade }, { "with_context", r_with_context },
  { NULL, NULL } };

